"""The notation of symbolic sizes: a row's sizes written as the simplest expression of the input's
size that gives them (`fit`), and read back exactly (`evaluate_text`).

    fit({16: 8, 32: 16, 48: 24}, 16, "H")              # Expression(text="H/2", slope=Fraction(1, 2))
    evaluate_text("floor((H + 1)/4) - 2", {"H": 64})   # 14

ASCII, as a spec writes arithmetic (README, "Valid input sizes"): `/` is exact
where it stands (the valid sizes are multiples), `floor`/`ceil` round:
`H/32`, `ceil(H/2)`, `floor((H - 1)/2)`, `2*H + 2`, and `H/4 + [0, 1, 1, 2][H % 4]`
when no single rounding fits. `sizes.py` finds the sizes; this module only
writes and reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Any, Optional


@dataclass(frozen=True)
class Expression:
    """A row's size along one axis as a function of the input's size S there, exact on the valid sizes:
    `text` in the notation above, which `evaluate_text` reads back; `slope` its growth per input size."""

    text: str
    slope: Fraction


def atomic(text: str) -> bool:
    """Whether a product may take `text` without brackets: a name, or one call `ceil(H/2)`."""
    if all(c.isalnum() or c == "_" for c in text):
        return True
    if not text.startswith(("floor(", "ceil(")):
        return False
    depth = 0
    for i, c in enumerate(text):
        depth += (c == "(") - (c == ")")
        if depth == 0 and c == ")":
            return i == len(text) - 1
    return False


# ---------------------------------------------------------------- writing


def fit(values: dict[int, int], period: int, name: str) -> Optional[Expression]:
    """The simplest expression equal to `values` (size -> row size) at every size given: exact division
    `(a*S + b)/d`, then `floor((a*S + b)/d)` (or `ceil`), then a table by residue; None if none fits
    (the values do not repeat with the period)."""
    sizes = sorted(values)
    slope = _slope(values, period)
    if slope is None:
        return None
    a, d = slope.numerator, slope.denominator
    offsets = {d * values[s] - a * s for s in sizes}
    if len(offsets) == 1:
        return Expression(_affine(a, offsets.pop(), d, name), slope)
    rounded = _floor_fit(values, slope, name)
    if rounded is not None:
        return Expression(rounded, slope)
    # Sizes that step by m (an up-convolution after pools: the unpadded U-Net's output is
    # 16*floor((H - 124)/16) - 60): m times a rounding, plus a constant.
    m = 0
    for s in sizes:
        m = gcd(m, values[s] - values[sizes[0]])
    c = values[sizes[0]] % m if m > 1 else 0
    if m > 1:
        inner = _floor_parts({s: (v - c) // m for s, v in values.items()}, slope / m, name)
        if inner is not None:
            return Expression(_plus(f"{m}*{inner[0]}", m * inner[1] + c), slope)
    return Expression(_table(values, period, slope, name), slope)


def _floor_fit(values: dict[int, int], slope: Fraction, name: str) -> Optional[str]:
    """floor((a*S + b)/d) for the slope a/d, if some b gives every value."""
    parts = _floor_parts(values, slope, name)
    return None if parts is None else _plus(*parts)


def _floor_parts(values: dict[int, int], slope: Fraction, name: str) -> Optional[tuple[str, int]]:
    """`_floor_fit` as the rounding and the whole number added to it."""
    a, d = slope.numerator, slope.denominator
    low = max(d * v - a * s for s, v in values.items())
    high = min(d * v - a * s + d - 1 for s, v in values.items())
    return _rounded(a, low, high, d, name) if low <= high else None


def _slope(values: dict[int, int], period: int) -> Optional[Fraction]:
    slopes = {Fraction(values[s + period] - values[s], period) for s in values if s + period in values}
    if len(slopes) > 1:
        return None
    if slopes:
        return slopes.pop()
    sizes = sorted(values)  # one size per residue class: the two extremes give it
    return Fraction(values[sizes[-1]] - values[sizes[0]], sizes[-1] - sizes[0]) if len(sizes) > 1 else Fraction(0)


def _term(a: int, name: str) -> str:
    return name if a == 1 else f"-{name}" if a == -1 else f"{a}*{name}"


def _plus(text: str, b: int) -> str:
    return text if b == 0 else f"{text} + {b}" if b > 0 else f"{text} - {-b}"


def _affine(a: int, b: int, d: int, name: str) -> str:
    """(a*S + b)/d, exact: `H/32`, `2*H + 2`, `(H - 4)/2 + 1` written with the whole part outside."""
    if d == 1:
        return _plus(_term(a, name), b)
    whole, rest = divmod(b, d)
    if rest == 0:
        return _plus(f"{_term(a, name)}/{d}", whole)
    return _plus(f"({_plus(_term(a, name), rest)})/{d}", whole) if whole else f"({_plus(_term(a, name), b)})/{d}"


def _rounded(a: int, low: int, high: int, d: int, name: str) -> tuple[str, int]:
    """floor((a*S + b)/d) for any b in [low, high], as (rounding, whole number added): the simplest,
    `ceil` where it reads better."""
    candidates = []
    for b in range(low, high + 1):
        whole, rest = divmod(b, d)
        if rest == 0:
            candidates.append((0, f"floor({_term(a, name)}/{d})", whole))
        elif rest == d - 1:
            candidates.append((0, f"ceil({_term(a, name)}/{d})", whole))
        else:
            candidates.append((1, f"floor(({_plus(_term(a, name), rest)})/{d})", whole))
    best = min(candidates, key=lambda c: (c[0], len(_plus(c[1], c[2]))))
    return best[1], best[2]


def _table(values: dict[int, int], period: int, slope: Fraction, name: str) -> str:
    """`H/4 + [0, 1, 1, 2][H % 4]`: the exact form when no single rounding fits."""
    offsets = {}
    for s in sorted(values):
        offsets.setdefault(s % period, values[s] - slope * s)
    cells = ", ".join(str(offsets.get(r, "?")) for r in range(period))  # `?`: a residue of no valid size
    return f"{_affine(slope.numerator, 0, slope.denominator, name)} + [{cells}][{name} % {period}]"


def sample_text(values: dict[int, int]) -> str:
    return ", ".join(f"{v} at {s}" for s, v in list(sorted(values.items()))[:4]) + ", ..."


# ---------------------------------------------------------------- reading the notation back


def evaluate_text(written: Any, values: dict[str, int]) -> Any:
    """The value of a size as `Sizes` writes it (an int, "N", or an expression of the axes' names)."""
    if not isinstance(written, str) or written == "N":
        return written
    return _Reader(written, values).value()


class _Reader:
    """A reader of the notation, exactly (Fractions), for the checks and the tests: no `eval`."""

    def __init__(self, text: str, values: dict[str, int]) -> None:
        import re

        self.tokens = re.findall(r"\d+|[A-Za-z_]\w*|[-+*/%()\[\],?]", text)
        self.at, self.values = 0, values

    def value(self) -> Any:
        result = self.sum()
        if self.at != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.at]!r}")
        return int(result) if result.denominator == 1 else result

    def peek(self) -> Optional[str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        self.at += 1
        return self.tokens[self.at - 1]

    def sum(self) -> Fraction:
        result = self.product()
        while self.peek() in ("+", "-"):
            result = result + self.product() if self.take() == "+" else result - self.product()
        return result

    def product(self) -> Fraction:
        result = self.unary()
        while self.peek() in ("*", "/", "%"):
            op, right = self.take(), self.unary()
            result = result * right if op == "*" else result / right if op == "/" else result % right
        return result

    def unary(self) -> Fraction:
        if self.peek() == "-":
            self.take()
            return -self.unary()
        return self.atom()

    def atom(self) -> Optional[Fraction]:
        token = self.take()
        if token == "(":
            result = self.sum()
            self.take()
        elif token in ("floor", "ceil"):
            self.take()
            inner = self.sum()
            self.take()
            result = Fraction(inner.numerator // inner.denominator)
            if token == "ceil":
                result = Fraction(-((-inner.numerator) // inner.denominator))
        elif token == "[":
            items = [self.sum()]
            while self.take() == ",":
                items.append(self.sum())
            self.take()  # "["
            index = self.sum()
            self.take()
            return items[int(index)]
        elif token == "?":
            return None
        elif token.isdigit():
            result = Fraction(int(token))
        else:
            result = Fraction(self.values[token])
        return result
