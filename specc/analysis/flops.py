"""FLOPs of every layer: floating-point operations of one forward pass in inference, a multiply and an add two.

    flops(layer)   # conv(64, k=3) from [N, 3, 32, 32]: 2 * 27 * 64 * 32 * 32 for the products, + 64 * 32 * 32

The convention (the README's "Counting FLOPs" says it for users): a
convolution or linear layer counts two per multiply-add of its weights
(torch's `FlopCounterMode` exactly; a transposed convolution by its input's
positions, as it computes) and one per output element for its bias; every
other op counts per element by the table in `PER_ELEMENT` and the functions
below, a transcendental function (an exp) as one. Views and copies count
nothing. Like the mult-adds, counts are for the spec's batch, per sample
when the batch is symbolic.
"""

from __future__ import annotations

import math

from ..ir import Graph
from ..ops import batch_of


def count_flops(graph: Graph) -> tuple[dict[int, int], int]:
    """Every node's FLOPs by `id(node)` (a module's: its body's sum), and the model's."""
    counts: dict[int, int] = {}
    known: dict[tuple, int] = {}  # by (op, arguments, shapes): a block's instances share their arguments' dict

    def of_layer(node) -> int:
        key = (node.op, id(node.args), node.in_shape, node.out_shape)
        count = known.get(key)
        if count is None:
            known[key] = count = flops(node)
        return count

    def body_total(body) -> int:
        total = 0
        for node in body:
            if node.kind == "layer":
                counts[id(node)] = count = of_layer(node)
            elif node.kind == "module":
                counts[id(node)] = count = body_total(node.body)
            elif node.kind == "combine":
                counts[id(node)] = own = flops(node)
                count = own + sum(body_total(branch) for branch in node.branches)
            else:
                counts[id(node)] = count = 0  # a named value: no op
            total += count
        return total

    return counts, body_total(graph.body)


def flops(node) -> int:
    """A layer's or combine's FLOPs (a module's are its nodes' sum)."""
    if node.kind == "combine":
        if node.op in ("add", "mul"):  # one per output element per extra operand
            return (len(node.branches) - 1) * _elements(node.out_shape)
        return 0
    if node.declared is not None:
        return 2 * node.macs  # a custom layer's declared mult-adds, two FLOPs each
    count = BY_OP.get(node.op)
    if count is not None:
        return count(node)
    return PER_ELEMENT[node.op] * _elements(node.out_shape)


def _elements(shape: tuple) -> int:
    return batch_of(shape) * math.prod(shape[1:])


def _conv(node) -> int:
    a, shape, out = node.args, node.in_shape, node.out_shape
    products = batch_of(out) * a["channels"] * (shape[1] // a["groups"]) * math.prod(a["kernel"])
    positions = math.prod(out[2:]) if node.op == "conv" else math.prod(shape[2:])
    return 2 * products * positions + (_elements(out) if a["bias"] else 0)


def _linear(node) -> int:
    out = node.out_shape
    return 2 * _elements(out) * node.in_shape[1] + (_elements(out) if node.args["bias"] else 0)


def _window_pool(node) -> int:
    """Per output element, one per position of the window (max: comparisons; average: additions and a division)."""
    window = math.prod(node.args["kernel"])
    return _elements(node.out_shape) * (window - 1 if node.op == "maxpool" else window)


def _adaptive_pool(node) -> int:
    """As a window pool, each output element over its own window (torch's adaptive windows)."""
    reads = math.prod(sum(-(-(o + 1) * n // m) - o * n // m for o in range(m))
                      for n, m in zip(node.in_shape[2:], node.out_shape[2:]))
    outputs = _elements(node.out_shape)
    reads *= outputs // math.prod(node.out_shape[2:])
    return reads - outputs if node.op in ("adaptive_maxpool", "global_maxpool") else reads


def _normalisation(statistics: bool):
    """Scale and shift, 2 per element; computing the statistics (mean and variance) 3 more; an affine 2 more.

    Batch norm in inference uses running statistics, folded with its affine into one scale and shift.
    """
    def count(node) -> int:
        if not statistics:
            return 2 * _elements(node.out_shape)
        per_element = 5 + (2 if node.args["affine"] else 0)
        if node.op == "instancenorm" and node.args["track_running_stats"]:
            per_element -= 3
        return per_element * _elements(node.out_shape)
    return count


def _local_response_norm(node) -> int:
    """Square, the window's sum, scale, offset, power and division: size + 5 per element."""
    return (node.args["size"] + 5) * _elements(node.out_shape)


def _upsample(node) -> int:
    """Nearest copies; the interpolating modes weigh 2 (cubic: 4) neighbours per axis: 2 per tap, less one add."""
    mode = node.args["mode"]
    if mode.startswith("nearest"):
        return 0
    taps = (4 if mode == "bicubic" else 2) ** (len(node.out_shape) - 2)
    return (2 * taps - 1) * _elements(node.out_shape)


BY_OP = {
    "conv": _conv,
    "conv_transpose": _conv,
    "linear": _linear,
    "maxpool": _window_pool,
    "avgpool": _window_pool,
    "adaptive_avgpool": _adaptive_pool,
    "adaptive_maxpool": _adaptive_pool,
    "global_avgpool": _adaptive_pool,
    "global_maxpool": _adaptive_pool,
    "batchnorm": _normalisation(False),
    "groupnorm": _normalisation(True),
    "instancenorm": _normalisation(True),
    "layernorm": _normalisation(True),
    "layernorm2d": _normalisation(True),
    "local_response_norm": _local_response_norm,
    "upsample": _upsample,
}

# Per output element, for every op not in BY_OP (a test checks that each op is in one of them). Activations
# count one, whatever the function; softmax three (exp, sum, division); moving data, nothing (in inference,
# the dropouts and stochastic depth pass their input on).
PER_ELEMENT = {
    **dict.fromkeys(("relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "hardswish",
                     "hardsigmoid", "hardtanh", "softplus", "prelu", "sigmoid", "tanh"), 1),
    "softmax": 3,
    "log_softmax": 3,
    **dict.fromkeys(("flatten", "unflatten", "identity", "center_crop", "pixel_shuffle", "pixel_unshuffle",
                     "channel_shuffle",
                     "dropout", "dropout2d", "dropout3d", "stochastic_depth"), 0),
}
