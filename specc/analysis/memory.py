"""Activation memory: the peaks of a forward pass for a batch, in inference and in training.

    memory = peaks(graph, batch=32)
    memory.inference_peak, memory.training_saved, memory.training_peak, memory.parameters

The model (the README's "Memory" section says it for users):

- A tensor lives in a storage of `elements * itemsize` bytes (float32: 4;
  a max pool's indices are int64, 8). Views share their base's storage:
  `flatten`, `unflatten`, `identity`, the slices of `chunk` and `split`,
  named values, and the dropouts and stochastic depth in evaluation (which
  return their input).
- Inference (evaluation mode, no autograd): a storage lives from the op that
  makes it to the last op that reads it; the model's inputs and outputs live
  throughout (the caller holds them). While an op runs, its inputs, its
  output and its temporaries are alive: a max pool's indices (torch's CPU
  kernels compute them in inference too) and a normalisation's statistics.
  The peak is the largest sum over the ops.
- Training (training mode, autograd on): the same, and what autograd saves
  for the backward pass (`_SAVES`, `_made`: measured op by op with
  `torch.autograd.graph.saved_tensors_hooks`) lives to the end of the
  forward pass. An op records nothing when neither its input requires a
  gradient nor it has parameters (a pool on the input image saves nothing).
  `training_saved` is the sum of those storages, each counted once however
  many ops save it (a ReLU's output is the next convolution's input);
  `training_peak` the largest sum during the forward pass.
- Not counted: parameters, gradients and buffers (lines of their own),
  gradients of activations in the backward pass, optimizer state, the
  allocator's caching, and kernel workspace (a convolution's buffers inside
  mkldnn or cuDNN, and the temporaries of ops that torch composes from
  several kernels, such as `local_response_norm`, beyond those listed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from ..ir import Graph, leaves
from .flow import fold

FLOAT32 = 4
INT64 = 8


@dataclass(frozen=True)
class Memory:
    """Bytes, at `batch`, of tensors of `itemsize` bytes."""

    batch: int
    itemsize: int
    inference_peak: int
    training_saved: int
    training_peak: int
    parameters: int
    gradients: int
    buffers: int


def peaks(graph: Graph, batch: int, itemsize: int = FLOAT32) -> Memory:
    parameters = graph.total_params * itemsize
    inference_peak, _ = _Simulation(graph, batch, itemsize, training=False).run()
    training_peak, saved = _Simulation(graph, batch, itemsize, training=True).run()
    return Memory(batch, itemsize, inference_peak, saved, training_peak, parameters, parameters,
                  _buffers(graph, itemsize))


def output_bytes(shape: tuple, batch: int, itemsize: int = FLOAT32) -> int:
    return batch * math.prod(shape[1:]) * itemsize


# ---------------------------------------------------------------- the simulation


class _Storage:
    """A storage: its bytes, the ops that make it and last read it, and whether it lives to the end
    (`kept` for the backward pass, `held` by the caller: the inputs and outputs)."""

    __slots__ = ("size", "born", "last", "kept", "held")

    def __init__(self, size: int, born: int) -> None:
        self.size, self.born, self.last, self.kept, self.held = size, born, born, False, False


class _Tensor:
    """A tensor of the forward pass: its storage, whether autograd tracks it, its shape."""

    __slots__ = ("storage", "grad", "shape")

    def __init__(self, storage: _Storage, grad: bool, shape: tuple) -> None:
        self.storage, self.grad, self.shape = storage, grad, shape


class _Simulation:
    """The forward pass as storages with lifetimes: a fold rule (`flow.Rule`), then a sweep over time."""

    def __init__(self, graph: Graph, batch: int, itemsize: int, training: bool) -> None:
        self.graph, self.batch, self.itemsize, self.training = graph, batch, itemsize, training
        self.clock = 0
        self.storages: list[_Storage] = []

    def run(self) -> tuple[int, int]:
        """(peak, saved): the largest sum of live storages, and the storages kept for the backward pass."""
        done = fold(self.graph, self)
        for tensor in _returned(self.graph.outputs, done, self.training):
            tensor.storage.held = True
        end = self.clock + 1
        delta = [0] * (end + 2)
        for storage in self.storages:
            delta[storage.born] += storage.size
            delta[end if storage.kept or storage.held else storage.last + 1] -= storage.size
        peak = running = 0
        for change in delta:
            running += change
            peak = max(peak, running)
        return peak, sum(s.size for s in self.storages if s.kept)

    def _make(self, shape: tuple, itemsize: Optional[int] = None) -> _Storage:
        storage = _Storage(self.batch * math.prod(shape[1:]) * (itemsize or self.itemsize), self.clock)
        self.storages.append(storage)
        return storage

    # the fold's rule

    def input(self, name: str, shape: tuple) -> _Tensor:
        storage = self._make(shape)
        storage.held = True
        return _Tensor(storage, False, shape)

    def layer(self, node, x: _Tensor) -> _Tensor:
        learns = _learns(node)
        if _is_view(node, self.training):
            return _Tensor(x.storage, x.grad, node.out_shape)
        records = self.training and (x.grad or learns)
        made = _made(node, self.batch, self.itemsize, self.training, records)
        if made.before:  # a step of its own, before the output exists
            self._step(x, made.before, records)
        out = _Tensor(self._make_after_tick(node.out_shape), x.grad or learns, node.out_shape)
        x.storage.last = self.clock
        self._temporaries(made.during, records)
        if made.after:  # a step of its own, once the input is read
            self._step(out, made.after, records)
        if records:
            for which in _saves(node):
                (x if which == "in" else out).storage.kept = True
        return out

    def _step(self, alive: _Tensor, temporaries: tuple, records: bool) -> None:
        self.clock += 1
        alive.storage.last = self.clock
        self._temporaries(temporaries, records)

    def _temporaries(self, made: tuple, records: bool) -> None:
        """Tensors an op makes besides its output: saved for the backward pass, or freed when the step ends."""
        for size, saved in made:
            storage = _Storage(size, self.clock)
            storage.kept = records and saved
            self.storages.append(storage)

    def _make_after_tick(self, shape: tuple) -> _Storage:
        self.clock += 1
        return self._make(shape)

    def part(self, node, x: _Tensor, index: int) -> _Tensor:
        if node.parts is None:
            return x
        return _Tensor(x.storage, x.grad, (x.shape[0], node.parts[index], *x.shape[2:]))  # a view: x's storage

    def join(self, node, outs: list) -> _Tensor:
        if node.op not in ("add", "mul"):  # concat, chunk, split: one torch.cat
            self.clock += 1
            for out in outs:
                out.storage.last = self.clock
            return _Tensor(self._make(node.out_shape), any(o.grad for o in outs), node.out_shape)
        result = outs[0]
        for other in outs[1:]:  # a + b + c is (a + b) + c: one new tensor per step
            self.clock += 1
            result.storage.last = other.storage.last = self.clock
            shape = _broadcast(result.shape, other.shape)
            if self.training and node.op == "mul":  # each factor is saved for the other's gradient
                result.storage.kept |= other.grad
                other.storage.kept |= result.grad
            result = _Tensor(self._make(shape), result.grad or other.grad, shape)
        return result


def _returned(tree: Optional[tuple], done, training: bool) -> list:
    """The tensors the model returns: what `output` names (its training or evaluation form), or the flow."""
    if tree is None:
        return [done.out]
    kind = tree[0]
    if kind == "value":
        return [done.values[tree[1]]]
    if kind == "training":
        return _returned(tree[1] if training else tree[2], done, training)
    items = [item for _, item in tree[1]] if kind == "dict" else tree[1]
    return [tensor for item in items for tensor in _returned(item, done, training)]


def _broadcast(a: tuple, b: tuple) -> tuple:
    return tuple(y if x == 1 else x for x, y in zip(a, b))


# ---------------------------------------------------------------- each op (measured with torch 2.x on CPU)


_AFFINE = ("batchnorm", "groupnorm", "instancenorm", "layernorm", "layernorm2d")
_DROPOUTS = ("dropout", "dropout2d", "dropout3d", "stochastic_depth")


def _learns(node) -> bool:
    """Whether the layer has parameters (a later application of a shared layer has the first's)."""
    if node.declared is not None:
        return node.params > 0 or node.shares is not None
    if node.op in ("conv", "conv_transpose", "linear", "prelu"):
        return True
    return node.op in _AFFINE and node.args["affine"]


def _is_view(node, training: bool) -> bool:
    """Ops whose output shares its input's storage."""
    op = node.op
    if op in ("identity", "flatten", "unflatten"):
        return True
    return op in _DROPOUTS and (not training or node.args["p"] == 0)


# What autograd saves of the op's input and output (`_made` lists the other tensors it keeps).
_SAVES_INPUT = ("conv", "conv_transpose", "linear", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu",
                "mish", "hardswish", "hardsigmoid", "hardtanh", "softplus", "prelu", "maxpool", "avgpool",
                "adaptive_maxpool", "global_maxpool", *_AFFINE, "local_response_norm")
_SAVES_OUTPUT = ("relu", "sigmoid", "tanh", "softmax", "log_softmax")
_IN, _OUT, _NOTHING = ("in",), ("out",), ()


def _saves(node) -> tuple:
    op = node.op
    if node.declared is not None:
        return _IN  # assumed: a custom layer saves its input, as the layers with weights do
    if op in _SAVES_INPUT:
        return _IN
    if op in _SAVES_OUTPUT:
        return _OUT
    if op == "adaptive_avgpool" and any(size != 1 for size in node.args["size"]):
        return _IN  # to one position torch takes a mean, which saves no tensor
    return _NOTHING


@dataclass(frozen=True)
class _Made:
    """The tensors an op makes besides its output, each (bytes, saved for the backward pass in training):
    `during` the step that makes the output; `before` it, in a step of their own (the output not yet
    made); `after` it (the input read)."""

    during: tuple = ()
    before: tuple = ()
    after: tuple = ()


_NONE = _Made()


def _made(node, batch: int, itemsize: int, training: bool, records: bool) -> _Made:
    op, a = node.op, node.args
    shape, out = node.in_shape, node.out_shape
    per_sample = math.prod(shape[1:])
    if op in ("maxpool", "adaptive_maxpool", "global_maxpool"):
        return _Made(((batch * math.prod(out[1:]) * INT64, True),))  # the indices of the maxima
    if op == "batchnorm":
        return _Made(((shape[1] * itemsize, True),) * 2) if training else _NONE  # the batch's mean, 1 / deviation
    if op == "groupnorm":
        return _Made(((batch * a["groups"] * itemsize, True),) * 2)
    if op == "instancenorm":
        return _instancenorm_made(node, batch, itemsize, training)
    if op in ("layernorm", "layernorm2d"):
        rows = per_sample // (math.prod(shape[len(shape) - a["dims"]:]) if op == "layernorm" else shape[1])
        return _Made(((batch * rows * itemsize, True),) * 2)
    if op == "local_response_norm":
        return _local_response_norm_made(node, batch, itemsize, records)
    if training and op in _DROPOUTS and a["p"] > 0:
        return _Made(((_mask(node, batch, per_sample) * itemsize, True),))
    return _NONE


def _instancenorm_made(node, batch: int, itemsize: int, training: bool) -> _Made:
    """torch runs it as a batch norm over [1, N * C, ...], with its tensors repeated N times: statistics per
    (sample, channel) unless it uses running ones; the running ones repeated (and, in training, averaged
    back over the batch afterwards, one channel vector at a time); with `affine`, the weight and the bias
    (the weight's copy is saved)."""
    a, channels = node.args, node.in_shape[1]
    rows = (batch * channels * itemsize, True)
    made = []
    if training or not a["track_running_stats"]:
        made += [rows, rows]
    if a["track_running_stats"]:
        made += [rows, rows]
    if a["affine"]:
        made += [rows, (rows[0], False)]
    copy_back = ((channels * itemsize, False),) if training and a["track_running_stats"] else ()
    return _Made(tuple(made), after=copy_back)


def _local_response_norm_made(node, batch: int, itemsize: int, records: bool) -> _Made:
    """torch composes it: the input squared, padded along the channels and averaged over `size` channels, then
    `x / (k + alpha * avg) ** beta`. Its largest moments: the square with its padded copy (which the average
    pool keeps), and the power with the output (and, when autograd records, the power's input, kept)."""
    shape = node.in_shape
    full = batch * math.prod(shape[1:]) * itemsize
    padded = batch * (shape[1] + node.args["size"] - 1) * math.prod(shape[2:]) * itemsize
    power = ((full, True), (full, True)) if records else ((full, True),)
    return _Made(power, before=((padded, True), (full, False)))


def _mask(node, batch: int, per_sample: int) -> int:
    """Elements of the random mask a dropout keeps: one per element, channel, sample or batch."""
    op, p = node.op, node.args["p"]
    if op == "dropout":
        return 1 if p == 1 else batch * per_sample  # p = 1: torch multiplies by a scalar zero
    if op == "stochastic_depth":
        return batch if node.args["mode"] == "row" else 1
    return batch * node.in_shape[1]


def _buffers(graph: Graph, itemsize: int) -> int:
    """Running statistics of batch norms (and instance norms that track them): 2 per channel, and an int64 count."""
    total = 0
    for node in leaves(graph.body):
        if node.kind != "layer" or node.shares or node.declared is not None:
            continue
        if node.op == "batchnorm" or node.op == "instancenorm" and node.args["track_running_stats"]:
            total += 2 * node.in_shape[1] * itemsize + INT64
    return total
