"""The op registry: the one place that knows each primitive.

For every op: its arguments (names, short aliases, kinds, defaults), the
input ranks it accepts, its shape rule (exactly as torch computes it, with
torch's own argument constraints as located problems), its parameter and
multiply-add counts (torchinfo's "Mult-Adds" convention), its short form
for reports and its documentation. Semantics only: how an op becomes code
is each back-end's own table (`backends/torch_lowering.py` for torch), as
sqlglot's dialects keep their `TRANSFORMS` apart from its expressions.
Adding an op is one entry in `OPS` and one row in every back-end's table
(`tests/test_op_tables.py` fails until both are there).

    >>> conv = OPS["conv"]
    >>> args, out = conv.apply(bind(conv, [64], {"k": 3, "p": 1}), ("N", 3, 32, 32))
    >>> out, args["kernel"]
    (('N', 64, 32, 32), (3, 3))

Ops on images take 1, 2 or 3 spatial dims (`[N, C, L]`, `[N, C, H, W]`,
`[N, C, D, H, W]`): an argument with one value per spatial dim (a kernel, a
stride) is an int for all of them or a tuple of one per dim, and `apply`
fits it to the input's rank before the shape rule sees it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from .expr import is_int

Dim = Union[int, str]  # a size, or "N" for the symbolic batch
Shape = tuple[Dim, ...]
# The names of the spatial sizes, by rank: `[N, C, L]`, `[N, C, H, W]`, `[N, C, D, H, W]`.
SPATIAL_LETTERS = {3: ("L",), 4: ("H", "W"), 5: ("D", "H", "W")}

REQUIRED = object()
FLOAT32_MAX = 3.4028234663852886e38  # torch converts an activation's scalars to the tensor's float32
INT32_MAX = 2**31 - 1  # torch's pools convert their sizes to C ints


class OpProblem(Exception):
    """A problem with an op's arguments or input shape; elaboration adds the span."""

    def __init__(self, code: str, message: str, help: str = "", arg: Optional[str] = None,
                 axis: Optional[str] = None, ranks: tuple[int, ...] = (), sizes: Optional[tuple] = None) -> None:
        super().__init__(message)
        self.code, self.message, self.help, self.arg = code, message, help, arg
        self.axis = axis  # "height" or "width" when a size reaches zero (E0303)
        self.ranks = ranks  # E0304: the input ranks that would have fitted
        self.sizes = sizes  # (have, want): a size that must reach another (a crop), for `sizes.py`


@dataclass(frozen=True)
class Arg:
    """One argument of an op: canonical name, short aliases, kind (see `KINDS`), default."""

    name: str
    kind: str
    default: Any = REQUIRED
    aliases: tuple[str, ...] = ()
    doc: str = ""
    choices: tuple[str, ...] = ()  # the strings a "choice" argument takes
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

    `shape` gives its size in a layer from the layer's (fitted) arguments and input shape, or None
    when the layer has no such tensor (`linear(bias=false)`); `rank` is its number of dims when
    every layer of the op has the same (a bias: 1), None when it depends on the layer (a conv's
    weight: 3 to 5), so that rules needing a matrix are checked before any value is known.
    """

    name: str
    rank: Optional[int]
    shape: Callable[[dict, Shape], Optional[tuple[int, ...]]]


@dataclass(frozen=True)
class Op:
    name: str
    args: tuple[Arg, ...]
    doc: str
    infer: Callable[[dict, Shape], Shape]
    count: Callable[[dict, Shape, Shape], tuple[int, int]] = lambda a, i, o: (0, 0)
    short: Callable[[dict], str] = lambda a: ""
    ranks: Optional[tuple] = None  # the input ranks it accepts (`RANK_3_UP`: 3 or more); None: any
    spatial: tuple[str, ...] = ()            # arguments with one value per spatial dim
    tensors: tuple[Tensor, ...] = ()         # the learnable tensors, in torch's `named_parameters()` order
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

    def apply(self, args: dict, shape: Shape) -> tuple[dict, Shape]:
        """The arguments fitted to the input's rank, and the output shape (raises `OpProblem`)."""
        if self.ranks is not None:
            _need_rank(shape, self.ranks, self.name)
        if self.spatial:
            args = _fit_spatial(self, args, shape)
        return args, self.infer(args, shape)


# ---------------------------------------------------------------- argument kinds


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{'true' if value else 'false'}`"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return f"`{value!r}`".replace("'", '"')
    return f"`{value!r}`"


def _sizes(value: Any, minimum: int, what: str) -> Union[int, tuple[int, ...]]:
    """An int, or a tuple of one int per spatial dim (1 to 3 of them), each at least `minimum`."""
    if type(value) is int and value >= minimum:  # the common case, `k=3`, at a glance
        return value
    if is_int(value):
        raise OpProblem("E0402", f"expected {what} of at least {minimum}, found {_describe(value)}")
    if isinstance(value, (list, tuple)) and 1 <= len(value) <= 3 and all(is_int(v) for v in value):
        if min(value) < minimum:
            raise OpProblem("E0402", f"expected {what} of at least {minimum}, found {_describe(value)}")
        return tuple(value)
    raise OpProblem("E0401", f"expected {what}: an int or a tuple of ints, one per spatial dim, "
                             f"found {_describe(value)}")


def _positive_int(value: Any, what: str) -> int:
    if not is_int(value):
        raise OpProblem("E0401", f"expected {what}: an int, found {_describe(value)}")
    if value < 1:
        raise OpProblem("E0402", f"expected {what} of at least 1, found {_describe(value)}")
    return value


def _int(value: Any, what: str) -> int:
    if not is_int(value):
        raise OpProblem("E0401", f"expected {what}: an int, found {_describe(value)}")
    return value


def _float(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OpProblem("E0401", f"expected {what}: a number, found {_describe(value)}")
    return float(value)


def _finite(value: Any, what: str) -> float:
    number = _float(value, what)
    if not math.isfinite(number):
        raise OpProblem("E0402", f"expected {what}: a finite number, found {_describe(value)}")
    return number


def _scalar(value: Any, what: str) -> float:
    """A number torch converts to the tensor's float32: beyond float32's range, torch refuses it."""
    number = _finite(value, what)
    if abs(number) > FLOAT32_MAX:
        raise OpProblem("E0402", f"expected {what} within float32's range (at most {FLOAT32_MAX:.4g} in size), "
                                 f"found {_describe(value)}")
    return number


def _positive_float(value: Any, what: str) -> float:
    number = _finite(value, what)
    if number <= 0:
        raise OpProblem("E0402", f"expected {what} greater than 0, found {_describe(value)}")
    return number


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise OpProblem("E0401", f"expected {what}: `true` or `false`, found {_describe(value)}")
    return value


def _conv_padding(value: Any, what: str):
    if isinstance(value, str):
        if value not in ("same", "valid"):
            raise OpProblem("E0402", f'expected {what}: an int, a tuple, "same" or "valid", found {_describe(value)}')
        return value
    return _sizes(value, 0, what)


def _probability(value: Any, what: str) -> float:
    p = _float(value, what)
    if not 0 <= p <= 1:
        raise OpProblem("E0402", f"expected {what} in [0, 1], found {_describe(value)}")
    return p


def _scales(value: Any, what: str):
    """A scale factor, or a tuple of one per spatial dim: finite and positive numbers, kept as written."""
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) and 1 <= len(value) <= 3 else (value,)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise OpProblem("E0401", f"expected {what}: a number or a tuple of numbers, one per spatial dim, "
                                     f"found {_describe(value)}")
        if not (math.isfinite(item) and item > 0):
            raise OpProblem("E0402", f"expected {what} greater than 0, found {_describe(value)}")
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _unflatten_sizes(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not value or not all(is_int(v) for v in value):
        raise OpProblem("E0401", f"expected {what}: a non-empty list of ints, found {_describe(value)}")
    if any(v == 0 or v < -1 for v in value) or list(value).count(-1) > 1:
        raise OpProblem("E0402", f"expected {what} of at least 1 (one of them may be -1, inferred), "
                                 f"found {_describe(value)}")
    return tuple(value)


def _optional(kind: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    return lambda value, what: None if value is None else kind(value, what)


KINDS: dict[str, Callable[[Any, str], Any]] = {
    "channels": _positive_int,
    "size": lambda v, w: _sizes(v, 1, w),
    "padding": lambda v, w: _sizes(v, 0, w),
    "conv_padding": _conv_padding,
    "optional_size": _optional(lambda v, w: _sizes(v, 1, w)),
    "optional_int": _optional(_positive_int),
    "optional_bool": _optional(_bool),
    "scale": _scales,
    "groups": _positive_int,
    "dim": _int,
    "sizes": _unflatten_sizes,
    "probability": _probability,
    "float": _float,
    "scalar": _scalar,
    "positive_float": _positive_float,
    "bool": _bool,
    "choice": lambda v, w: v,  # checked against the argument's `choices` in `coerce`
}


def coerce(op: Op, arg: Arg, value: Any) -> Any:
    """Check one argument value against its kind, returning the normalised value."""
    try:
        if arg.choices:
            return _choice(value, arg)
        return KINDS[arg.kind](value, arg.label)
    except OpProblem as problem:
        problem.arg = arg.name
        raise


def _choice(value: Any, arg: Arg) -> str:
    if value in arg.choices and isinstance(value, str):
        return value
    listed = ", ".join(f'"{c}"' for c in arg.choices)
    code = "E0402" if isinstance(value, str) else "E0401"
    raise OpProblem(code, f"expected {arg.label}: one of {listed}, found {_describe(value)}")


def bind(op: Op, args: list, kwargs: dict) -> dict:
    """Match already-evaluated positional and keyword values to `op.args` (for tests and tools)."""
    bound = dict(op.defaults)
    for arg, value in zip(op.args, args):
        bound[arg.name] = coerce(op, arg, value)
    for spelling, value in kwargs.items():
        arg = op.arg(spelling)
        bound[arg.name] = coerce(op, arg, value)
    return bound


# ---------------------------------------------------------------- ranks


_RANK_WORDS = {2: "[N, features]", 3: "[N, C, L]", 4: "[N, C, H, W]", 5: "[N, C, D, H, W]"}
_AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
RANK_3_UP = (3, ...)  # ranks 3, 4, 5 and more (only `unflatten` makes more)


def accepts(ranks: tuple, rank: int) -> bool:
    """Whether an op of `ranks` (`Op.ranks`) takes an input of `rank`."""
    return rank in ranks or (ranks[-1] is Ellipsis and rank >= ranks[-2])


def _need_rank(shape: Shape, ranks: tuple, op: str) -> None:
    if accepts(ranks, len(shape)):
        return
    if ranks == RANK_3_UP:
        want = "rank 3 or more ([N, C, ...])"
    else:
        want = " or ".join(f"rank {r} ({_rank_words(r)})" for r in ranks)
        want = want.replace(" or ", ", ", len(ranks) - 2)
    help = ""
    if 2 in ranks and len(shape) > 2:
        help = "insert `flatten` before it"
    elif len(shape) == 2:
        help = (f"`{op}` works on images [N, C, H, W]; this input is already flat" if ranks == (4,)
                else f"`{op}` works on [N, C, ...] inputs with spatial dims; this input is already flat")
    raise OpProblem("E0304", f"expected an input of {want} for `{op}`, found {format_shape(shape)}", help,
                    ranks=ranks)


def _rank_words(rank: int) -> str:
    return _RANK_WORDS.get(rank, f"{rank} dims")


def _fit_spatial(op: Op, args: dict, shape: Shape) -> dict:
    """Each per-spatial-dim argument as a tuple of the input's spatial rank (`k=3` -> `(3, 3)` on images)."""
    n = len(shape) - 2
    fitted = dict(args)
    for name in op.spatial:
        value = args[name]
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, tuple):
            fitted[name] = (value,) * n
        elif len(value) != n:
            rank = len(value) + 2
            raise OpProblem("E0304", f"expected `{name}` with {n} value{'s' if n > 1 else ''} for an input of rank "
                                     f"{len(shape)} {_rank_words(len(shape))}, found {_describe(value)}",
                            f"{len(value)} values fit an input of rank {rank} {_rank_words(rank)}",
                            arg=name, ranks=(rank,))
    return fitted


def _dim(value: int, shape: Shape, arg: str, op: str) -> int:
    """A dim index as torch wraps it (`-1` is the last), checked against the input's rank."""
    rank = len(shape)
    if not -rank <= value < rank:
        raise OpProblem("E0402", f"expected `{arg}` from {-rank} to {rank - 1} for an input of rank {rank} "
                                 f"in `{op}`, found {_describe(value)}", arg=arg)
    return value % rank


def format_shape(shape: Shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def batch_of(shape: Shape) -> int:
    """The batch size for counting: a symbolic batch counts as one sample."""
    return shape[0] if is_int(shape[0]) else 1


# ---------------------------------------------------------------- windows (conv and pools)


def window_output(n: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> int:
    """Output size of a conv or pool window along one dimension, as torch computes it."""
    # Python's // rounds toward minus infinity, like torch's div_rtn.
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1  # torch drops a last window that would start in the right padding
    return out


def smallest_fitting(k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """The smallest input size at which `window_output` is at least 1, in closed form.

    Without ceil_mode the window must fit: n + 2p >= d(k - 1) + 1. With it, one
    partial window counts, n + 2p > d(k - 1) + 1 - s, and it never starts in the right
    padding, since at one window it starts at the left edge.
    """
    span = d * (k - 1) + 1
    return max(1, span - 2 * p - (s - 1 if ceil else 0))


def _spatial(shape: Shape, k, s, p, d, ceil: bool, op: str) -> tuple[int, ...]:
    sizes = []
    for i, (axis, n) in enumerate(zip(_AXES[len(shape) - 2], shape[2:])):
        out = window_output(n, k[i], s[i], p[i], d[i], ceil)
        if out < 1:
            need = smallest_fitting(k[i], s[i], p[i], d[i], ceil)
            raise OpProblem(
                "E0303",
                f"`{op}` reduces the {axis} to {out}: input {format_shape(shape)} is too small "
                f"for kernel {k[i]} with padding {p[i]}" + (f" and dilation {d[i]}" if d[i] != 1 else ""),
                f"the smallest {axis} that fits this layer is {need}; use a larger input, more padding, "
                f"or a smaller kernel or stride earlier", axis=axis)
        sizes.append(out)
    return tuple(sizes)


def _short(parts: list[tuple[str, Any, Any]]) -> str:
    """`64, k=3, p=1`: positional values, then keywords that differ from their defaults."""
    out = []
    for name, value, default in parts:
        if value == default and name:
            continue
        value = square(value)
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, str):
            value = f'"{value}"'
        out.append(f"{name}={value}" if name else str(value))
    return ", ".join(out)


def square(sizes):
    """Equal sides as one int (`(3, 3)` -> `3`), as torch and specc write a square kernel."""
    if isinstance(sizes, tuple) and sizes and all(v == sizes[0] for v in sizes):
        return sizes[0]
    return sizes


def _ones(shape: Shape) -> tuple[int, ...]:
    return (1,) * (len(shape) - 2)


def _common_divisors(a: int, b: int, shown: int = 8) -> str:
    """`1, 2, 4, ...`: the smallest common divisors of a and b, found in O(sqrt(gcd)), at most `shown`."""
    g = math.gcd(a, b)
    small, large = [], []
    for i in range(1, math.isqrt(g) + 1):
        if g % i == 0:
            small.append(i)
            if i != g // i:
                large.append(g // i)
            if len(small) > shown:
                break
    found = (small + large[::-1])[:shown + 1]
    return ", ".join(map(str, found[:shown])) + (", ..." if len(found) > shown else "")


def _groups_divide(c: int, out: int, g: int) -> None:
    if c % g or out % g:
        raise OpProblem("E0306", f"expected `groups` to divide both channel counts, found groups={g} "
                        f"with {c} in and {out} out", f"groups that divide both {c} and {out}: "
                        f"{_common_divisors(c, out)}", arg="groups")


def _check_in(a: dict, c: int, what: str) -> None:
    if a["in"] is not None and a["in"] != c:
        raise OpProblem("E0305", f"expected {what} {c} (inferred from the input), found `in={a['in']}`",
                        f"drop `in=` and let specc infer it, or write `in={c}`", arg="in")


# ---------------------------------------------------------------- conv


def _conv_infer(a: dict, shape: Shape) -> Shape:
    n, c = shape[0], shape[1]
    out, g = a["channels"], a["groups"]
    _check_in(a, c, "in-channels")
    _groups_divide(c, out, g)
    k, s, d, p = a["kernel"], a["stride"], a["dilation"], a["padding"]
    if isinstance(p, str):
        if p == "same":
            if any(v != 1 for v in s):
                raise OpProblem("E0308", f'expected stride 1 with padding="same", found stride {square(s)}',
                                'torch allows padding="same" only for stride 1; ' + _explicit_padding(k, d),
                                arg="padding")
            return (n, out, *shape[2:])
        p = (0,) * len(k)
    return (n, out, *_spatial(shape, k, s, p, d, False, "conv"))


def _explicit_padding(k, d) -> str:
    """The number to write instead of "same": what keeps the size at stride 1 (when it is symmetric)."""
    total = [di * (ki - 1) for ki, di in zip(k, d)]
    if any(t % 2 for t in total):
        return "give the padding as a number"
    pad = square(tuple(t // 2 for t in total))
    written = pad if isinstance(pad, int) else "(" + ", ".join(map(str, pad)) + ")"
    return f'write p={written} instead (what "same" means for this kernel at stride 1)'


def _conv_count(a: dict, shape: Shape, out: Shape) -> tuple[int, int]:
    # ConvNd and ConvTransposeNd alike: weight [out, in/g, *k] or [in, out/g, *k]; torchinfo counts
    # every parameter once per output position (the channel excepted).
    params = shape[1] * a["channels"] // a["groups"] * math.prod(a["kernel"]) + (a["channels"] if a["bias"] else 0)
    return params, params * batch_of(out) * math.prod(out[2:])


def _conv_short(a: dict) -> str:
    ones, zeros = (1,) * len(a["kernel"]), (0,) * len(a["kernel"])
    return _short([("", a["channels"], None), ("k", a["kernel"], None), ("s", a["stride"], ones),
                   ("p", a["padding"], zeros), *([("op", a["output_padding"], zeros)] if "output_padding" in a else []),
                   ("d", a["dilation"], ones), ("g", a["groups"], 1), ("bias", a["bias"], True)])


def _conv_transpose_infer(a: dict, shape: Shape) -> Shape:
    n, c = shape[0], shape[1]
    out, g = a["channels"], a["groups"]
    _check_in(a, c, "in-channels")
    _groups_divide(c, out, g)
    k, s, p, q, d = a["kernel"], a["stride"], a["padding"], a["output_padding"], a["dilation"]
    sizes = []
    for i, (axis, size) in enumerate(zip(_AXES[len(shape) - 2], shape[2:])):
        if q[i] >= s[i] and q[i] >= d[i]:
            raise OpProblem("E0402", f"expected `output_padding` smaller than the stride ({s[i]}) or the dilation "
                                     f"({d[i]}), found {q[i]}",
                            "output_padding picks one of the `stride` output sizes a strided conv maps to the "
                            "same input size; torch refuses values that are not such a choice", arg="output_padding")
        o = (size - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + q[i] + 1
        if o < 1:
            # (n - 1)s >= 2p - d(k - 1) - q: the smallest n, in closed form.
            need = max(1, 1 - (-(2 * p[i] - d[i] * (k[i] - 1) - q[i]) // s[i]))
            raise OpProblem("E0303", f"`conv_transpose` reduces the {axis} to {o}: input {format_shape(shape)} is "
                                     f"too small for padding {p[i]} with kernel {k[i]}",
                            f"the smallest {axis} that fits this layer is {need}; use less padding or a larger kernel",
                            axis=axis)
        sizes.append(o)
    return (n, out, *sizes)


# ---------------------------------------------------------------- pools


def _pool_infer(name: str):
    def infer(a: dict, shape: Shape) -> Shape:
        k, p = a["kernel"], a["padding"]
        s = a["stride"] or k
        d = a.get("dilation") or _ones(shape)
        for arg, sizes in (("kernel", k), ("stride", s), ("padding", p), ("dilation", d)):
            if max(sizes) > INT32_MAX:
                raise OpProblem("E0402", f"expected `{arg}` of at most {INT32_MAX} in `{name}`, found {max(sizes)}",
                                "torch's pools take their sizes as 32-bit ints", arg=arg)
        for i in range(len(k)):
            # torch's pool shape checks: pad <= kernel // 2 (before dilation).
            if p[i] > k[i] // 2:
                raise OpProblem("E0307", f"expected padding at most half the kernel ({k[i] // 2}) in `{name}`, "
                                f"found padding {p[i]} with kernel {k[i]}",
                                f"use padding <= {k[i] // 2}, or a larger kernel", arg="padding")
        if name == "avgpool" and len(shape) == 5:
            _no_smaller_than_kernel(shape, k)
        return (shape[0], shape[1], *_spatial(shape, k, s, p, d, a["ceil_mode"], name))
    return infer


def _no_smaller_than_kernel(shape: Shape, k) -> None:
    """torch's 3-d average pooling (alone) refuses an input smaller than its kernel, whatever the padding."""
    for axis, n, size in zip(_AXES[3], shape[2:], k):
        if n < size:
            raise OpProblem("E0303", f"`avgpool` needs a {axis} of at least the kernel ({size}) on [N, C, D, H, W], "
                                     f"found {format_shape(shape)}",
                            f"torch's AvgPool3d refuses an input smaller than its kernel, even with padding; "
                            f"the smallest {axis} that fits this layer is {size}", axis=axis)


def _pool_short(a: dict) -> str:
    ones, zeros = (1,) * len(a["kernel"]), (0,) * len(a["kernel"])
    return _short([("k", a["kernel"], None), ("s", a["stride"] or a["kernel"], a["kernel"]),
                   ("p", a["padding"], zeros), ("d", a.get("dilation", ones), ones),
                   ("ceil_mode", a["ceil_mode"], False),
                   ("count_include_pad", a.get("count_include_pad", True), True)])


_POOL_ARGS = (
    Arg("kernel", "size", aliases=("k", "kernel_size"), doc="window size"),
    Arg("stride", "optional_size", None, aliases=("s",), doc="defaults to the kernel, as in torch"),
    Arg("padding", "padding", 0, aliases=("p",), doc="at most half the kernel"),
)
_IMAGE_RANKS = (3, 4, 5)


def _adaptive_infer(a: dict, shape: Shape) -> Shape:
    return (shape[0], shape[1], *a["size"])


def _global_infer(a: dict, shape: Shape) -> Shape:
    return (shape[0], shape[1], *_ones(shape))


# ---------------------------------------------------------------- dense layers and normalisation


def _linear_infer(a: dict, shape: Shape) -> Shape:
    _check_in(a, shape[1], "in-features")
    return (shape[0], a["features"])


def _linear_count(a: dict, shape: Shape, out: Shape) -> tuple[int, int]:
    params = shape[1] * a["features"] + (a["features"] if a["bias"] else 0)
    return params, params * batch_of(out)


# ---------------------------------------------------------------- learnable tensors (what `init` rules name)


def _bias(size: Callable[[dict, Shape], int], flag: str = "bias") -> Tensor:
    return Tensor("bias", 1, lambda a, shape: (size(a, shape),) if a[flag] else None)


def _channels(a: dict, shape: Shape) -> int:
    return shape[1]


def _out(a: dict, shape: Shape) -> int:
    return a["channels"]


_CONV_TENSORS = (Tensor("weight", None, lambda a, shape: (a["channels"], shape[1] // a["groups"], *a["kernel"])),
                 _bias(_out))
_CONV_TRANSPOSE_TENSORS = (
    Tensor("weight", None, lambda a, shape: (shape[1], a["channels"] // a["groups"], *a["kernel"])), _bias(_out))
_LINEAR_TENSORS = (Tensor("weight", 2, lambda a, shape: (a["features"], shape[1])),
                   _bias(lambda a, shape: a["features"]))
# BatchNorm, GroupNorm, InstanceNorm (with `affine`) and LayerNorm2d: a weight and a bias per channel.
_AFFINE_TENSORS = (Tensor("weight", 1, lambda a, shape: (shape[1],) if a["affine"] else None),
                   _bias(_channels, "affine"))
_LAYERNORM2D_TENSORS = (_AFFINE_TENSORS[0], Tensor("bias", 1, lambda a, shape: (shape[1],)
                                                   if a["affine"] and a["bias"] else None))
_LAYERNORM_TENSORS = (
    Tensor("weight", None, lambda a, shape: normalized_shape(a, shape) if a["affine"] else None),
    Tensor("bias", None, lambda a, shape: normalized_shape(a, shape) if a["affine"] and a["bias"] else None))
_PRELU_TENSORS = (Tensor("weight", 1, lambda a, shape: (shape[1] if a["per_channel"] else 1,)),)


def _per_sample(params: int, out: Shape) -> tuple[int, int]:
    """torchinfo's rule for a layer other than a conv: each parameter once per sample."""
    return params, params * batch_of(out)


def _affine_count(a: dict, shape: Shape, out: Shape) -> tuple[int, int]:
    return _per_sample(2 * shape[1] if a["affine"] else 0, out)


def _groupnorm_infer(a: dict, shape: Shape) -> Shape:
    c, g = shape[1], a["groups"]
    if c % g:
        raise OpProblem("E0306", f"expected `groups` to divide the channels, found groups={g} with {c} channels",
                        f"groups that divide {c}: {_common_divisors(c, c)}", arg="groups")
    return shape


def _instancenorm_infer(a: dict, shape: Shape) -> Shape:
    if math.prod(shape[2:]) == 1:
        raise OpProblem("E0313", f"expected more than one value per channel of each sample for `instancenorm`, "
                                 f"found {format_shape(shape)}",
                        "torch normalises each sample's channel over its spatial positions, and refuses a single "
                        "one while training; use it before the spatial size reaches 1")
    return shape


def _layernorm_infer(a: dict, shape: Shape) -> Shape:
    dims = a["dims"]
    if dims > len(shape) - 1:
        raise OpProblem("E0402", f"expected `dims` from 1 to {len(shape) - 1} for an input of rank {len(shape)} "
                                 f"in `layernorm`, found `{dims}`",
                        "layernorm normalises over the last `dims` dims, never over the batch", arg="dims")
    return shape


def normalized_shape(a: dict, shape: Shape) -> tuple:
    """The trailing sizes a layer norm normalises over."""
    return tuple(shape[len(shape) - a["dims"]:])


def _layernorm_count(a: dict, shape: Shape, out: Shape) -> tuple[int, int]:
    size = math.prod(normalized_shape(a, shape)) if "dims" in a else shape[1]  # layernorm2d: the channels
    tensors = (1 + a["bias"]) if a["affine"] else 0  # a weight, and a bias unless `bias=false`
    return _per_sample(size * tensors, out)


def _flatten_infer(a: dict, shape: Shape) -> Shape:
    if len(shape) < 2:
        raise OpProblem("E0304", "expected an input with a batch and at least one more dim, "
                                 f"found {format_shape(shape)}")
    start, end = _dim(a["start"], shape, "start", "flatten"), _dim(a["end"], shape, "end", "flatten")
    if start == 0:
        raise OpProblem("E0402", f"expected `start` after the batch's dim in `flatten`, found `{a['start']}`",
                        "specc keeps the batch as the first dim of every shape", arg="start")
    if start > end:
        raise OpProblem("E0402", f"expected `start` at or before `end` in `flatten`, found dim {start} after dim {end} "
                                 f"of {format_shape(shape)}", arg="start")
    return (*shape[:start], math.prod(shape[start:end + 1]), *shape[end + 1:])


def _unflatten_infer(a: dict, shape: Shape) -> Shape:
    dim = _dim(a["dim"], shape, "dim", "unflatten")
    if dim == 0:
        raise OpProblem("E0402", f"expected `dim` other than the batch's in `unflatten`, found `{a['dim']}`",
                        "specc keeps the batch as the first dim of every shape", arg="dim")
    sizes, size = a["sizes"], shape[dim]
    known = math.prod(v for v in sizes if v != -1)
    if (-1 in sizes and size % known) or (-1 not in sizes and known != size):
        raise OpProblem("E0314", f"expected `sizes` that multiply to {size} (dim {dim} of {format_shape(shape)}) "
                                 f"in `unflatten`, found {_describe(sizes)}",
                        "write -1 for one size to have it inferred", arg="sizes")
    resolved = tuple(size // known if v == -1 else v for v in sizes)
    return (*shape[:dim], *resolved, *shape[dim + 1:])


def _unflatten_short(a: dict) -> str:
    return f"{a['dim']}, ({', '.join(map(str, a['sizes']))}{',' if len(a['sizes']) == 1 else ''})"


def _same(a: dict, shape: Shape) -> Shape:
    return shape


def _softmax_infer(name: str):
    def infer(a: dict, shape: Shape) -> Shape:
        _dim(a["dim"], shape, "dim", name)
        return shape
    return infer


def _prelu_count(a: dict, shape: Shape, out: Shape) -> tuple[int, int]:
    return _per_sample(shape[1] if a["per_channel"] else 1, out)


def _celu_infer(a: dict, shape: Shape) -> Shape:
    alpha = a["alpha"]
    if alpha == 0 or abs(1 / alpha) > FLOAT32_MAX:  # torch divides by alpha, in the tensor's float32
        raise OpProblem("E0402", f"expected `alpha` of at least {1 / FLOAT32_MAX:.4g} in size in `celu`, "
                                 f"found `{alpha!r}`", "celu divides by alpha, in float32", arg="alpha")
    return shape


def _hardtanh_infer(a: dict, shape: Shape) -> Shape:
    if a["max"] <= a["min"]:
        raise OpProblem("E0402", f"expected `max` greater than `min` in `hardtanh`, found min={a['min']!r} "
                                 f"and max={a['max']!r}", arg="max")
    return shape


# ---------------------------------------------------------------- resampling and channels


_UPSAMPLE_RANKS = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "linear": (3,), "bilinear": (4,),
                   "bicubic": (4,), "trilinear": (5,)}
_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def _upsample_infer(a: dict, shape: Shape) -> Shape:
    mode, size, scale = a["mode"], a["size"], a["scale"]
    if size is None and scale is None:
        raise OpProblem("E0205", "expected `size` or `scale` in `upsample`, found neither",
                        "give the output size (`size=64`) or the factor (`scale=2`)")
    if size is not None and scale is not None:
        raise OpProblem("E0407", "expected one of `size` and `scale` in `upsample`, found both",
                        "the output size follows from either; drop one", arg="scale")
    ranks = _UPSAMPLE_RANKS[mode]
    if len(shape) not in ranks:
        want = f"rank {ranks[0]} ({_rank_words(ranks[0])})" if len(ranks) == 1 else \
            "rank 3, 4 or 5 ([N, C, L], [N, C, H, W] or [N, C, D, H, W])"
        fits = [m for m, r in _UPSAMPLE_RANKS.items() if len(shape) in r and m in _INTERPOLATING]
        raise OpProblem("E0304", f'expected an input of {want} for `upsample` with mode "{mode}", '
                                 f"found {format_shape(shape)}",
                        f'the interpolating mode for this rank is "{fits[0]}"' if fits else "", arg="mode",
                        ranks=ranks)
    if a["align_corners"] is not None and mode not in _INTERPOLATING:
        raise OpProblem("E0407", f'expected no `align_corners` with mode "{mode}", found `align_corners='
                                 f'{"true" if a["align_corners"] else "false"}`',
                        "torch takes align_corners only with the interpolating modes: "
                        + ", ".join(f'"{m}"' for m in _INTERPOLATING), arg="align_corners")
    if size is not None:
        return (shape[0], shape[1], *size)
    sizes = []
    for axis, n, factor in zip(_AXES[len(shape) - 2], shape[2:], scale):
        out = int(n * factor)  # torch: the product in double precision, truncated to an int
        if out < 1:
            need = max(1, math.ceil(1 / factor))
            need += int(need * factor) < 1  # 1 / factor rounded down in floating point
            raise OpProblem("E0303", f"`upsample` reduces the {axis} to {out}: scale {factor!r} of {n}",
                            f"the smallest {axis} that fits this layer is {need}; use a larger scale", axis=axis)
        sizes.append(out)
    return (shape[0], shape[1], *sizes)


def _upsample_short(a: dict) -> str:
    return _short([("size", a["size"], None), ("scale", a["scale"], None), ("mode", a["mode"], "nearest"),
                   ("align_corners", a["align_corners"], None)])


def _pixel_shuffle_infer(a: dict, shape: Shape) -> Shape:
    n, c, h, w = shape
    r = a["factor"]
    if c % (r * r):
        raise OpProblem("E0315", f"expected channels divisible by factor * factor = {r * r} in `pixel_shuffle`, "
                                 f"found {c}",
                        f"pixel_shuffle turns {r * r} channels into a {r} x {r} patch", arg="factor")
    return (n, c // (r * r), h * r, w * r)


def _pixel_unshuffle_infer(a: dict, shape: Shape) -> Shape:
    n, c, h, w = shape
    r = a["factor"]
    for axis, size in (("height", h), ("width", w)):
        if size % r:
            raise OpProblem("E0315", f"expected the {axis} divisible by the factor {r} in `pixel_unshuffle`, "
                                     f"found {size}", f"pixel_unshuffle turns each {r} x {r} patch into channels",
                            arg="factor")
    return (n, c * r * r, h // r, w // r)


def _center_crop_infer(a: dict, shape: Shape) -> Shape:
    size = a["size"]
    for axis, have, want in zip(_SPATIAL_NAMES[len(size)], shape[2:], size):
        if want > have:
            raise OpProblem("E0402", f"expected a crop no larger than the input in `center_crop`, found {want} "
                                     f"for a {axis} of {have}", "crop to at most the input's size; U-Net crops a "
                                     "skip to the size of the upsampled path (`center_crop(up.hw)`)", arg="size",
                            sizes=(have, want))
    return (*shape[:2], *size)


_SPATIAL_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _channel_shuffle_infer(a: dict, shape: Shape) -> Shape:
    c, g = shape[1], a["groups"]
    if c % g:
        raise OpProblem("E0306", f"expected `groups` to divide the channels, found groups={g} with {c} channels",
                        f"groups that divide {c}: {_common_divisors(c, c)}", arg="groups")
    return shape


# ---------------------------------------------------------------- the registry


def _activation(name: str, doc: str, *args: Arg, infer=_same) -> Op:
    return Op(name, args, doc, infer,
              short=lambda a: _short([(arg.name, a[arg.name], OPS[name].defaults[arg.name]) for arg in args]))


_EPS = Arg("eps", "float", 1e-5, doc="added to the variance")
_CONV_ARGS = (
    Arg("channels", "channels", aliases=("out", "out_channels"), doc="output channels"),
    Arg("kernel", "size", aliases=("k", "kernel_size")),
    Arg("stride", "size", 1, aliases=("s",)),
)

OPS: dict[str, Op] = {op.name: op for op in (
    Op("conv",
       (*_CONV_ARGS,
        Arg("padding", "conv_padding", 0, aliases=("p",), doc='an int, a tuple, "same" or "valid"'),
        Arg("dilation", "size", 1, aliases=("d",)),
        Arg("groups", "groups", 1, aliases=("g",)),
        Arg("bias", "bool", True),
        Arg("in", "optional_int", None, aliases=("in_channels",), doc="checked against inference")),
       "convolution over 1, 2 or 3 spatial dims (Conv1d/2d/3d from the input rank); in-channels come from "
       "the input", _conv_infer, _conv_count, _conv_short, ranks=_IMAGE_RANKS,
       spatial=("kernel", "stride", "padding", "dilation"), tensors=_CONV_TENSORS),
    Op("conv_transpose",
       (*_CONV_ARGS,
        Arg("padding", "padding", 0, aliases=("p",)),
        Arg("output_padding", "padding", 0, aliases=("op",), doc="smaller than the stride or the dilation"),
        Arg("groups", "groups", 1, aliases=("g",)),
        Arg("bias", "bool", True),
        Arg("dilation", "size", 1, aliases=("d",)),
        Arg("in", "optional_int", None, aliases=("in_channels",), doc="checked against inference")),
       "transposed convolution (ConvTranspose1d/2d/3d from the input rank): out = (in - 1) * stride - 2 * padding "
       "+ dilation * (kernel - 1) + output_padding + 1", _conv_transpose_infer, _conv_count, _conv_short,
       ranks=_IMAGE_RANKS, spatial=("kernel", "stride", "padding", "output_padding", "dilation"),
       tensors=_CONV_TRANSPOSE_TENSORS),
    Op("linear",
       (Arg("features", "channels", aliases=("out", "out_features")),
        Arg("in", "optional_int", None, aliases=("in_features",), doc="checked against inference"),
        Arg("bias", "bool", True)),
       "fully connected layer; in-features come from the input",
       _linear_infer, _linear_count,
       lambda a: _short([("", a["features"], None), ("bias", a["bias"], True)]), ranks=(2,),
       tensors=_LINEAR_TENSORS),
    Op("batchnorm",
       (Arg("eps", "positive_float", 1e-5, doc="added to the variance; torch needs it above 0"),
        Arg("momentum", "float", 0.1), Arg("affine", "bool", True)),
       "batch normalisation; BatchNorm1d ([N, C] or [N, C, L]), 2d or 3d from the input rank",
       _same, _affine_count,
       lambda a: _short([("eps", a["eps"], 1e-5), ("momentum", a["momentum"], 0.1), ("affine", a["affine"], True)]),
       ranks=(2, 3, 4, 5), tensors=_AFFINE_TENSORS),
    Op("groupnorm",
       (Arg("groups", "groups", aliases=("g", "num_groups"), doc="divides the channels"), _EPS,
        Arg("affine", "bool", True)),
       "group normalisation over groups of channels (any rank with channels)", _groupnorm_infer, _affine_count,
       lambda a: _short([("", a["groups"], None), ("eps", a["eps"], 1e-5), ("affine", a["affine"], True)]),
       tensors=_AFFINE_TENSORS),
    Op("instancenorm",
       (_EPS, Arg("momentum", "float", 0.1), Arg("affine", "bool", False),
        Arg("track_running_stats", "bool", False)),
       "instance normalisation; InstanceNorm1d/2d/3d from the input rank", _instancenorm_infer, _affine_count,
       lambda a: _short([("eps", a["eps"], 1e-5), ("momentum", a["momentum"], 0.1), ("affine", a["affine"], False),
                         ("track_running_stats", a["track_running_stats"], False)]), ranks=_IMAGE_RANKS,
       tensors=_AFFINE_TENSORS),
    Op("layernorm",
       (Arg("dims", "channels", 1, doc="how many trailing dims it normalises over"), _EPS,
        Arg("affine", "bool", True, aliases=("elementwise_affine",)), Arg("bias", "bool", True)),
       "layer normalisation over the last `dims` dims (their sizes come from the input)",
       _layernorm_infer, _layernorm_count,
       lambda a: _short([("dims", a["dims"], 1), ("eps", a["eps"], 1e-5), ("affine", a["affine"], True),
                         ("bias", a["bias"], True)]), tensors=_LAYERNORM_TENSORS),
    Op("layernorm2d",
       (_EPS, Arg("affine", "bool", True, aliases=("elementwise_affine",)), Arg("bias", "bool", True)),
       "layer normalisation over the channels of each position of an image, as torchvision's LayerNorm2d",
       _same, _layernorm_count,
       lambda a: _short([("eps", a["eps"], 1e-5), ("affine", a["affine"], True), ("bias", a["bias"], True)]),
       ranks=(4,), tensors=_LAYERNORM2D_TENSORS),
    Op("local_response_norm",
       (Arg("size", "channels", doc="neighbouring channels"), Arg("alpha", "float", 1e-4),
        Arg("beta", "float", 0.75), Arg("k", "float", 1.0)),
       "local response normalisation across channels (AlexNet's)", _same,
       short=lambda a: _short([("", a["size"], None), ("alpha", a["alpha"], 1e-4), ("beta", a["beta"], 0.75),
                               ("k", a["k"], 1.0)]), ranks=RANK_3_UP),
    _activation("relu", "rectified linear unit"),
    _activation("relu6", "ReLU capped at 6 (MobileNetV2)"),
    _activation("leaky_relu", "leaky ReLU: x for x >= 0, slope * x otherwise",
                Arg("slope", "scalar", 0.01, aliases=("negative_slope",))),
    _activation("elu", "exponential linear unit", Arg("alpha", "scalar", 1.0)),
    _activation("selu", "scaled exponential linear unit"),
    _activation("celu", "continuously differentiable ELU", Arg("alpha", "scalar", 1.0, doc="not 0"),
                infer=_celu_infer),
    _activation("gelu", "Gaussian error linear unit",
                Arg("approximate", "choice", "none", choices=("none", "tanh"), doc='"none" (exact) or "tanh"')),
    _activation("silu", "x * sigmoid(x), also called swish"),
    _activation("mish", "x * tanh(softplus(x))"),
    _activation("hardswish", "piecewise-linear swish (MobileNetV3)"),
    _activation("hardsigmoid", "piecewise-linear sigmoid (MobileNetV3)"),
    _activation("hardtanh", "clamps to [min, max]", Arg("min", "scalar", -1.0, aliases=("min_val",)),
                Arg("max", "scalar", 1.0, aliases=("max_val",), doc="greater than min"), infer=_hardtanh_infer),
    _activation("softplus", "smooth ReLU: log(1 + exp(beta * x)) / beta", Arg("beta", "scalar", 1.0),
                Arg("threshold", "scalar", 20.0, doc="linear above it")),
    Op("prelu",
       (Arg("per_channel", "bool", False, doc="one slope per channel, or one for all"),
        Arg("init", "scalar", 0.25, doc="the slopes' initial value")),
       "ReLU with a learned slope for negative inputs", _same, _prelu_count,
       lambda a: _short([("per_channel", a["per_channel"], False), ("init", a["init"], 0.25)]),
       tensors=_PRELU_TENSORS),
    _activation("sigmoid", "logistic sigmoid"),
    _activation("tanh", "hyperbolic tangent"),
    _activation("softmax", "softmax along `dim` (the channels by default; negative dims count from the end)",
                Arg("dim", "dim", 1), infer=_softmax_infer("softmax")),
    _activation("log_softmax", "log of softmax along `dim`", Arg("dim", "dim", 1), infer=_softmax_infer("log_softmax")),
    Op("maxpool",
       (*_POOL_ARGS, Arg("dilation", "size", 1, aliases=("d",)), Arg("ceil_mode", "bool", False, aliases=("ceil",))),
       "max pooling over 1, 2 or 3 spatial dims (MaxPool1d/2d/3d from the input rank)", _pool_infer("maxpool"),
       short=_pool_short, ranks=_IMAGE_RANKS, spatial=("kernel", "stride", "padding", "dilation")),
    Op("avgpool",
       (*_POOL_ARGS, Arg("ceil_mode", "bool", False, aliases=("ceil",)),
        Arg("count_include_pad", "bool", True)),
       "average pooling over 1, 2 or 3 spatial dims (AvgPool1d/2d/3d from the input rank)", _pool_infer("avgpool"),
       short=_pool_short, ranks=_IMAGE_RANKS, spatial=("kernel", "stride", "padding")),
    Op("adaptive_avgpool", (Arg("size", "size", aliases=("output_size",)),),
       "average pooling to a fixed output size", _adaptive_infer,
       short=lambda a: _short([("", a["size"], None)]), ranks=_IMAGE_RANKS, spatial=("size",)),
    Op("adaptive_maxpool", (Arg("size", "size", aliases=("output_size",)),),
       "max pooling to a fixed output size", _adaptive_infer,
       short=lambda a: _short([("", a["size"], None)]), ranks=_IMAGE_RANKS, spatial=("size",)),
    Op("global_avgpool", (), "average over all positions: [N, C, H, W] -> [N, C, 1, 1] (and 1d, 3d)",
       _global_infer, ranks=_IMAGE_RANKS),
    Op("global_maxpool", (), "maximum over all positions: [N, C, H, W] -> [N, C, 1, 1] (and 1d, 3d)",
       _global_infer, ranks=_IMAGE_RANKS),
    Op("upsample",
       (Arg("size", "optional_size", None, doc="the output's spatial size"),
        Arg("scale", "scale", None, aliases=("scale_factor",), doc="the factor per spatial dim (one of size, scale)"),
        Arg("mode", "choice", "nearest", choices=tuple(_UPSAMPLE_RANKS),
            doc='"nearest", "nearest-exact", "linear" (1d), "bilinear", "bicubic" (2d), "trilinear" (3d)'),
        Arg("align_corners", "optional_bool", None, doc="only for the interpolating modes")),
       "resizes the spatial dims to `size` or by `scale`", _upsample_infer, short=_upsample_short,
       ranks=_IMAGE_RANKS, spatial=("size", "scale")),
    Op("pixel_shuffle", (Arg("factor", "channels", aliases=("upscale_factor",)),),
       "[N, C*r*r, H, W] -> [N, C, H*r, W*r]", _pixel_shuffle_infer,
       short=lambda a: str(a["factor"]), ranks=(4,)),
    Op("pixel_unshuffle", (Arg("factor", "channels", aliases=("downscale_factor",)),),
       "[N, C, H*r, W*r] -> [N, C*r*r, H, W]", _pixel_unshuffle_infer,
       short=lambda a: str(a["factor"]), ranks=(4,)),
    Op("center_crop", (Arg("size", "size", doc="the output's spatial size, at most the input's"),),
       "crops the spatial dims to `size` around the centre ((in - size) // 2 dropped before), as U-Net crops "
       "its skips", _center_crop_infer, short=lambda a: _short([("", a["size"], None)]), ranks=_IMAGE_RANKS,
       spatial=("size",)),
    Op("channel_shuffle", (Arg("groups", "groups", aliases=("g",), doc="divides the channels"),),
       "interleaves the channels of `groups` groups (ShuffleNet)", _channel_shuffle_infer,
       short=lambda a: str(a["groups"]), ranks=RANK_3_UP),
    Op("flatten", (Arg("start", "dim", 1, aliases=("start_dim",)), Arg("end", "dim", -1, aliases=("end_dim",))),
       "flattens dims start..end into one: [N, ...] -> [N, product of the rest] by default", _flatten_infer,
       short=lambda a: _short([("start", a["start"], 1), ("end", a["end"], -1)])),
    Op("unflatten", (Arg("dim", "dim"), Arg("sizes", "sizes", doc="multiply to the dim's size; one may be -1")),
       "splits one dim into several: unflatten(1, [16, 7, 7]) turns [N, 784] into [N, 16, 7, 7]",
       _unflatten_infer, short=_unflatten_short),
    Op("dropout", (Arg("p", "probability", 0.5),), "randomly zeroes elements while training",
       _same, short=lambda a: _short([("", a["p"], None)])),
    Op("dropout2d", (Arg("p", "probability", 0.5),), "randomly zeroes whole channels of [N, C, H, W] while training",
       _same, short=lambda a: _short([("", a["p"], None)]), ranks=(4,)),
    Op("dropout3d", (Arg("p", "probability", 0.5),),
       "randomly zeroes whole channels of [N, C, D, H, W] while training",
       _same, short=lambda a: _short([("", a["p"], None)]), ranks=(5,)),
    Op("stochastic_depth",
       (Arg("p", "probability", doc="the probability of dropping"),
        Arg("mode", "choice", "row", choices=("row", "batch"), doc='"row": per sample; "batch": all at once')),
       "drops its whole input while training (torchvision's StochasticDepth), for a residual branch",
       _same, short=lambda a: _short([("", a["p"], None), ("mode", a["mode"], "row")])),
    Op("identity", (), "passes its input through", _same),
)}

# Combinators are statements (`concat:`, `add:`, `mul:`, `chunk n:`, `split s:`), not ops; listed for messages.
COMBINATORS = ("concat", "add", "mul", "chunk", "split")
