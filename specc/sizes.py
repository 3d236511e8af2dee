"""Valid input sizes: each row's sizes as expressions of symbolic input sizes, and the inputs that fit.

    model UNet:
        input 1 x H x W
        ...

    sizes = describe(program, definition, overrides, ("N", 1, "H", "W"))
    sizes.axes["H"].valid.text("H")      # "H % 16 == 0"   (and sizes.axes["H"].valid.smallest == 16)
    sizes.rows[3]                        # ("N", 64, "H/2", "W/2"): row 3 of `ir.walk`, as expressions

Every spatial rule of specc (a window's `floor((n + 2p - d(k-1) - 1)/s) + 1`,
ceil mode, transposed convolutions, upsampling, pixel (un)shuffle, crops,
adaptive pools) maps a size to a floor-affine function of it, and so does any
chain of them: a row's size along an axis is `f(S + P) = f(S) + σP` for the
input size S, a period P (the strides on the way, `_period`) and a rational
slope σ. The constraints (every size at least 1, windows that fit, joins whose
branches agree, crops that fit, sizes a factor divides) are then, from some
threshold on, a set of residues of S modulo P.

Rather than a second set of shape rules, the engine runs the one elaborator at
representative sizes (`elaborate.Search.trial`), one axis at a time, the others
held at a valid size: S = 1, 2, 3, ... until the outcomes over the last two
periods show that nothing changes any more (`_settled`): at each residue the
model elaborates at both sizes, or stops at the same error for the same reason
(the same message; a join whose branches differ by the same amount; a size a
factor does not divide). A join whose branches grow apart may still agree once
ahead: that size is tried too (`_crossing`). Each row's sizes on the valid
inputs are then fitted by an expression (`size_notation.fit`), checked at further
sizes and at combinations of the axes (`_verify`); a model whose sizes do not
fit that description (a size read into an `if`, `in.h ** 2`) is E0331.

The notation of the sizes is `size_notation.py`'s; the constraints read
`H >= 32`, `H % 32 == 0`, `H % 4 in {1, 3}`, `H in {5, 6}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Any, Optional, Union

from . import naming
from .dag import build as build_dag
from .diagnostics import SpecError
from .elaborate import Draft, Search, SearchOver
from .ir import Graph, walk
from .limits import LIMITS
from .size_notation import Expression, atomic, evaluate_text, fit, sample_text
from .resolve import Program
from .syntax import ast


@dataclass(frozen=True)
class Rows:
    """What one trial elaboration gave: each row's out shape in `ir.walk` order, the model's output
    last; and the structure (each row's kind, and op or class), equal at every valid size or E0331."""

    shapes: tuple
    structure: tuple

    @staticmethod
    def of(draft: Draft) -> "Rows":
        """From the draft, unnamed: naming keeps the rows in order (`ir.walk` walks drafts too), and
        naming every trial would cost a third of it."""
        rows = [row.node for row in walk(draft.body)]
        return Rows(tuple([tuple(n.out_shape) for n in rows] + [tuple(draft.output)]),
                    tuple((n.kind, getattr(n, "op", None) or getattr(n, "cls", "")) for n in rows))


# ---------------------------------------------------------------- the description


@dataclass(frozen=True)
class Valid:
    """The valid sizes along one axis: `below` (sizes under the threshold), every size from `threshold` on
    whose residue modulo `period` is in `residues`, and `above` (sizes past the threshold where branches
    growing apart happen to agree)."""

    threshold: int
    period: int
    residues: tuple[int, ...]
    below: tuple[int, ...] = ()
    above: tuple[int, ...] = ()

    def __contains__(self, size: int) -> bool:
        if size < self.threshold:
            return size in self.below
        return size % self.period in self.residues or size in self.above

    @property
    def smallest(self) -> Optional[int]:
        if self.below:
            return self.below[0]
        periodic = [self.threshold + (r - self.threshold) % self.period for r in self.residues]
        return min(periodic + list(self.above), default=None)

    def within(self, low: int, high: int) -> list[int]:
        """The valid sizes from `low` to `high`, both included."""
        return [size for size in range(max(low, 1), high + 1) if size in self]

    def text(self, name: str) -> str:
        """`H >= 32 and H % 32 == 0`, `H % 4 in {1, 3}`, `H in {5, 6}`; "no size" when none."""
        parts = []
        if self.residues:
            # `H >= t` only where the threshold leaves out a size the residues alone would let in.
            cut = any((r or self.period) < self.threshold for r in self.residues)
            terms = [f"{name} >= {self.threshold}"] if cut else []
            if len(self.residues) == 1 and self.period > 1:
                terms.append(f"{name} % {self.period} == {self.residues[0]}")
            elif len(self.residues) < self.period:
                terms.append(f"{name} % {self.period} in {{{', '.join(map(str, self.residues))}}}")
            parts.append(" and ".join(terms) or f"{name} >= 1")
        single = self.below + self.above
        if single:
            parts.append(f"{name} in {{{_listed(single)}}}" if len(single) > 1 else f"{name} == {single[0]}")
        return " or ".join(parts) or "no size"


def _listed(sizes: tuple[int, ...], most: int = 12) -> str:
    shown = [str(s) for s in sizes[:most]]
    return ", ".join(shown + (["..."] if len(sizes) > most else []))


@dataclass(frozen=True)
class Axis:
    name: str
    index: int  # in the input shape, batch first
    valid: Valid
    period: int  # the period of every row's size along it (a multiple of the least one)


@dataclass(frozen=True)
class Sizes:
    """An input with symbolic sizes, described: the input as written (`("N", 3, "H", "W")`), each axis's
    valid sizes, each row's out shape in `ir.walk` order with expressions for the sizes that vary, the
    model's output the same way, and the smallest valid input (where the graph is elaborated)."""

    pattern: tuple
    axes: dict[str, Axis]
    rows: tuple[tuple, ...]
    output: tuple
    smallest_input: tuple
    trials: int = 0

    def constraints(self) -> list[str]:
        return [axis.valid.text(name) for name, axis in self.axes.items()]


# ---------------------------------------------------------------- entry point


def describe(program: Program, definition: ast.ModelDef, overrides: dict, pattern: tuple,
             steps=None) -> Sizes:
    """Describe the model's sizes for the input `pattern` (sizes that are names are symbolic)."""
    engine = _Engine(program, definition, overrides, pattern)
    try:
        return engine.run()
    except SearchOver:
        raise engine.problem("E0332", f"expected to find the valid input sizes of `{definition.name}` within "
                             f"{LIMITS['sizes_trials']:,} trial elaborations and {LIMITS['sizes_steps']:,} steps, "
                             "found no answer in time",
                             "give the input's sizes as numbers (or --input 3x224x224) to elaborate it once")


class _Engine:
    def __init__(self, program: Program, definition: ast.ModelDef, overrides: dict, pattern: tuple) -> None:
        self.definition, self.pattern = definition, tuple(pattern)
        self.search = Search(program, definition, overrides, steps=LIMITS["sizes_steps"],
                             made=LIMITS["sizes_layers"], what="finding the valid input sizes")
        self.names = [(i, d) for i, d in enumerate(self.pattern) if isinstance(d, str) and i > 0]
        self.trials = 0
        self.memo: dict[tuple, Union[Rows, SpecError]] = {}
        self.fitted: dict[tuple, Optional[Expression]] = {}

    # -- trials

    def outcome(self, values: dict[str, int]) -> Union[Rows, SpecError]:
        """The rows' out shapes (with a signature of the structure) at these sizes, or the error."""
        given = self._given(values)
        if given in self.memo:
            return self.memo[given]
        self.trials += 1
        if self.trials > LIMITS["sizes_trials"]:
            raise SearchOver
        result = self.search.trial(given)
        if not isinstance(result, SpecError):
            result = Rows.of(result)
        self.memo[given] = result
        return result

    def problem(self, code: str, message: str, help: str) -> SpecError:
        stmt = next((s for s in self.definition.body if s.kind == "input"), None)
        where = stmt.where if stmt is not None else self.definition.name_span.to_diagnostic()
        return SpecError(code, message, where, label="the symbolic input", help=help)

    # -- the whole

    def run(self) -> Sizes:
        base, graph = self._base()
        # A declared op's rule may divide a size by anything (`in.h // 3`): its period is unknown, so the
        # description is tried with the periods multiplied by 2, 3, ... until one holds everywhere.
        declared = any(row.node.kind == "layer" and row.node.declared is not None for row in walk(graph.body))
        # Two periods of samples, then four: a flatten of an S x S input multiplies two sizes of S, which
        # the samples of two periods may take for one rounding; `_verify` sees that it is not.
        tries = [(times, periods) for times in (_PERIOD_TIMES if declared else (1,)) for periods in (2, 4)]
        for times, periods in tries[:-1]:
            try:
                return self._describe(base, graph, times, periods)
            except SpecError as error:
                if error.code != "E0331":
                    raise
        return self._describe(base, graph, *tries[-1])

    def _describe(self, base: dict, graph: Graph, times: int, periods: int) -> Sizes:
        axes = {}
        samples = {}
        mirror = _square(self.pattern, base, graph)
        for index, name in self.names:
            if mirror and index == 3 and _spatial_only(samples[self.pattern[2]]):
                # the width is the height's mirror image: no second scan
                axes[name] = Axis(name, index, axes[self.pattern[2]].valid, axes[self.pattern[2]].period)
                samples[name] = {size: tuple(_swapped(shape) for shape in rows)
                                 for size, rows in samples[self.pattern[2]].items()}
                continue
            period = _period(graph, index) * times
            if period > LIMITS["sizes_period"]:
                raise self.problem("E0331", f"expected the sizes along `{name}` to repeat within "
                                   f"{LIMITS['sizes_period']:,} input sizes, found a period of {period:,}",
                                   "the strides and scales on the way multiply to this; give numbers instead")
            valid, seen = self._scan(base, name, period, periods)
            axes[name] = Axis(name, index, valid, period)
            samples[name] = seen
        smallest = {name: axis.valid.smallest for name, axis in axes.items()}
        if None in smallest.values():
            bad = next(name for name, size in smallest.items() if size is None)
            raise self.problem("E0332", f"expected some size of `{bad}` at which `{self.definition.name}` "
                               "elaborates, found none", "the error at a numeric size shows why: try --input")
        rows, output = self._expressions(base, axes, samples)
        self._verify(axes, rows, output, base)
        return Sizes(self.pattern, axes, rows, output, self._given(smallest), self.trials)

    def _base(self) -> tuple[dict[str, int], Graph]:
        """A valid size for every axis at once: equal sizes (powers of two, then every size up), and from
        each power of two, the axis an error names moved up one size at a time (H and W may need sizes of
        different residues)."""
        for size in _BASE_SIZES:
            result = self.outcome({name: size for _, name in self.names})
            if not isinstance(result, SpecError):
                return self._found({name: size for _, name in self.names})
            if not _depends_on_size(result):
                raise result  # wrong at any size: the error itself says what to do
        for size in _WALK_FROM:
            values = {name: size for _, name in self.names}
            for _ in range(_BASE_WALK):
                result = self.outcome(values)
                if not isinstance(result, SpecError):
                    return self._found(values)
                name = self._axis_of(result)
                if name is None:
                    break
                values[name] += 1
        names = ", ".join(n for _, n in self.names)
        example = self.outcome({name: 32 for _, name in self.names})
        raise self.problem("E0332", f"expected some input size at which `{self.definition.name}` elaborates, "
                           f"found none (equal sizes along {names}, powers of two up to {_BASE_SIZES[14]:,} and "
                           f"every size up to {_BASE_SIZES[-1]}, and from {', '.join(map(str, _WALK_FROM))} each "
                           f"axis an error names up to {_BASE_WALK} sizes further)",
                           f"at {' = '.join(n for _, n in self.names)} = 32, for one, it stops at "
                           f"error[{example.code}]: {example.message}")

    def _found(self, values: dict) -> tuple[dict[str, int], Graph]:
        return values, naming.assign(self.search.trial(self._given(values)))

    def _axis_of(self, error: SpecError) -> Optional[str]:
        """The symbolic axis an image's error names (a size reaching zero, a join), if it is one."""
        index = {"height": 2, "width": 3}.get(error.axis or "") if len(self.pattern) == 4 else None
        return self.pattern[index] if index is not None and isinstance(self.pattern[index], str) else None

    def _given(self, values: dict) -> tuple:
        return tuple(values.get(d, d) if isinstance(d, str) and i > 0 else d for i, d in enumerate(self.pattern))

    # -- one axis

    def _scan(self, base: dict, name: str, period: int, periods: int) -> tuple[Valid, dict[int, tuple]]:
        """Sizes 1, 2, ... along `name` (the others at `base`), at least `periods` periods of them, until the
        last two show the pattern settled."""
        outcomes: dict[int, Union[Rows, SpecError]] = {}
        extra: dict[int, Union[Rows, SpecError]] = {}
        size = 0
        while True:
            size += 1
            outcomes[size] = self.outcome({**base, name: size})
            if size >= periods * period and self._settled(outcomes, size, period, base, name, extra):
                break
        ok = {s for s, o in outcomes.items() if not isinstance(o, SpecError)}
        threshold = size - period + 1
        while threshold > 1 and ((threshold - 1) in ok) == ((threshold - 1 + period) in ok):
            threshold -= 1
        residues = sorted({s % period for s in range(threshold, threshold + period) if s in ok})
        above = tuple(sorted(s for s, o in extra.items() if not isinstance(o, SpecError)))
        valid = _reduced(Valid(threshold, period, tuple(residues), tuple(s for s in sorted(ok) if s < threshold),
                               above))
        found = {s: o for s, o in {**outcomes, **extra}.items() if not isinstance(o, SpecError)}
        if base[name] not in valid and base[name] <= size:  # the scan contradicts the size it started from
            raise self.problem("E0331", f"expected `{name}` = {base[name]} to be valid, as it was, found it "
                               "left out", "the model's sizes are no floor-affine function of the input's: "
                               "give numbers")
        first = min(found, default=None)
        for at, rows in found.items():
            if rows.structure != found[first].structure:
                raise self.problem("E0331", f"expected the same layers at every valid size of `{name}`, found "
                                   f"others at {name} = {at} than at {name} = {first}",
                                   "a size read into an `if` or a loop changes the model: give numbers")
        return valid, {at: rows.shapes for at, rows in found.items()}

    def _settled(self, outcomes: dict, end: int, period: int, base: dict, name: str, extra: dict) -> bool:
        """Whether the outcomes of the last period repeat those of the one before, for good."""
        for size in range(end - period + 1, end + 1):
            now, before = outcomes[size], outcomes[size - period]
            now_ok, before_ok = not isinstance(now, SpecError), not isinstance(before, SpecError)
            if now_ok != before_ok:
                return False
            if now_ok:
                continue
            if (now.code, now.span) != (before.code, before.span):
                return False
            if now.message == before.message and now.code not in _GROWING or now.code == "E0315":
                continue  # nothing grew on the way to the error; a factor's divisibility repeats with the period
            if now.sizes is None or before.sizes is None:
                return False
            gap, gap_before = now.sizes[0] - now.sizes[1], before.sizes[0] - before.sizes[1]
            step = gap - gap_before
            if now.code == "E0402":  # a crop: it fits once the input grows past it
                if step > 0:
                    return False
                continue
            crossing = _crossing(gap, step)
            if crossing is not None:  # branches growing apart agree once, `crossing` periods on
                at = size + crossing * period
                if at not in extra:
                    extra[at] = self.outcome({**base, name: at})
        return True

    # -- expressions

    def _expressions(self, base: dict, axes: dict[str, Axis], samples: dict) -> tuple[tuple, tuple]:
        """Each row's out shape with each size that varies along an axis written as its expression."""
        reference = self.outcome(base).shapes
        per_axis = {name: self._fit_axis(reference, samples[name], axes[name]) for name in axes}
        rows: list[tuple] = []
        for position, shape in enumerate(reference):
            dims = []
            for dim, value in enumerate(shape):
                fitted = {name: per_axis[name][position][dim] for name in axes}
                varying = [name for name, f in fitted.items() if f is not None]
                if not varying:
                    dims.append(value)
                elif len(varying) == 1 and isinstance(fitted[varying[0]], Expression):
                    dims.append(fitted[varying[0]].text)
                else:  # several axes, or no rounding of one: a product of sizes (`flatten`), or E0331
                    dims.append(self._product(value, rows, reference, fitted))
            rows.append(tuple(dims))
        return tuple(rows[:-1]), rows[-1]

    def _fit_axis(self, reference: tuple, seen: dict[int, tuple], axis: Axis) -> list[list[Any]]:
        """Along one axis, for each row and dim: its expression, None where the size does not vary, or the
        sizes (a dict) where no expression fits them."""
        fitted = []
        for position, shape in enumerate(reference):
            dims = []
            for dim in range(len(shape)):
                values = {size: shapes[position][dim] for size, shapes in seen.items()}
                dims.append(None if len(set(values.values())) == 1 else self._fit(values, axis))
            fitted.append(dims)
        return fitted

    def _fit(self, values: dict[int, int], axis: Axis) -> Union[Expression, dict]:
        key = (axis.name, tuple(values.items()))  # rows at one resolution share their sizes: fitted once
        if key not in self.fitted:
            self.fitted[key] = fit(values, axis.period, axis.name)
        return self.fitted[key] or values

    def _product(self, value: int, rows: list, reference: tuple, fitted: dict) -> str:
        """A size that varies along several axes, or with the square of one (flatten's features): the product
        of an earlier row's sizes, `64*(H/4)*(W/4)`; `_verify` checks it at other sizes."""
        for position in range(len(rows) - 1, -1, -1):
            shape, written = reference[position], rows[position]
            for start in range(1, len(shape)):
                if _product_of(shape[start:]) == value and sum(isinstance(d, str) for d in written[start:]) > 1:
                    return "*".join(f"({d})" if isinstance(d, str) and not atomic(d) else str(d)
                                    for d in written[start:])
        unfit = next(((name, f) for name, f in fitted.items() if isinstance(f, dict)), None)
        if unfit is not None:
            raise self.problem("E0331", f"expected each size to be a floor-affine function of `{unfit[0]}`, "
                               f"found sizes {sample_text(unfit[1])}",
                               "a declared op's shape rule or a size computed from `in.h` may do this: give numbers")
        names = [name for name, f in fitted.items() if f is not None]
        raise self.problem("E0331", f"expected each size to depend on one of {', '.join(names)}, or to multiply "
                           f"sizes that do (as `flatten` does), found one that depends on {' and '.join(names)}",
                           "give the input's sizes as numbers")

    # -- checks

    def _verify(self, axes: dict[str, Axis], rows: tuple, output: tuple, base: dict) -> None:
        """Elaborate at sizes past the scanned ones, and at mixed sizes of the axes: the description holds."""
        names = list(axes)
        structure = self.outcome(base).structure
        for step in _VERIFY_STEPS:
            values = {name: _far(axes[name].valid, step) for name in names}
            if len(names) > 1:  # mixed sizes, so that a size depending on two axes is seen at unequal ones
                last = names[-1]
                values[last] = next((s for s in range(values[last] + 1, values[last] + 64)
                                     if s in axes[last].valid), values[last])
            self._check_at(values, structure, rows, output)

    def _check_at(self, values: dict, structure: tuple, rows: tuple, output: tuple) -> None:
        result = self.outcome(values)
        at = ", ".join(f"{name} = {size}" for name, size in values.items())
        if isinstance(result, SpecError) and result.code == "E0405":
            return  # one of specc's limits (a flatten of 16 million features), not a size that does not fit
        if isinstance(result, SpecError):
            raise self.problem("E0331", f"expected `{self.definition.name}` to elaborate at {at}, which its "
                               f"sizes say is valid, found error {result.code}: {result.message}",
                               "its sizes are no floor-affine function of the input's: give numbers")
        if result.structure != structure:
            raise self.problem("E0331", f"expected the same layers at every valid size, found others at {at}",
                               "a size read into an `if` or a loop changes the model: give numbers")
        expected = [*rows, output]
        known: dict[Any, Any] = {}
        for shape, want in zip(result.shapes, expected):
            for value, written in zip(shape, want):
                if written not in known:
                    known[written] = evaluate_text(written, values)
                if known[written] != value:
                    raise self.problem("E0331", f"expected a size of {written} = {evaluate_text(written, values)} "
                                       f"at {at}, found {value}",
                                       "its sizes are no floor-affine function of each input size (a custom "
                                       "layer's rule, a size computed from `in.h`), or its axes depend on each "
                                       "other: give numbers")


# Where `_verify` checks the description, in periods past the scanned sizes: near, and far (the largest
# near 4,096 input sizes, where a size read into an `if` would most likely show).
_VERIFY_STEPS = (3, 7, 31, 4096)


_PERIOD_TIMES = (1, 2, 3, 4, 5, 6, 7, 8)  # the multiples of the strides' period tried with declared ops
# Errors about a size too small, which a larger input may cure however alike their messages read
# (a declared op's rule may not show the size it computed).
_GROWING = ("E0303", "E0313")


def _far(valid: Valid, step: int) -> int:
    """A valid size `step` periods past everything the scan saw (the largest valid one if they are few)."""
    if not valid.residues:
        return max(valid.below + valid.above)
    start = max(valid.threshold, max(valid.above, default=0) + 1)
    far = start + step * valid.period if step < 100 else max(start + valid.period, step)
    return next(s for s in range(far, far + valid.period + 1) if s in valid)


def _square(pattern: tuple, base: dict, graph: Graph) -> bool:
    """Whether an image model treats height and width alike, so that the width's scan would mirror the
    height's: both symbolic, held at one size, and every layer's per-axis arguments equal on both axes
    (no declared op, whose rule may read either). `_verify` checks the result at unequal sizes."""
    if len(pattern) != 4 or not all(isinstance(d, str) for d in pattern[2:]) or len(set(base.values())) != 1:
        return False
    for row in walk(graph.body):
        node = row.node
        if node.kind != "layer":
            continue
        if node.declared is not None or any(isinstance(v, (tuple, list)) and len(set(map(repr, v))) > 1
                                            for v in node.args.values()):
            return False
    return True


def _spatial_only(samples: dict[int, tuple]) -> bool:
    """Whether the height changes only images' heights (and flattened sizes), not channels (`conv(in.h)`)."""
    shapes = list(samples.values())
    return all(len({rows[i][1] for rows in shapes}) == 1 for i, row in enumerate(shapes[0]) if len(row) == 4)


def _swapped(shape: tuple) -> tuple:
    """An image's shape with its height and width exchanged (other ranks as they are)."""
    return (*shape[:2], shape[3], shape[2]) if len(shape) == 4 else shape


def _product_of(sizes) -> Optional[int]:
    result = 1
    for size in sizes:
        if not isinstance(size, int):
            return None
        result *= size
    return result


# The equal sizes `_base` tries first for every axis: powers of two, then every size up to 127; then
# from a few powers of two, `_BASE_WALK` sizes up along the axis each error names.
_BASE_SIZES = [1 << k for k in range(15)] + [n for n in range(3, 128) if n & (n - 1)]
_WALK_FROM = (1, 2, 4, 8, 32, 128)
_BASE_WALK = 64


def _depends_on_size(error: SpecError) -> bool:
    """Whether an error may go away at another input size (a size, a join, a crop, a factor)."""
    return error.code in ("E0301", "E0302", "E0303", "E0315", "E0402", "E0307", "E0314", "E0305")


def _crossing(gap: int, step: int) -> Optional[int]:
    """How many periods on a gap changing by `step` per period reaches zero, if it does (a whole number)."""
    if step == 0 or (-gap) % step or -gap // step <= 0:
        return None
    return -gap // step


def _reduced(valid: Valid) -> Valid:
    """The same set with the least period, and the threshold as low as the pattern holds."""
    period, residues = valid.period, set(valid.residues)
    for p in sorted(d for d in range(1, period + 1) if period % d == 0):
        if all(((r % p) in {x % p for x in residues}) == (r in residues) for r in range(period)):
            return Valid(valid.threshold, p, tuple(sorted({r % p for r in residues})), valid.below, valid.above)
    return valid


# ---------------------------------------------------------------- periods


def _period(graph: Graph, index: int) -> int:
    """A period of every row's size along the input's axis `index`: the lcm over the rows of the product
    of the strides (and scale denominators, unshuffle factors) on the way from the input to them."""
    spatial = index - 2
    dag = build_dag(graph)
    periods: dict[str, int] = {}
    whole = 1
    for node in dag.nodes:
        before = 1
        for read in node.reads:
            before = lcm(before, periods.get(read.source, 1))
        own = _factor(node.ir, spatial) if node.kind == "layer" else 1
        periods[node.id] = before * own
        whole = lcm(whole, periods[node.id])
    return whole


def _factor(layer, spatial: int) -> int:
    """How many input sizes one step of the layer's output spans along a spatial axis (its period)."""
    args = layer.args
    op = layer.op
    if "stride" in args and op not in _AFFINE:  # a window steps by its stride (a pool's is its kernel's)
        stride = args["stride"] or args.get("kernel")
        return _at(stride, spatial) if stride else 1
    if op == "pixel_unshuffle":
        return args["factor"]
    if op == "upsample" and args.get("scale") is not None:
        return Fraction(_at(args["scale"], spatial)).denominator
    return 1


_AFFINE = ("conv_transpose",)  # ops with a stride that multiplies: (n - 1)s + ..., no rounding


def _at(value, spatial: int):
    if isinstance(value, (list, tuple)):
        return value[spatial] if spatial < len(value) else value[-1]
    return value
