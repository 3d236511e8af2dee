"""Parsed ASTs, remembered in this process by (name, text).

ASTs are immutable, so a text parsed once under a name can be handed out
again: repeated `specc.shapes(...)` calls, and every spec that says
`use d2l`, skip the parser after the first time.

    module = cached("<d2l>", text, parse_text)
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from .. import sources
from . import ast

MEMORY_ENTRIES = 64
_MEMORY: "OrderedDict[tuple[str, str], ast.Module]" = OrderedDict()


def cached(name: str, text: str, parse: Callable[[str, str], ast.Module]) -> ast.Module:
    """`parse(text, name)`, or the AST it gave before for the same name and text."""
    sources.register(name, text)  # diagnostics need the text, parsed or not
    key = (name, text)
    module = _MEMORY.get(key)
    if module is not None:
        _MEMORY.move_to_end(key)
        return module
    module = parse(text, name)
    _MEMORY[key] = module
    if len(_MEMORY) > MEMORY_ENTRIES:
        _MEMORY.popitem(last=False)
    return module


def clear_memory() -> None:
    """Forget what this process parsed (the benchmarks' "cold" runs)."""
    _MEMORY.clear()
