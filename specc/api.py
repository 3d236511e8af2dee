"""The public API behind `specc/__init__.py`: load, check, shapes, build, emit.

`source` is a path or spec text: text is recognised by a newline or by not
naming an existing file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from .check import check_program
from .elaborate import elaborate
from .ir import Graph
from .resolve import Program, load as _load

Source = Union[str, Path]


def _is_text(source: Source) -> bool:
    if isinstance(source, Path):
        return False
    return "\n" in source or not Path(source).suffix


def load(source: Source) -> Program:
    """Parse a spec and everything it uses, without checking it."""
    if _is_text(source):
        return _load("<string>", text=source)
    return _load(source)


def check(source: Source) -> Program:
    """Parse and statically check a spec; raise `SpecError` with every problem found."""
    program = load(source)
    check_program(program)
    return program


def shapes(source: Source, *, model: Optional[str] = None, input: Optional[tuple] = None,
           overrides: Optional[dict] = None) -> Graph:
    """Check a spec and elaborate one of its models into the layer graph IR, every shape inferred."""
    return elaborate(check(source), model=model, overrides=overrides, input_shape=input)


def build(source: Source, *, model: Optional[str] = None, input: Optional[tuple] = None,
          overrides: Optional[dict] = None):
    """Elaborate a spec and build it as a `torch.nn.Module` (imports torch, unlike the static API)."""
    from .backends.torch_module import build_module

    return build_module(shapes(source, model=model, input=input, overrides=overrides))


def emit(source: Source, *, model: Optional[str] = None, input: Optional[tuple] = None,
         overrides: Optional[dict] = None) -> str:
    """Standalone Python source (importing only torch) for one model of a spec."""
    from .backends.python_source import emit as emit_source

    graph = shapes(source, model=model, input=input, overrides=overrides)
    return emit_source(graph, spec="<string>" if _is_text(source) else str(source))
