"""The data-flow view of the IR: which node's output each node reads, with the shape on every edge.

The IR is a tree (modules, combines and their branches) in which named
values (`... as skip`, `skip -> ...`) and a model's several inputs and
outputs tie distant places together. This module resolves those ties once,
for every consumer: the report's `reads` and `edges`, and the picture.

    dag = build(graph)
    dag.edges        # (Edge("stem", "head", ("N", 8, 16, 16), value="s"), ...)
    dag.reads_of(node)   # what an IR node reads: (Read("stem", shape, "s"),)

Nodes are the model's inputs, every layer, combine and named-value row of
the IR, and the model's outputs, in forward order, each with a stable id:

- a layer that is a module: its path (`layer1.0.conv1`); a shared layer
  applied again in one module, whose path repeats, gets `#2`, `#3`, ...;
- any other row (`identity`, a combine, a value written or read): the path
  of the module that computes it, `#`, its op and its number among the rows
  of that op there (`layer1.0#add1`, `#as1`, `#read2` at the model's top);
- `input:NAME` for each input (`input:x` for an unnamed one); `output` for
  a model that returns its flow, `output:KEY` for each value `output`
  returns (`output:0`, `output:aux`, `output:training.1`).

Paths never hold `#` or `:`, so ids cannot clash. Edges join only the nodes
that compute (inputs, layers other than `identity`, combines, outputs):
`identity` and the value rows pass their input on, so a skip connection is
one edge from the layer that made the value to the one that reads it,
carrying the value's name. Static: reads the IR only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator, Optional

from . import ir
from .elaborate import IMPLICIT_INPUT
from .ops import Shape

# Node kinds: those that compute are joined by edges; the others pass their input on.
COMPUTING = frozenset(("input", "layer", "combine", "output"))


@dataclass(frozen=True, slots=True)
class Read:
    """What flows into a node: `source`'s output (or a slice of its channels), maybe through a named value."""

    source: str
    shape: Shape
    value: Optional[str] = None  # the named value it travels through, if it was read back by name


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    shape: Shape
    value: Optional[str] = None


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the DAG: an IR row (`ir` set), an input or an output."""

    id: str
    kind: str  # "input", "layer", "combine", "output", or "identity" and "value", which pass data on
    shape: Shape  # what it gives (an output: what it returns)
    reads: tuple[Read, ...]
    owners: tuple[ir.Module, ...] = ()  # the modules it is in, outermost first
    ir: Optional[object] = None
    name: str = ""  # an input's name; an output's key (empty for the one flow a model returns)

    @property
    def computes(self) -> bool:
        return self.kind in COMPUTING


@dataclass
class Dag:
    graph: ir.Graph
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    _by_ir: dict[int, Node] = field(default_factory=dict)  # id() of an IR node -> its DAG node
    _by_id: dict[str, Node] = field(default_factory=dict)

    def node(self, node_id: str) -> Node:
        return self._by_id[node_id]

    def of(self, node: ir.Node) -> Node:
        """The DAG node of an IR row (a layer, combine or value of this graph)."""
        return self._by_ir[id(node)]

    def reads_of(self, node: ir.Node) -> tuple[Read, ...]:
        return self.of(node).reads

    def computing(self) -> Iterator[Node]:
        return (node for node in self.nodes if node.computes)


def build(graph: ir.Graph) -> Dag:
    """The data-flow graph of a model: every node, and an edge from each producer to each reader."""
    return _Builder(graph).run()


class _Builder:
    def __init__(self, graph: ir.Graph) -> None:
        self.dag = Dag(graph)
        self.counts: Counter = Counter()  # (module path, op) -> rows numbered so far; and taken layer paths

    def run(self) -> Dag:
        graph = self.dag.graph
        scope: dict[str, Read] = {}
        reads = []
        for name, shape in graph.inputs or ((IMPLICIT_INPUT, graph.input),):
            node = self._add(Node(f"input:{name}", "input", shape, (), name=name))
            reads.append(Read(node.id, shape))
            if name != IMPLICIT_INPUT:
                scope[name] = Read(node.id, shape, name)
        flow = self._body(graph.body, reads[0], scope, ())
        for key, read in _returned(graph.outputs, flow, scope):
            self._add(Node(f"output:{key}" if key else "output", "output", read.shape, (read,), name=key))
        return self.dag

    # ------------------------------------------------------------ the IR's rows

    def _body(self, body: tuple, flow: Optional[Read], scope: dict, owners: tuple) -> Optional[Read]:
        """Walk a body in forward order; returns what flows out of it (None after a block's several results)."""
        for node in body:
            kind = node.kind
            if kind == "module":
                flow = self._module(node, flow, scope, owners)
            elif kind == "combine":
                flow = self._combine(node, flow, scope, owners)
            elif kind == "value":
                flow = self._value(node, flow, scope, owners)
            elif node.op == "identity":
                self._row(node, "identity", flow.shape, (flow,), owners)
            else:
                flow = self._row(node, "layer", node.out_shape, (flow,), owners)
        return flow

    def _module(self, module: ir.Module, flow: Optional[Read], scope: dict, owners: tuple) -> Optional[Read]:
        """A block: the one place that knows how data enters and leaves a module.

        Its body sees its own named values and its tensor parameters, each bound to the caller's
        value (`inputs`), none of the caller's others. It gives back what flows out of its body, or
        the value it returns (`returns`); several returned values become the caller's `results`,
        and then nothing flows on (the next chain starts by reading a value).
        """
        inner = {param: Read(scope[value].source, scope[value].shape, param) for param, value in module.inputs}
        out = self._body(module.body, flow, inner, (*owners, module))
        returned = [inner[name] for name in module.returns]
        if module.results:
            scope.update((name, Read(read.source, read.shape, name)) for name, read in zip(module.results, returned))
            return None
        return Read(returned[0].source, returned[0].shape) if returned else out

    def _combine(self, combine: ir.Combine, flow: Read, scope: dict, owners: tuple) -> Read:
        ends = []
        for index, branch in enumerate(combine.branches):
            given = flow
            if combine.parts is not None:  # `chunk`/`split`: this branch reads its slice of the channels
                given = Read(flow.source, (*flow.shape[:1], combine.parts[index], *flow.shape[2:]), flow.value)
            ends.append(self._body(branch, given, scope, owners))
        return self._row(combine, "combine", combine.out_shape, tuple(ends), owners)

    def _value(self, value: ir.Value, flow: Optional[Read], scope: dict, owners: tuple) -> Read:
        if value.op == "write":
            scope[value.name] = Read(flow.source, flow.shape, value.name)
            self._row(value, "value", flow.shape, (flow,), owners)
            return flow
        read = scope[value.name]  # elaboration made sure it was written before
        self._row(value, "value", read.shape, (read,), owners)
        return read

    def _row(self, node, kind: str, shape: Shape, reads: tuple, owners: tuple) -> Read:
        """Add an IR row as a DAG node; returns what it gives to the next (itself, or its input passed on)."""
        made = self._add(Node(self._id(node), kind, shape, reads, owners, node))
        self.dag._by_ir[id(node)] = made
        return Read(made.id, shape) if made.computes else reads[0]

    def _id(self, node) -> str:
        if node.module:
            self.counts[node.path] += 1
            again = self.counts[node.path]
            return node.path if again == 1 else f"{node.path}#{again}"
        op = "as" if node.kind == "value" and node.op == "write" else node.op
        self.counts[node.path, op] += 1
        return f"{node.path}#{op}{self.counts[node.path, op]}"

    def _add(self, node: Node) -> Node:
        dag = self.dag
        dag.nodes.append(node)
        dag._by_id[node.id] = node
        if node.computes:
            dag.edges.extend(Edge(read.source, node.id, read.shape, read.value) for read in node.reads)
        return node


def _returned(outputs: Optional[tuple], flow: Optional[Read], scope: dict) -> list[tuple[str, Read]]:
    """(key, what it reads) for each value the model returns: its flow, or each value of `output`."""
    if outputs is None:
        return [("", flow)]
    return [(key, scope[name]) for key, name in _leaves(outputs, "")]


def _leaves(tree: tuple, prefix: str) -> Iterator[tuple[str, str]]:
    """(position, value name) of each value in `output`'s tree: `0`, `out`, `training.1`, `eval`."""
    kind = tree[0]
    if kind == "value":
        yield prefix, tree[1]
    elif kind == "training":
        yield from _leaves(tree[1], _key(prefix, "training"))
        yield from _leaves(tree[2], _key(prefix, "eval"))
    elif kind == "dict":
        for key, item in tree[1]:
            yield from _leaves(item, _key(prefix, key))
    else:
        for index, item in enumerate(tree[1]):
            yield from _leaves(item, _key(prefix, str(index)))


def _key(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
