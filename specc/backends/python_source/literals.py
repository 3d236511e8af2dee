"""The only ways a value reaches the generated file: numbers and modes as literals, text in comments.

    literal((3, 3))            # '(3, 3)'
    literal("same")            # '"same"'; any other string raises
    comment_text("a\\nb")      # 'a\\\\nb': one printable line
"""

from __future__ import annotations

from typing import Any


def literal(value: Any) -> str:
    """A Python literal for a value that may appear in generated code: numbers, booleans, pairs."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, str) and value in ("same", "valid"):
        return f'"{value}"'
    raise ValueError(f"not a value generated code may contain: {value!r}")


def writable(value: Any) -> bool:
    """Whether `literal` can write `value` (a string other than a mode, anywhere inside it, cannot)."""
    if isinstance(value, (list, tuple)):
        return all(writable(v) for v in value)
    return value is None or isinstance(value, (bool, int, float)) or value in ("same", "valid")


def comment_text(text: str) -> str:
    """Text safe inside a `#` comment: printable, on one line."""
    return text.encode("unicode_escape").decode("ascii")
