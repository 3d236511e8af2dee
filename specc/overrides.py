"""Command-line values: `--set name=value` overrides and `--input [N x] C x H x W` shapes.

    parse_set(["ratio=4", "arch=[(1, 64), (2, 128)]"])   # {"ratio": 4, "arch": [(1, 64), (2, 128)]}
    parse_input("8 x 1 x 28 x 28")                       # (8, 1, 28, 28)
    parse_input("N x 3 x 100")                           # ("N", 3, 100)
    parse_input("3 x H x W")                             # (3, "H", "W"): symbolic sizes

Values are spec expressions (so lists, tuples, `true` work as in a spec),
evaluated with no variables in scope.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from .diagnostics import SpecError
from .expr import Env, evaluate
from .syntax.parse import parse_text

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIGITS = re.compile(r"[0-9]{1,16}")


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not _NAME.fullmatch(name):
            raise SpecError("E0501", f"expected `--set NAME=VALUE`, found `--set {item}`",
                            help="for example: --set ratio=4 or --set 'arch=[(1, 64), (2, 128)]'")
        values[name] = _value(name, text.strip())
    return values


def _value(name: str, text: str) -> Any:
    if not text or "\n" in text:
        raise SpecError("E0501", f"expected a value after `--set {name}=`, found {'nothing' if not text else 'a line break'}",
                        help="for example: --set ratio=4")
    try:
        module = parse_text(f"model M:\n    let v = {text}\n", f"<--set {name}>")
        let = module.models[0].body[0]
        return evaluate(let.value, Env({}))
    except SpecError as error:
        raise SpecError("E0501", f"expected a value in `--set {name}={text}`: {error.message}",
                        help="values are written as in a spec: 4, 0.5, true, \"same\", [1, 2], (3, 64)") from None


def parse_input(text: str) -> tuple:
    """`1x28x28`, `8x1x28x28` (a batch of 8), `Nx3x16x112x112` (`N`, then a sample of any rank), or
    `3xHxW`: a spatial size written as a capitalised name is symbolic (`input 3 x H x W`)."""
    parts = [p.strip() for p in re.split(r"[xX*,]", text.strip())]
    batch = parts[:1] == ["N"]
    sizes_text = parts[1:] if batch else parts
    # ASCII digits only: `str.isdigit` takes "²" and "٣", which `int` does not (or reads as another number).
    if not sizes_text or not all(_DIGITS.fullmatch(p) or _SYMBOL.fullmatch(p) for p in sizes_text) \
            or not 1 <= len(sizes_text) <= 4:
        raise SpecError("E0502", f"expected `--input [N x] C x H x W` with 1 to 4 positive ints (or capitalised names "
                        f"for symbolic spatial sizes), found `{text}`",
                        help="for example: --input 1x28x28, --input '8 x 3 x 224 x 224' with a batch of 8, "
                             "--input Nx3x16x112x112 for a sample of any rank, or --input 3xHxW for symbolic sizes")
    sizes = tuple(p if _SYMBOL.fullmatch(p) else int(p) for p in sizes_text)
    if any(isinstance(s, int) and s < 1 for s in sizes):
        raise SpecError("E0502", f"expected positive sizes in `--input`, found `{text}`", help="sizes start at 1")
    _symbols_spatial(sizes, batch, text)
    return ("N", *sizes) if batch else sizes


_SYMBOL = re.compile(r"[A-Z_][A-Z0-9_]{0,30}")  # a symbolic size: capitals (`H`, `W`; never `N`, the batch)


def _symbols_spatial(sizes: tuple, batch: bool, text: str) -> None:
    """A symbolic size only where a spatial size stands: not the batch, the channels or the features."""
    first_spatial = 1 if batch or len(sizes) in (1, 3) else 2
    for index, size in enumerate(sizes):
        if isinstance(size, str) and (index < first_spatial or size == "N"):
            what = "the batch size" if index == 0 and first_spatial == 2 else "the channels (or features)"
            if size == "N":
                what = "a size here (`N`, the batch, comes first)"
            raise SpecError("E0502", f"expected a number for {what} in `--input {text}`, found `{size}`",
                            help="only spatial sizes may be symbolic: --input 3xHxW, or Nx3xHxW")
