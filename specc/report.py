"""The shapes report: the IR as a readable table, as the JSON of the command-line contract, or as HTML.

    specc shapes specs/lenet.spec

    LeNet: input [N, 1, 28, 28] -> output [N, 10]
    path  op        args            output             params  mult-adds
    0     conv      6, k=5, p=2     [N, 6, 28, 28]        156    122,304
    ...

Blocks show as rows of their own with their totals and their layers indented
below; `--depth D` folds blocks nested deeper than D. Counts follow
torchinfo's Mult-Adds convention; with a symbolic batch `N` they are per
sample. `--columns` chooses the columns (`columns.py`); those of the
analyses (receptive fields, FLOPs, memory: `analysis/`) are computed only
when shown, and the memory peaks are printed below the table with the
`memory` column. The JSON holds every field, the analyses' included. In a
notebook, the graph that `specc.shapes()` returns shows as an HTML table
(`to_html`, through `ir.Graph._repr_html_`).
"""

from __future__ import annotations

import html
from typing import Any, Optional

from . import dag as dataflow
from .analysis import Analysis, analyse
from .columns import COLUMNS, DEFAULT, Column, args_text, size_text
from .expr import show
from .ir import Graph, leaves, modules, walk
from .ops import format_shape


def _dims(shape) -> list:
    return list(shape)


def to_json(graph: Graph, batch: Optional[int] = None) -> dict[str, Any]:
    """The `specc shapes --json` object (DESIGN.md's contract, extended); memory at `batch` (see `analyse`)."""
    facts = analyse(graph, batch)
    flow = dataflow.build(graph)
    result = {
        "model": graph.model,
        "file": graph.file,
        "input": _dims(graph.input),
        "output": _dims(graph.output),
        "total_params": graph.total_params,
        "total_macs": graph.total_macs,
        "total_flops": facts.total_flops,
        "memory": _memory_json(facts),
        "parameters": {k: _jsonable(v) for k, v in graph.params_values.items()},
        "overrides": {k: _jsonable(v) for k, v in graph.overrides.items()},
        "layers": [_layer_json(node, facts, flow.of(node)) for node in leaves(graph.body)],
        "modules": [_module_json(node, facts) for node in modules(graph.body)],
        "inputs": {name: _dims(shape) for name, shape in graph.inputs},
        "outputs": None if graph.outputs is None else _outputs_json(graph.outputs),
        "edges": [{"from": edge.source, "to": edge.target, "shape": _dims(edge.shape), "value": edge.value}
                  for edge in flow.edges],
        **_sizes_json(graph),
    }
    _add_out_sizes(graph, result)
    return result


def _sizes_json(graph: Graph) -> dict[str, Any]:
    """`sizes`, for an input with symbolic sizes: the input and output as written, and each axis's valid sizes.

    Every other field describes the graph at the smallest valid input (`sizes.shown_at`); each layer
    and module also has `out_sizes`, its output with the sizes that vary as expressions.
    """
    sizes = graph.sizes
    if sizes is None:
        return {}
    return {"sizes": {"input": list(sizes.pattern), "output": list(sizes.output),
                      "shown_at": list(sizes.smallest_input),
                      "axes": {name: axis_json(axis) for name, axis in sizes.axes.items()}}}


def axis_json(axis) -> dict[str, Any]:
    """One symbolic axis: its constraint as text, its smallest valid size, and the exact set (see `sizes.Valid`)."""
    valid = axis.valid
    return {"constraint": valid.text(axis.name), "smallest": valid.smallest, "threshold": valid.threshold,
            "period": valid.period, "residues": list(valid.residues), "below": list(valid.below),
            "above": list(valid.above)}


def _add_out_sizes(graph: Graph, result: dict[str, Any]) -> None:
    """Each layer's and module's `out_sizes`: its output with symbolic sizes (rows in `ir.walk` order)."""
    if graph.sizes is None:
        return
    rows = [row.node.kind for row in walk(graph.body)]
    layers = iter(result["layers"])
    modules_ = iter(result["modules"])
    for kind, shape in zip(rows, graph.sizes.rows):
        next(modules_ if kind == "module" else layers)["out_sizes"] = list(shape)


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


def _layer_json(node, facts: Analysis, seen: dataflow.Node) -> dict[str, Any]:
    return {
        "id": seen.id,
        "path": node.path,
        "op": node.op,
        "args": args_text(node),
        "in": _dims(node.in_shape),
        "out": _dims(node.out_shape),
        "params": node.params,
        "macs": node.macs,
        **_analysis_json(node, facts),
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


def _module_json(node, facts: Analysis) -> dict[str, Any]:
    return {
        "path": node.path,
        "block": node.block,
        "class": node.cls,
        "args": {k: _jsonable(v) for k, v in node.args.items()},
        "in": _dims(node.in_shape),
        "out": _dims(node.out_shape),
        "params": node.params,
        "macs": node.macs,
        **_analysis_json(node, facts),
        "line": node.span.line,
        **_sharing_json(node),
        "inputs": {param: value for param, value in node.inputs},
        "returns": list(node.returns),
        "results": list(node.results),
    }


def _analysis_json(node, facts: Analysis) -> dict[str, Any]:
    """`flops`, `memory` (bytes of the output at the memory batch), `rf` and `jump` (one per input axis)."""
    field = facts.field(node)
    return {
        "flops": facts.flops(node),
        "memory": facts.output_bytes(node),
        "rf": None if field.axes is None else list(field.sizes()),
        "jump": None if field.axes is None else [_number(j) for j in field.jumps()],
    }


def _number(value) -> Any:
    """A Fraction as JSON: an int when whole, else a float; None stays null."""
    if value is None:
        return None
    return value.numerator if value.denominator == 1 else value.numerator / value.denominator


def _memory_json(facts: Analysis) -> dict[str, Any]:
    memory = facts.memory
    return {"batch": memory.batch, "dtype": "float32", "inference_peak": memory.inference_peak,
            "training_saved": memory.training_saved, "training_peak": memory.training_peak,
            "parameters": memory.parameters, "gradients": memory.gradients, "buffers": memory.buffers}


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------- the table


def to_table(graph: Graph, depth: Optional[int] = None, columns: tuple[Column, ...] = DEFAULT,
             batch: Optional[int] = None) -> str:
    facts = analyse(graph, batch) if any(column.analysis for column in columns) else None
    sources = _Sources(graph)
    visible = list(_visible(graph, depth))
    # Column by column, then transposed: a fifth faster than row by row on ResNet-152.
    rows = list(zip(*[_cells(column, visible, facts, sources) for column in columns]))
    total = tuple(column.total(graph, facts) for column in columns)
    if graph.sizes is not None and COLUMNS["output"] in columns:
        rows, total = _symbolic_output(graph, depth, columns.index(COLUMNS["output"]), rows, total)
    widths = [max(len(column.header), len(total[i]), *(len(r[i]) for r in rows)) for i, column in enumerate(columns)]
    rule = _line(tuple("-" * w for w in widths), widths, columns)
    lines = [_title(graph), _line(tuple(column.header for column in columns), widths, columns), rule]
    lines += [_line(r, widths, columns) for r in rows]
    lines += [rule, _line(total, widths, columns)]
    lines += _notes(graph, columns, facts)
    return "\n".join(lines) + "\n"


def _cells(column: Column, visible: list, facts: Optional[Analysis], sources: "_Sources") -> list[str]:
    """A column's cells; the args of a row reading a named value say where it was made."""
    if column.name != "args":
        return [column.cell(row, facts) for row in visible]
    return [sources.text(row.node) if row.node.kind == "value" and row.node.op == "read" else column.cell(row, facts)
            for row in visible]


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
    return made.path if made.module else f"{made.op} ({made.path or 'model'})"


def _symbolic_output(graph: Graph, depth: Optional[int], at: int, rows: list, total: tuple) -> tuple[list, tuple]:
    """The output column with symbolic sizes as expressions (`[N, 64, H/2, W/2]`)."""
    shapes = [shape for row, shape in zip(walk(graph.body), graph.sizes.rows) if depth is None or row.depth <= depth]
    rows = [(*cells[:at], format_shape(shape), *cells[at + 1:]) for cells, shape in zip(rows, shapes)]
    return rows, (*total[:at], format_shape(graph.sizes.output), *total[at + 1:])


def _title(graph: Graph) -> str:
    input, output = (graph.input, graph.output) if graph.sizes is None else (graph.sizes.pattern, graph.sizes.output)
    title = f"{graph.model}: input {format_shape(input)} -> output {format_shape(output)}"
    if graph.overrides:
        title += "  (" + ", ".join(f"{k}={show(v)}" for k, v in graph.overrides.items()) + ")"
    return title


def _notes(graph: Graph, columns: tuple[Column, ...], facts: Optional[Analysis]) -> list[str]:
    """The lines below the table: several inputs, what the model returns, counts per sample, the memory peaks."""
    notes = sizes_lines(graph)
    if len(graph.inputs) > 1:
        notes.append("inputs: " + ", ".join(f"{name} {format_shape(shape)}" for name, shape in graph.inputs))
    if graph.outputs is not None:
        notes.append("outputs: " + _outputs_text(graph.outputs))
    counts = [column.header for column in columns if column.name in ("macs", "flops")]
    if counts and any(d == "N" for d in graph.input[:1]):
        notes.append(f"{' and '.join(counts)} are per sample (the batch N is symbolic)")
    if COLUMNS["memory"] in columns:
        notes += _memory_lines(graph, facts)
    return notes


def sizes_lines(graph: Graph) -> list[str]:
    """Below a table of symbolic sizes: the valid inputs, and at which one the other columns are counted."""
    sizes = graph.sizes
    if sizes is None:
        return []
    sample = [d for d in sizes.smallest_input[1:]] if sizes.smallest_input[0] == "N" else list(sizes.smallest_input)
    return [f"valid input sizes: {'; '.join(sizes.constraints())}",
            f"counts at the smallest valid input, {' x '.join(map(str, sample))} (--input gives another)"]


def valid_sizes_text(graph: Graph, low: int, high: int) -> str:
    """`specc shapes --valid-sizes LO:HI`: each symbolic axis's valid sizes in the range, and the smallest.

        UNet: input [N, 1, H, W]  (padding=1)
        H: H % 16 == 0
          from 64 to 600: 64, 80, 96, ..., 592 (34 sizes, every 16)
        ...
        smallest valid input: 1 x 16 x 16
    """
    sizes = graph.sizes
    lines = [f"{graph.model}: input {format_shape(sizes.pattern)}{_overrides_text(graph)}"]
    for name, axis in sizes.axes.items():
        found = axis.valid.within(low, high)
        lines.append(f"{name}: {axis.valid.text(name)}")
        lines.append(f"  from {low} to {high}: {_sizes_listed(found) if found else 'none'}")
    lines.append(f"smallest valid input: {' x '.join(map(str, _sample(sizes.smallest_input)))}")
    return "\n".join(lines) + "\n"


def valid_sizes_json(graph: Graph, low: int, high: int) -> dict[str, Any]:
    """The JSON of `--valid-sizes`: the input as written, and per axis its constraint and valid sizes in range."""
    sizes = graph.sizes
    return {"model": graph.model, "file": graph.file, "input": list(sizes.pattern), "range": [low, high],
            "axes": {name: {**axis_json(axis), "valid": axis.valid.within(low, high)}
                     for name, axis in sizes.axes.items()},
            "smallest_input": list(sizes.smallest_input)}


def _sample(shape: tuple) -> list:
    return list(shape[1:]) if shape[0] == "N" else list(shape)


def _overrides_text(graph: Graph) -> str:
    return "  (" + ", ".join(f"{k}={show(v)}" for k, v in graph.overrides.items()) + ")" if graph.overrides else ""


def _sizes_listed(sizes: list[int], most: int = 8) -> str:
    """`64, 80, 96, ..., 592 (34 sizes, every 16)`, `3-9, 12-40`, or every size when few."""
    if len(sizes) <= most:
        return ", ".join(map(str, sizes))
    steps = {b - a for a, b in zip(sizes, sizes[1:])}
    if len(steps) == 1:
        step = steps.pop()
        every = "every size" if step == 1 else f"every {step}"
        return f"{', '.join(map(str, sizes[:3]))}, ..., {sizes[-1]} ({len(sizes)} sizes, {every})"
    runs, start = [], sizes[0]
    for a, b in zip(sizes, [*sizes[1:], None]):
        if b != a + 1:
            runs.append(str(start) if start == a else f"{start}-{a}")
            start = b
    shown = runs[:most] + (["..."] if len(runs) > most else [])
    return ", ".join(shown) + f" ({len(sizes)} sizes)"


def _memory_lines(graph: Graph, facts: Analysis) -> list[str]:
    memory = facts.memory
    batch = f"batch {memory.batch}" + ("" if graph.input[0] != "N" or memory.batch != 1 else
                                       " (the batch N is symbolic; --batch B sets it)")
    return [
        f"memory at {batch}, float32 activations:",
        f"  inference peak   {size_text(memory.inference_peak):>9}  (evaluation mode, no autograd)",
        f"  training peak    {size_text(memory.training_peak):>9}  (forward pass: {size_text(memory.training_saved)} "
        "saved for the backward pass)",
        f"  parameters       {size_text(memory.parameters):>9}  (and {size_text(memory.gradients)} of gradients, "
        f"{size_text(memory.buffers)} of buffers; optimizer state not counted)",
    ]


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


def _line(cells: tuple[str, ...], widths: list[int], columns: tuple[Column, ...]) -> str:
    return "  ".join(c.rjust(w) if column.right else c.ljust(w)
                     for c, w, column in zip(cells, widths, columns)).rstrip()


# ---------------------------------------------------------------- notebooks


def to_html(graph: Graph, columns: tuple[Column, ...] = tuple(COLUMNS.values()), batch: Optional[int] = None) -> str:
    """The table as HTML, for Jupyter (`Graph._repr_html_`): every column by default, every text escaped."""
    facts = analyse(graph, batch) if any(column.analysis for column in columns) else None
    head = "".join(f"<th{_align(column)}>{html.escape(column.header)}</th>" for column in columns)
    sources = _Sources(graph)
    rows = list(walk(graph.body))
    symbolic = graph.sizes.rows if graph.sizes is not None else [None] * len(rows)
    body = "".join(_html_row(row, columns, facts, sources, shape) for row, shape in zip(rows, symbolic))
    totals = [column.total(graph, facts) if column.name != "output" or graph.sizes is None
              else format_shape(graph.sizes.output) for column in columns]
    total = "".join(f"<td{_align(column)}>{html.escape(text)}</td>" for column, text in zip(columns, totals))
    notes = "".join(f"<pre>{html.escape(note)}</pre>" for note in _notes(graph, columns, facts))
    return (f"<div><p><b>{html.escape(_title(graph))}</b></p><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody><tfoot><tr>{total}</tr></tfoot></table>{notes}</div>")


def _html_row(row, columns: tuple[Column, ...], facts: Optional[Analysis], sources: "_Sources",
              symbolic: Optional[tuple] = None) -> str:
    """One row; `symbolic`: its output with symbolic sizes, which the output column shows."""
    cells = []
    for column in columns:
        text, style = _cells(column, [row], facts, sources)[0], _align(column)
        if column.name == "output" and symbolic is not None:
            text = format_shape(symbolic)
        if column.name == "path":  # nesting as an indent, not as spaces the browser would collapse
            text = text.lstrip()
            style = f' style="padding-left: {row.indent * 1.5}em"' if row.indent else ""
        cells.append(f"<td{style}>{html.escape(text)}</td>")
    return "<tr>" + "".join(cells) + "</tr>"


def _align(column: Column) -> str:
    return ' style="text-align: right"' if column.right else ""
