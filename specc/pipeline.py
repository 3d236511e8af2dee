"""The pipeline, written down once: the stages from a spec to the layer graph IR, in order.

    parse -> resolve -> check -> elaborate -> name      then the report or a back-end

Each stage is a named object that reads what earlier stages left in a
`Compilation` and adds its own product. `api.py` and the command line run
this list; nothing else calls the stages in sequence.

    compilation = run(Compilation(Path("specs/lenet.spec")))
    compilation.graph                        # the IR, every shape known
    run(Compilation(Path("specs/lenet.spec")), until="parse").module   # the AST only

Work that concerns every stage lives in the runner, not in the stages: the
cycle collector is paused while a stage runs (each allocates many acyclic
objects: see `collector`), the errors a stage collected are raised together
when it ends, and a caller may look at each stage's product as it comes
(`specc shapes FILE --dump STAGE` prints it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from . import collector, naming, sources
from .check import check_program
from .diagnostics import Collector
from .limits import Budget, with_room
from .elaborate import Draft, elaborate
from .ir import Graph
from .resolve import Program, library_paths, resolve
from .syntax import ast
from .syntax.frontend import parse_source

STDIN = "-"


@dataclass
class Compilation:
    """One run of the pipeline: what was asked for, then each stage's product in turn.

    `source` is a path, or `STDIN`; `text`, when given, is the spec itself and
    `source` only names it (the Python API's spec text is `<string>`).
    """

    source: Union[str, Path]
    text: Optional[str] = None
    model: Optional[str] = None
    overrides: dict[str, Any] = field(default_factory=dict)
    input: Optional[tuple] = None
    # Where `use "path"` may also look (`--lib-path`); None: `SPECC_PATH`'s (`resolve.library_paths`).
    library_paths: Optional[tuple] = None
    # The steps of a larger run this elaboration counts towards (`specc check`'s, for a whole file).
    steps: Optional[Budget] = None
    every_size: bool = False  # every spatial size of the input symbolic (`specc shapes --valid-sizes`)
    problems: Collector = field(default_factory=Collector)
    module: Optional[ast.Module] = None   # parse
    program: Optional[Program] = None     # resolve (and check, which adds nothing)
    draft: Optional[Draft] = None         # elaborate
    graph: Optional[Graph] = None         # name

    @property
    def name(self) -> str:
        """The file name that spans and diagnostics carry."""
        return sources.STDIN_NAME if str(self.source) == STDIN else str(self.source)


@dataclass(frozen=True)
class Stage:
    name: str
    doc: str
    run: Callable[[Compilation], None]
    product: str  # the attribute of `Compilation` the stage fills in

    def output(self, compilation: Compilation) -> Any:
        return getattr(compilation, self.product)


def _parse(c: Compilation) -> None:
    if c.text is None:
        c.text = sources.read_stdin() if str(c.source) == STDIN else sources.read(c.source)
    c.module = parse_source(c.text, c.name)


def _resolve(c: Compilation) -> None:
    libraries = library_paths(c.library_paths or ())
    c.program = resolve(c.module, base=Path(c.name).parent, problems=c.problems, libraries=libraries)


def _check(c: Compilation) -> None:
    check_program(c.program, c.problems)


def _elaborate(c: Compilation) -> None:
    c.draft = elaborate(c.program, model=c.model, overrides=c.overrides, input_shape=c.input, steps=c.steps,
                        every_size=c.every_size)


def _name(c: Compilation) -> None:
    c.graph = naming.assign(c.draft)


STAGES: tuple[Stage, ...] = (
    Stage("parse", "spec text -> typed AST (the DSL through Lark, or YAML)", _parse, "module"),
    Stage("resolve", "load what `use` names; give each file its block scope", _resolve, "program"),
    Stage("check", "names, calls and signatures, reported all at once", _check, "program"),
    Stage("elaborate", "evaluate, expand blocks and loops, infer every shape", _elaborate, "draft"),
    Stage("name", "module names and paths: the frozen layer graph IR", _name, "graph"),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


@with_room  # every stage walks the AST or the IR recursively, within the limits
def run(compilation: Compilation, until: str = "name",
        after: Optional[Callable[[Stage, Compilation], None]] = None, start: str = "parse") -> Compilation:
    """Run the stages in order from `start` up to and including `until`; `after(stage, compilation)` follows each.

    A later `start` resumes a compilation whose earlier products are filled in
    (`specc check` parses and checks a file once, then elaborates each model from there).
    """
    for name in (start, until):
        if name not in STAGE_NAMES:
            raise ValueError(f"no stage {name!r}; the stages are {', '.join(STAGE_NAMES)}")
    for current in STAGES[STAGE_NAMES.index(start):]:
        with collector.paused():
            current.run(compilation)
        compilation.problems.raise_if_any()
        if after is not None:
            after(current, compilation)
        if current.name == until:
            break
    return compilation
