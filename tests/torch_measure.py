"""Measurements with torch that `tests/test_analysis.py` holds specc's static analyses to.

Receptive fields, by brute force (`field_extents`): the gradient of units of
a layer's output with respect to the input, the extent of its nonzero part.
What makes the measured extent exactly the theoretical maximum:

- every path carries a nonzero derivative: weights positive (1 / fan-in, so
  that values stay near 1 and no activation saturates: sigmoid, SiLU and
  ReLU all pass gradient there), biases positive, the input positive, batch
  norm in evaluation mode (a positive scale), dropout off;
- nothing cancels: products and sums of positive numbers cannot; the ops
  whose derivatives have both signs (softmax, the norms over positions)
  could on a constant input, so the input is random (in [0.75, 1.25]);
- a max pool passes gradient to one element of its window only, so each is
  replaced (by a forward hook) with a mean over the same window (same kernel,
  stride, padding, dilation and ceil mode): the same connectivity, every
  element weighted (a mean, so that values stay near 1); an adaptive max
  pool with an adaptive average pool;
- nothing underflows: a deep network's gradient at the far edge of a field
  is a product of many small weights, so each module's output gradient is
  replaced on the way back (a tensor hook) by its support with random
  magnitudes near 1: the support is what is measured, not the value;
- nothing is clipped: the input is larger than the field (the unit near the
  centre sees no border), and units at consecutive positions are probed, so
  that a field that depends on the unit's phase (after an upsampling) shows
  its largest.

Memory: `memory_figures` runs the built module (a) in evaluation mode without
autograd under a `TorchDispatchMode` that records every aten op's input and
output storages, and applies the liveness rule to torch's own trace (a
storage lives from the op that makes it to the last op that reads it; the
input and the outputs throughout); (b) in training mode with autograd,
recording what `torch.autograd.graph.saved_tensors_hooks` sees saved
(storages, each once, parameters and buffers excluded), and the same trace,
in which a saved storage lives to the end.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

import specc

# ---------------------------------------------------------------- receptive fields


def positive(net: nn.Module) -> nn.Module:
    """Every weight 1 / fan-in, every bias 0.01, every other parameter (a norm's scale) 1; evaluation mode."""
    with torch.no_grad():
        for name, parameter in net.named_parameters():
            if parameter.dim() >= 2:
                parameter.fill_(1.0 / parameter[0].numel())
            else:
                parameter.fill_(0.01 if name.endswith("bias") else 1.0)
    return net.eval()


def _sum_pool(module, inputs, output):
    """A max pool's window as a mean: a depthwise convolution, padded with zeros, cut to the pool's size."""
    x = inputs[0]
    n = x.dim() - 2

    def per_axis(value):
        return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n

    k, s, p, d = (per_axis(v) for v in (module.kernel_size, module.stride, module.padding, module.dilation))
    ones = torch.full((x.shape[1], 1, *k), 1.0 / math.prod(k), dtype=x.dtype)  # a mean: values stay near 1
    extra = [amount for stride in reversed(s) for amount in (0, stride)]  # room for ceil mode's last window
    y = getattr(F, f"conv{n}d")(F.pad(x, extra), ones, stride=s, padding=p, dilation=d, groups=x.shape[1])
    return y[(..., *(slice(0, size) for size in output.shape[2:]))]


def _adaptive_sum(module, inputs, output):
    x = inputs[0]
    return getattr(F, f"adaptive_avg_pool{x.dim() - 2}d")(x, output.shape[2:])


_NOISE = torch.Generator().manual_seed(0)


def _support_of_gradient(module, inputs, output):
    """The gradient's support, with fresh random magnitudes in [0.5, 1.5] (not ones: a softmax or a norm
    maps a constant gradient to zero)."""
    if isinstance(output, torch.Tensor) and output.requires_grad:
        output.register_hook(lambda grad: (grad != 0) * (0.5 + torch.rand(grad.shape, generator=_NOISE)))


_MAX_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
_ADAPTIVE_MAX_POOLS = (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)


def field_extents(net: nn.Module, input_shape: tuple, paths: list[str], phases: int = 1,
                  views: Optional[dict[str, tuple]] = None, every: frozenset = frozenset()) -> dict[str, tuple]:
    """For each module path, per spatial axis: the extent (in input positions) of the input that `phases`
    consecutive units at the centre of its output depend on (the largest of them), and for the paths in
    `every`, the extent that all its units together depend on (else None). `views` gives the shape to read
    a flat output in (a flatten's input), so that the unit probed is the one at the centre of the positions."""
    positive(net)
    for module in net.modules():
        if isinstance(module, _MAX_POOLS):
            module.register_forward_hook(_sum_pool)
        elif isinstance(module, _ADAPTIVE_MAX_POOLS):
            module.register_forward_hook(_adaptive_sum)
        module.register_forward_hook(_support_of_gradient)
    modules = dict(net.named_modules())
    outputs = {}
    for path in paths:
        modules[path].register_forward_hook(lambda m, i, o, path=path: outputs.__setitem__(path, o))
    # Positive, and not constant: a softmax or a norm over a constant input has gradients that cancel exactly.
    x = (0.75 + 0.5 * torch.rand(phases, *input_shape[1:], generator=torch.Generator().manual_seed(0)))
    x.requires_grad_(True)
    net(x)
    views = views or {}
    return {path: (_extents(x, outputs[path], phases, views.get(path)),
                   _extents(x, outputs[path], phases, None, True) if path in every else None) for path in paths}


def _extents(x: torch.Tensor, out: torch.Tensor, phases: int, view: Optional[tuple], every: bool = False) -> list[int]:
    seed = torch.zeros_like(out)
    if every:
        seed += 1
    for b in range(phases if not every else 0):  # sample b probes the unit b positions past the centre
        shaped = seed.view(out.shape[0], *view[1:]) if view else seed
        if shaped.dim() == 2:  # flat features: the one at the middle
            shaped[b, min(shaped.shape[1] // 2 + b, shaped.shape[1] - 1)] = 1
        else:  # every channel of the position (a concat's channels come from different branches)
            shaped[(b, slice(None), *(min(n // 2 + b, n - 1) for n in shaped.shape[2:]))] = 1
    x.grad = None
    torch.autograd.backward(out, seed, retain_graph=True, inputs=[x])
    best = [0] * (x.dim() - 2)
    for b in range(phases):
        support = x.grad[b].abs().sum(0) != 0
        for axis in range(support.dim()):
            others = tuple(i for i in range(support.dim()) if i != axis)
            hit = support.any(dim=others).nonzero() if others else support.nonzero()
            if len(hit):
                best[axis] = max(best[axis], int(hit.max() - hit.min() + 1))
    return best


# ---------------------------------------------------------------- memory


class _Trace(TorchDispatchMode):
    """Every aten op: the storages it reads, and those it makes with their bytes. Outputs are kept alive,
    so that no storage's address is reused within a trace."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[tuple[list[int], list[tuple[int, int]]]] = []
        self._alive: list[torch.Tensor] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        reads = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        made = [t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
        self._alive += made
        self.ops.append(([_key(t) for t in reads], [(_key(t), t.untyped_storage().nbytes()) for t in made]))
        return out


def _key(tensor: torch.Tensor) -> int:
    return tensor.untyped_storage().data_ptr()


def _peak(ops: list, given: dict[int, int], held: set, excluded: set) -> int:
    """The largest sum of live storages over the ops: each from the op that makes it (`given` ones, the
    input's, from the start) to the last op that reads it, or to the end for the `held` ones (the input, the
    outputs, what autograd saved)."""
    born, last, size = {}, {}, {}
    for key, nbytes in given.items():
        born[key], size[key] = -1, nbytes
    for t, (reads, made) in enumerate(ops):
        for key in reads:
            if key in born:
                last[key] = t
        for key, nbytes in made:
            if key not in born and nbytes and key not in excluded:
                born[key], last[key], size[key] = t, t, nbytes
    end = len(ops)
    for key in born:
        if key in held:
            last[key] = end
        last.setdefault(key, born[key])
    return max(sum(size[k] for k in born if born[k] <= t <= last[k]) for t in range(-1, end + 1))


def _returned(y) -> list[torch.Tensor]:
    return [t for t in tree_flatten(y)[0] if isinstance(t, torch.Tensor)]


def memory_figures(spec: str, input_shape: tuple, overrides: Optional[dict] = None,
                   built_at: Optional[tuple] = ()) -> tuple[int, int, int]:
    """(inference peak, bytes saved for backward, training peak) of the built model on a random input of
    `input_shape`; the model built for that input, or for `built_at` (None: the spec's own)."""
    net = specc.build(spec, input=input_shape if built_at == () else built_at, overrides=overrides)
    state = {_key(t) for t in (*net.parameters(), *net.buffers())}
    x = torch.rand(*input_shape)
    given = {_key(x): x.untyped_storage().nbytes()}
    net.eval()
    with torch.no_grad(), _Trace() as trace:
        y = net(x)
    inference = _peak(trace.ops, given, {*given, *map(_key, _returned(y))}, state)
    net.train()
    saved: dict[int, int] = {}

    def pack(tensor):
        if _key(tensor) not in state:
            saved[_key(tensor)] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor), _Trace() as trace:
        y = net(x)
    training = _peak(trace.ops, given, {*given, *map(_key, _returned(y)), *saved}, state)
    return inference, sum(saved.values()), training
