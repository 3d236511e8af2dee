"""The catalogue of initialisation rules: torch.nn.init's, with their arguments and what they need.

`init` statements name rules from here, as layers name ops from `ops.py`:

    init conv, linear: weight=xavier_uniform, bias=zeros
    init layer fc: weight=normal(std=0.01)

A rule is written bare (`zeros`) or called with positional and keyword
arguments in torch's order (`uniform(-10, 10)`, `kaiming_normal(mode="fan_out",
nonlinearity="relu")`). Binding checks the values and normalises them:

    >>> bind_rule(CATALOGUE["normal"], [], {"std": 0.01})
    Rule(name='normal', args=(('mean', 0.0), ('std', 0.01)))

Semantics only, as in the op registry: how a rule becomes a torch call is
the torch back-ends' table (`backends/torch_init.py`). The names and
arguments are torch's own (`nn.init.normal_(w, mean, std)`), so the rules
read as the code a person writes; no text of a spec reaches the generated
file except through this fixed catalogue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .diagnostics import suggest
from .expr import describe, show

REQUIRED = object()

# torch.nn.init.calculate_gain's nonlinearities, and kaiming's modes.
NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu")
MODES = ("fan_in", "fan_out")


class RuleProblem(Exception):
    """A value a rule cannot take; elaboration locates it at the argument (`arg`) or the rule."""

    def __init__(self, code: str, message: str, help: str = "", arg: Optional[str] = None) -> None:
        super().__init__(message)
        self.code, self.message, self.help, self.arg = code, message, help, arg


@dataclass(frozen=True)
class RuleArg:
    """One argument of a rule: torch's name, a kind (see `_KINDS`) and torch's default."""

    name: str
    kind: str
    default: Any = REQUIRED
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Initializer:
    """One rule of the catalogue: `normal`, `xavier_uniform`, ..."""

    name: str
    args: tuple[RuleArg, ...]
    doc: str
    min_rank: int = 0  # 2 for the rules that compute fans or a matrix: a bias or a batchnorm weight will not do
    check: Callable[[dict], None] = lambda values: None  # raises RuleProblem for values torch refuses
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {arg.name: arg for arg in self.args})

    def parameters(self) -> str:
        """`mean=0.0, std=1.0`: the arguments with torch's defaults, as help texts show them."""
        return ", ".join(a.name if a.required else f"{a.name}={show(a.default)}" for a in self.args)


@dataclass(frozen=True)
class Rule:
    """A bound rule: its name and every argument, normalised, in the catalogue's order.

    Two rules are equal when they draw the same way (`std=1` is `std=1.0`).
    """

    name: str
    args: tuple[tuple[str, Any], ...] = ()

    def text(self) -> str:
        """`normal(std=0.01)`: the rule as a spec writes it, arguments at their defaults left out."""
        initializer = CATALOGUE[self.name]
        given = [show(value) if initializer.by_name[name].required else f"{name}={show(value)}"
                 for name, value in self.args
                 if initializer.by_name[name].required or value != initializer.by_name[name].default]
        return f"{self.name}({', '.join(given)})" if given else self.name


# ---------------------------------------------------------------- argument kinds


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RuleProblem("E0401", f"expected {what}: a number, found {describe(value)} {show(value)}")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def check(value: Any, what: str) -> str:
        if not isinstance(value, str):
            raise RuleProblem("E0401", f"expected {what}: a string, found {describe(value)} {show(value)}",
                              help="one of " + ", ".join(f'"{c}"' for c in choices))
        if value not in choices:
            raise RuleProblem("E0402", f"expected {what}: one of {', '.join(show(c) for c in choices)}, found "
                              f"{show(value)}", help=(suggest(value, choices) or "").replace("`", '"'))
        return choices[choices.index(value)]  # the catalogue's own string, never the spec's
    return check


_KINDS: dict[str, Callable[[Any, str], Any]] = {
    "number": _number,
    "mode": _choice(MODES),
    "nonlinearity": _choice(NONLINEARITIES),
}


# ---------------------------------------------------------------- checks torch makes


def _at_most(low: str, high: str, strict: bool = False) -> Callable[[dict], None]:
    def check(values: dict) -> None:
        if values[low] > values[high] or strict and values[low] == values[high]:
            relation = "below" if strict else "at most"
            raise RuleProblem("E0402", f"expected `{low}` {relation} `{high}`, found {low}={show(values[low])} "
                              f"and {high}={show(values[high])}", arg=low,
                              help=f"`{low}` and `{high}` bound the values drawn, lowest first")
    return check


def _std(positive: bool) -> Callable[[dict], None]:
    def check(values: dict) -> None:
        std = values["std"]
        if std < 0 or positive and std == 0:
            raise RuleProblem("E0402", f"expected `std` {'above' if positive else 'at least'} 0, found {show(std)}",
                              arg="std", help="a standard deviation is not negative"
                              + ("" if not positive else "; truncating needs it above 0"))
    return check


def _both(*checks: Callable[[dict], None]) -> Callable[[dict], None]:
    def check(values: dict) -> None:
        for one in checks:
            one(values)
    return check


_GAIN = RuleArg("gain", "number", 1.0, "scales the bound or the standard deviation")
_KAIMING = (
    RuleArg("a", "number", 0, "the negative slope of the rectifier after this layer (leaky_relu)"),
    RuleArg("mode", "mode", "fan_in", '"fan_in" keeps the forward variance, "fan_out" the backward one'),
    RuleArg("nonlinearity", "nonlinearity", "leaky_relu", "the activation after this layer: its gain"),
)

# ---------------------------------------------------------------- the catalogue

CATALOGUE: dict[str, Initializer] = {rule.name: rule for rule in (
    Initializer("uniform", (RuleArg("a", "number", 0.0, "the lower bound"),
                            RuleArg("b", "number", 1.0, "the upper bound")),
                "values drawn uniformly from [a, b)", check=_at_most("a", "b")),
    Initializer("normal", (RuleArg("mean", "number", 0.0), RuleArg("std", "number", 1.0)),
                "values drawn from the normal distribution N(mean, std^2)", check=_std(positive=False)),
    Initializer("trunc_normal", (RuleArg("mean", "number", 0.0), RuleArg("std", "number", 1.0),
                                 RuleArg("a", "number", -2.0, "the lowest value"),
                                 RuleArg("b", "number", 2.0, "the highest value")),
                "values drawn from N(mean, std^2), redrawn outside [a, b]",
                check=_both(_std(positive=True), _at_most("a", "b", strict=True))),
    Initializer("constant", (RuleArg("val", "number", doc="the value"),), "every value `val`"),
    Initializer("ones", (), "every value 1"),
    Initializer("zeros", (), "every value 0"),
    Initializer("xavier_uniform", (_GAIN,),
                "Glorot's uniform initialisation, bound gain * sqrt(6 / (fan_in + fan_out))", min_rank=2),
    Initializer("xavier_normal", (_GAIN,), "Glorot's normal initialisation, std gain * sqrt(2 / (fan_in + fan_out))",
                min_rank=2),
    Initializer("kaiming_uniform", _KAIMING, "He's uniform initialisation, bound gain * sqrt(3 / fan)", min_rank=2),
    Initializer("kaiming_normal", _KAIMING, "He's normal initialisation, std gain / sqrt(fan)", min_rank=2),
    Initializer("orthogonal", (RuleArg("gain", "number", 1, "scales the matrix"),),
                "a (semi-)orthogonal matrix, the dims after the first flattened", min_rank=2),
)}


def bind_rule(initializer: Initializer, args: list, kwargs: dict) -> Rule:
    """The rule with `args` (in order) and `kwargs` (by name) bound, checked and normalised.

    The names and arity are checked before (`check.py`): here every value is
    checked against its kind and against what torch refuses (`std < 0`, `a > b`).
    """
    values: dict[str, Any] = {}
    for arg, value in zip(initializer.args, args):
        values[arg.name] = value
    values.update(kwargs)
    bound: dict[str, Any] = {}
    for arg in initializer.args:
        value = values[arg.name] if arg.name in values else arg.default
        try:
            bound[arg.name] = _KINDS[arg.kind](value, f"`{arg.name}`")
        except RuleProblem as problem:
            problem.arg = arg.name
            raise
        if isinstance(bound[arg.name], float) and not math.isfinite(bound[arg.name]):
            raise RuleProblem("E0405", f"expected a finite `{arg.name}`, found {bound[arg.name]}", arg=arg.name)
    initializer.check(bound)
    return Rule(initializer.name, tuple(bound.items()))
