"""Writing files the way specc always does: atomically, keeping the file's mode.

    write_atomically("resnet18.py", source)

The text goes to a temporary file beside the target, which is then renamed
over it, so a reader (or a crash) never sees half a file. Through a symlink
the file it names is replaced: replacing the link itself would leave its
target stale. A new file gets the mode `open()` would give it. Only a
regular file is ever replaced: callers look first with `kind_of` (reading a
FIFO to see what it holds would wait for ever).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Optional


def write_atomically(path: str | os.PathLike, text: str | bytes) -> None:
    """Write `text` (UTF-8, `\\n` line ends) or bytes (as they are: a PNG) to `path`, all at once."""
    target = Path(os.path.realpath(path))
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(handle, "wb") as stream:
                stream.write(text)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
        # mkstemp creates the file 0600: give it the old file's mode, or the one `open()` would have.
        os.chmod(temporary, _mode(target))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def kind_of(path: str | os.PathLike) -> Optional[str]:
    """None when nothing is at `path` (through symlinks), "file" for a regular file, else what is there."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"a path that cannot be looked at ({(error.strerror or type(error).__name__).lower()})"
    return "file" if stat.S_ISREG(mode) else kind_of_mode(mode)


def kind_of_mode(mode: int) -> str:
    """What a file that is not a regular one is, in words ("a FIFO (named pipe)"), from its `st_mode`."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def _mode(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
