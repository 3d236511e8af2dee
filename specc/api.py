"""The public API behind `specc/__init__.py`: load, check, shapes, graph, build, emit.

Each runs the pipeline (`pipeline.STAGES`) as far as it needs, then hands
the IR to the report or a back-end.

`source` is a path (a `Path`, or a `str` without a line break) or spec text
(a `str` holding a line break; a spec always has several lines). The command
line passes paths only. `library_paths` are folders where `use "path"` also
looks (by default those in `SPECC_PATH`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Union

from .ir import Graph
from .pipeline import Compilation, run
from .resolve import Program

Source = Union[str, Path]
TEXT_NAME = "<string>"


def compilation(source: Source, *, model: Optional[str] = None, input: Optional[tuple] = None,
                overrides: Optional[dict] = None, library_paths: Optional[Sequence] = None) -> Compilation:
    """What the pipeline needs to know of a call: the source, and the model options."""
    options = dict(model=model, input=input, overrides=dict(overrides or {}),
                   library_paths=tuple(library_paths) if library_paths else None)
    if isinstance(source, str) and "\n" in source:
        return Compilation(TEXT_NAME, text=source, **options)
    return Compilation(source, **options)


def load(source: Source, *, library_paths: Optional[Sequence] = None) -> Program:
    """Parse a spec and everything it uses, without checking it."""
    return run(compilation(source, library_paths=library_paths), until="resolve").program


def check(source: Source, *, model: Optional[str] = None, input: Optional[tuple] = None,
          overrides: Optional[dict] = None, library_paths: Optional[Sequence] = None) -> Program:
    """Check a spec and elaborate each of its models; raise `SpecError` with every problem found.

    Every model with an `input` is elaborated at it and its default parameters, so
    `check` raises every error `shapes` or `build` would; a model option narrows it
    to the one model `shapes` would elaborate (see `check_models`).
    """
    from .check_models import check_models

    done = run(compilation(source, model=model, input=input, overrides=overrides, library_paths=library_paths),
               until="check")
    check_models(done).raise_if_any()
    return done.program


def shapes(source: Source, *, model: Optional[str] = None, input: Optional[tuple] = None,
           overrides: Optional[dict] = None, library_paths: Optional[Sequence] = None) -> Graph:
    """Check a spec and elaborate one of its models into the layer graph IR, every shape inferred."""
    return run(compilation(source, model=model, input=input, overrides=overrides,
                           library_paths=library_paths)).graph


def graph(source: Source, *, model: Optional[str] = None, input: Optional[tuple] = None,
          overrides: Optional[dict] = None, depth: Optional[int] = None, direction: str = "TB",
          runs: bool = True):
    """The picture of one model's layer graph (static, like `shapes`): a `specc.picture.Picture`.

    Blocks nested deeper than `depth` are folded into one box each; consecutive identical blocks are
    drawn once, marked `×n` (unless `runs=False`). In a notebook it shows as SVG; `.dot`, `.mermaid`,
    `.svg()` and `.png()` give it as text or bytes.
    """
    from .picture import Picture

    return Picture(shapes(source, model=model, input=input, overrides=overrides), depth=depth,
                   direction=direction, runs=runs)


def build(source: Source, *, model: Optional[str] = None, input: Optional[tuple] = None,
          overrides: Optional[dict] = None, weights: Optional[Union[str, Path]] = None,
          library_paths: Optional[Sequence] = None):
    """Elaborate a spec and build it as a `torch.nn.Module` (imports torch, unlike the static API).

    `weights` is the path of a state_dict saved with `torch.save`: loaded strictly, every key and
    shape checked first, or one `SpecError` (E0703) lists all that do not fit and nothing is loaded.
    Models of more than `LIMITS["build_params"]` parameters are refused (E0405) before torch
    allocates anything: `shapes` and `emit` describe them, but memory would not hold them.
    """
    from .backends.torch_module import build_module

    graph = shapes(source, model=model, input=input, overrides=overrides, library_paths=library_paths)
    module = build_module(graph)
    if weights is not None:
        from .weights import load as load_weights

        load_weights(module, graph, weights)
    return module


def emit(source: Source, *, model: Optional[str] = None, input: Optional[tuple] = None,
         overrides: Optional[dict] = None, library_paths: Optional[Sequence] = None) -> str:
    """Standalone Python source (importing only torch) for one model of a spec."""
    from .backends.python_source import emit as emit_source

    done = run(compilation(source, model=model, input=input, overrides=overrides, library_paths=library_paths))
    return emit_source(done.graph, spec=done.name)
