"""The columns of the shapes table (`specc shapes --columns`), shared by the text table and the notebook's HTML.

    chosen = parse_columns("path,op,output,rf,jump,memory")   # or "all"; an unknown name is a ValueError
    cells = [column.cell(row, facts) for column in chosen]    # facts: the `analysis.Analysis`, when needed

A column says its header, its alignment (numbers right), how it shows a row
and the total row, and whether it needs the analyses (receptive fields,
FLOPs, memory), which the table then computes once, and only then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Optional

from .elaborate import SEQUENTIAL
from .expr import show
from .ir import Graph, Row
from .ops import format_shape


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    right: bool  # numbers align right
    cell: Callable[[Row, Optional[object]], str]
    total: Callable[[Graph, Optional[object]], str] = lambda graph, facts: ""
    analysis: bool = False  # needs `analysis.analyse`


def parse_columns(text: str) -> tuple[Column, ...]:
    """`path,op,rf` as columns, in that order; `all` for every one. Raises ValueError naming the valid ones."""
    names = [name.strip() for name in text.split(",")]
    if names == ["all"]:
        return tuple(COLUMNS.values())
    valid = ", ".join(COLUMNS) + " (or all)"
    if "" in names:
        raise ValueError(f"expected comma-separated column names, found {text!r}; the columns are {valid}")
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                         f"the columns are {valid}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"column {', '.join(map(repr, repeated))} given more than once")
    return tuple(COLUMNS[name] for name in names)


# ---------------------------------------------------------------- the cells


def _path(row: Row, facts) -> str:
    node = row.node
    return "  " * row.indent + (node.path if node.module else f"({node.path or 'model'})")


def _op(row: Row, facts) -> str:
    node = row.node
    if node.kind == "module":
        return node.block or ("sequential" if node.cls == SEQUENTIAL else "seq")
    if node.kind == "value":
        return "as" if node.op == "write" else "read"
    return node.op


def _args(row: Row, facts) -> str:
    return args_text(row.node) + _sharing_text(row.node)


def args_text(node) -> str:
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


def _sharing_text(node) -> str:
    """` (shared as fc)` on a shared layer's first row, ` (= fc)` on the rows that apply it again."""
    if node.kind == "combine" or node.shared is None:
        return ""
    return f" (= {node.shares})" if node.shares else f" (shared as {node.shared})"


def _receptive_field(row: Row, facts) -> str:
    return _field_texts(row, facts)[0]


def _jump(row: Row, facts) -> str:
    return _field_texts(row, facts)[1]


def _field_texts(row: Row, facts) -> tuple[str, str]:
    """A field's two cells, made once per field: the layers that keep their input's field share it."""
    segments = facts.segments[id(row.node)]  # shared by the layers that keep their input's field
    texts = facts.texts.get(id(segments))
    if texts is None:
        field = facts.field(row.node)
        facts.texts[id(segments)] = texts = (_field_text(field), _jump_text(field))
    return texts


def _field_text(field) -> str:
    if field.axes is None:
        return "-"  # depends on another input only
    return _per_axis([size if size is not None else "?" for size in field.sizes()])


def _jump_text(field) -> str:
    if field.axes is None:
        return "-"
    if not field.aligned:
        return ""
    jumps = [_axis_jump(axis) for axis in field.axes]
    return "" if all(j == "-" for j in jumps) else _per_axis(jumps)


def _axis_jump(axis) -> str:
    """`4`, or `1/2` after an upsampling; `-` where a jump has no meaning (a whole or unknown axis)."""
    if not isinstance(axis, tuple):
        return "-"
    if axis.period == 1:
        return str(axis.advance)
    common = math.gcd(axis.advance, axis.period)
    return fraction_text(Fraction(axis.advance // common, axis.period // common))


def _memory(row: Row, facts) -> str:
    shape = row.node.out_shape
    text = facts.texts.get(shape)  # by shape: many layers give the same
    if text is None:
        facts.texts[shape] = text = size_text(facts.output_bytes(row.node))
    return text


def _per_axis(values: list) -> str:
    """One value for all axes when they agree (`11`, as a square kernel is written), else `7x11`."""
    if not values:
        return ""
    if all(v == values[0] for v in values):
        return str(values[0])
    return "x".join(map(str, values))


def fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def size_text(size: int) -> str:
    """Bytes in decimal units, as torchinfo shows them: `512 B`, `3.2 kB`, `44.7 MB`."""
    for unit, scale in (("GB", 10 ** 9), ("MB", 10 ** 6), ("kB", 10 ** 3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


COLUMNS: dict[str, Column] = {column.name: column for column in (
    Column("path", "path", False, _path, lambda graph, facts: "total"),
    Column("op", "op", False, _op),
    Column("args", "args", False, _args),
    Column("input", "input", False, lambda row, facts: format_shape(row.node.in_shape)),
    Column("output", "output", False, lambda row, facts: format_shape(row.node.out_shape),
           lambda graph, facts: format_shape(graph.output)),
    Column("params", "params", True, lambda row, facts: f"{row.node.params:,}",
           lambda graph, facts: f"{graph.total_params:,}"),
    Column("macs", "mult-adds", True, lambda row, facts: f"{row.node.macs:,}",
           lambda graph, facts: f"{graph.total_macs:,}"),
    Column("flops", "flops", True, lambda row, facts: f"{facts.flops(row.node):,}",
           lambda graph, facts: f"{facts.total_flops:,}", analysis=True),
    Column("memory", "memory", True, _memory, analysis=True),
    Column("rf", "rf", True, _receptive_field, analysis=True),
    Column("jump", "jump", True, _jump, analysis=True),
)}

DEFAULT = tuple(COLUMNS[name] for name in ("path", "op", "args", "output", "params", "macs"))
