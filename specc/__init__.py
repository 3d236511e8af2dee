"""specc: a compiler for CNN architectures.

    import specc
    specc.check("specs/lenet.spec")                   # every model elaborated, every error raised
    report = specc.shapes("specs/lenet.spec")          # every shape, no torch needed
    picture = specc.graph("specs/resnet18.spec", depth=1)   # .svg(), .png(), .dot, .mermaid; SVG in a notebook
    net = specc.build("specs/vgg11.spec", overrides={"ratio": 4})   # a torch.nn.Module
    net = specc.build("specs/torchvision/resnet18.spec", weights="resnet18.pt")   # with a state_dict loaded
    source = specc.emit("specs/resnet18.spec")        # standalone Python source

See docs/design.md for the pipeline; `specc --help` for the command line.
"""

__version__ = "0.1.0"

from .api import build, check, emit, graph, load, shapes  # noqa: E402
from .diagnostics import SpecError  # noqa: E402

__all__ = ["SpecError", "build", "check", "emit", "graph", "load", "shapes", "__version__"]
