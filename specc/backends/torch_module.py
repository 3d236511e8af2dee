"""The torch back-end: the layer graph IR to an in-memory `torch.nn.Module`.

    net = build_module(specc.shapes("specs/resnet18.spec"))
    print(net)            # ResNet18( (b1): B1(...) (b2): ResnetBlock( (0): Residual(...

Every IR module becomes a real class named for what it is: the root exactly
as the model (`ResNet18`), a block instance or named container by the class
name the generated file uses (`naming.class_name`: `resnet_block` ->
`ResnetBlock`, `b1` -> `B1`; one class for every instance, where the file
numbers structural variants). Layers are built from the torch table
(`torch_lowering.py`), the one the source back-end writes from; a declared
op's layer from the user's class, imported and checked by `user_modules.py`. A
sequential body compiles to an `nn.Sequential` subclass; any other body (one
with `concat` or `add`) to an `nn.Module` whose forward runs a small plan
precompiled from the IR:

    plan  = (step, ...)
    step  = ("call", child_name, reads, results)   # the child also takes the named values `reads`;
                                                   # `results`: the names its several results get
          | ("write" | "read", value_name)
          | ("combine", "concat" | "add" | "mul", (plan, ...), None)   # one plan per branch
          | ("combine", "chunk" | "split", (plan, ...), (c1, c2, ...))  # branch i reads c_i channels

`identity` is the empty plan. The plan holds only strings and tuples, so the
forward has no data-dependent control flow and `torch.export` traces it.
Children are registered under their IR names, in forward order, so
`named_modules()` paths are the IR's `path`s.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any, Optional

import torch
from torch import nn

from .. import ir
from ..elaborate import SEQUENTIAL
from ..naming import class_name
from . import torch_layers
from .torch_init import Line, Loop, Step, lower_rule, plan
from .torch_lowering import lower_layer

Plan = tuple


def build_module(graph: ir.Graph) -> nn.Module:
    """The model of `graph` as a `torch.nn.Module` with freshly initialised weights.

    Every layer draws torch's default initialisation as it is made; then the spec's `init` rules
    run, in the steps the generated file writes at the end of its `__init__` (`torch_init.plan`).
    """
    inputs = tuple(name for name, _ in graph.inputs) or ("x",)
    outputs = None if graph.outputs is None else _output_plan(graph.outputs)
    net = _container(graph.model, graph.body, graph.sequential, graph.model, inputs, outputs)
    initialise(net, plan(graph))
    return net


def initialise(net: nn.Module, steps: tuple[Step, ...]) -> None:
    """Run the init plan on `net` as the generated code does: loops over `modules()`, then single tensors."""
    for step in steps:
        if isinstance(step, Line):
            _draw(step.rule, getattr(net.get_submodule(step.path), step.tensor))
            continue
        assert isinstance(step, Loop)
        cases = [(tuple(getattr(nn if home == "nn" else torch_layers, cls) for home, cls in case.classes), case.rules)
                 for case in step.cases]
        for module in net.get_submodule(step.root).modules():
            for classes, rules in cases:
                if type(module) in classes:  # the exact class, as the generated file tests it
                    for tensor, rule, guarded in rules:
                        if not guarded or getattr(module, tensor) is not None:
                            _draw(rule, getattr(module, tensor))
                    break


def _draw(rule, tensor: torch.Tensor) -> None:
    call = lower_rule(rule)
    getattr(nn.init, call.function)(tensor, *call.positional, **dict(call.keywords))


# ---------------------------------------------------------------- containers


def _container(cls: str, body: tuple[ir.Node, ...], sequential: bool, model: str,
               inputs: tuple[str, ...] = ("x",), outputs: Optional[tuple] = None) -> nn.Module:
    children = _children(body, model)
    if sequential:
        return _class(cls, SpecSequential)(children)
    return _class(cls, SpecModule)(children, _plan(body), inputs, outputs)


def _children(body: tuple[ir.Node, ...], model: str) -> OrderedDict:
    children: OrderedDict = OrderedDict()
    for node in ir.attributes(body):
        # A shared layer is one object: at each of its places in an nn.Sequential, or once as an attribute.
        children[node.name] = children[node.shares.rpartition(".")[2]] if node.shares else _child(node, model)
    return children


def _child(node: ir.Node, model: str) -> nn.Module:
    if node.kind == "module":
        if node.cls == SEQUENTIAL and node.block is None and node.sequential:
            return nn.Sequential(_children(node.body, model))
        inputs = ("x", *(param for param, _ in node.inputs))
        return _container(class_name(node.cls, model), node.body, node.sequential, model, inputs,
                          _returns_plan(node.returns))
    call = lower_layer(node)
    if call.home == "user":  # a declared op: the user's class, imported and checked by a dry run
        from . import user_modules

        return user_modules.build(node, call)
    home = nn if call.home == "nn" else torch_layers  # the generated file defines the latter's classes too
    return getattr(home, call.cls)(*call.positional(), **call.keywords())


def _plan(body: tuple[ir.Node, ...]) -> Plan:
    steps = []
    for node in body:
        if node.kind == "combine":
            steps.append(("combine", node.op, tuple(_plan(branch) for branch in node.branches), node.parts))
        elif node.kind == "value":
            steps.append((node.op, node.name))  # ("write", name) keeps the data flowing here; "read" takes it
        elif node.module:
            reads = tuple(value for _, value in node.inputs) if node.kind == "module" else ()
            results = node.results if node.kind == "module" else ()
            steps.append(("call", node.name, reads, results))
    return tuple(steps)


def _returns_plan(returns: tuple) -> Optional[tuple]:
    """What a block's forward returns: its flow (None), one of its values, or a tuple of them."""
    if not returns:
        return None
    if len(returns) == 1:
        return ("value", returns[0])
    return ("tuple", tuple(("value", name) for name in returns))


def _output_plan(tree: tuple) -> tuple:
    """`elaborate._outputs`' tree without its shapes: what the forward returns."""
    kind = tree[0]
    if kind == "value":
        return ("value", tree[1])
    if kind == "training":
        return ("training", _output_plan(tree[1]), _output_plan(tree[2]))
    if kind == "dict":
        return ("dict", tuple((key, _output_plan(item)) for key, item in tree[1]))
    return (kind, tuple(_output_plan(item) for item in tree[1]))


# ---------------------------------------------------------------- the generated classes


class SpecSequential(nn.Sequential):
    """A module whose body is a plain sequence; the children keep their IR names."""


class SpecModule(nn.Module):
    """A module whose forward follows a plan (see the module docstring)."""

    def __init__(self, children: OrderedDict, plan: Plan, inputs: tuple[str, ...] = ("x",),
                 outputs: Optional[tuple] = None) -> None:
        super().__init__()
        for name, child in children.items():
            self.add_module(name, child)
        # `_`: spec names never start with one, so no child clashes
        self._plan, self._inputs, self._outputs = plan, inputs, outputs

    def forward(self, *inputs: torch.Tensor) -> Any:
        values = dict(zip(self._inputs, inputs))  # named values: the inputs, then each `as name`
        x = self._run(self._plan, inputs[0], values)
        return x if self._outputs is None else self._output(self._outputs, values)

    def _run(self, plan: Plan, x: torch.Tensor, values: dict) -> torch.Tensor:
        for step in plan:
            kind = step[0]
            if kind == "call":
                _, name, reads, results = step
                x = self._modules[name](x, *(values[value] for value in reads))
                if results:  # several results, each a named value; nothing flows on
                    values.update(zip(results, x))
                    x = None
            elif kind == "write":
                values[step[1]] = x
            elif kind == "read":
                x = values[step[1]]
            else:
                x = self._combine(step, x, values)
        return x

    def _output(self, tree: tuple, values: dict) -> Any:
        kind = tree[0]
        if kind == "value":
            return values[tree[1]]
        if kind == "training":
            return self._output(tree[1] if self.training else tree[2], values)
        if kind == "dict":
            return {key: self._output(item, values) for key, item in tree[1]}
        items = [self._output(item, values) for item in tree[1]]
        return tuple(items) if kind == "tuple" else items

    def _combine(self, step: tuple, x: torch.Tensor, values: dict) -> torch.Tensor:
        _, op, branches, parts = step
        if parts is not None:  # `chunk`/`split`: each branch reads its slice of the channels
            slices = torch.split(x, list(parts), dim=1)
            return torch.cat([self._run(branch, part, values) for branch, part in zip(branches, slices)], dim=1)
        outs = [self._run(branch, x, values) for branch in branches]
        if op == "concat":
            return torch.cat(outs, dim=1)
        return _fold(outs, operator.add if op == "add" else operator.mul)

    def extra_repr(self) -> str:
        return "forward: " + describe(self._plan)


def _fold(tensors: list[torch.Tensor], combine) -> torch.Tensor:
    total = tensors[0]
    for tensor in tensors[1:]:
        total = combine(total, tensor)
    return total


def describe(plan: Plan) -> str:
    """`add(conv1 -> bn1, identity) -> relu`: a plan in one line, for `print(model)`."""
    if not plan:
        return "identity"
    parts = []
    for step in plan:
        if step[0] == "call":
            _, name, reads, results = step
            call = f"{name}({', '.join(reads)})" if reads else name
            parts.append(f"{call} as ({', '.join(results)})" if results else call)
        elif step[0] == "write":
            parts.append(f"as {step[1]}")
        elif step[0] == "read":
            parts.append(f"read {step[1]}")
        else:
            parts.append(f"{step[1]}(" + ", ".join(describe(branch) for branch in step[2]) + ")")
    return " -> ".join(parts)


_CLASSES: dict[tuple[str, type], type] = {}


def _class(name: str, base: type) -> type:
    """A subclass of `base` named `name`, so that `print(model)` reads like hand-written code."""
    key = (name, base)
    if key not in _CLASSES:
        _CLASSES[key] = type(name, (base,), {"__module__": __name__, "__qualname__": name,
                                             "__doc__": base.__doc__})
    return _CLASSES[key]

