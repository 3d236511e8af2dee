"""A folded scene as Graphviz DOT text: what `specc graph --format dot` prints and the renderer draws.

    digraph specc {
      ...
      n1 [label="input\\n[N, 1, 28, 28]", shape=oval, class="input", ...];
      subgraph cluster_c1 {
        label="4: bottleneck(channels=64, ...)"; ...
        n2 [label="conv\\n64, k=1, bias=false", ...];
      }
      n1 -> n2 [label="[N, 1, 28, 28]"];
    }

Identifiers are `n1`, `c1`, ... (`fold.numbered`); every text from the spec
(paths, names, arguments) reaches the file only inside a quoted string,
escaped by `quote`. The `class` of each node and cluster says what it is
(`layer`, `combine`, `block`, `run`, `input`, `output`, `shared`), so the
SVG can be styled or tested by kind.
"""

from __future__ import annotations

import re

from .fold import Box, Cluster, Link, Scene, numbered

FONT = "Arial"  # graphviz-pure measures text with Arimo, which has Arial's metrics

HEAD = (
    "digraph specc {{",
    '  graph [rankdir={direction}, fontname="{font}", fontsize=12, label={title}, labelloc=t, '
    'nodesep=0.3, ranksep=0.35, newrank=true];',
    '  node [fontname="{font}", fontsize=10, shape=box, style="rounded,filled", fillcolor="#f2f2f2", '
    'color="#555555", margin="0.12,0.04"];',
    '  edge [fontname="{font}", fontsize=8, color="#555555", fontcolor="#333333", arrowsize=0.6];',
)

# How each kind of box looks (attributes added to the defaults above); a layer takes its family's colour.
BOX_STYLE = {
    "input": 'shape=oval, fillcolor="#fde9d9"',
    "output": 'shape=oval, fillcolor="#fde9d9"',
    "layer": "",
    "combine": 'fillcolor="#ffe6cc"',
    "block": 'style="filled", fillcolor="#ffffff", peripheries=2',
    "run": 'shape=box3d, style="filled", fillcolor="#ffffff"',
}
FAMILY_FILL = {
    "conv": "#dae8fc", "linear": "#e1d5e7", "norm": "#fff2cc", "activation": "#f2f2f2", "pool": "#d5e8d4",
    "regularise": "#f2f2f2", "reshape": "#f2f2f2", "resample": "#d5f5f0", "custom": "#ffd9e6",
}
CLUSTER_STYLE = 'style="rounded", color="#999999", fontsize=10, labeljust=l'
RUN_CLUSTER_STYLE = 'style="rounded,filled", fillcolor="#f4f9f1", color="#6a9f58", penwidth=1.5, fontsize=10, labeljust=l'
LINK_STYLE = {
    "flow": "",
    "value": 'style=dashed, color="#1f5fbf", fontcolor="#1f5fbf"',
    "shared": 'style=dotted, dir=none, constraint=false, color="#aa3377", fontcolor="#aa3377"',
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def to_dot(scene: Scene, direction: str = "TB") -> str:
    ids = numbered(scene)
    lines = [line.format(direction=direction, font=FONT, title=quote_lines((scene.title,))) for line in HEAD]
    lines += _items(scene.items, ids, "  ")
    lines += [_link(link, ids) for link in scene.links]
    lines.append("}")
    return "\n".join(lines) + "\n"


def quote(text: str) -> str:
    """A DOT quoted string holding `text` as it is."""
    return f'"{_escape(text)}"'


def quote_lines(lines: tuple[str, ...]) -> str:
    """Label lines as one DOT string, each centred (`\\n` is DOT's centred line break)."""
    return '"' + "\\n".join(_escape(line) for line in lines) + '"'


def _escape(text: str) -> str:
    # `\` too, not only `"`: DOT reads `\n`, `\l`, `\N`, `\G`, ... in a label as escapes.
    return _CONTROL.sub(" ", text).replace("\\", "\\\\").replace('"', '\\"')


def _items(items, ids: dict[str, str], indent: str) -> list[str]:
    lines = []
    for item in items:
        if isinstance(item, Cluster):
            lines.append(f"{indent}subgraph cluster_{ids[item.key]} {{")
            style = RUN_CLUSTER_STYLE if item.run else CLUSTER_STYLE
            lines.append(f'{indent}  graph [label={quote_lines(item.lines)}, class="{"run" if item.run else "block"}", '
                         f"{style}];")
            lines += _items(item.items, ids, indent + "  ")
            lines.append(f"{indent}}}")
        else:
            lines.append(f"{indent}{ids[item.key]} [{_box_attributes(item)}];")
    return lines


def _box_attributes(box: Box) -> str:
    kind = " ".join(filter(None, (box.kind, box.family, "shared" if box.shared else "")))
    attributes = [f"label={quote_lines(box.lines)}", f'class="{kind}"']
    if BOX_STYLE[box.kind]:
        attributes.append(BOX_STYLE[box.kind])
    if box.family:
        attributes.append(f'fillcolor="{FAMILY_FILL[box.family]}"')
    if box.shared:  # dashed: this module is also applied somewhere else
        attributes.append('style="filled,dashed"' if box.kind == "block" else 'style="rounded,filled,dashed"')
    if box.tooltip:
        attributes.append(f"tooltip={quote(box.tooltip)}")
    return ", ".join(attributes)


def _link(link: Link, ids: dict[str, str]) -> str:
    attributes = [f"label={quote(link.label)}", f'class="{link.kind}"']
    if LINK_STYLE[link.kind]:
        attributes.append(LINK_STYLE[link.kind])
    return f"  {ids[link.source]} -> {ids[link.target]} [{', '.join(attributes)}];"
