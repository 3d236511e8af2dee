"""`--dump STAGE`: what a pipeline stage produced, as JSON, for debugging specc and specs.

    specc shapes specs/lenet.spec --dump parse       # the typed AST
    specc shapes specs/lenet.spec --dump resolve     # each file and the blocks (and declared ops) it sees
    specc shapes specs/lenet.spec --dump elaborate   # the draft: every shape, no names yet
    specc shapes specs/lenet.spec --dump name        # the layer graph IR

Every node becomes an object whose first key says what it is (`kind`, or
the class name); spans print as `file:line:column-line:column`.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any, Optional

from pydantic import BaseModel

from .diagnostics import Span
from .resolve import Program


def print_stage(stage, compilation) -> None:
    sys.stdout.write(render(to_data(stage.output(compilation))) + "\n")


def render(data: Any, indent: str = "") -> str:
    """JSON, indented, with lists of plain values (shapes, kernel sizes) kept on one line."""
    inner = indent + "  "
    if isinstance(data, dict) and data:
        items = [f"{inner}{json.dumps(k)}: {render(v, inner)}" for k, v in data.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(data, list) and any(isinstance(v, (dict, list)) for v in data):
        return "[\n" + ",\n".join(inner + render(v, inner) for v in data) + f"\n{indent}]"
    return json.dumps(data)


def to_data(value: Any, _open: Optional[set] = None) -> Any:
    """`value` as plain JSON data: AST nodes, IR and draft nodes, programs, shapes and argument values.

    An object met again inside itself (a shared layer keeps the scope that
    holds it) prints as `"<Env, above>"`: a draft is not always a tree.
    """
    if isinstance(value, Span):
        return f"{value.file}:{value.line}:{value.column}-{value.end_line}:{value.end_column}"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    opened = set() if _open is None else _open  # the objects being printed, from the root to here
    if id(value) in opened:
        return f"<{type(value).__name__}, above>"
    opened.add(id(value))
    try:
        return _data(value, opened)
    finally:
        opened.discard(id(value))


def _data(value: Any, opened: set) -> Any:
    if isinstance(value, Program):
        return {"kind": "Program", "main": value.main.name, "units": _units(value.units)}
    if isinstance(value, BaseModel):
        return _fields(value, type(value).model_fields, opened)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value, [f.name for f in dataclasses.fields(value)], opened)
    if isinstance(value, dict):
        return {str(k): to_data(v, opened) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v, opened) for v in value]
    return repr(value)


def _fields(node: Any, names, opened: set) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": getattr(node, "kind", None) or type(node).__name__}
    for name in names:
        if name == "kind":
            continue
        data[name] = to_data(getattr(node, name), opened)
    return data


def _units(units: dict) -> dict[str, Any]:
    """A program's files: what each sees, not their whole ASTs again (`--dump parse` shows the main one)."""
    return {name: {"bundled": unit.bundled,
                   "blocks": {block: f"{d.span.file}:{d.span.line}" for block, d in unit.scope.items()},
                   "ops": {op: f"{d.span.file}:{d.span.line}: {d.target}" for op, d in unit.ops.items()}}
            for name, unit in units.items()}
