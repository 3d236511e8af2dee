"""Module names in quotes: `"block{i}-0" = ...`, as torchvision names RegNet's blocks.

A plain name (`conv1 = ...`) is an identifier. A quoted one may also hold
`-` and `{expression}`s, computed at elaboration, so a loop can name what
it makes (`"layer{i + 1}" = stage(...)`). What a name may become is what
torch accepts as a module name and what specc can write safely into a
generated file: letters, digits, `_` and `-` (no `.`, which torch reads as a
path). Names that are not identifiers are registered with `add_module`.

    pieces("block{i + 1}-0", span)   # ("block", BinOp(i + 1), "-0")
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Union

from .. import sources
from ..diagnostics import Span, SpecError
from . import ast

# What a module name may consist of once computed: torch forbids `.` and the empty name;
# specc keeps to characters that are safe in a Python string literal and in a path.
MODULE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_PIECE = re.compile(r"\{([^{}]*)\}")

Piece = Union[str, ast.Expr]


def is_plain(name: str) -> bool:
    """Whether a name is written without quotes: an ASCII identifier with nothing to compute."""
    return name.isidentifier() and name.isascii()


def pieces(name: str, span: Span) -> tuple[Piece, ...]:
    """The literal text and the expressions of a name, in order (`is_plain` names are one piece)."""
    if is_plain(name):
        return (name,)
    return _pieces(name, span)


@lru_cache(maxsize=4096)
def _pieces(name: str, span: Span) -> tuple[Piece, ...]:
    from .parse import parse_expression

    line, column = span.line, span.column + _quote_width(span)
    out: list[Piece] = []
    position = 0
    for match in _PIECE.finditer(name):
        _check_literal(name[position:match.start()], name, span)
        if name[position:match.start()]:
            out.append(name[position:match.start()])
        text = match.group(1)
        if not text.strip():
            raise SpecError("E0221", f"expected an expression between `{{` and `}}` in the name \"{name}\", "
                            "found none", span.to_diagnostic(), label="empty `{}`",
                            help="write the value to put in the name, e.g. `\"layer{i + 1}\"`")
        out.append(parse_expression(text, span.file, line, column + match.start(1)))
        position = match.end()
    _check_literal(name[position:], name, span)
    if name[position:]:
        out.append(name[position:])
    if not out:
        raise SpecError("E0221", "expected a module name, found an empty string", span.to_diagnostic(),
                        label="empty", help="a module name is letters, digits, `_` and `-`")
    return tuple(out)


def _quote_width(span: Span) -> int:
    """1 when the name's text starts after a quote (the DSL's `"..."`, a quoted YAML scalar)."""
    text = sources.text_of(span.file)
    if text is None:
        return 0
    lines = text.split("\n", span.line)
    if len(lines) < span.line:
        return 0
    line = lines[span.line - 1]
    return 1 if line[span.column - 1:span.column] in ("'", '"') else 0


def _check_literal(text: str, name: str, span: Span) -> None:
    bad = re.sub(r"[A-Za-z0-9_-]", "", text)
    if bad:
        char = bad[0]
        what = "`{` or `}` without its partner" if char in "{}" else f"`{char}`"
        raise SpecError("E0221", f"expected letters, digits, `_`, `-` and `{{expressions}}` in the name "
                        f"\"{name}\", found {what}", span.to_diagnostic(), label="not allowed in a module name",
                        help="torch reads `.` as a path; a generated file keeps to letters, digits, `_` and `-`")


def check_computed(name: str, span: Span) -> str:
    """A name computed at elaboration, checked as the literal parts of a quoted name are."""
    if not MODULE_NAME.fullmatch(name):
        shown = name if len(name) <= 40 else name[:37] + "..."
        raise SpecError("E0221", f"expected a module name (letters, digits, `_` and `-`), found \"{shown}\"",
                        span.to_diagnostic(), label="this name is computed here",
                        help="the values put into a name must be names or numbers")
    return name
