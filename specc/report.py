"""The shapes report: the IR as a readable table or as the JSON of the command-line contract.

    specc shapes specs/lenet.spec

    LeNet: input [N, 1, 28, 28] -> output [N, 10]
    path  op        args            output             params  mult-adds
    0     conv      6, k=5, p=2     [N, 6, 28, 28]        156    122,304
    ...

Blocks show as rows of their own with their totals and their layers indented
below; `--depth D` folds blocks nested deeper than D. Counts follow
torchinfo's Mult-Adds convention; with a symbolic batch `N` they are per
sample.
"""

from __future__ import annotations

from typing import Any, Optional

from . import dag as dataflow
from .elaborate import SEQUENTIAL
from .expr import show
from .ir import Graph, Row, leaves, modules, walk
from .ops import format_shape


def _dims(shape) -> list:
    return list(shape)


def _row_op(node) -> str:
    if node.kind == "module":
        return node.block or ("sequential" if node.cls == SEQUENTIAL else "seq")
    if node.kind == "value":
        return "as" if node.op == "write" else "read"
    return node.op


def _row_args(node) -> str:
    return _args_text(node) + _sharing_text(node)


def _sharing_text(node) -> str:
    """` (shared as fc)` on a shared layer's first row, ` (= fc)` on the rows that apply it again."""
    if node.kind == "combine" or node.shared is None:
        return ""
    return f" (= {node.shares})" if node.shares else f" (shared as {node.shared})"


def _args_text(node) -> str:
    if node.kind == "value":
        return node.name
    if node.kind == "layer":
        return node.short_args()
    if node.kind == "module" and node.block:
        args = [f"{k}={show(v)}" for k, v in node.args.items()] + [f"{p}={v}" for p, v in node.inputs]
        results = f" -> ({', '.join(node.results)})" if node.results else ""
        return ", ".join(args) + results
    if node.kind == "combine" and node.parts is not None:
        return "slices [" + ", ".join(map(str, node.parts)) + "]"
    if node.kind == "combine":
        return f"{len(node.branches)} branches"
    return ""


def to_json(graph: Graph) -> dict[str, Any]:
    """The `specc shapes --json` object (DESIGN.md's contract, extended)."""
    flow = dataflow.build(graph)
    return {
        "model": graph.model,
        "file": graph.file,
        "input": _dims(graph.input),
        "output": _dims(graph.output),
        "total_params": graph.total_params,
        "total_macs": graph.total_macs,
        "parameters": {k: _jsonable(v) for k, v in graph.params_values.items()},
        "overrides": {k: _jsonable(v) for k, v in graph.overrides.items()},
        "layers": [_layer_json(node, flow.of(node)) for node in leaves(graph.body)],
        "modules": [_module_json(node) for node in modules(graph.body)],
        "inputs": {name: _dims(shape) for name, shape in graph.inputs},
        "outputs": None if graph.outputs is None else _outputs_json(graph.outputs),
        "edges": [{"from": edge.source, "to": edge.target, "shape": _dims(edge.shape), "value": edge.value}
                  for edge in flow.edges],
    }


def warnings_json(warnings: list) -> list[dict[str, Any]]:
    """`[{"code": "W0301", "message": ..., "line": 3, "column": 26}]`: the warnings of `specc shapes --json`."""
    return [{"code": w.code, "message": w.message, "line": w.span.line if w.span else None,
             "column": w.span.column if w.span else None} for w in warnings]


def _outputs_json(tree: tuple) -> Any:
    """What `output` returns, as the user wrote it, with shapes for values: `{"out": [...], "aux": [...]}`.

    `... if training else ...` becomes `{"training": ..., "eval": ...}`.
    """
    kind = tree[0]
    if kind == "value":
        return {"value": tree[1], "shape": _dims(tree[2])}
    if kind == "training":
        return {"training": _outputs_json(tree[1]), "eval": _outputs_json(tree[2])}
    if kind == "dict":
        return {"dict": {key: _outputs_json(item) for key, item in tree[1]}}
    return {kind: [_outputs_json(item) for item in tree[1]]}


def _layer_json(node, seen: dataflow.Node) -> dict[str, Any]:
    return {
        "id": seen.id,
        "path": node.path,
        "op": node.op,
        "args": _args_text(node),
        "in": _dims(node.in_shape),
        "out": _dims(node.out_shape),
        "params": node.params,
        "macs": node.macs,
        "module": node.module,
        "line": node.span.line,
        **_sharing_json(node),
        "init": _init_json(node),
        "reads": [{"from": read.source, "value": read.value, "shape": _dims(read.shape)} for read in seen.reads],
    }


def _init_json(node) -> Any:
    """`{"weight": "normal(std=0.01)"}`: the `init` rule of each tensor that has one (null: torch's defaults)."""
    rules = node.rules() if node.kind == "layer" else {}
    return {tensor: rule.text() for tensor, rule in rules.items()} or None


def _sharing_json(node) -> dict[str, Any]:
    """`shared`: the `let` name of a shared layer; `shares`: on a later application, the path that owns it."""
    if node.kind == "combine":
        return {"shared": None, "shares": None}
    return {"shared": node.shared, "shares": node.shares}


def _module_json(node) -> dict[str, Any]:
    return {
        "path": node.path,
        "block": node.block,
        "class": node.cls,
        "args": {k: _jsonable(v) for k, v in node.args.items()},
        "in": _dims(node.in_shape),
        "out": _dims(node.out_shape),
        "params": node.params,
        "macs": node.macs,
        "line": node.span.line,
        **_sharing_json(node),
        "inputs": {param: value for param, value in node.inputs},
        "returns": list(node.returns),
        "results": list(node.results),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------- the table


HEADERS = ("path", "op", "args", "output", "params", "mult-adds")


def to_table(graph: Graph, depth: Optional[int] = None) -> str:
    sources = _Sources(graph)
    rows = [_cells(row, sources) for row in _visible(graph, depth)]
    rows.append(("total", "", "", format_shape(graph.output), f"{graph.total_params:,}", f"{graph.total_macs:,}"))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]
    title = f"{graph.model}: input {format_shape(graph.input)} -> output {format_shape(graph.output)}"
    if graph.overrides:
        title += "  (" + ", ".join(f"{k}={show(v)}" for k, v in graph.overrides.items()) + ")"
    lines = [title, _line(HEADERS, widths), _line(tuple("-" * w for w in widths), widths)]
    lines += [_line(r, widths) for r in rows[:-1]]
    lines += [_line(tuple("-" * w for w in widths), widths), _line(rows[-1], widths)]
    if len(graph.inputs) > 1:
        lines.append("inputs: " + ", ".join(f"{name} {format_shape(shape)}" for name, shape in graph.inputs))
    if graph.outputs is not None:
        lines.append("outputs: " + _outputs_text(graph.outputs))
    if any(d == "N" for d in graph.input[:1]):
        lines.append("mult-adds are per sample (the batch N is symbolic)")
    return "\n".join(lines) + "\n"


def _outputs_text(tree: tuple) -> str:
    kind = tree[0]
    if kind == "value":
        return f"{tree[1]} {format_shape(tree[2])}"
    if kind == "training":
        return f"{_outputs_text(tree[1])} in training, {_outputs_text(tree[2])} in evaluation"
    if kind == "dict":
        return "{" + ", ".join(f"{key}: {_outputs_text(item)}" for key, item in tree[1]) + "}"
    inner = ", ".join(_outputs_text(item) for item in tree[1])
    return f"({inner})" if kind == "tuple" else f"[{inner}]"


def _visible(graph: Graph, depth: Optional[int]):
    for row in walk(graph.body):
        if depth is None or row.depth <= depth:
            yield row


def _cells(row: Row, sources: "_Sources") -> tuple[str, ...]:
    node = row.node
    args = sources.text(node) if node.kind == "value" and node.op == "read" else _row_args(node)
    return ("  " * row.indent + _where(node), _row_op(node), args, format_shape(node.out_shape),
            f"{node.params:,}", f"{node.macs:,}")


def _where(node) -> str:
    """The path column: a module's path; `(path)` of the module computing a row that is none."""
    return node.path if node.module else f"({node.path or 'model'})"


class _Sources:
    """Where the value a `read` row reads was made: `skip <- layer1.0`, `mask <- input mask`.

    The data-flow view is built on the first read row: a table without named values never pays for it.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.flow: Optional[dataflow.Dag] = None

    def text(self, node) -> str:
        if self.flow is None:
            self.flow = dataflow.build(self.graph)
        source = self.flow.node(self.flow.reads_of(node)[0].source)
        if source.kind == "input":
            return f"{node.name} <- input {source.name}"
        return f"{node.name} <- {_made_by(source, node.path)}"


def _made_by(source: dataflow.Node, here: str) -> str:
    """The row a value comes from, as seen from module `here`: the outermost module it left, or the row."""
    for owner in source.owners:
        if not (here == owner.path or here.startswith(owner.path + ".")):
            return owner.path  # `p4 <- reduce4`, rather than the last layer inside the block `reduce4`
    made = source.ir
    return made.path if made.module else f"{made.op} {_where(made)}"


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    left = [c.ljust(w) for c, w in zip(cells[:4], widths[:4])]
    right = [c.rjust(w) for c, w in zip(cells[4:], widths[4:])]
    return "  ".join(left + right).rstrip()
