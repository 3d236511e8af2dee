"""Parsed ASTs, remembered: in this process by (name, text), and across processes for the bundled libraries.

ASTs are immutable, so a text parsed once under a name can be handed out
again. In one process that makes repeated `specc.shapes(...)` calls skip
the parser; on disk it spares every `specc shapes` process the ~25 ms of
parsing `d2l` (a pickle loads in ~3 ms). Only what the caller marks
`persist` (the bundled libraries) goes to disk: they change only with specc
itself, and the key holds specc's version, the AST's format and the text's hash, so a stale
entry is never read. The directory is the
user's own cache (`$XDG_CACHE_HOME/specc`, mode 0700), not a shared temp
directory, since a pickle is code. Any trouble with it just means parsing.

    module = cached("<d2l>", text, parse_text, persist=True)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Optional

from .. import __version__, sources
from . import ast

MEMORY_ENTRIES = 64
# Part of the disk key: bump it when the AST classes change shape within a
# version (2: spans became named tuples), so old pickles are never read.
AST_FORMAT = 2
_MEMORY: "OrderedDict[tuple[str, str], ast.Module]" = OrderedDict()


def cached(name: str, text: str, parse: Callable[[str, str], ast.Module], *, persist: bool = False) -> ast.Module:
    """`parse(text, name)`, or the AST it gave before for the same name and text (also on disk if `persist`)."""
    sources.register(name, text)  # diagnostics need the text, parsed or not
    key = (name, text)
    module = _MEMORY.get(key)
    if module is not None:
        _MEMORY.move_to_end(key)
        return module
    path = _disk_path(name, text) if persist else None
    module = _read(path) if path else None
    if module is None:
        module = parse(text, name)
        if path:
            _write(path, module)
    _MEMORY[key] = module
    if len(_MEMORY) > MEMORY_ENTRIES:
        _MEMORY.popitem(last=False)
    return module


def clear_memory() -> None:
    """Forget what this process parsed (the benchmarks' "cold" runs)."""
    _MEMORY.clear()


def _disk_path(name: str, text: str) -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(f"{__version__}\0{AST_FORMAT}\0{name}\0{text}".encode()).hexdigest()[:32]
    return Path(root) / "specc" / f"{digest}.pickle"


def _read(path: Path) -> Optional[ast.Module]:
    try:
        if path.parent.stat().st_mode & 0o077:
            return None  # someone else could have written it
        with path.open("rb") as stream:
            module = pickle.load(stream)
    except Exception:  # missing, unreadable or from an incompatible pydantic: parse instead
        return None
    return module if isinstance(module, ast.Module) else None


def _write(path: Path, module: ast.Module) -> None:
    temporary = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(module, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # readers never see half a file
    except Exception:  # a read-only home, a full disk: the cache is only an optimisation
        if temporary:
            Path(temporary).unlink(missing_ok=True)
