"""Receptive fields and jumps (effective strides) of every layer, per spatial axis of the model's input.

    field = receptive_fields(graph).of(layer)
    field.sizes()   # (11, 11): each unit of the layer depends on an 11 x 11 window of the input
    field.jumps()   # (Fraction(4), Fraction(4)): neighbouring units are 4 input pixels apart

The convention is Araujo, Norris and Sim's ("Computing receptive fields of
convolutional neural networks", Distill 2019), torch-scan's too: the field
of a unit is the extent of the input positions it depends on, on an input
without borders (padding moves a field, it never clips it), so a field may
be larger than the image (ResNet-18's last convolution: 435 pixels at 224).
Where paths diverge (`concat`, `add`, `mul`, `chunk`, `split`, a named value
read later) the field is the extent of the union over all the paths that
reach the unit, the maximum over paths; it is exact, not an estimate,
including the alignment of the branches (which is what padding changes).
What flows through the fold is a field per run of channels (`channels.py`):
after a `concat`, a `chunk` or `split` branch reads only the channels, and
so the paths, it takes. A layer's field is the largest over its channels.
A tensor keeps at most `LIMITS["field_runs"]` runs (64; DenseNet-264's
widest block makes 33): past that, neighbouring runs merge into their
union, so a `chunk` or `split` of it may report more than its own paths
reach, never less, and the work stays linear in the layers.

Each axis of a field is a map from a unit's position `o` to the first and
last input positions it depends on, periodic: `first(o) = advance * (o //
period) + lo[o % period]`, and `last` with `hi`. Convolutions and pools keep
the period 1 (`first(o) = stride * o - padding`, the textbook rule);
upsampling and transposed convolutions make the jump a fraction and the
field depend on the unit's phase (a unit of a nearest 2x upsampling of a
3x3 convolution sees 3 pixels or, between two source pixels, 4): the
period holds one value per phase, and a layer's field is its largest.

Ops that reduce over every position of an axis (global pools, adaptive
pools to one position, `linear` on flattened features, softmax or a norm
over the positions, `groupnorm`, `instancenorm` without running statistics)
make the field `WHOLE` along it. After a reshape of the positions
(`flatten`, `unflatten`), positions are no longer followed: the field stays
what it was, and the next op that mixes positions makes it whole (an upper
bound). A custom layer's positions are unknown (`None`). Normalisations
count as in evaluation mode (batch norm: per position). Fields are taken in
the pixels of the model's first input; a value computed from another input
alone has no field there.
"""

from __future__ import annotations

import math
from fractions import Fraction
from math import gcd
from typing import Callable, NamedTuple, Optional, Union

from ..ir import Graph
from ..limits import LIMITS
from ..ops import Shape
from . import channels
from .flow import fold

WHOLE = "whole"
PERIOD_LIMIT = LIMITS["field_period"]  # phases kept per axis; beyond them (resampling by odd ratios), unknown
RUNS_LIMIT = LIMITS["field_runs"]  # runs of channels kept per tensor; beyond them, neighbours merge


# Named tuples rather than frozen dataclasses: a field is made per layer, and a tuple is made fastest.


class Axis(NamedTuple):
    """Along one axis, the input positions unit `o` depends on (see the module docstring)."""

    period: int
    advance: int
    lo: tuple  # per phase: the first position, or None when units of that phase depend on none
    hi: tuple

    def size(self) -> int:
        if self.period == 1:
            return 0 if self.lo[0] is None else self.hi[0] - self.lo[0] + 1
        return max((h - l + 1 for l, h in zip(self.lo, self.hi) if l is not None), default=0)

    def jump(self) -> Fraction:
        return Fraction(self.advance, self.period)


class Window(NamedTuple):
    """A layer's own geometry along an axis: output `o` reads `advance * (o // period) + t` for each tap t."""

    period: int
    advance: int
    taps: tuple  # per phase: the sorted offsets it reads


AxisField = Union[Axis, str, None]  # an Axis, WHOLE, or None: unknown
IDENTITY = Axis(1, 1, (0,), (0,))


class Field(NamedTuple):
    """The receptive field of a tensor's units: one entry per spatial axis of the model's first input.

    `axes` is None when the tensor does not depend on that input at all; `aligned` is False after a
    reshape of the positions (the units no longer lie along the input's axes).
    """

    axes: Optional[tuple]
    aligned: bool = True

    def sizes(self) -> tuple:
        """Per axis: the field's size in input pixels, WHOLE, or None when unknown."""
        return tuple(a.size() if isinstance(a, Axis) else a for a in self.axes or ())

    def jumps(self) -> tuple:
        """Per axis: input pixels between neighbouring units (a Fraction), or None where it has no meaning."""
        if not self.aligned:
            return tuple(None for _ in self.axes or ())
        return tuple(a.jump() if isinstance(a, Axis) else None for a in self.axes or ())


NO_FIELD = Field(None)


class Fields(NamedTuple):
    """Every node's field per run of its output's channels (`channels.py`), by `id(node)`, and their unions."""

    segments: dict
    whole: Callable[[tuple], Field]  # a tensor's runs -> the largest field a unit of it has

    def of(self, node) -> Field:
        return self.whole(self.segments[id(node)])


def receptive_fields(graph: Graph) -> Fields:
    rule = _FieldRule(graph)
    return Fields(fold(graph, rule).results, rule.whole)


class _FieldRule:
    """The fold's rule (`flow.Rule`): what flows is the field of each run of channels (`channels.py`)."""

    def __init__(self, graph: Graph) -> None:
        inputs = graph.inputs or (("x", graph.input),)
        self.first = inputs[0][0]
        # Each layer's windows, by (op, arguments, input shape): the instances of a block share their
        # arguments' dict, so ResNet-152's 511 layers have 91 geometries.
        self.windows: dict[tuple, tuple] = {}
        self.wholes: dict[int, tuple] = {}  # id(runs) -> (runs, their union): `whole`

    def input(self, name: str, shape: Shape) -> tuple:
        field = Field((IDENTITY,) * max(0, len(shape) - 2)) if name == self.first else NO_FIELD
        return ((shape[1], field),)

    def layer(self, node, x: tuple) -> tuple:
        op = node.op
        if op in POINTWISE:
            return x
        if len(x) == 1:  # one run of channels, the common case: whatever the route, it stays one
            return ((node.out_shape[1], self.spatial(node, x[0][1])),)
        route = ROUTES.get(op, _keeps_channels) if node.declared is None else _mixes_channels
        return channels.capped(route(node, x, self), _union, RUNS_LIMIT)

    def spatial(self, node, x: Field) -> Field:
        """The op's effect on the positions of one field."""
        if not x.axes:
            return x  # no positions to follow
        geometry = GEOMETRY.get(node.op)
        if geometry is None:
            # A declared op never takes a built-in op's name; every built-in op has its entry (a test checks).
            return (_unknown if node.declared is not None else EFFECTS[node.op])(node, x)
        if not x.aligned or len(x.axes) != len(node.in_shape) - 2:
            return _whole(node, x)  # positions no longer followed: an upper bound
        key = (node.op, id(node.args), node.in_shape)
        windows = self.windows.get(key)
        if windows is None:
            self.windows[key] = windows = tuple(geometry(node, i) for i in range(len(x.axes)))
        return Field(tuple([_through(a, w) for a, w in zip(x.axes, windows)]))

    def whole(self, x: tuple) -> Field:
        """The union of a tensor's runs, the largest field a unit of it has: made once per tensor.

        A `concat`'s is the union of its parts', so that DenseNet's layers, each reading every earlier
        layer's channels, do not take the union of all their runs again (`join`).
        """
        if len(x) == 1:
            return x[0][1]
        known = self.wholes.get(id(x))
        if known is None:
            self.wholes[id(x)] = known = (x, channels.union_of(x, _union))  # the key's tuple kept alive
        return known[1]

    def part(self, node, x: tuple, index: int) -> tuple:
        if node.parts is None:
            return x
        return channels.sliced(x, sum(node.parts[:index]), node.parts[index])

    def join(self, node, outs: list) -> tuple:
        if node.op not in ("add", "mul"):  # concat, and the concat that ends chunk and split
            joined = channels.capped(channels.concatenated(outs), _union, RUNS_LIMIT)
            if len(joined) > 1 and id(joined) not in self.wholes:
                self.wholes[id(joined)] = (joined, _union([self.whole(out) for out in outs if out]))
            return joined
        width = node.out_shape[1]
        stretched = []
        for segments, shape in zip(outs, _branch_shapes(node)):  # broadcasting, along positions and channels
            segments = tuple((count, _broadcast(field, shape, node.out_shape)) for count, field in segments)
            if shape[1] != width:
                segments = ((width, segments[0][1]),)
            stretched.append(segments)
        return channels.capped(channels.aligned(stretched, _union), _union, RUNS_LIMIT)


# ---------------------------------------------------------------- channels: what each output channel reads


def _keeps_channels(node, x: tuple, rule) -> tuple:
    """Channel c of the output reads channel c of the input (activations, pools, resampling)."""
    if len(x) == 1:
        return ((node.out_shape[1], rule.spatial(node, x[0][1])),)
    return channels.merged((count, rule.spatial(node, field)) for count, field in x)


def _mixes_channels(node, x: tuple, rule) -> tuple:
    """Every output channel reads every input channel."""
    return ((node.out_shape[1], rule.spatial(node, rule.whole(x))),)


def _grouped(node, x: tuple, rule) -> tuple:
    """A (transposed) convolution: each group of output channels reads its group of input channels."""
    groups = node.args["groups"]
    if groups == 1 or len(x) == 1:
        return _mixes_channels(node, x, rule)
    width = node.out_shape[1] // groups
    return channels.merged((width, rule.spatial(node, field)) for field in channels.grouped(x, groups, _union))


def _channel_groups(size_of):
    """Output channel c reads the `size_of(node)` input channels from c * size on (pixel_shuffle, unflatten)."""
    def route(node, x: tuple, rule) -> tuple:
        size = size_of(node)
        if size == 1:
            return _keeps_channels(node, x, rule)
        if len(x) == 1:
            return _mixes_channels(node, x, rule)
        fields = channels.grouped(x, channels.total(x) // size, _union)
        return channels.merged((1, rule.spatial(node, field)) for field in fields)
    return route


def _channel_spread(factor_of):
    """Input channel c becomes `factor_of(node)` output channels (pixel_unshuffle, flatten's features)."""
    def route(node, x: tuple, rule) -> tuple:
        return tuple((count, rule.spatial(node, field)) for count, field in channels.scaled(x, factor_of(node)))
    return route


def _softmax_route(node, x: tuple, rule) -> tuple:
    if node.args["dim"] % len(node.in_shape) == 1:
        return _mixes_channels(node, x, rule)
    return _keeps_channels(node, x, rule)


def _layernorm_route(node, x: tuple, rule) -> tuple:
    if node.args["dims"] >= len(node.in_shape) - 1:  # the channels are among the dims it normalises
        return _mixes_channels(node, x, rule)
    return _keeps_channels(node, x, rule)


def _channel_shuffle(node, x: tuple, rule) -> tuple:
    """Output channel j reads input channel (j % g) * (C / g) + j // g."""
    g, width = node.args["groups"], node.in_shape[1]
    return channels.permuted(x, lambda j: (j % g) * (width // g) + j // g)


def _flatten_route(node, x: tuple, rule) -> tuple:
    a, rank = node.args, len(node.in_shape)
    start, end = a["start"] % rank, a["end"] % rank
    if start != 1 or end <= start:
        return _keeps_channels(node, x, rule)
    factor = math.prod(node.in_shape[2:end + 1])  # each channel's positions become features
    return _channel_spread(lambda node: factor)(node, x, rule)


def _unflatten_route(node, x: tuple, rule) -> tuple:
    """Split along the channels, a new channel spans the old ones its trailing sizes take."""
    if node.args["dim"] % len(node.in_shape) != 1:
        return _keeps_channels(node, x, rule)
    return _channel_groups(lambda node: node.in_shape[1] // node.out_shape[1])(node, x, rule)


ROUTES = {
    "conv": _grouped,
    "conv_transpose": _grouped,
    "linear": _mixes_channels,
    "groupnorm": _mixes_channels,
    "layernorm2d": _mixes_channels,
    "local_response_norm": _mixes_channels,
    "softmax": _softmax_route,
    "log_softmax": _softmax_route,
    "layernorm": _layernorm_route,
    "channel_shuffle": _channel_shuffle,
    "pixel_shuffle": _channel_groups(lambda node: node.args["factor"] ** 2),
    "pixel_unshuffle": _channel_spread(lambda node: node.args["factor"] ** 2),
    "flatten": _flatten_route,
    "unflatten": _unflatten_route,
}


# ---------------------------------------------------------------- composing and joining


def _through(prev: AxisField, window: Union[Window, str]) -> AxisField:
    """The field after a layer of geometry `window` reads a map of field `prev`."""
    if window is WHOLE or prev is WHOLE:  # the one WHOLE string: `is` is the cheap test
        return WHOLE
    if prev is None:
        return None
    if prev.period == 1 and window.period == 1 and prev.lo[0] is not None:
        # Convolutions and pools on a map of period 1: the textbook rule, r' = r + (k - 1) j, j' = j s.
        taps, q = window.taps[0], prev.advance
        return Axis(1, q * window.advance, (q * taps[0] + prev.lo[0],), (q * taps[-1] + prev.hi[0],))
    return _compose(prev, window)


def _compose(prev: Axis, window: Window) -> AxisField:
    p, q = prev.period, prev.advance
    # The smallest period after which the positions read have moved by whole periods of `prev`.
    repeats = p // gcd(p, window.advance)
    period = window.period * repeats
    if period > PERIOD_LIMIT:
        return None
    lo, hi = [], []
    for phase in range(period):
        base = window.advance * (phase // window.period)
        first = last = None
        for tap in window.taps[phase % window.period]:
            i = base + tap
            l = prev.lo[i % p]
            if l is None:
                continue
            shift = q * (i // p)
            first = l + shift if first is None else min(first, l + shift)
            last = prev.hi[i % p] + shift if last is None else max(last, prev.hi[i % p] + shift)
        lo.append(first)
        hi.append(last)
    return _reduced(Axis(period, q * (window.advance * repeats // p), tuple(lo), tuple(hi)))


def _reduced(axis: Axis) -> Axis:
    """The same map with its shortest period (a 2x upsampling then a stride-2 conv is period 1 again)."""
    n = axis.period
    for d in range(1, n):
        if n % d or axis.advance * d % n:
            continue
        step = axis.advance * d // n
        if all(_shifted(axis.lo[i], step) == axis.lo[i + d] and _shifted(axis.hi[i], step) == axis.hi[i + d]
               for i in range(n - d)):
            return Axis(d, step, axis.lo[:d], axis.hi[:d])
    return axis


def _shifted(position: Optional[int], step: int) -> Optional[int]:
    return None if position is None else position + step


def _union(fields: list[Field]) -> Field:
    """The field of a join: per axis, the extent of the union of the branches' fields."""
    present = [f for f in fields if f.axes is not None]
    if not present:
        return NO_FIELD
    axes = present[0].axes
    for other in present[1:]:
        axes = tuple(_join_axes(a, b) for a, b in zip(axes, other.axes))
    return Field(axes, all(f.aligned for f in present))


def _join_axes(a: AxisField, b: AxisField) -> AxisField:
    if a is WHOLE or b is WHOLE:
        return WHOLE
    if a is None or b is None:
        return None
    if a.advance * b.period != b.advance * a.period:
        return None  # branches of different jumps: the union is no periodic map (see the README)
    if a == b:
        return a
    if a.period == 1 == b.period and a.lo[0] is not None and b.lo[0] is not None:
        return Axis(1, a.advance, (min(a.lo[0], b.lo[0]),), (max(a.hi[0], b.hi[0]),))
    period = a.period * b.period // gcd(a.period, b.period)
    if period > PERIOD_LIMIT:
        return None
    lo_a, hi_a = _expand(a, period)
    lo_b, hi_b = _expand(b, period)
    lo = tuple(_pick(min, x, y) for x, y in zip(lo_a, lo_b))
    hi = tuple(_pick(max, x, y) for x, y in zip(hi_a, hi_b))
    return _reduced(Axis(period, a.advance * period // a.period, lo, hi))


def _expand(axis: Axis, period: int) -> tuple[tuple, tuple]:
    """`axis`'s phases written out over a longer `period` (a multiple of its own)."""
    n, q = axis.period, axis.advance
    return (tuple(_shifted(axis.lo[i % n], q * (i // n)) for i in range(period)),
            tuple(_shifted(axis.hi[i % n], q * (i // n)) for i in range(period)))


def _pick(choose, x: Optional[int], y: Optional[int]) -> Optional[int]:
    return y if x is None else x if y is None else choose(x, y)


def _branch_shapes(node) -> list[Shape]:
    """Each branch's output shape (of `add` or `mul`): its last node's, or the input's for an empty branch."""
    return [branch[-1].out_shape if branch else node.in_shape for branch in node.branches]


_BROADCAST = Window(1, 0, ((0,),))


def _broadcast(field: Field, shape: Shape, out: Shape) -> Field:
    """A branch of size 1 along an axis that `add` or `mul` stretches: every unit reads its one position."""
    if field.axes is None or shape == out or not field.aligned:
        return field
    sizes = shape[2:]
    if len(sizes) != len(field.axes):
        return field
    return Field(tuple(_through(a, _BROADCAST) if n == 1 and m != 1 else a
                       for a, n, m in zip(field.axes, sizes, out[2:])), field.aligned)


# ---------------------------------------------------------------- each op's effect


def _unknown(node, x: Field) -> Field:
    """A custom layer: which positions it reads is not declared."""
    return Field(tuple(None for _ in x.axes), x.aligned)


def _whole(node, x: Field) -> Field:
    return Field(tuple(WHOLE for _ in x.axes), x.aligned)


def _reducing(dims_of):
    """An op that reduces over some dims of its input (`dims_of(node, rank)`): whole along the spatial ones.

    Over flat features, or after a reshape, the features came from every position: whole along every axis.
    """
    def effect(node, x: Field) -> Field:
        rank = len(node.in_shape)
        dims = dims_of(node, rank)
        if rank == 2 or not x.aligned:
            return _whole(node, x) if any(d >= 1 for d in dims) else x
        if not any(d >= 2 for d in dims):
            return x
        return Field(tuple(WHOLE if i + 2 in dims else a for i, a in enumerate(x.axes)), x.aligned)
    return effect


def _softmax_dims(node, rank: int) -> set:
    return {node.args["dim"] % rank}


def _layernorm_dims(node, rank: int) -> set:
    return set(range(rank - node.args["dims"], rank))


def _instancenorm(node, x: Field) -> Field:
    # Without running statistics it normalises each channel over its positions, in evaluation too.
    return x if node.args["track_running_stats"] else _whole(node, x)


def _conv_window(node, i: int) -> Window:
    a = node.args
    k, s, d = a["kernel"][i], a["stride"][i], a["dilation"][i]
    p = a["padding"]
    left = (d * (k - 1)) // 2 if p == "same" else 0 if p == "valid" else p[i]
    return Window(1, s, (tuple(d * t - left for t in range(k)),))


def _pool_window(node, i: int) -> Window:
    a = node.args
    k, p = a["kernel"][i], a["padding"][i]
    s = (a["stride"] or a["kernel"])[i]
    d = a["dilation"][i] if a.get("dilation") else 1
    return Window(1, s, (tuple(d * t - p for t in range(k)),))


def _conv_transpose_window(node, i: int) -> Window:
    """Output o sums input i over the taps t with o = s i - p + d t: per phase of o, the inputs it reads."""
    a = node.args
    k, s, p, d = a["kernel"][i], a["stride"][i], a["padding"][i], a["dilation"][i]
    taps = tuple(tuple(sorted((phase + p - d * t) // s for t in range(k) if (phase + p - d * t) % s == 0))
                 for phase in range(s))
    return Window(s, 1, taps)


def _adaptive_window(node, i: int) -> Union[Window, str]:
    """torch's adaptive windows: output o averages [floor(o n / m), ceil((o + 1) n / m))."""
    n, m = node.in_shape[2 + i], node.out_shape[2 + i]
    if m == 1:
        return WHOLE
    g = gcd(n, m)
    return Window(m // g, n // g, tuple(tuple(range(o * n // m, -(-(o + 1) * n // m))) for o in range(m // g)))


def _global_window(node, i: int) -> str:
    return WHOLE


def _crop_window(node, i: int) -> Window:
    """Output o is input o + (n - m) // 2: the crop drops that many positions before."""
    return Window(1, 1, (((node.in_shape[2 + i] - node.out_shape[2 + i]) // 2,),))


def _shuffle_window(node, i: int) -> Window:
    r = node.args["factor"]
    return Window(r, 1, ((0,),) * r)


def _unshuffle_window(node, i: int) -> Window:
    r = node.args["factor"]
    return Window(1, r, (tuple(range(r)),))


_CUBIC = ("bicubic",)
_LINEAR = ("linear", "bilinear", "trilinear")


def _upsample_window(node, i: int) -> Window:
    """The source positions of each output position, as torch's kernels compute them, on exact fractions.

    Nearest: floor(o r); nearest-exact: floor((o + 1/2) r); the interpolating modes read the two (cubic:
    four) neighbours of x = (o + 1/2) r - 1/2, or of x = o (n - 1) / (m - 1) with align_corners, and only
    the one at x when x falls on it (the others' weights are 0). r is n / m, or 1 / scale when a scale is
    given (torch's rule), as a fraction of denominator at most the sizes.
    """
    a = node.args
    n, m = node.in_shape[2 + i], node.out_shape[2 + i]
    mode = a["mode"]
    if a["align_corners"] and mode in _LINEAR + _CUBIC:
        ratio = Fraction(n - 1, m - 1) if m > 1 else Fraction(0)
        half = Fraction(0)
    else:
        scale = a["scale"]
        if scale is None:
            ratio = Fraction(n, m)
        else:
            factor = scale[i] if isinstance(scale, tuple) else scale
            ratio = (1 / Fraction(factor)).limit_denominator(max(n, m))
        half = Fraction(1, 2)
    taps = []
    for o in range(ratio.denominator):
        if mode == "nearest":
            taps.append((int(o * ratio // 1),))
            continue
        if mode == "nearest-exact":
            taps.append((int((o + half) * ratio // 1),))
            continue
        x = (o + half) * ratio - half
        first = int(x // 1)
        if x == first:
            taps.append((first,))
        elif mode in _CUBIC:
            taps.append((first - 1, first, first + 1, first + 2))
        else:
            taps.append((first, first + 1))
    return Window(ratio.denominator, ratio.numerator, tuple(taps))


def _reshape(node, x: Field) -> Field:
    """`flatten`/`unflatten`: a pure reshape; once it moves spatial dims, positions are no longer followed."""
    if _moves_positions(node):
        return Field(x.axes, False)
    return x


def _moves_positions(node) -> bool:
    a, rank = node.args, len(node.in_shape)
    if node.op == "flatten":
        start, end = a["start"] % rank, a["end"] % rank
        return end > start and end >= 2
    return len(a["sizes"]) > 1  # it splits a spatial dim, or adds dims before the spatial ones


# Ops that keep every field as it is: per element, or per channel (whose positions they leave alone).
POINTWISE = frozenset(("relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "hardswish",
                        "hardsigmoid", "hardtanh", "softplus", "prelu", "sigmoid", "tanh", "batchnorm", "dropout",
                        "dropout2d", "dropout3d", "stochastic_depth", "identity"))

# Ops that read windows of positions: each axis's Window (or WHOLE), from the layer and the axis.
GEOMETRY = {
    "conv": _conv_window,
    "conv_transpose": _conv_transpose_window,
    "maxpool": _pool_window,
    "avgpool": _pool_window,
    "adaptive_avgpool": _adaptive_window,
    "adaptive_maxpool": _adaptive_window,
    "global_avgpool": _global_window,
    "global_maxpool": _global_window,
    "upsample": _upsample_window,
    "pixel_shuffle": _shuffle_window,
    "pixel_unshuffle": _unshuffle_window,
    "center_crop": _crop_window,
}

def _same_positions(node, x: Field) -> Field:
    return x


# The other ops' effect on a field's positions. (`ROUTES` says which channels they read.)
EFFECTS = {
    **dict.fromkeys(("layernorm2d", "local_response_norm", "channel_shuffle"), _same_positions),
    "linear": _whole,
    "groupnorm": _whole,
    "instancenorm": _instancenorm,
    "layernorm": _reducing(_layernorm_dims),
    "softmax": _reducing(_softmax_dims),
    "log_softmax": _reducing(_softmax_dims),
    "flatten": _reshape,
    "unflatten": _reshape,
}
