"""Source texts: reading spec files into text, and remembering them for diagnostics.

Every text the front-ends parse is registered here under the file name its
spans carry, so `diagnostics.render` can show the offending line later
without the caller threading texts around.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from .diagnostics import Span, SpecError

_TEXTS: dict[str, str] = {}
STDIN_NAME = "<stdin>"  # what diagnostics call a spec read from standard input (`specc check -`)


def register(name: str, text: str) -> None:
    _TEXTS[name] = text


def text_of(name: str) -> Optional[str]:
    return _TEXTS.get(name)


def read(path: str | Path) -> str:
    """Read a spec file as UTF-8 text, registering it; bad bytes become diagnostics."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SpecError("E0001", f"cannot read `{name}`: {reason.lower()}",
                        help="check the path; relative paths are taken from the current directory") from None
    return decode(data, name)


def read_stdin() -> str:
    """The spec on standard input (`specc check -`), named `<stdin>` in diagnostics."""
    return decode(sys.stdin.buffer.read(), STDIN_NAME)


def decode(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return _not_utf8(data, name, error)
    if text.startswith("\ufeff"):
        text = text[1:]
    register(name, text)
    return text


def _not_utf8(data: bytes, name: str, error: UnicodeDecodeError) -> str:
    before = data[: error.start]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    # Show the file with the bad bytes replaced, so the caret has a line to sit under.
    register(name, data.decode("utf-8", errors="replace"))
    span = Span(name, line, column, line, column + 1)
    raise SpecError("E0002", f"expected UTF-8 text, found byte 0x{data[error.start]:02x}",
                    span, label="not UTF-8", help="save the file as UTF-8")
