"""Python source back-end: the layer graph IR -> one standalone file that imports only torch.

(And, for a spec's custom layers, the user's own modules: `from pkg.layers import MyLinear`.)

    source = emit(graph, spec="specs/resnet18.spec")
    # class Residual(nn.Module): ...   class ResNet18(nn.Sequential): ...

The file reads like hand-written code: a small class per block (named by
`naming.class_name`, as the in-memory module's classes are), a class named
exactly as the model whose `__init__` takes no arguments, straight-line
`forward`s (`identity = x` for a residual, `torch.cat([...], dim=1)` for a
concat), and each layer's output shape as a trailing comment.

The stages, one module each:

- `planning.py`: group block instances into classes and decide, for every
  number of a class body, a literal or code on constructor parameters;
- `shapes.py`: the symbolic shape comments of a shared class (`[N, channels, H/2, W/2]`);
- `namespace.py`: the one owner of every generated name and import;
- `render.py` and `forward.py`: the text, layers written from the torch
  table (`backends/torch_lowering.py`).

No user text reaches the file except validated identifiers, a declared
op's dotted import path (each part an identifier) and numbers:
every name passes `namespace.identifier`, every value `literals.literal`, and
the spec's path and overrides in the header are escaped (`literals.comment_text`).
"""

from .render import MARKER, emit

__all__ = ["MARKER", "emit"]
