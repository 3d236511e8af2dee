"""The op registry: the one place that knows each primitive.

For every op: its arguments (names, short aliases, kinds, defaults), its shape
rule (exactly as torch computes it), its parameter and multiply-add counts
(torchinfo's "Mult-Adds" convention), its short form for reports and its
documentation. Semantics only: how an op becomes code is each back-end's own
table (`backends/torch_lowering.py` for torch), as sqlglot's dialects keep
their `TRANSFORMS` apart from its expressions. Adding an op is one entry in
`OPS` and one row in every back-end's table (`tests/test_op_tables.py` fails
until both are there).

    >>> conv = OPS["conv"]
    >>> args = bind(conv, [64], {"k": 3, "p": 1})
    >>> conv.infer(args, ("N", 3, 32, 32))
    ('N', 64, 32, 32)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from .expr import is_int

Dim = Union[int, str]  # a size, or "N" for the symbolic batch
Shape = tuple[Dim, ...]

REQUIRED = object()


class OpProblem(Exception):
    """A problem with an op's arguments or input shape; elaboration adds the span."""

    def __init__(self, code: str, message: str, help: str = "", arg: Optional[str] = None,
                 axis: Optional[str] = None) -> None:
        super().__init__(message)
        self.code, self.message, self.help, self.arg = code, message, help, arg
        self.axis = axis  # "height" or "width" when a size reaches zero (E0303)


@dataclass(frozen=True)
class Arg:
    """One argument of an op: canonical name, short aliases, kind (see `KINDS`), default."""

    name: str
    kind: str
    default: Any = REQUIRED
    aliases: tuple[str, ...] = ()
    doc: str = ""
    # Derived once: elaboration asks for them at every call of the op.
    spellings: tuple[str, ...] = field(init=False, repr=False, compare=False)
    required: bool = field(init=False, repr=False, compare=False)
    label: str = field(init=False, repr=False, compare=False)  # how messages name it: `kernel`

    def __post_init__(self) -> None:
        object.__setattr__(self, "spellings", (self.name, *self.aliases))
        object.__setattr__(self, "required", self.default is REQUIRED)
        object.__setattr__(self, "label", f"`{self.name}`")


@dataclass(frozen=True)
class Tensor:
    """A learnable tensor of an op (`weight`, `bias`): what `init` rules initialise.

    `rank` is the same for every layer of the op (a conv's weight has 4 dims), so
    rules that need a matrix are checked before any value is known; `shape` says
    whether a layer has the tensor at all (`linear(bias=false)` has no bias: None)
    and its size.
    """

    name: str
    rank: int
    shape: Callable[[dict, Shape], Optional[tuple[int, ...]]]


@dataclass(frozen=True)
class Op:
    name: str
    args: tuple[Arg, ...]
    doc: str
    infer: Callable[[dict, Shape], Shape]
    count: Callable[[dict, Shape, Shape], tuple[int, int]] = lambda a, i, o: (0, 0)
    short: Callable[[dict], str] = lambda a: ""
    tensors: tuple[Tensor, ...] = ()  # the learnable tensors, in torch's `named_parameters()` order
    # Derived once: every spelling of every argument, and the arguments as a call
    # that gives none binds them (the normalised default; None when required).
    by_spelling: dict[str, Arg] = field(init=False, repr=False, compare=False)
    defaults: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built from the last argument back, so an earlier argument keeps a spelling two of them share.
        object.__setattr__(self, "by_spelling", {s: arg for arg in reversed(self.args) for s in arg.spellings})
        object.__setattr__(self, "defaults", {arg.name: None if arg.required else coerce(self, arg, arg.default)
                                              for arg in self.args})

    def arg(self, spelling: str) -> Optional[Arg]:
        return self.by_spelling.get(spelling)

    def tensor(self, name: str) -> Optional[Tensor]:
        return next((t for t in self.tensors if t.name == name), None)


# ---------------------------------------------------------------- argument kinds


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{'true' if value else 'false'}`"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return f"`{value!r}`".replace("'", '"')
    return f"`{value!r}`"


def _pair(value: Any, minimum: int, what: str) -> tuple[int, int]:
    if type(value) is int and value >= minimum:  # the common case, `k=3`, at a glance
        return (value, value)
    if is_int(value):
        value = (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(is_int(v) for v in value):
        if min(value) < minimum:
            raise OpProblem("E0402", f"expected {what} of at least {minimum}, found {_describe(value)}")
        return (value[0], value[1])
    raise OpProblem("E0401", f"expected {what}: an int or a pair of ints, found {_describe(value)}")


def _positive_int(value: Any, what: str) -> int:
    if not is_int(value):
        raise OpProblem("E0401", f"expected {what}: an int, found {_describe(value)}")
    if value < 1:
        raise OpProblem("E0402", f"expected {what} of at least 1, found {_describe(value)}")
    return value


def _float(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OpProblem("E0401", f"expected {what}: a number, found {_describe(value)}")
    return float(value)


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise OpProblem("E0401", f"expected {what}: `true` or `false`, found {_describe(value)}")
    return value


def _conv_padding(value: Any, what: str):
    if isinstance(value, str):
        if value not in ("same", "valid"):
            raise OpProblem("E0402", f'expected {what}: an int, a pair, "same" or "valid", found {_describe(value)}')
        return value
    return _pair(value, 0, what)


def _probability(value: Any, what: str) -> float:
    p = _float(value, what)
    if not 0 <= p < 1:
        raise OpProblem("E0402", f"expected {what} in [0, 1), found {_describe(value)}")
    return p


def _optional_pair(value: Any, what: str):
    return None if value is None else _pair(value, 1, what)


def _optional_int(value: Any, what: str):
    return None if value is None else _positive_int(value, what)


KINDS: dict[str, Callable[[Any, str], Any]] = {
    "channels": _positive_int,
    "size": lambda v, w: _pair(v, 1, w),
    "padding": lambda v, w: _pair(v, 0, w),
    "conv_padding": _conv_padding,
    "optional_size": _optional_pair,
    "optional_int": _optional_int,
    "groups": _positive_int,
    "probability": _probability,
    "float": _float,
    "bool": _bool,
}


def coerce(op: Op, arg: Arg, value: Any) -> Any:
    """Check one argument value against its kind, returning the normalised value."""
    try:
        return KINDS[arg.kind](value, arg.label)
    except OpProblem as problem:
        problem.arg = arg.name
        raise


def bind(op: Op, args: list, kwargs: dict) -> dict:
    """Match already-evaluated positional and keyword values to `op.args` (for tests and tools)."""
    bound = dict(op.defaults)
    for arg, value in zip(op.args, args):
        bound[arg.name] = coerce(op, arg, value)
    for spelling, value in kwargs.items():
        arg = op.arg(spelling)
        bound[arg.name] = coerce(op, arg, value)
    return bound


# ---------------------------------------------------------------- shape helpers


def _need_rank(shape: Shape, ranks: tuple[int, ...], op: str) -> None:
    if len(shape) in ranks:
        return
    want = " or ".join(f"rank {r} ({_rank_words(r)})" for r in ranks)
    help = ""
    if 2 in ranks and len(shape) == 4:
        help = "insert `flatten` before it"
    elif 4 in ranks and len(shape) == 2:
        help = f"`{op}` works on images [N, C, H, W]; this input is already flat"
    raise OpProblem("E0304", f"expected an input of {want} for `{op}`, found {format_shape(shape)}", help)


def _rank_words(rank: int) -> str:
    return {2: "[N, features]", 4: "[N, C, H, W]"}.get(rank, f"{rank} dims")


def format_shape(shape: Shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def batch_of(shape: Shape) -> int:
    """The batch size for counting: a symbolic batch counts as one sample."""
    return shape[0] if is_int(shape[0]) else 1


def window_output(n: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> int:
    """Output size of a conv or pool window along one dimension, as torch computes it."""
    # Python's // rounds toward minus infinity, like torch's div_rtn.
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1  # torch drops a last window that would start in the right padding
    return out


def _smallest_fitting(k: int, s: int, p: int, d: int, ceil: bool) -> int:
    n = 1
    while window_output(n, k, s, p, d, ceil) < 1:
        n += 1
    return n


def _spatial(shape: Shape, k, s, p, d, ceil: bool, op: str) -> tuple[int, int]:
    sizes = []
    for axis, n in zip(("height", "width"), shape[2:]):
        i = 0 if axis == "height" else 1
        out = window_output(n, k[i], s[i], p[i], d[i], ceil)
        if out < 1:
            need = _smallest_fitting(k[i], s[i], p[i], d[i], ceil)
            raise OpProblem(
                "E0303",
                f"`{op}` reduces the {axis} to {out}: input {format_shape(shape)} is too small "
                f"for kernel {k[i]} with padding {p[i]}" + (f" and dilation {d[i]}" if d[i] != 1 else ""),
                f"the smallest {axis} that fits this layer is {need}; use a larger input, more padding, "
                f"or a smaller kernel or stride earlier", axis=axis)
        sizes.append(out)
    return sizes[0], sizes[1]


def _short(parts: list[tuple[str, Any, Any]]) -> str:
    """`64, k=3, p=1`: positional values, then keywords that differ from their defaults."""
    out = []
    for name, value, default in parts:
        if value == default and name:
            continue
        if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
            value = value[0]
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, str):
            value = f'"{value}"'
        out.append(f"{name}={value}" if name else str(value))
    return ", ".join(out)


def square(pair):
    """A pair with equal sides as one int (`(3, 3)` -> `3`), as torch and specc write a square kernel."""
    return pair[0] if isinstance(pair, tuple) and pair[0] == pair[1] else pair


# ---------------------------------------------------------------- conv


def _conv_infer(a: dict, shape: Shape) -> Shape:
    _need_rank(shape, (4,), "conv")
    n, c = shape[0], shape[1]
    out, g = a["channels"], a["groups"]
    if a["in"] is not None and a["in"] != c:
        raise OpProblem("E0305", f"expected in-channels {c} (inferred from the input), found `in={a['in']}`",
                        f"drop `in=` and let specc infer it, or write `in={c}`", arg="in")
    if c % g or out % g:
        common = [d for d in range(1, math.gcd(c, out) + 1) if c % d == 0 and out % d == 0]
        shown = ", ".join(map(str, common[:8])) + (", ..." if len(common) > 8 else "")
        raise OpProblem("E0306", f"expected `groups` to divide both channel counts, found groups={g} "
                        f"with {c} in and {out} out", f"groups that divide both {c} and {out}: {shown}",
                        arg="groups")
    k, s, d, p = a["kernel"], a["stride"], a["dilation"], a["padding"]
    if isinstance(p, str):
        if p == "same":
            if s != (1, 1):
                raise OpProblem("E0308", f'expected stride 1 with padding="same", found stride {square(s)}',
                                'torch allows padding="same" only for stride 1; ' + _explicit_padding(k, d),
                                arg="padding")
            return (n, out, shape[2], shape[3])
        p = (0, 0)
    h, w = _spatial(shape, k, s, p, d, False, "conv")
    return (n, out, h, w)


def _explicit_padding(k, d) -> str:
    """The number to write instead of "same": what keeps the size at stride 1 (when it is symmetric)."""
    total = [d[i] * (k[i] - 1) for i in (0, 1)]
    if any(t % 2 for t in total):
        return "give the padding as a number"
    pad = square((total[0] // 2, total[1] // 2))
    written = pad if isinstance(pad, int) else f"({pad[0]}, {pad[1]})"
    return f'write p={written} instead (what "same" means for this kernel at stride 1)'


def _conv_params(a: dict, shape: Shape) -> int:
    k = a["kernel"]
    return a["channels"] * (shape[1] // a["groups"]) * k[0] * k[1] + (a["channels"] if a["bias"] else 0)


def _conv_count(a: dict, shape: Shape, out: Shape) -> tuple[int, int]:
    params = _conv_params(a, shape)
    return params, params * batch_of(out) * out[2] * out[3]


def _conv_short(a: dict) -> str:
    return _short([("", a["channels"], None), ("k", a["kernel"], None), ("s", a["stride"], (1, 1)),
                   ("p", a["padding"], (0, 0)), ("d", a["dilation"], (1, 1)), ("g", a["groups"], 1),
                   ("bias", a["bias"], True)])


# ---------------------------------------------------------------- pools


def _pool_infer(name: str):
    def infer(a: dict, shape: Shape) -> Shape:
        _need_rank(shape, (4,), name)
        k, p = a["kernel"], a["padding"]
        s = a["stride"] or k
        d = a.get("dilation") or (1, 1)
        for i in (0, 1):
            # torch's pool2d_shape_check: pad <= kernel // 2 (before dilation).
            if p[i] > k[i] // 2:
                raise OpProblem("E0307", f"expected padding at most half the kernel ({k[i] // 2}) in `{name}`, "
                                f"found padding {p[i]} with kernel {k[i]}",
                                f"use padding <= {k[i] // 2}, or a larger kernel", arg="padding")
        h, w = _spatial(shape, k, s, p, d, a["ceil_mode"], name)
        return (shape[0], shape[1], h, w)
    return infer


def _pool_short(a: dict) -> str:
    return _short([("k", a["kernel"], None), ("s", a["stride"] or a["kernel"], a["kernel"]),
                   ("p", a["padding"], (0, 0)), ("d", a.get("dilation", (1, 1)), (1, 1)),
                   ("ceil_mode", a["ceil_mode"], False),
                   ("count_include_pad", a.get("count_include_pad", True), True)])


_POOL_ARGS = (
    Arg("kernel", "size", aliases=("k", "kernel_size"), doc="window size"),
    Arg("stride", "optional_size", None, aliases=("s",), doc="defaults to the kernel, as in torch"),
    Arg("padding", "padding", 0, aliases=("p",), doc="at most half the kernel"),
)


# ---------------------------------------------------------------- dense layers


def _linear_infer(a: dict, shape: Shape) -> Shape:
    _need_rank(shape, (2,), "linear")
    if a["in"] is not None and a["in"] != shape[1]:
        raise OpProblem("E0305", f"expected in-features {shape[1]} (inferred from the input), found `in={a['in']}`",
                        f"drop `in=` and let specc infer it, or write `in={shape[1]}`", arg="in")
    return (shape[0], a["features"])


def _linear_count(a: dict, shape: Shape, out: Shape) -> tuple[int, int]:
    params = shape[1] * a["features"] + (a["features"] if a["bias"] else 0)
    return params, params * batch_of(out)


def _bias(features: str) -> Tensor:
    return Tensor("bias", 1, lambda a, shape: (a[features],) if a["bias"] else None)


_CONV_TENSORS = (
    Tensor("weight", 4, lambda a, shape: (a["channels"], shape[1] // a["groups"], *a["kernel"])),
    _bias("channels"),
)
_LINEAR_TENSORS = (Tensor("weight", 2, lambda a, shape: (a["features"], shape[1])), _bias("features"))
_BATCHNORM_TENSORS = tuple(Tensor(name, 1, lambda a, shape: (shape[1],) if a["affine"] else None)
                           for name in ("weight", "bias"))


def _batchnorm_infer(a: dict, shape: Shape) -> Shape:
    _need_rank(shape, (2, 4), "batchnorm")
    return shape


def _batchnorm_count(a: dict, shape: Shape, out: Shape) -> tuple[int, int]:
    params = 2 * shape[1] if a["affine"] else 0
    return params, params * batch_of(out)


def _adaptive_infer(a: dict, shape: Shape) -> Shape:
    _need_rank(shape, (4,), "adaptive_avgpool")
    return (shape[0], shape[1], *a["size"])


def _flatten_infer(a: dict, shape: Shape) -> Shape:
    if len(shape) < 2:
        raise OpProblem("E0304", f"expected an input with a batch and at least one more dim, found {format_shape(shape)}")
    return (shape[0], math.prod(shape[1:]))


def _same(a: dict, shape: Shape) -> Shape:
    return shape


# ---------------------------------------------------------------- the registry


OPS: dict[str, Op] = {op.name: op for op in (
    Op("conv",
       (Arg("channels", "channels", aliases=("out", "out_channels"), doc="output channels"),
        Arg("kernel", "size", aliases=("k", "kernel_size")),
        Arg("stride", "size", 1, aliases=("s",)),
        Arg("padding", "conv_padding", 0, aliases=("p",), doc='an int, a pair, "same" or "valid"'),
        Arg("dilation", "size", 1, aliases=("d",)),
        Arg("groups", "groups", 1, aliases=("g",)),
        Arg("bias", "bool", True),
        Arg("in", "optional_int", None, aliases=("in_channels",), doc="checked against inference")),
       "2-d convolution; in-channels come from the input",
       _conv_infer, _conv_count, _conv_short, tensors=_CONV_TENSORS),
    Op("linear",
       (Arg("features", "channels", aliases=("out", "out_features")),
        Arg("in", "optional_int", None, aliases=("in_features",), doc="checked against inference"),
        Arg("bias", "bool", True)),
       "fully connected layer; in-features come from the input",
       _linear_infer, _linear_count,
       lambda a: _short([("", a["features"], None), ("bias", a["bias"], True)]), tensors=_LINEAR_TENSORS),
    Op("batchnorm",
       (Arg("eps", "float", 1e-5), Arg("momentum", "float", 0.1), Arg("affine", "bool", True)),
       "batch normalisation; 1d or 2d chosen from the input rank",
       _batchnorm_infer, _batchnorm_count,
       lambda a: _short([("eps", a["eps"], 1e-5), ("momentum", a["momentum"], 0.1), ("affine", a["affine"], True)]),
       tensors=_BATCHNORM_TENSORS),
    Op("relu", (), "rectified linear unit", _same),
    Op("sigmoid", (), "logistic sigmoid", _same),
    Op("tanh", (), "hyperbolic tangent", _same),
    Op("maxpool",
       (*_POOL_ARGS, Arg("dilation", "size", 1, aliases=("d",)), Arg("ceil_mode", "bool", False, aliases=("ceil",))),
       "2-d max pooling", _pool_infer("maxpool"), short=_pool_short),
    Op("avgpool",
       (*_POOL_ARGS, Arg("ceil_mode", "bool", False, aliases=("ceil",)),
        Arg("count_include_pad", "bool", True)),
       "2-d average pooling", _pool_infer("avgpool"), short=_pool_short),
    Op("adaptive_avgpool", (Arg("size", "size", aliases=("output_size",)),),
       "average pooling to a fixed output size", _adaptive_infer,
       short=lambda a: _short([("", a["size"], None)])),
    Op("global_avgpool", (), "average over all positions: [N, C, H, W] -> [N, C, 1, 1]",
       lambda a, shape: _adaptive_infer({"size": (1, 1)}, shape)),
    Op("flatten", (), "[N, ...] -> [N, product of the rest]", _flatten_infer),
    Op("dropout", (Arg("p", "probability", 0.5),), "randomly zeroes elements while training",
       _same, short=lambda a: _short([("", a["p"], None)])),
    Op("identity", (), "passes its input through", _same),
)}

# Combinators are statements (`concat:`, `add:`, `mul:`, `chunk n:`, `split s:`), not ops; listed for messages.
COMBINATORS = ("concat", "add", "mul", "chunk", "split")
