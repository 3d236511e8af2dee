"""A folded scene as a Mermaid flowchart: `specc graph --format mermaid`, for Markdown that renders it.

    flowchart TB
      n1(["input<br/>[N, 1, 28, 28]"])
      subgraph c1["4: bottleneck(channels=64, ...)"]
        n2("conv<br/>64, k=1, bias=false")
      end
      n1 -->|"[N, 1, 28, 28]"| n2
      class n1 input

Identifiers are `n1`, `c1`, ... (`fold.numbered`); every text from the spec
is written inside double quotes with each character that Mermaid could read
as syntax or markup (`"`, `#`, `<`, `|`, backticks, ...) as an entity code
(`#35;`), which Mermaid turns back into the character.
"""

from __future__ import annotations

import re

from .dot import FAMILY_FILL
from .fold import Cluster, Link, Scene, numbered

# Mermaid's node shapes by kind: stadium, rounded, hexagon, subroutine.
SHAPES = {
    "input": ('(["', '"])'),
    "output": ('(["', '"])'),
    "layer": ('("', '")'),
    "combine": ('{{"', '"}}'),
    "block": ('[["', '"]]'),
    "run": ('[["', '"]]'),
}
ARROWS = {"flow": "-->", "value": "-.->", "shared": "-.-"}
CLASSES = {  # the colours of dot.py; a layer's class is its op family
    "input": "fill:#fde9d9,stroke:#555555",
    "output": "fill:#fde9d9,stroke:#555555",
    "combine": "fill:#ffe6cc,stroke:#555555",
    "block": "fill:#ffffff,stroke:#555555,stroke-width:3px",
    "run": "fill:#ffffff,stroke:#555555,stroke-width:3px",
    "shared": "stroke-dasharray:4 3",
    **{family: f"fill:{fill},stroke:#555555" for family, fill in FAMILY_FILL.items()},
}

# Characters written as they are; any other becomes `#code;` (letters, digits and a few signs are never syntax
# inside a quoted label).
_PLAIN = re.compile(r"[A-Za-z0-9 .,:=+\-_()\[\]/×→…]")


def to_mermaid(scene: Scene, direction: str = "TB") -> str:
    ids = numbered(scene)
    lines = [f"%% {_comment(scene.title)}", f"flowchart {direction}"]
    lines += _items(scene.items, ids, "  ", direction)
    lines += [_link(link, ids) for link in scene.links]
    lines += _classes(scene.items, ids)
    return "\n".join(lines) + "\n"


def text(lines: tuple[str, ...]) -> str:
    """Label lines as one quoted Mermaid string's contents, every character that is not plain as an entity."""
    return "<br/>".join("".join(c if _PLAIN.fullmatch(c) else f"#{ord(c)};" for c in line) for line in lines)


def _comment(title: str) -> str:
    return "".join(c if c.isprintable() else " " for c in title)


def _items(items, ids: dict[str, str], indent: str, direction: str) -> list[str]:
    lines = []
    for item in items:
        if isinstance(item, Cluster):
            lines.append(f'{indent}subgraph {ids[item.key]}["{text(item.lines)}"]')
            lines.append(f"{indent}  direction {direction}")
            lines += _items(item.items, ids, indent + "  ", direction)
            lines.append(f"{indent}end")
        else:
            opening, closing = SHAPES[item.kind]
            lines.append(f"{indent}{ids[item.key]}{opening}{text(item.lines)}{closing}")
    return lines


def _link(link: Link, ids: dict[str, str]) -> str:
    return f'  {ids[link.source]} {ARROWS[link.kind]}|"{text((link.label,))}"| {ids[link.target]}'


def _classes(items, ids: dict[str, str]) -> list[str]:
    """`classDef` of each kind drawn, then `class n1,n7 input`: the boxes of each kind, in drawing order."""
    by_kind: dict[str, list[str]] = {}
    for box in _boxes(items):
        by_kind.setdefault(box.family or box.kind, []).append(ids[box.key])
        if box.shared:
            by_kind.setdefault("shared", []).append(ids[box.key])
    return ([f"  classDef {kind} {CLASSES[kind]}" for kind in by_kind]
            + [f"  class {','.join(names)} {kind}" for kind, names in by_kind.items()])


def _boxes(items):
    for item in items:
        if isinstance(item, Cluster):
            yield from _boxes(item.items)
        else:
            yield item

