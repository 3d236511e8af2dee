"""The forward-order fold over the IR that the analyses share: what flows into each node and out of it.

    done = fold(graph, rule)
    done.results[id(node)]    # what `rule` computed for the data leaving `node`

The fold follows the data exactly as the built module does (the plan of
`backends/torch_module.py`): a layer maps the flow, a combine hands each
branch its input (the flow, or its slice of the channels for `chunk` and
`split`) and joins the branches' outputs, a `Value` write keeps the flow
under a name of the module's scope and a read takes it back, and a block
instance or named container runs its body in a scope of its own, given the
caller's values it takes and giving back what it returns. What is computed
is the rule's business:

    rule.input(name, shape)        a model input
    rule.layer(node, x)            a layer's output, from its input
    rule.part(combine, x, index)   a branch's input
    rule.join(combine, outs)       a combine's output, from its branches' outputs

A rule does whatever bookkeeping it needs in these calls, which come in
forward order (the order torch runs the ops in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..ir import Graph, Node


class Rule(Protocol):
    def input(self, name: str, shape: tuple) -> Any: ...

    def layer(self, node: Node, x: Any) -> Any: ...

    def part(self, node: Node, x: Any, index: int) -> Any: ...

    def join(self, node: Node, outs: list) -> Any: ...


@dataclass
class Folded:
    """The fold's outcome: each node's result, what flows out of the body, and the model's named values."""

    results: dict[int, Any]
    out: Any
    values: dict[str, Any]


def fold(graph: Graph, rule: Rule) -> Folded:
    inputs = graph.inputs or (("x", graph.input),)
    values = {name: rule.input(name, shape) for name, shape in inputs}
    results: dict[int, Any] = {}
    out = _body(graph.body, values[inputs[0][0]], values, rule, results)
    return Folded(results, out, values)


def _body(body: tuple, x: Any, values: dict, rule: Rule, results: dict) -> Any:
    for node in body:
        kind = node.kind
        if kind == "layer":
            x = rule.layer(node, x)
        elif kind == "value":
            if node.op == "write":
                values[node.name] = x
            else:
                x = values[node.name]
        elif kind == "combine":
            outs = [_body(branch, rule.part(node, x, index), values, rule, results)
                    for index, branch in enumerate(node.branches)]
            x = rule.join(node, outs)
        else:
            x, shown = _module(node, x, values, rule, results)
            results[id(node)] = shown
            continue
        results[id(node)] = x
    return x


def _module(node, x: Any, values: dict, rule: Rule, results: dict) -> tuple[Any, Any]:
    """A block instance or named container: the one place that knows how data enters and leaves a module.

    Its body runs in a scope of its own, which holds the tensors the block is given (`inputs`: the
    caller's values under the block's parameter names). It gives the caller what flows out of its body,
    or the one value it returns; several values it returns become the caller's named values (`results`)
    and nothing flows on. Returns (what flows on, what the module's row shows: its first result).
    """
    scope = {param: values[value] for param, value in node.inputs}
    out = _body(node.body, x, scope, rule, results)
    if not node.returns:
        return out, out
    returned = [scope[name] for name in node.returns]
    if node.results:
        values.update(zip(node.results, returned))
        return None, returned[0]
    return returned[0], returned[0]
