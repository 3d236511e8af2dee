"""The spec's `init` rules as the last lines of the model's `__init__`, as torchvision writes them.

    for m in self.modules():
        if type(m) is nn.Conv2d:
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif type(m) is nn.BatchNorm2d:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    nn.init.zeros_(self.layer1[0].bn2.weight)

The steps are `torch_init.plan`'s, the ones the in-memory module runs, so
both draw the same numbers. A module is reached by attribute (`self.fc`),
by position in an `nn.Sequential` (`self[2]`), or, for a quoted name, by
`self.get_submodule("block1-0.conv")`.
"""

from __future__ import annotations

from ...ir import Graph, attributes
from ...syntax.templates import is_plain
from ..torch_init import Line, Step, choice_text, lower_rule
from .forward import INDENT, module_name
from .literals import literal
from .namespace import Namespace, identifier


def init_lines(graph: Graph, steps: tuple[Step, ...], names: Namespace, indent: str) -> list[str]:
    """The code of `steps` at `indent`, in the model's `__init__` (whose names `names` holds)."""
    if not steps:
        return []
    paths = _accessors(graph)
    lines: list[str] = []
    for step in steps:
        if isinstance(step, Line):
            lines.append(f"{indent}{_call(step.rule, f'{paths[step.path]}.{identifier(step.tensor)}', names)}")
            continue
        m = names.create_name("m", "init-loop-variable")
        lines.append(f"{indent}for {m} in {paths[step.root]}.modules():")
        for index, case in enumerate(step.cases):
            # The exact class (the seeds' `type(m) == nn.Linear`): `isinstance` would catch subclasses too.
            classes = [names.use("nn." + cls) if home == "nn" else names.define(cls) for home, cls in case.classes]
            test = f"is {classes[0]}" if len(classes) == 1 else "in (" + ", ".join(classes) + ")"
            lines.append(f"{indent}{INDENT}{'if' if index == 0 else 'elif'} type({m}) {test}:")
            for tensor, rule, guarded in case.rules:
                inner = indent + INDENT * 2
                if guarded:
                    lines.append(f"{inner}if {m}.{identifier(tensor)} is not None:")
                    inner += INDENT
                lines.append(f"{inner}{_call(rule, f'{m}.{identifier(tensor)}', names)}")
    return lines


def _call(rule, target: str, names: Namespace) -> str:
    call = lower_rule(rule)
    args = [target, *(_value(v) for v in call.positional)]
    args += [f"{identifier(k)}={_value(v)}" for k, v in call.keywords]
    return f"{names.use('nn.init.' + call.function)}({', '.join(args)})"


def _value(value) -> str:
    return choice_text(value) if isinstance(value, str) else literal(value)


def _accessors(graph: Graph) -> dict[str, str]:
    """Every module path -> the code that reaches it from `self`."""
    out = {"": "self"}
    _walk(graph.body, graph.sequential, "self", [], out)
    return out


def _dotted(parts: list[str]) -> str:
    """`"b2.block1-0.conv"`: a module path as a string literal, each part checked as a module name."""
    return '"' + ".".join(module_name(part)[1:-1] for part in parts) + '"'


def _walk(body, sequential: bool, code: str, parts: list[str], out: dict[str, str]) -> None:
    for position, node in enumerate(attributes(body)):
        if node.shares:
            continue
        name = node.name
        path = parts + [name]
        if code is None:
            child = None
        elif sequential and name == str(position):
            child = f"{code}[{position}]"
        elif is_plain(name):
            child = f"{code}.{identifier(name)}"
        else:
            child = None  # a quoted name (`block1-0`): no attribute access reaches it
        out[node.path] = child if child is not None else f"self.get_submodule({_dotted(path)})"
        if node.kind == "module":
            _walk(node.body, node.sequential, child, path, out)
