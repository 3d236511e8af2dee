"""Resolve `use` lines: load every spec a file uses and give each file its block scope.

    program = load("specs/resnet18.spec")   # also loads the bundled d2l library
    program.scope_of(block)                   # the blocks visible where `block` is defined

`use d2l` names a library bundled in `specc/lib/`; `use "blocks.spec"` names a
file relative to the spec that says it, or else relative to one of the
library paths (`--lib-path DIR`, or `SPECC_PATH` as `DIR:DIR`). A file sees
its own blocks and the blocks defined in the files it uses (not what those
files use in turn); its own definitions shadow used ones. Declared ops
(`op name = pkg.mod.Class(...)`) are scoped the same way, in a scope of
their own (`Unit.ops`). Cycles are errors at the `use` line. A derived
model (`model B = A(k=v)`) may extend a model of its own file or of a file
it uses; `Program.model` gives it `A`'s parameters and body.

Compiling a spec must not read what it has no business reading: a used
file lies inside a root, the main spec's own directory tree or a library
path, after following symlinks; it is a regular `.spec`, `.yaml` or `.yml`
file (never a FIFO or a device); absolute paths and `..` above the roots are
refused at the `use` line. A used file that does not begin like a spec is
refused without being quoted, so a diagnostic never shows its lines.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Optional, Sequence

from . import sources
from .diagnostics import Collector, SpecError, suggest
from .syntax import ast
from .syntax.ast import construct
from .syntax.frontend import parse_source

LIBRARY_DIR = "lib"
PATH_VARIABLE = "SPECC_PATH"  # library paths, separated by `os.pathsep`, after those given with --lib-path
SPEC_SUFFIXES = (".spec", ".yaml", ".yml")


def library_paths(given: Iterable[str | Path] = ()) -> tuple[Path, ...]:
    """The library paths: those given (`--lib-path`), then those in `SPECC_PATH`."""
    from_environment = [p for p in os.environ.get(PATH_VARIABLE, "").split(os.pathsep) if p]
    return tuple(Path(p) for p in [*given, *from_environment])


@functools.cache
def libraries() -> tuple[str, ...]:
    """The bundled libraries: they ship with the package, so one look per process serves."""
    return tuple(sorted(p.name[:-5] for p in resources.files("specc").joinpath(LIBRARY_DIR).iterdir()
                        if p.name.endswith(".spec")))


@functools.cache
def library_text(name: str) -> str:
    return resources.files("specc").joinpath(LIBRARY_DIR, name + ".spec").read_text(encoding="utf-8")


@dataclass
class Unit:
    """One parsed spec file and the blocks visible inside it."""

    name: str
    module: ast.Module
    scope: dict[str, ast.BlockDef] = field(default_factory=dict)
    # The ops declared here and in the files this one uses (`op name = pkg.mod.Class(...)`).
    ops: dict[str, ast.OpDef] = field(default_factory=dict)
    # The models a derived model here may extend: this file's, and those of the files it
    # uses (None for a name two used files define).
    models: dict[str, Optional[ast.ModelDef]] = field(default_factory=dict)
    # A library bundled with specc (`use d2l`): checked by specc's own tests, not at every load.
    bundled: bool = False


@dataclass
class Program:
    main: Unit
    units: dict[str, Unit]

    @property
    def models(self) -> list[ast.ModelDef]:
        return self.main.module.models

    def scope_of(self, node: ast.Node) -> dict[str, ast.BlockDef]:
        return self.units[node.span.file].scope

    def ops_of(self, node: ast.Node) -> dict[str, ast.OpDef]:
        """The declared ops visible where `node` stands: its file's and those of the files it uses."""
        return self.units[node.span.file].ops

    def model(self, name: Optional[str] = None) -> ast.ModelDef:
        """The model called `name`, or the file's only (or last) model when no name is given."""
        models = self.models
        if not models:
            raise SpecError("E0213", f"expected a `model` in `{self.main.name}`, found none",
                            help="a file of blocks is a library: `use` it from a spec that defines a model")
        if name is None:
            return self.effective(models[-1])
        for model in models:
            if model.name == name:
                return self.effective(model)
        known = [m.name for m in models]
        help = suggest(name, known) or "models in this file: " + ", ".join(f"`{m}`" for m in known)
        raise SpecError("E0212", f"expected one of this file's models, found `{name}`", help=help)


    def effective(self, model: ast.ModelDef, within: tuple[str, ...] = ()) -> ast.ModelDef:
        """`model` itself, or for `model B = A(k=v)` the model `A` is with `k` defaulting to `v`, named `B`.

        The base is looked up where `model` is defined (its file and the files that file uses),
        and may itself be derived. The new defaults are evaluated as `A`'s own are (seeing the
        parameters before them); the body is `A`'s, so its blocks resolve in `A`'s file.
        """
        if model.extends is None:
            return model
        chain = (*within, model.name)
        where = model.extends_span.to_diagnostic()
        unit = self.units[model.span.file]
        base = unit.models.get(model.extends)
        if model.extends in chain:
            members = chain[chain.index(model.extends):]
            cycle = " -> ".join(f"`{name}`" for name in (*members, model.extends))
            error = SpecError("E0231", f"expected a model that does not extend itself, found {cycle}", where,
                              label="closes the cycle", help="extend a model that has a body of its own")
            error.cycle = frozenset(members)  # so that `check` reports one cycle once
            raise error
        if base is None:
            known = [name for name, found in unit.models.items() if found is not None and name != model.name]
            if model.extends in unit.models:
                help = "two used files define it: rename one of them"
            else:
                help = suggest(model.extends, known) or (
                    "models here: " + ", ".join(f"`{k}`" for k in known) if known else
                    "define the base model in this file, or `use` the file that does")
            raise SpecError("E0230", f"expected a model to extend, found `{model.extends}`", where,
                            label="no such model here", help=help)
        base = self.effective(base, chain)
        return construct(ast.ModelDef, span=model.span, name=model.name, name_span=model.name_span,
                         params=_new_defaults(model, base), body=base.body)


def _new_defaults(model: ast.ModelDef, base: ast.ModelDef) -> list[ast.Param]:
    """The base's parameters, those `model` names defaulting to its values."""
    known = {param.name for param in base.params}
    given: dict[str, ast.Keyword] = {}
    for keyword in model.defaults:
        if keyword.name not in known:
            help = suggest(keyword.name, known) or (
                f"parameters of `{base.name}`: " + ", ".join(f"`{p.name}`" for p in base.params) if known
                else f"`{base.name}` has no parameters")
            raise SpecError("E0202", f"unknown keyword argument `{keyword.name}` for model `{base.name}`",
                            keyword.where, label="not a parameter of the base model", help=help)
        if keyword.name in given:
            raise SpecError("E0211", f"parameter `{keyword.name}` of model `{base.name}` is given twice",
                            keyword.where, label=f"`{keyword.name}` was already given", help="give each once")
        given[keyword.name] = keyword
    return [construct(ast.Param, span=given[p.name].span, name=p.name, default=given[p.name].value)
            if p.name in given else p for p in base.params]


def resolve(module: ast.Module, base: Path, problems: Optional[Collector] = None,
            libraries: Optional[Sequence[Path]] = None) -> Program:
    """The program of a parsed spec: every file it uses loaded, every file's block scope set.

    `base` is the folder `use "path"` is relative to, and the root of the
    files the spec may use, with the library paths `libraries` (by default
    `SPECC_PATH`'s); independent problems go to `problems` (the pipeline's),
    or are raised together at the end.
    """
    loader = _Loader(problems, [base, *(library_paths() if libraries is None else libraries)])
    main = loader.resolve_unit(module.file, module, base, stack=())
    if problems is None:
        loader.collector.raise_if_any()
    return Program(main, loader.units)


def load(source: str | Path, *, text: Optional[str] = None) -> Program:
    """Parse a spec (from `text` when given, else from the file) and resolve it: `parse` and `resolve` in one."""
    name = str(source)
    module = parse_source(sources.read(source) if text is None else text, name)
    return resolve(module, Path(name).parent)


class _Loader:
    def __init__(self, problems: Optional[Collector], roots: Sequence[Path]) -> None:
        self.units: dict[str, Unit] = {}
        self.collector = problems if problems is not None else Collector()
        self.libraries = list(roots[1:])
        self.roots = [os.path.realpath(root) for root in roots]

    def unit(self, name: str, text: str, base: Path, stack: tuple[str, ...], bundled: bool = False) -> Unit:
        return self.resolve_unit(name, parse_source(text, name), base, stack, bundled)

    def resolve_unit(self, name: str, module: ast.Module, base: Path, stack: tuple[str, ...],
                     bundled: bool = False) -> Unit:
        unit = Unit(name, module, bundled=bundled)
        self.units[name] = unit
        imported: dict[str, tuple[ast.BlockDef, ast.Use]] = {}
        imported_ops: dict[str, tuple[ast.OpDef, ast.Use]] = {}
        for use in unit.module.uses:
            self.collector.run(lambda use=use: self._use(unit, use, base, stack + (name,), imported, imported_ops))
        unit.scope = {name: block for name, (block, _) in imported.items()}
        for block in unit.module.blocks:
            unit.scope[block.name] = block  # own definitions shadow used ones
        unit.ops = {name: op for name, (op, _) in imported_ops.items()}
        for op in unit.module.ops:
            unit.ops[op.name] = op
        for model in unit.module.models:
            unit.models[model.name] = model
        return unit

    def _use(self, unit: Unit, use: ast.Use, base: Path, stack: tuple[str, ...],
             imported: dict[str, tuple[ast.BlockDef, ast.Use]], imported_ops: dict[str, tuple[ast.OpDef, ast.Use]]
             ) -> None:
        name, text, used_base = self._locate(use, base)
        if name in stack:
            chain = " -> ".join(f"`{s}`" for s in (*stack[stack.index(name):], name))
            raise SpecError("E0210", f"`use` cycle: {chain}", use.where, label="this `use` closes the cycle",
                            help="move the shared blocks into a third file that both use")
        used = self.units.get(name) or self.unit(name, text, used_base, stack, bundled=not use.is_path)
        for model in used.module.models:  # a name two files define is an error only where it is extended
            earlier = unit.models.get(model.name, model)
            unit.models[model.name] = model if earlier is model else None
        for what, definitions, seen in (("block", used.module.blocks, imported), ("op", used.module.ops, imported_ops)):
            for definition in definitions:
                if definition.name in seen and seen[definition.name][0] is not definition:
                    other = seen[definition.name][1]
                    raise SpecError("E0206", f"{what} `{definition.name}` is defined by two used files", use.where,
                                    label=f"also defined by the `use` at line {other.span.line}",
                                    help=f"define your own {what} with another name, or use only one of the files")
                seen[definition.name] = (definition, use)

    def _locate(self, use: ast.Use, base: Path) -> tuple[str, str, Path]:
        if not use.is_path:
            if use.target not in libraries():
                known = libraries()
                raise SpecError("E0209", f"expected a bundled library, found `{use.target}`", use.where,
                                label="no such library",
                                help=suggest(use.target, known) or
                                f"bundled libraries: {', '.join(known)}; for a file, write `use \"path.spec\"`")
            name = f"<{use.target}>"
            text = library_text(use.target)
            sources.register(name, text)
            return name, text, Path(".")
        path = self._find(use, base)
        name = str(path)
        if name in self.units:
            return name, "", path.parent
        return name, self._read(use, path), path.parent

    def _find(self, use: ast.Use, base: Path) -> Path:
        """The file a `use "path"` names: beside the spec that says it, else in a library path; inside a root."""
        target = use.target
        if os.path.isabs(target) or Path(target).drive or target.startswith(("/", "\\")):
            raise SpecError("E0209", f"expected a path relative to the spec, found the absolute path `{target}`",
                            use.where, label="absolute path",
                            help="write the path from the spec's own folder, or put the file in a library path "
                                 f"(--lib-path DIR, or {PATH_VARIABLE})")
        if not target.endswith(SPEC_SUFFIXES):
            raise SpecError("E0209", f"expected a path to a .spec or .yaml file, found `{target}`", use.where,
                            label="not a spec file", help="`use` reads specs: files ending in .spec, .yaml or .yml")
        candidates = [base / target, *(library / target for library in self.libraries)]
        for path in candidates:
            if os.path.lexists(path):
                if not self._inside_a_root(path):
                    raise SpecError("E0209", f"expected a file inside the spec's folder or a library path, "
                                    f"found `{target}` outside them", use.where, label="outside the roots",
                                    help="a spec may use files in its own folder and below, and in the library "
                                         f"paths named with --lib-path or {PATH_VARIABLE}")
                return path
        looked = ", ".join(f"`{p}`" for p in candidates[:4]) + (", ..." if len(candidates) > 4 else "")
        raise SpecError("E0209", f"cannot find `{target}` (looked for {looked})", use.where,
                        label="no such file", help="paths in `use` are relative to the spec that uses them, "
                                                   f"or to a library path (--lib-path DIR, or {PATH_VARIABLE})")

    def _inside_a_root(self, path: Path) -> bool:
        real = os.path.realpath(path)
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)

    def _read(self, use: ast.Use, path: Path) -> str:
        """The text of a used file; one that does not begin like a spec is refused unquoted."""
        try:
            data = sources.load(path)
        except sources.Unreadable as problem:
            code = "E0405" if problem.too_large else "E0209"
            raise SpecError(code, f"cannot read `{use.target}`: {problem.reason}", use.where,
                            label="used here", help=problem.help if problem.too_large else "") from None
        text = sources.decode(data, str(path), register_text=False)
        if not _looks_like_spec(text, str(path)):
            raise SpecError("E0209", f"expected a spec in `{use.target}`, found a file that does not begin like "
                            "one (its lines are not shown)", use.where, label="not a spec",
                            help="a spec begins with `use`, `op`, `block` or `model` (in YAML: `use:`, `ops:`, "
                                 "`blocks:` or `models:`), after any comments")
        sources.register(str(path), text)
        return text


_DSL_START = re.compile(r"(use|op|block|model)\b")
_YAML_START = re.compile(r"(use|ops|blocks|models)\s*:|\{|---|%YAML")


def _looks_like_spec(text: str, name: str) -> bool:
    """Whether the first line that is not blank or a comment starts a spec (or the file is all comments)."""
    start = _YAML_START if name.lower().endswith((".yaml", ".yml")) else _DSL_START
    first = _SIGNIFICANT.search(text)
    return first is None or start.match(text, first.start(1)) is not None  # (all blank: the parser says so)


_SIGNIFICANT = re.compile(r"^[ \t\r\f]*([^\s#])", re.MULTILINE)
