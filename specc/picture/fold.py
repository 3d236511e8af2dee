"""Folding: what a picture of a model shows, before it is written as DOT or Mermaid.

    scene = fold(graph, depth=1)
    scene.items    # [Box("input:x", ...), Cluster("block:4", ...), Box("block:5", "block", ...), ...]
    scene.links    # [Link("input:x", "0", "[N, 3, 224, 224]", "flow"), ...]

The picture is the data-flow graph (`specc.dag`) seen through the module
tree: a block nested no deeper than `depth` is a cluster around its layers;
one deeper is a single box standing for everything inside it, with its input
and output shapes and its totals. Consecutive identical blocks (the same
block, arguments, shapes and contents, as `repeat` makes them) are one run:
drawn once, marked `×n`, folded or not like any block. Edges go between the
boxes that stand for their ends; an edge inside one box, or from one block
of a run to the next, is not drawn. DOT and Mermaid write the same scene
(`dot.py`, `mermaid.py`), so both fold alike. Everything here is plain text:
the writers escape it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Optional, Union

from .. import dag as dataflow
from .. import ir
from ..backends.picture_lowering import family
from ..backends.torch_lowering import attribute_name
from ..elaborate import IMPLICIT_INPUT
from ..expr import show
from ..ops import format_shape


@dataclass(frozen=True)
class Box:
    key: str
    kind: str  # "input", "output", "layer", "combine", "block" (a folded block), "run" (a folded run)
    lines: tuple[str, ...]
    tooltip: str = ""
    shared: bool = False  # a layer (or block) that shares its module with another place
    family: str = ""  # a layer's op family (`backends/picture_lowering.py`), which colours it


@dataclass(frozen=True)
class Cluster:
    key: str
    lines: tuple[str, ...]
    items: tuple["Item", ...]
    run: bool = False


Item = Union[Box, Cluster]


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    label: str
    kind: str  # "flow", "value" (through a named value), "shared" (two places of one module)


@dataclass(frozen=True)
class Scene:
    title: str
    items: tuple[Item, ...]
    links: tuple[Link, ...]


def fold(graph: ir.Graph, depth: Optional[int] = None, runs: bool = True) -> Scene:
    """The scene of `graph`: blocks nested deeper than `depth` folded; runs of identical blocks as one, if `runs`."""
    return _Folder(graph, depth, runs).scene()


@dataclass(frozen=True)
class _Run:
    key: str
    head: ir.Module  # the block drawn: every later one's nodes stand for their twins in it


class _Folder:
    def __init__(self, graph: ir.Graph, depth: Optional[int], runs: bool) -> None:
        self.graph, self.depth, self.runs = graph, depth, runs
        self.dag = dataflow.build(graph)
        self.folded: dict[int, str] = {}  # id() of a module -> the box standing for it and all it holds
        self.member: dict[int, tuple[_Run, int]] = {}  # id() of a block in a run -> (the run, its place)
        self.keys: Counter = Counter()

    def scene(self) -> Scene:
        ends = [node for node in self.dag.nodes if node.kind in ("input", "output")]
        inputs = [self._end(node) for node in ends if node.kind == "input"]
        outputs = [self._end(node) for node in ends if node.kind == "output"]
        items = (*inputs, *self._items(self.graph.body, 0), *outputs)
        graph = self.graph
        title = f"{graph.model}: {format_shape(graph.input)} → {format_shape(graph.output)}"
        return Scene(title, items, self._links())

    # ------------------------------------------------------------ boxes and clusters

    def _items(self, body: tuple, depth: int) -> list[Item]:
        items: list[Item] = []
        for group in _groups(body) if self.runs else ([node] for node in body):
            node = group[0]
            if len(group) > 1:
                items.append(self._run(group, depth))
            elif node.kind == "module":
                items.append(self._module(node, depth))
            elif node.kind == "combine":
                for branch in node.branches:
                    items += self._items(branch, depth)
                items.append(self._box(node))
            elif node.kind == "layer" and node.op != "identity":
                items.append(self._box(node))
        return items

    def _shown(self, depth: int) -> bool:
        return self.depth is None or depth < self.depth

    def _module(self, module: ir.Module, depth: int) -> Item:
        key = self._key(f"block:{module.path}")
        if not self._shown(depth):
            self.folded[id(module)] = key
            lines = (_module_title(module), *_flow_lines(module.in_shape, module.out_shape, module.params,
                                                           module.macs))
            return Box(key, "block", lines, module.path, shared=module.shared is not None)
        return Cluster(key, (_module_title(module),), tuple(self._items(module.body, depth + 1)))

    def _run(self, members: list[ir.Module], depth: int) -> Item:
        head, last = members[0], members[-1]
        run = _Run(self._key(f"run:{head.path}"), head)
        for place, member in enumerate(members):
            self.member[id(member)] = (run, place)
        title = f"{_call(head)} ×{len(members)}"
        span = f"{head.path} … {last.path}"
        if not self._shown(depth):
            for member in members:
                self.folded[id(member)] = run.key
            lines = (title, span, *_flow_lines(head.in_shape, last.out_shape, sum(m.params for m in members),
                                                sum(m.macs for m in members)))
            return Box(run.key, "run", lines, span)
        return Cluster(run.key, (title, span), tuple(self._items(head.body, depth + 1)), run=True)

    def _box(self, node) -> Box:
        seen = self.dag.of(node)
        if node.kind == "combine":
            parts = () if node.parts is None else ("slices " + ", ".join(map(str, node.parts)),)
            return Box(seen.id, "combine", (node.op, *parts), node.path)
        lines = [_layer_title(node)]
        if node.short_args():
            lines.append(node.short_args())
        if node.shared is not None:
            lines.append(f"= {node.shares}" if node.shares else f"shared as {node.shared}")
        return Box(seen.id, "layer", tuple(lines), node.path, shared=node.shared is not None, family=family(node))

    def _end(self, node: dataflow.Node) -> Box:
        if node.kind == "input":
            title = "input" if node.name == IMPLICIT_INPUT else f"input {node.name}"
        else:
            title = f"output {node.name}" if node.name else "output"
        return Box(node.id, node.kind, (title, format_shape(node.shape)))

    def _key(self, base: str) -> str:
        """A box's key: unique even where a shared block repeats a path."""
        self.keys[base] += 1
        return base if self.keys[base] == 1 else f"{base}#{self.keys[base]}"

    # ------------------------------------------------------------ links

    def _links(self) -> tuple[Link, ...]:
        links: dict[tuple, Link] = {}
        for edge in self.dag.edges:
            source, target = self._stands_for(edge.source), self._stands_for(edge.target)
            if source == target or self._between_places(edge):
                continue
            shape = format_shape(edge.shape)
            link = (Link(source, target, f"{edge.value}: {shape}", "value") if edge.value
                    else Link(source, target, shape, "flow"))
            links.setdefault((source, target, link.label), link)
        for node in self.dag.nodes:
            made = node.ir
            if node.kind == "layer" and made.shares:
                source, target = self._stands_for(made.shares), self._stands_for(node.id)
                if source != target:
                    links.setdefault((source, target, "shared"), Link(source, target, "same module", "shared"))
        return tuple(links.values())

    def _stands_for(self, node_id: str) -> str:
        """The key of the box that shows a DAG node: its own, a folded block's, or its twin's in a run's first block."""
        for owner in self.dag.node(node_id).owners:
            key = self.folded.get(id(owner))
            if key is not None:
                return key
            run, place = self.member.get(id(owner), (None, 0))
            if place:
                head = run.head.path
                return self._stands_for(head + node_id[len(owner.path):])
        return node_id

    def _between_places(self, edge: dataflow.Edge) -> bool:
        """An edge from one block of a run to another: the run is drawn once, so the edge is not."""
        places = self._places(edge.source)
        return any(run in places and places[run] != place for run, place in self._places(edge.target).items())

    def _places(self, node_id: str) -> dict[str, int]:
        places = {}
        for owner in self.dag.node(node_id).owners:
            run, place = self.member.get(id(owner), (None, 0))
            if run is not None:
                places[run.key] = place
        return places


# ---------------------------------------------------------------- runs


def _groups(body: tuple) -> list[list]:
    """The nodes of a body, consecutive identical blocks grouped: [[a], [b, b, b], [c]]."""
    groups: list[list] = []
    for node in body:
        if groups and _same_block(groups[-1][0], node):
            groups[-1].append(node)
        else:
            groups.append([node])
    return groups


def _same_block(first, node) -> bool:
    """Two applications of one block that a picture can draw as one: same block, arguments, shapes, contents."""
    if first.kind != "module" or node.kind != "module" or first.block is None:
        return False
    if any(m.shared is not None or m.inputs or m.results for m in (first, node)):
        return False  # drawn once, a block that reads or gives named values would lose those edges
    return ((first.block, first.in_shape, first.out_shape, first.params, first.macs)
            == (node.block, node.in_shape, node.out_shape, node.params, node.macs)
            and _same_args(first.args, node.args) and _contents(first) == _contents(node))


def _same_args(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(show(a[k]) == show(b[k]) for k in a)


def _contents(module: ir.Module) -> tuple:
    """What a block holds, relative to its path: identical blocks hold the same rows at the same places."""
    cut = len(module.path)
    return tuple((row.node.kind, getattr(row.node, "op", ""), row.node.path[cut:], row.node.out_shape)
                 for row in ir.walk(module.body))


# ---------------------------------------------------------------- labels


def _module_title(module: ir.Module) -> str:
    """`layer1.0: bottleneck(channels=64, stride=1)`; `= path` after a block applied again (shared)."""
    call = _call(module)
    title = call if module.path == call else f"{module.path}: {call}"
    return f"{title} = {module.shares}" if module.shares else title


def _call(module: ir.Module) -> str:
    """The block and its arguments, `up(c=64, skip=s1)`, `down(c=64) -> (skip, deep)`; a named container's name."""
    if module.block is None:
        return module.cls
    args = [f"{k}={show(v)}" for k, v in module.args.items()] + [f"{p}={v}" for p, v in module.inputs]
    results = f" -> ({', '.join(module.results)})" if module.results else ""
    return f"{module.block}({', '.join(args)}){results}"


def _layer_title(layer: ir.Layer) -> str:
    """`conv`, or `head3: conv` for a layer the spec names (not numbered or named for its op by specc)."""
    name = layer.name
    if not name or name.isdigit() or name == layer.op or re.fullmatch(re.escape(attribute_name(layer.op)) + r"\d*", name):
        return layer.op
    return f"{name}: {layer.op}"


def _flow_lines(in_shape, out_shape, params: int, macs: int) -> tuple[str, ...]:
    return (f"{format_shape(in_shape)} → {format_shape(out_shape)}", f"{params:,} params, {macs:,} mult-adds")


def numbered(scene: Scene) -> dict[str, str]:
    """The identifier each writer gives each box and cluster, in drawing order: `n1`, `n2`, ..., `c1`, ...

    Keys hold paths and names from the spec; identifiers are made here, so none of that text is one.
    """
    ids: dict[str, str] = {}
    counts = Counter()

    def visit(items) -> None:
        for item in items:
            prefix = "c" if isinstance(item, Cluster) else "n"
            counts[prefix] += 1
            ids[item.key] = f"{prefix}{counts[prefix]}"
            if isinstance(item, Cluster):
                visit(item.items)

    visit(scene.items)
    return ids
