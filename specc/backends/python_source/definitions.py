"""The source of the classes specc defines itself, as the generated file carries them.

A row of the lowering table with `home="torch_layers"` names a class of
`backends/torch_layers.py`; a file that uses one defines it, from that
module's own text, cut out with Python's parser. The module is read, never
imported: the source back-end does not import torch.

    text, names = definition("LayerNorm2d")   # 'class LayerNorm2d(nn.LayerNorm): ...', {'nn', 'torch', ...}
"""

from __future__ import annotations

import ast
import functools
from importlib import resources


def definition(cls: str) -> tuple[str, frozenset[str]]:
    """The class's source, and every name it reads (the file imports those it needs: `torch`, `nn`)."""
    try:
        return _classes()[cls]
    except KeyError:
        raise ValueError(f"backends/torch_layers.py defines no class {cls!r}") from None


@functools.cache
def _classes() -> dict[str, tuple[str, frozenset[str]]]:
    text = resources.files("specc.backends").joinpath("torch_layers.py").read_text(encoding="utf-8")
    classes = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef):
            names = frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
            classes[node.name] = (ast.get_source_segment(text, node), names)
    return classes
