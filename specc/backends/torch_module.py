"""The torch back-end: the layer graph IR to an in-memory `torch.nn.Module`.

    net = build_module(specc.shapes("specs/resnet18.spec"))
    print(net)            # ResNet18( (b1): B1(...) (b2): ResnetBlock( (0): Residual(...

Every IR module becomes a real class named for what it is: the root exactly
as the model (`ResNet18`), a block instance or named container by the class
name the generated file uses (`naming.class_name`: `resnet_block` ->
`ResnetBlock`, `b1` -> `B1`; one class for every instance, where the file
numbers structural variants). Layers are built from the torch table
(`torch_lowering.py`), the one the source back-end writes from. A
sequential body compiles to an `nn.Sequential` subclass; any other body (one
with `concat` or `add`) to an `nn.Module` whose forward runs a small plan
precompiled from the IR:

    plan  = (step, ...)
    step  = ("call", child_name)
          | ("combine", "concat" | "add", (plan, ...))   # one plan per branch

`identity` is the empty plan. The plan holds only strings and tuples, so the
forward has no data-dependent control flow and `torch.export` traces it.
Children are registered under their IR names, in forward order, so
`named_modules()` paths are the IR's `path`s.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .. import ir
from ..naming import class_name
from . import torch_layers
from .torch_lowering import lower

Plan = tuple


def build_module(graph: ir.Graph) -> nn.Module:
    """The model of `graph` as a `torch.nn.Module` with freshly initialised weights."""
    return _container(graph.model, graph.body, graph.sequential, graph.model)


# ---------------------------------------------------------------- containers


def _container(cls: str, body: tuple[ir.Node, ...], sequential: bool, model: str) -> nn.Module:
    children = OrderedDict((node.name, _child(node, model)) for node in ir.attributes(body))
    if sequential:
        return _class(cls, SpecSequential)(children)
    return _class(cls, SpecModule)(children, _plan(body))


def _child(node: ir.Node, model: str) -> nn.Module:
    if node.kind == "module":
        return _container(class_name(node.cls, model), node.body, node.sequential, model)
    call = lower(node.op, node.args, node.in_shape)
    home = nn if call.home == "nn" else torch_layers  # the generated file defines the latter's classes too
    return getattr(home, call.cls)(*call.positional(), **call.keywords())


def _plan(body: tuple[ir.Node, ...]) -> Plan:
    steps = []
    for node in body:
        if node.kind == "combine":
            steps.append(("combine", node.op, tuple(_plan(branch) for branch in node.branches)))
        elif node.module:
            steps.append(("call", node.name))
    return tuple(steps)


# ---------------------------------------------------------------- the generated classes


class SpecSequential(nn.Sequential):
    """A module whose body is a plain sequence; the children keep their IR names."""


class SpecModule(nn.Module):
    """A module whose forward follows a plan (see the module docstring)."""

    def __init__(self, children: OrderedDict, plan: Plan) -> None:
        super().__init__()
        for name, child in children.items():
            self.add_module(name, child)
        self._plan = plan  # `_`: spec names never start with one, so no child clashes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(self._plan, x)

    def _run(self, plan: Plan, x: torch.Tensor) -> torch.Tensor:
        for step in plan:
            if step[0] == "call":
                x = self._modules[step[1]](x)
            else:
                outs = [self._run(branch, x) for branch in step[2]]
                x = torch.cat(outs, dim=1) if step[1] == "concat" else _sum(outs)
        return x

    def extra_repr(self) -> str:
        return "forward: " + describe(self._plan)


def _sum(tensors: list[torch.Tensor]) -> torch.Tensor:
    total = tensors[0]
    for tensor in tensors[1:]:
        total = total + tensor
    return total


def describe(plan: Plan) -> str:
    """`add(conv1 -> bn1, identity) -> relu`: a plan in one line, for `print(model)`."""
    if not plan:
        return "identity"
    parts = []
    for step in plan:
        if step[0] == "call":
            parts.append(step[1])
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

