"""Initialisation for the torch back-ends: the rules of a graph as the steps a person would write.

The IR gives every layer the rule of each tensor (`init` statements,
resolved by elaboration). Both torch back-ends initialise from one plan made
here, after the whole model is built (each layer first draws torch's default
initialisation, as `nn.Linear(...)` does), so the module from `specc.build`
and the generated file's class draw the same numbers in the same order:

    for m in self.modules():                       # Loop(root="", cases=...)
        if type(m) in (nn.Conv2d, nn.Linear):       # Case(classes, rules)
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:                  # a rule by op skips layers without the tensor
                nn.init.zeros_(m.bias)
    nn.init.constant_(self.fc.weight, 42)           # Line: `init layer fc: weight=constant(42)`

A case tests a module's exact class, as the seeds' `type(m) == nn.Linear`
does: `isinstance` would also catch subclasses (`LayerNorm2d` is an
`nn.LayerNorm`), which a rule for another op must not reach.

A rule by op becomes a loop over the modules of the model, or of the
block instance or container it was written for, when every layer of those
classes there has it; otherwise one line per tensor. A rule for one layer
(`init layer`) is a line after the loops. `plan` checks its own result: run
over the IR as torch would run it, the plan leaves every tensor with exactly
its rule and draws no tensor twice for rules by op.

Data and small functions only, as `torch_lowering.py`: no `import torch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Optional, Union

from .. import ir
from ..initializers import CATALOGUE, MODES, NONLINEARITIES, Rule
from ..ops import OPS
from .torch_lowering import lower_layer


@dataclass(frozen=True)
class Call:
    """A rule as torch's call: `nn.init.<function>(tensor, *positional, **keywords)`, defaults left out."""

    function: str
    positional: tuple
    keywords: tuple[tuple[str, Any], ...]


def lower_rule(rule: Rule) -> Call:
    """`normal(std=0.01)` -> `nn.init.normal_(w, std=0.01)`; a required argument (constant's `val`) positional."""
    initializer = CATALOGUE[rule.name]
    positional, keywords = [], []
    for (name, value), arg in zip(rule.args, initializer.args):
        if arg.required:
            positional.append(value)
        elif value != arg.default:
            keywords.append((name, value))
    return Call(rule.name + "_", tuple(positional), tuple(keywords))


def choice_text(value: str) -> str:
    """A string argument as code: one of the catalogue's own (`"fan_out"`), never text from a spec."""
    if value not in MODES and value not in NONLINEARITIES:
        raise ValueError(f"not a string an init rule takes: {value!r}")
    return f'"{value}"'


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Case:
    """`if type(m) in (nn.Conv2d, nn.Linear):` and the rule of each tensor; `guarded` ones are
    written under `if m.<tensor> is not None:` (some module of those classes there lacks the tensor).
    A class is (home, name), as the lowering table gives it: ("nn", "Conv2d"), ("torch_layers", "LayerNorm2d")."""

    classes: tuple[tuple[str, str], ...]
    rules: tuple[tuple[str, Rule, bool], ...]


@dataclass(frozen=True)
class Loop:
    """`for m in <root>.modules():` with one branch per case; `root` is a module path, "" the model."""

    root: str
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Line:
    """`nn.init.<rule>_(<path>.<tensor>)`: one tensor of one module."""

    path: str
    tensor: str
    rule: Rule


Step = Union[Loop, Line]


@dataclass(frozen=True)
class _Unit:
    """A layer module as `modules()` meets it (once, however often it is applied)."""

    path: str
    cls: tuple[str, str]      # (home, class), as the lowering table gives them
    tensors: tuple[str, ...]  # those the module has (a bias-free linear has no `bias`)
    order: tuple[str, ...]    # every tensor of its op, in order
    init: dict                # rules by op, tensor -> Rule
    init_layer: dict          # rules for this layer
    opaque: bool = False      # a declared op's module: its tensors and submodules are its own


def plan(graph: ir.Graph) -> tuple[Step, ...]:
    """The steps that give every tensor of `graph` its rule (see the module docstring)."""
    units = list(_units(graph.body))
    if not any(u.init or u.init_layer for u in units):
        return ()
    covered: set[str] = set()
    steps: list[Step] = []
    root = _loop("", units, covered, minimum=1)
    if root:
        steps.append(root)
    for module in _modules(graph.body):
        inside = [u for u in units if u.path.startswith(module.path + ".")]
        loop = _loop(module.path, inside, covered, minimum=2)
        if loop:
            steps.append(loop)
    for unit in units:
        if unit.path not in covered:
            steps += [Line(unit.path, t, unit.init[t]) for t in unit.tensors if t in unit.init
                      and t not in unit.init_layer]
    for unit in units:
        steps += [Line(unit.path, t, unit.init_layer[t]) for t in unit.tensors if t in unit.init_layer]
    _check(steps, units)
    return tuple(steps)


def _units(body, seen: Optional[set] = None) -> Iterator[_Unit]:
    """Every layer module of `body`, in `named_modules()` order; a shared one where it is first applied."""
    for node in ir.attributes(body):
        if node.shares:
            continue
        if node.kind == "module":
            yield from _units(node.body)
            continue
        call = lower_layer(node)
        if node.declared is not None:
            yield _Unit(node.path, (call.home, f"{call.module}.{call.cls}"), (), (), {}, {}, opaque=True)
            continue
        op = OPS[node.op]
        tensors = tuple(t.name for t in op.tensors if t.shape(node.args, node.in_shape) is not None)
        yield _Unit(node.path, (call.home, call.cls), tensors,
                    tuple(t.name for t in op.tensors), dict(node.init), dict(node.init_layer))


def _modules(body) -> Iterator[ir.Module]:
    """Every module node (block instance, container) in pre-order; a shared one once."""
    for node in ir.attributes(body):
        if node.kind == "module" and not node.shares:
            yield node
            yield from _modules(node.body)


def _loop(root: str, units: list[_Unit], covered: set[str], minimum: int) -> Optional[Loop]:
    """A loop over `root`'s modules for every class whose layers there all take the same rules by op.

    None when no class qualifies, or the loop would initialise fewer than `minimum` modules. A class
    with a layer already covered (by an enclosing loop) is left to lines, so nothing is drawn twice.
    Classes whose rules agree share a case (`type(m) in (nn.Conv2d, nn.Linear)`).
    """
    if any(unit.opaque for unit in units):
        # `modules()` would reach into a custom layer's own submodules (an nn.Linear inside it, or
        # a declared torch.nn class), which specc knows nothing of: lines, each for one known tensor.
        return None
    by_class: dict[tuple[str, str], list[_Unit]] = {}
    for unit in units:
        by_class.setdefault(unit.cls, []).append(unit)
    cases: list[tuple[dict, list, list[_Unit]]] = []  # (tensor -> rule or None, classes, units)
    for cls, group in by_class.items():
        wanted = _common_rules(group)
        if wanted is None or any(u.path in covered for u in group):
            continue
        for case in cases:
            if all(case[0][t] == rule for t, rule in wanted.items() if t in case[0]):
                case[0].update(wanted)
                case[1].append(cls)
                case[2].extend(group)
                break
        else:
            cases.append((dict(wanted), [cls], list(group)))
    members = [u for _, _, group in cases for u in group]
    if not cases or len(members) < minimum:
        return None
    covered.update(u.path for u in members)
    return Loop(root, tuple(Case(tuple(classes), _case_rules(wanted, group)) for wanted, classes, group in cases))


def _common_rules(group: list[_Unit]) -> Optional[dict]:
    """tensor -> the rule by op every unit of `group` having the tensor takes (None: no rule); None if
    they differ, or no tensor has a rule."""
    wanted: dict = {}
    for unit in group:
        for tensor in unit.tensors:
            rule = unit.init.get(tensor)
            if wanted.setdefault(tensor, rule) != rule:
                return None
    return wanted if any(rule is not None for rule in wanted.values()) else None


def _case_rules(wanted: dict, group: list[_Unit]) -> tuple[tuple[str, Rule, bool], ...]:
    """The case's rules in torch's parameter order, each guarded when a module of the case lacks the tensor."""
    order = list(dict.fromkeys(t for unit in group for t in unit.order))
    return tuple((t, wanted[t], any(t not in u.tensors for u in group)) for t in order
                 if wanted.get(t) is not None)


def draws(steps: tuple[Step, ...], units: list[_Unit]) -> Iterator[tuple[str, str, Rule]]:
    """(path, tensor, rule) in the order torch runs `steps`, as the loops meet the modules."""
    for step in steps:
        if isinstance(step, Line):
            yield step.path, step.tensor, step.rule
            continue
        for unit in units:
            if step.root and not unit.path.startswith(step.root + "."):
                continue
            case = next((c for c in step.cases if unit.cls in c.classes), None)
            if case is None:
                continue
            for tensor, rule, guarded in case.rules:
                if tensor in unit.tensors:
                    yield unit.path, tensor, rule
                elif not guarded:
                    raise AssertionError(f"an unguarded rule for {unit.path}.{tensor}, which does not exist")


def _check(steps: list[Step], units: list[_Unit]) -> None:
    """The plan gives every tensor its rule, and draws rules by op once each (a bug otherwise)."""
    final: dict[tuple[str, str], Rule] = {}
    drawn: dict[tuple[str, str], int] = {}
    for path, tensor, rule in draws(tuple(steps), units):
        final[path, tensor] = rule
        drawn[path, tensor] = drawn.get((path, tensor), 0) + 1
    for unit in units:
        wanted = {**unit.init, **unit.init_layer}
        for tensor in unit.tensors:
            if final.get((unit.path, tensor)) != wanted.get(tensor):
                raise AssertionError(f"the init plan gives {unit.path}.{tensor} {final.get((unit.path, tensor))}, "
                                     f"not {wanted.get(tensor)}")
            if drawn.get((unit.path, tensor), 0) > 1 + (tensor in unit.init_layer):
                raise AssertionError(f"the init plan draws {unit.path}.{tensor} more than once")
