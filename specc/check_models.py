"""`specc check`'s second half: every model of a checked file elaborated, all their errors together.

    done = run(Compilation(Path("zoo.spec")), until="check")
    outcome = check_models(done)
    outcome.static          # the models without an `input`: checked by names and calls only
    outcome.raise_if_any()  # every model's shape, value and limit errors, as one group

`shapes` and `build` elaborate one model. `check` elaborates each model of
the file in turn, at its declared input and default parameters, from the
program the static stages produced once: so every error either command
would report for any model, `check` reports, and independent models'
errors come together. A model without an `input` has no shapes to infer;
its parameters are still evaluated (and `--set` checked against them).

With `--model`, `--set` or `--input`, `check` elaborates the one model
`shapes` would show (the one named, or the file's last) at those values:
they describe one model's elaboration, as they do for `shapes`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .diagnostics import Collector, SpecError, raise_all
from .elaborate import declared_input, parameters
from .pipeline import Compilation, run
from .syntax import ast


@dataclass
class Outcome:
    elaborated: list[ast.ModelDef] = field(default_factory=list)
    static: list[ast.ModelDef] = field(default_factory=list)  # no `input` and no `--input`
    errors: list[SpecError] = field(default_factory=list)

    def raise_if_any(self) -> None:
        raise_all(self.errors)


def check_models(compilation: Compilation) -> Outcome:
    """Elaborate every model `compilation` asks for; `compilation` has been run through `check`."""
    program = compilation.program
    outcome, problems = Outcome(), Collector()
    for definition in targets(compilation):
        if compilation.input is None and declared_input(definition) is None:
            problems.run(lambda: parameters(program, definition, compilation.overrides))
            outcome.static.append(definition)
            continue
        one = dataclasses.replace(compilation, model=definition.name, problems=Collector(), draft=None, graph=None)
        problems.run(lambda: run(one, start="elaborate"))
        outcome.elaborated.append(definition)
    outcome.errors = problems.errors
    return outcome


def targets(compilation: Compilation) -> list[ast.ModelDef]:
    """Every model of the file (a derived one as what it derives); or, with a model option, the one `shapes`
    would elaborate."""
    program = compilation.program
    if compilation.model is not None or compilation.overrides or compilation.input is not None:
        return [program.model(compilation.model)]
    return [program.effective(model) for model in program.models]  # `model B = A(k=v)`: A's body and input

