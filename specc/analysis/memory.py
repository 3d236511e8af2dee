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
  for the backward pass (`SAVES`, `_made`: measured op by op with
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

from ..ir import Graph
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
                  _buffers(graph.body, itemsize))


def output_bytes(shape: tuple, batch: int, itemsize: int = FLOAT32) -> int:
    return batch * math.prod(shape[1:]) * itemsize


# ---------------------------------------------------------------- the simulation


# A storage is a list, [bytes, the step that makes it, the last step that reads it, whether it lives to the
# end of the forward pass]: kept for the backward pass, or held by the caller (the inputs and outputs).
# Lists, not objects, because a simulation makes one or more per layer and a list is made fastest.
SIZE, BORN, LAST, TO_THE_END = range(4)


# A tensor of the forward pass is a tuple too, (its storage, whether autograd tracks it, its shape).
STORAGE, GRAD, SHAPE = range(3)


class _Simulation:
    """The forward pass as storages with lifetimes: a fold rule (`flow.Rule`), then a sweep over time."""

    def __init__(self, graph: Graph, batch: int, itemsize: int, training: bool) -> None:
        self.graph, self.batch, self.itemsize, self.training = graph, batch, itemsize, training
        self.clock = 0
        self.storages: list[list] = []
        self.sizes: dict[tuple, int] = {}  # bytes by shape: a network has few distinct shapes

    def run(self) -> tuple[int, int]:
        """(peak, saved): the largest sum of live storages, and the storages kept for the backward pass."""
        done = fold(self.graph, self)
        for tensor in _returned(self.graph.outputs, done, self.training):
            tensor[STORAGE][TO_THE_END] = tensor[STORAGE][TO_THE_END] or True  # held, and still kept if it was
        end = self.clock + 1
        delta = [0] * (end + 2)
        for size, born, last, to_the_end in self.storages:
            delta[born] += size
            delta[end if to_the_end else last + 1] -= size
        peak = running = 0
        for change in delta:
            running += change
            if running > peak:
                peak = running
        return peak, sum(size for size, _, _, to_the_end in self.storages if to_the_end is _KEPT)

    def _make(self, shape: tuple) -> list:
        size = self.sizes.get(shape)
        if size is None:
            self.sizes[shape] = size = self.batch * math.prod(shape[1:]) * self.itemsize
        storage = [size, self.clock, self.clock, False]
        self.storages.append(storage)
        return storage

    # the fold's rule

    def input(self, name: str, shape: tuple) -> tuple:
        storage = self._make(shape)
        storage[TO_THE_END] = True  # held by the caller
        return (storage, False, shape)

    def layer(self, node, x: tuple) -> tuple:
        op = node.op
        if op in _VIEWS or op in _DROPOUTS and (not self.training or node.args["p"] == 0):
            return (x[STORAGE], x[GRAD], node.out_shape)  # the same storage
        learns = _learns(node)
        records = self.training and (x[GRAD] or learns)
        made = _MADE[op](node, self.batch, self.itemsize, self.training, records) if op in _MADE else _NONE
        read = x[STORAGE]  # what the op's main step reads
        if made.before:  # a step of its own, before the output exists
            self._step(x, made.before, records)
            if made.instead:  # a copy of the input, which the main step reads in its place
                read = self.storages[-len(made.before)]
        self.clock += 1
        out = (self._make(node.out_shape), x[GRAD] or learns, node.out_shape)
        read[LAST] = self.clock
        if made.during:
            self._temporaries(made.during, records)
        if made.after:  # a step of its own, once the input is read
            self._step(out, made.after, records)
        if records:
            for which in _saves(node):
                _keep(read if which == "in" else out[STORAGE])
        return out

    def _step(self, alive: tuple, temporaries: tuple, records: bool) -> None:
        self.clock += 1
        alive[STORAGE][LAST] = self.clock
        self._temporaries(temporaries, records)

    def _temporaries(self, made: tuple, records: bool) -> None:
        """Tensors an op makes besides its output: saved for the backward pass, or freed when the step ends."""
        for size, saved in made:
            self.storages.append([size, self.clock, self.clock, _KEPT if records and saved else False])

    def part(self, node, x: tuple, index: int) -> tuple:
        if node.parts is None:
            return x
        return (x[STORAGE], x[GRAD], (x[SHAPE][0], node.parts[index], *x[SHAPE][2:]))  # a view: x's storage

    def join(self, node, outs: list) -> tuple:
        if node.op not in ("add", "mul"):  # concat, chunk, split: one torch.cat
            self.clock += 1
            for out in outs:
                out[STORAGE][LAST] = self.clock
            return (self._make(node.out_shape), any(o[GRAD] for o in outs), node.out_shape)
        result = outs[0]
        for other in outs[1:]:  # a + b + c is (a + b) + c: one new tensor per step
            self.clock += 1
            result[STORAGE][LAST] = other[STORAGE][LAST] = self.clock
            shape = _broadcast(result[SHAPE], other[SHAPE])
            if self.training and node.op == "mul":  # each factor is saved for the other's gradient
                if other[GRAD]:
                    _keep(result[STORAGE])
                if result[GRAD]:
                    _keep(other[STORAGE])
            result = (self._make(shape), result[GRAD] or other[GRAD], shape)
        return result


_KEPT = "kept"  # TO_THE_END of a storage saved for the backward pass (True: held by the caller)


def _keep(storage: list) -> None:
    """Saved for the backward pass: it lives to the end, and counts in `training_saved`."""
    storage[TO_THE_END] = _KEPT


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
    if a == b:
        return a
    return tuple(y if x == 1 else x for x, y in zip(a, b))


# ---------------------------------------------------------------- each op (measured with torch 2.x on CPU)


_AFFINE = frozenset(("batchnorm", "groupnorm", "instancenorm", "layernorm", "layernorm2d"))
_DROPOUTS = frozenset(("dropout", "dropout2d", "dropout3d", "stochastic_depth"))


# Always views (a crop narrows its input); the dropouts too, in evaluation or at p = 0.
_VIEWS = frozenset(("identity", "flatten", "unflatten", "center_crop"))
_WEIGHTED = frozenset(("conv", "conv_transpose", "linear", "prelu"))


def _learns(node) -> bool:
    """Whether the layer has parameters (a later application of a shared layer has the first's)."""
    op = node.op
    if op in _WEIGHTED:
        return True
    if node.declared is not None:
        return node.params > 0 or node.shares is not None
    return op in _AFFINE and node.args["affine"]


# What autograd saves of each op's input and output (`_made` lists the other tensors it keeps); every op has
# its entry (a test checks). An average pool to one position is a mean in torch, which saves no tensor.
_SAVES_INPUT = ("conv", "conv_transpose", "linear", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu",
                "mish", "hardswish", "hardsigmoid", "hardtanh", "softplus", "prelu", "maxpool", "avgpool",
                "adaptive_maxpool", "global_maxpool", *_AFFINE, "local_response_norm")
_SAVES_OUTPUT = ("relu", "sigmoid", "tanh", "softmax", "log_softmax")
_SAVES_NOTHING = ("global_avgpool", "upsample", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "flatten",
                  "unflatten", "identity", "center_crop", *_DROPOUTS)  # the dropouts keep their mask (`_made`)
_IN, _OUT, _NOTHING = ("in",), ("out",), ()
SAVES = {**dict.fromkeys(_SAVES_INPUT, _IN), **dict.fromkeys(_SAVES_OUTPUT, _OUT),
         **dict.fromkeys(_SAVES_NOTHING, _NOTHING),
         "adaptive_avgpool": lambda node: _NOTHING if all(size == 1 for size in node.args["size"]) else _IN}


def _saves(node) -> tuple:
    if node.declared is not None:
        return _IN  # assumed: a custom layer saves its input, as the layers with weights do
    saves = SAVES[node.op]
    return saves(node) if callable(saves) else saves


@dataclass(frozen=True)
class _Made:
    """The tensors an op makes besides its output, each (bytes, saved for the backward pass in training):
    `during` the step that makes the output; `before` it, in a step of their own (the output not yet
    made); `after` it (the input read)."""

    during: tuple = ()
    before: tuple = ()
    after: tuple = ()
    instead: bool = False  # the first `before` tensor is a copy of the input, which the op reads instead


_NONE = _Made()


def _conv_made(node, batch: int, itemsize: int, training: bool, records: bool) -> _Made:
    """`padding="same"` with an odd total padding (an even kernel): torch pads a copy of the input by the
    extra position on the right, and convolves (and saves) that copy."""
    a, shape = node.args, node.in_shape
    if a["padding"] != "same":
        return _NONE
    extra = [d * (k - 1) % 2 for k, d in zip(a["kernel"], a["dilation"])]
    if not any(extra):
        return _NONE
    padded = batch * shape[1] * math.prod(n + e for n, e in zip(shape[2:], extra)) * itemsize
    return _Made(before=((padded, False),), instead=True)


def _indices(node, batch: int, itemsize: int, training: bool, records: bool) -> _Made:
    """A max pool's int64 indices of the maxima, one per output element."""
    return _Made(((batch * math.prod(node.out_shape[1:]) * INT64, True),))


def _batchnorm_made(node, batch: int, itemsize: int, training: bool, records: bool) -> _Made:
    """In training, the batch's mean and inverse deviation per channel (in evaluation, running ones)."""
    return _Made(((node.in_shape[1] * itemsize, True),) * 2) if training else _NONE


def _groupnorm_made(node, batch: int, itemsize: int, training: bool, records: bool) -> _Made:
    return _Made(((batch * node.args["groups"] * itemsize, True),) * 2)


def _layernorm_made(node, batch: int, itemsize: int, training: bool, records: bool) -> _Made:
    """The mean and inverse deviation of every row it normalises (layernorm2d: every position)."""
    shape = node.in_shape
    normalised = math.prod(shape[len(shape) - node.args["dims"]:]) if node.op == "layernorm" else shape[1]
    return _Made(((batch * math.prod(shape[1:]) // normalised * itemsize, True),) * 2)


def _dropout_made(node, batch: int, itemsize: int, training: bool, records: bool) -> _Made:
    """In training, the random mask (scaled by 1 / (1 - p)) that the product with it keeps."""
    if not training or node.args["p"] == 0:
        return _NONE
    return _Made(((_mask(node, batch, math.prod(node.in_shape[1:])) * itemsize, True),))


def _instancenorm_made(node, batch: int, itemsize: int, training: bool, records: bool) -> _Made:
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


def _local_response_norm_made(node, batch: int, itemsize: int, training: bool, records: bool) -> _Made:
    """torch composes it: the input squared, padded along the channels and averaged over `size` channels, then
    `x / (k + alpha * avg) ** beta`. Its largest moments: the square with its padded copy (which the average
    pool keeps), and the power with the output (and, when autograd records, the power's input, kept)."""
    shape = node.in_shape
    full = batch * math.prod(shape[1:]) * itemsize
    padded = batch * (shape[1] + node.args["size"] - 1) * math.prod(shape[2:]) * itemsize
    power = ((full, True), (full, True)) if records else ((full, True),)
    return _Made(power, before=((padded, True), (full, False)))


_MADE = {
    "conv": _conv_made,
    **dict.fromkeys(("maxpool", "adaptive_maxpool", "global_maxpool"), _indices),
    "batchnorm": _batchnorm_made,
    "groupnorm": _groupnorm_made,
    "instancenorm": _instancenorm_made,
    "layernorm": _layernorm_made,
    "layernorm2d": _layernorm_made,
    "local_response_norm": _local_response_norm_made,
    **dict.fromkeys(_DROPOUTS, _dropout_made),
}


def _mask(node, batch: int, per_sample: int) -> int:
    """Elements of the random mask a dropout keeps: one per element, channel, sample or batch."""
    op, p = node.op, node.args["p"]
    if op == "stochastic_depth":
        return batch if node.args["mode"] == "row" else 1
    if p == 1:
        return 1  # torch multiplies by a scalar zero
    return batch * per_sample if op == "dropout" else batch * node.in_shape[1]


def _buffers(body: tuple, itemsize: int) -> int:
    """Running statistics of batch norms (and instance norms that track them): 2 per channel, and an int64 count."""
    total = 0
    for node in body:
        if node.kind == "module":
            total += _buffers(node.body, itemsize)
        elif node.kind == "combine":
            total += sum(_buffers(branch, itemsize) for branch in node.branches)
        elif node.kind == "layer" and not node.shares and (
                node.op == "batchnorm" or node.op == "instancenorm" and node.args["track_running_stats"]):
            total += 2 * node.in_shape[1] * itemsize + INT64
    return total
