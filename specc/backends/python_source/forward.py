"""The `forward` of a class whose body is not a plain sequence: straight-line code, one line a layer.

    def forward(self, x):
        identity = x
        out = self.conv1(x)  # [N, channels, H, W]
        x = out + identity  # [N, channels, H, W]
        return x

An `add` or `mul` names its branches `out` and `identity` (then `branch3`,
...), a concat `branch1`, `branch2`, ... (or `out` when one branch
computes); `chunk` and `split` name the slices after their source (`x1`,
`x2`) and compute each branch in its slice's variable. A branch's variables
are free again after its combine.
"""

from __future__ import annotations

from typing import Callable

from ...syntax.templates import MODULE_NAME, is_plain
from .namespace import Namespace, identifier
from .planning import slicing
from .shapes import combined_shape, computes

INDENT = "    "


class Forward:
    """Writes one forward: variables from `names`, each line's comment from `shapes` (by node id)."""

    def __init__(self, names: Namespace, shapes: dict[int, tuple], shape_text: Callable[[tuple], str]) -> None:
        self.names = names
        self.shapes = shapes
        self.shape_text = shape_text  # a shape -> `[N, channels, H, W]`
        self.lines: list[str] = []

    def render(self, body, indent: str, inputs: tuple[str, ...] = ("x",), outputs=None) -> list[str]:
        """`def forward(self, x)`: or with the model's named inputs, returning its `output`."""
        inner = indent + INDENT
        params = [self._value_name(name) for name in inputs]
        for name in _values(body):  # named before any branch: a branch's names are freed after it
            self._value_name(name)
        self.lines = [f"{indent}def forward(self, {', '.join(params)}):"]
        out = self.sequence(body, params[0], "x" if "x" in inputs else self.names.create_name("x"), inner)
        if outputs is None:
            self.lines.append(f"{inner}return {out}")
        elif outputs[0] == "training":
            self.lines.append(f"{inner}if self.training:")
            self.lines.append(f"{inner}{INDENT}return {self._returned(outputs[1])}")
            self.lines.append(f"{inner}return {self._returned(outputs[2])}")
        else:
            self.lines.append(f"{inner}return {self._returned(outputs)}")
        return self.lines

    def _value_name(self, name: str) -> str:
        """The variable of a named value (the same for every write and read of it)."""
        return self.names.create_name(name, ("value", name))

    def _returned(self, tree) -> str:
        """`{"out": out, "aux": aux}`, `(logits, aux2, aux1)`: what `output` returns, as code."""
        kind = tree[0]
        if kind == "value":
            return self.names.name(("value", tree[1]))
        if kind == "training":  # nested in a tuple or dict: as an expression
            return f"{self._returned(tree[1])} if self.training else {self._returned(tree[2])}"
        if kind == "dict":
            return "{" + ", ".join(f'"{identifier(key)}": {self._returned(item)}' for key, item in tree[1]) + "}"
        items = [self._returned(item) for item in tree[1]]
        if kind == "list":
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

    def sequence(self, nodes, source: str, target: str, indent: str) -> str:
        """Lines computing `nodes` in turn from `source` into `target`; the variable holding the result."""
        current = source
        for node in nodes:
            if node.kind == "combine":
                current = self.combine(node, current, target, indent)
            elif node.kind == "value":
                variable = self.names.name(("value", node.name))
                if node.op == "read":
                    current = variable  # the next line reads the value
                elif variable != current:
                    self.lines.append(f"{indent}{variable} = {current}")
            elif node.kind == "module" and (node.inputs or node.results):
                current = self.block_call(node, current, target, indent)
            elif node.module:
                shape = self.shape_text(self.shapes.get(id(node), node.out_shape))
                self.lines.append(f"{indent}{target} = self.{attribute(node.name)}({current})  # {shape}")
                current = target
        return current

    def block_call(self, node, source: str, target: str, indent: str) -> str:
        """`x = self.up(x, skip)`, or `out, aux = self.backbone(x)` for a block that returns several values."""
        args = ", ".join([source, *(self.names.name(("value", value)) for _, value in node.inputs)])
        call = f"self.{attribute(node.name)}({args})"
        if not node.results:
            shape = self.shape_text(self.shapes.get(id(node), node.out_shape))
            self.lines.append(f"{indent}{target} = {call}  # {shape}")
            return target
        results = [self.names.name(("value", name)) for name in node.results]
        self.lines.append(f"{indent}{', '.join(results)} = {call}")
        return results[-1]  # (nothing flows on: the next statement reads a value)

    def combine(self, node, source: str, target: str, indent: str) -> str:
        with self.names.released():  # branch variables are dead after the combine: reuse their names
            results = self.branches(node, source, indent)
        if node.op in ("add", "mul"):
            expression = (" + " if node.op == "add" else " * ").join(results)
        else:
            expression = f"{self.names.use('torch.cat')}([{', '.join(results)}], dim=1)"
        shape = self.shape_text(combined_shape(node, self.shapes))
        self.lines.append(f"{indent}{target} = {expression}  # {shape}")
        return target

    def branches(self, node, source: str, indent: str) -> list[str]:
        if node.parts is not None:
            return self.sliced_branches(node, source, indent)
        alias = source
        if node.op in ("add", "mul") and any(_passes_input(b) for b in node.branches) and source != "identity":
            alias = self.names.create_name("identity")
            self.lines.append(f"{indent}{alias} = {source}")
        results = []
        for branch, base in zip(node.branches, _branch_names(node)):
            if computes(branch):
                results.append(self.sequence(branch, source, self.names.create_name(base), indent))
            else:  # the input itself, or a named value it reads
                results.append(self.sequence(branch, alias, alias, indent))
        return results

    def sliced_branches(self, node, source: str, indent: str) -> list[str]:
        """`x1, x2 = x.chunk(2, dim=1)`, then each branch from its slice (ShuffleNetV2's channel routing)."""
        slices = [self.names.create_name(f"{source}{i}") for i in range(1, len(node.branches) + 1)]
        cut = slicing(node)
        if isinstance(cut, int):
            expression = f"{source}.chunk({cut}, dim=1)"
        else:
            expression = f"{self.names.use('torch.split')}({source}, [{', '.join(map(str, cut))}], dim=1)"
        targets = ", ".join(slices) + ("," if len(slices) == 1 else "")
        self.lines.append(f"{indent}{targets} = {expression}")
        return [self.sequence(branch, part, part, indent) if computes(branch) else part
                for branch, part in zip(node.branches, slices)]


def _passes_input(branch) -> bool:
    """A branch that hands on the combinator's input unchanged (`identity`; no named value read)."""
    return not computes(branch) and not any(n.kind == "value" and n.op == "read" for n in branch)


def _values(body):
    """The names of the values of a forward: in its body and its combinators' branches, not in submodules."""
    for node in body:
        if node.kind == "value":
            yield node.name
        elif node.kind == "module":
            yield from node.results
        elif node.kind == "combine":
            for branch in node.branches:
                yield from _values(branch)


def _branch_names(node) -> list[str]:
    count = len(node.branches)
    if node.op in ("add", "mul"):
        return ["out", "identity"] + [f"branch{i}" for i in range(3, count + 1)]
    if sum(computes(b) for b in node.branches) == 1:
        return ["out"] * count
    return [f"branch{i}" for i in range(1, count + 1)]


def attribute(name: str) -> str:
    """`self.<attribute>`: a checked identifier, or `_modules["0"]` for a number or a quoted name."""
    return name if is_plain(name) and identifier(name) else f"_modules[{module_name(name)}]"


def module_name(name: str) -> str:
    """A module name as a string literal (`"block1-0"`), once checked to hold nothing but safe characters."""
    if not MODULE_NAME.fullmatch(name):
        raise ValueError(f"not a safe module name: {name!r}")
    return f'"{name}"'
