"""Source texts: reading spec files into text, and remembering them for diagnostics.

Every text the front-ends parse is registered here under the file name its
spans carry, so `diagnostics.render` can show the offending line later
without the caller threading texts around.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Optional

from .diagnostics import Span, SpecError
from .files import kind_of_mode
from .limits import LIMITS

_TEXTS: dict[str, str] = {}
STDIN_NAME = "<stdin>"  # what diagnostics call a spec read from standard input (`specc check -`)


def register(name: str, text: str) -> None:
    _TEXTS[name] = text


def text_of(name: str) -> Optional[str]:
    return _TEXTS.get(name)


class Unreadable(Exception):
    """Why a file cannot be a spec source: missing, unreadable, not a regular file, or too large."""

    def __init__(self, reason: str, help: str = "", too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.help, self.too_large = reason, help, too_large


def load(path: str | Path) -> bytes:
    """The bytes of a spec file: a regular file of at most `LIMITS["file_bytes"]`, checked before reading.

    Opened without blocking, so a FIFO (which would wait for a writer) or a
    device is looked at and refused, never read: `/dev/stdin` names whatever
    standard input is, and is read only when that is a regular file.
    """
    limit = LIMITS["file_bytes"]
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise Unreadable((error.strerror or type(error).__name__).lower()) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise Unreadable(f"it is {kind_of_mode(status.st_mode)}, not a regular file",
                             help="specc reads spec files; for standard input, write `-`")
        if status.st_size > limit:
            raise Unreadable(f"it holds {status.st_size:,} bytes, more than the {limit:,} a spec may have",
                             help=_SPLIT, too_large=True)
        with os.fdopen(os.dup(descriptor), "rb") as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise Unreadable((error.strerror or type(error).__name__).lower()) from None
    finally:
        os.close(descriptor)
    if len(data) > limit:  # it grew since it was measured
        raise Unreadable(f"it holds more than the {limit:,} bytes a spec may have", help=_SPLIT, too_large=True)
    return data


_SPLIT = "a spec this large is not meant to be read: split it into files that `use` one another"


def read(path: str | Path, *, register_text: bool = True) -> str:
    """Read a spec file as UTF-8 text, registering it; bad bytes become diagnostics."""
    name = str(path)
    try:
        data = load(path)
    except Unreadable as problem:
        raise SpecError("E0001", f"cannot read `{name}`: {problem.reason}",
                        help=problem.help or "check the path; relative paths are taken from the current "
                                             "directory") from None
    return decode(data, name, register_text=register_text)


def read_stdin() -> str:
    """The spec on standard input (`specc check -`), named `<stdin>` in diagnostics."""
    limit = LIMITS["file_bytes"]
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise SpecError("E0001", f"cannot read standard input: it holds more than the {limit:,} bytes a spec "
                                 "may have")
    return decode(data, STDIN_NAME)


def decode(data: bytes, name: str, *, register_text: bool = True) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return _not_utf8(data, name, error, register_text)
    if text.startswith("\ufeff"):
        text = text[1:]
    if register_text:
        register(name, text)
    return text


def _not_utf8(data: bytes, name: str, error: UnicodeDecodeError, register_text: bool = True) -> str:
    before = data[: error.start]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    # Show the file with the bad bytes replaced, so the caret has a line to sit under.
    if register_text:
        register(name, data.decode("utf-8", errors="replace"))
    span = Span(name, line, column, line, column + 1)
    raise SpecError("E0002", f"expected UTF-8 text, found byte 0x{data[error.start]:02x}",
                    span, label="not UTF-8", help="save the file as UTF-8")
