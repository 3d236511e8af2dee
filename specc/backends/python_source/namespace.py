"""The one owner of every name the generated file defines, and of its imports.

As torch.fx's `_Namespace`: each object asks once and keeps its name; a
name is a legal identifier, unique in its scope and the scopes around it,
and never a keyword, a builtin or a name the file relies on (`torch`, `nn`,
`self`: `reserved.GENERATED_NAMES`). A name that would hide one of those,
or a name of an enclosing scope, gets a `_` (`nn_`, a parameter `B_` in
class `B`); a name taken in its own scope gets a number (`Residual2`). Imports are registered with
the names they bring: the file imports `torch` because code asked for
`torch.cat`. A declared op's class (`op my_linear = pkg.layers.MyLinear(...)`)
is imported from the user's module under a name of the file's top level:
`MyLinear`, or `MyLinear2` (`from pkg.layers import MyLinear as MyLinear2`)
when a generated class or another import has that name.

    files = Namespace()
    files.create_name("Residual", plan)     # 'Residual'; for another object: 'Residual2'
    init = files.scope()
    init.create_name("nn", param)           # 'nn_'
    files.use("torch.cat")                  # 'torch.cat', and `import torch` in files.imports()
    files.define("LayerNorm2d")             # 'LayerNorm2d', and its class in files.definitions()
    files.import_from("pkg.layers", "MyLinear")   # 'MyLinear': `from pkg.layers import MyLinear`
"""

from __future__ import annotations

import contextlib
import keyword
import re
from typing import Any, Iterable, Iterator, Optional

from ...reserved import GLOBAL_NAMES, hides_python_name
from .definitions import definition

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# What the file may import: the name code uses -> (group, statement). Groups print in this order,
# a blank line between them, as isort would.
IMPORTS = {
    "OrderedDict": ("stdlib", "from collections import OrderedDict"),
    "torch": ("torch", "import torch"),
    "nn": ("torch", "from torch import nn"),
}


def identifier(name: str) -> str:
    """`name` itself when it is a legal, non-keyword identifier; ValueError otherwise (never user text)."""
    if not _IDENTIFIER.match(name) or keyword.iskeyword(name):
        raise ValueError(f"not a safe identifier: {name!r}")
    return name


class Namespace:
    """The names of one scope of the generated file (its top level, a constructor, a forward)."""

    def __init__(self, reserved: Iterable[str] = (), parent: Optional[Namespace] = None) -> None:
        self._parent = parent
        self._reserved = frozenset(reserved)
        self._used: set[str] = set()
        self._names: dict[Any, str] = {}
        self._imports: set[str] = set()
        self._from_imports: dict[tuple[str, str], str] = {}  # (module, name) -> the name the file uses
        self._defined: dict[str, str] = {}  # a class the file defines itself -> its source, in first-use order

    def scope(self, reserved: Iterable[str] = ()) -> Namespace:
        """A nested scope: its names avoid this scope's names as well as its own reserved ones."""
        return Namespace(reserved, parent=self)

    def create_name(self, candidate: str, obj: Any = None) -> str:
        """A new name for `obj` (or the one it already has), as close to `candidate` as is safe."""
        if obj is not None and obj in self._names:
            return self._names[obj]
        base = identifier(candidate)
        if self._hides(base):
            base += "_"
        name, n = base, 2
        while self._taken(name):
            name, n = f"{base}{n}", n + 1
        self._used.add(name)
        if obj is not None:
            self._names[obj] = name
        return name

    def claim(self, name: str) -> str:
        """Exactly `name` (the model's class); the caller has checked that it hides nothing."""
        self._used.add(identifier(name))
        return name

    def name(self, obj: Any) -> str:
        return self._names[obj]

    def use(self, qualified: str) -> str:
        """`qualified` (`torch.cat`, `nn.Conv2d`, `OrderedDict`), after registering the import it needs."""
        parts = qualified.split(".")
        for part in parts:
            identifier(part)
        if parts[0] not in IMPORTS:
            raise ValueError(f"no import brings {parts[0]!r}")
        self._root()._imports.add(parts[0])
        return qualified

    def import_from(self, module: str, name: str) -> str:
        """The file's name for class `name` of the user's `module` (an import path), importing it once.

        A top-level name of the file, so every scope sees it and avoids it; a name already taken
        (a generated class, another import) or one that would hide something gets an alias.
        """
        root = self._root()
        key = (".".join(identifier(part) for part in module.split(".")), identifier(name))
        if key not in root._from_imports:
            root._from_imports[key] = root.create_name(name, ("import", *key))
        return root._from_imports[key]

    def define(self, cls: str) -> str:
        """`cls`, a class of `backends/torch_layers.py` the file defines, after registering its source
        and the imports it needs. Its name is a reserved global, so nothing else of the file takes it."""
        if cls not in GLOBAL_NAMES:
            raise ValueError(f"{cls!r} is not a reserved name of the generated file")
        root = self._root()
        if cls not in root._defined:
            text, names = definition(identifier(cls))
            for name in sorted(names & IMPORTS.keys()):
                self.use(name)
            root._defined[cls] = text
        return cls

    def definitions(self) -> list[str]:
        """The source of every class the file defines itself, in the order code asked for them."""
        return list(self._root()._defined.values())

    def imports(self) -> str:
        """The import lines for every name used, grouped as isort would (the user's modules last)."""
        groups: dict[str, list[str]] = {}
        root = self._root()
        for name, (group, statement) in IMPORTS.items():
            if name in root._imports:
                groups.setdefault(group, []).append(statement + "\n")
        by_module: dict[str, list[str]] = {}
        for (module, name), local in sorted(root._from_imports.items()):
            by_module.setdefault(module, []).append(name if local == name else f"{name} as {local}")
        for module, names in by_module.items():
            groups.setdefault("user", []).append(f"from {module} import {', '.join(names)}\n")
        return "\n".join("".join(lines) for lines in groups.values())

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        """Names created inside the block are free again after it (a combine's dead branch variables)."""
        used, names = set(self._used), dict(self._names)
        try:
            yield
        finally:
            self._used, self._names = used, names

    def _hides(self, name: str) -> bool:
        """Whether `name` here would hide something: reserved, a keyword or builtin, or an outer scope's name."""
        if name in self._reserved or hides_python_name(name):
            return True
        parent = self._parent
        return parent is not None and (name in parent._used or parent._hides(name))

    def _taken(self, name: str) -> bool:
        return name in self._used or self._hides(name)

    def _root(self) -> Namespace:
        return self if self._parent is None else self._parent._root()
