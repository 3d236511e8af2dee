"""Pictures of a model: its layer graph as DOT, Mermaid, SVG or PNG (`specc graph`, `specc.graph`).

    picture = Picture(graph, depth=1)
    picture.dot          # Graphviz text, written by specc (`dot.py`)
    picture.mermaid      # a Mermaid flowchart, written by specc (`mermaid.py`)
    picture.svg()        # drawn by graphviz-pure, or the system's dot (`render.py`)
    picture.png()
    picture              # in a notebook: shown as its SVG (`_repr_svg_`)

What is shown (clusters, folded blocks, runs `×n`, shapes on the edges) is
decided once, in `fold.py`; the writers only spell it. Static: nothing
here imports torch.
"""

from __future__ import annotations

from functools import cached_property
from typing import Optional, Union

from ..ir import Graph
from .dot import to_dot
from .fold import Scene, fold
from .mermaid import to_mermaid
from .render import render

FORMATS = ("svg", "png", "dot", "mermaid")
DIRECTIONS = ("TB", "LR")
SUFFIXES = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}


class Picture:
    """A model's picture: blocks nested deeper than `depth` folded, runs of identical blocks drawn once (`runs`)."""

    def __init__(self, graph: Graph, *, depth: Optional[int] = None, direction: str = "TB",
                 runs: bool = True) -> None:
        if depth is not None and depth < 0:
            raise ValueError(f"expected a depth of 0 or more, found {depth}")
        if direction not in DIRECTIONS:
            raise ValueError(f"expected a direction among {', '.join(DIRECTIONS)}, found {direction!r}")
        self.graph, self.direction = graph, direction
        self.scene: Scene = fold(graph, depth, runs)

    @cached_property
    def dot(self) -> str:
        return to_dot(self.scene, self.direction)

    @cached_property
    def mermaid(self) -> str:
        return to_mermaid(self.scene, self.direction)

    def svg(self) -> str:
        return render(self.dot, "svg").decode("utf-8")

    def png(self) -> bytes:
        return render(self.dot, "png")

    def as_format(self, fmt: str) -> Union[str, bytes]:
        """The picture in one of `FORMATS`: text, or bytes for PNG."""
        if fmt not in FORMATS:
            raise ValueError(f"expected a format among {', '.join(FORMATS)}, found {fmt!r}")
        return {"svg": self.svg, "png": self.png, "dot": lambda: self.dot, "mermaid": lambda: self.mermaid}[fmt]()

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        return f"<specc picture of {self.graph.model}: {len(self.scene.links)} edges drawn>"
