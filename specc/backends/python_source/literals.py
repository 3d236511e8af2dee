"""The only ways a value reaches the generated file: numbers and modes as literals, text in comments.

    literal((3, 3))            # '(3, 3)'
    literal("same")            # '"same"'; a string no op's argument chooses raises
    comment_text("a\\nb")      # 'a\\\\nb': one printable line
"""

from __future__ import annotations

from typing import Any

from ...ops import OPS


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
    if isinstance(value, str) and value in CHOICES:
        return f'"{value}"'
    raise ValueError(f"not a value generated code may contain: {value!r}")


def writable(value: Any) -> bool:
    """Whether `literal` can write `value` (a string no op chooses, anywhere inside it, cannot)."""
    if isinstance(value, (list, tuple)):
        return all(writable(v) for v in value)
    return value is None or isinstance(value, (bool, int, float)) or (isinstance(value, str) and value in CHOICES)


# The strings an op's argument may hold, each from a fixed set the registry validates: conv's
# padding modes and every argument's `choices` (`"bilinear"`, `"tanh"`, `"row"`).
CHOICES = frozenset(("same", "valid", *(c for op in OPS.values() for arg in op.args for c in arg.choices)))


def comment_text(text: str) -> str:
    """Text safe inside a `#` comment: printable, on one line."""
    return text.encode("unicode_escape").decode("ascii")
