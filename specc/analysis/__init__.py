"""Analyses of the IR: receptive fields and jumps, activation memory, FLOPs. Static: never imports torch.

    graph = specc.shapes("specs/resnet18.spec")
    facts = analyse(graph, batch=32)
    facts.field(layer).sizes(), facts.flops(layer), facts.output_bytes(layer), facts.memory.training_peak

Each analysis is a module of its own: `fields.py` (receptive fields),
`memory.py` (the peaks), `flops.py`; `flow.py` is the forward-order fold over
the IR that the first two share. `report.py` shows the results. Each is
computed when first asked for, so a table that shows only receptive fields
pays for those alone.
"""

from __future__ import annotations

from functools import cached_property
from typing import Optional

from ..ir import Graph, Node
from ..ops import is_int
from .fields import WHOLE, Field, Fields, receptive_fields
from .flops import count_flops
from .memory import FLOAT32, Memory, output_bytes, peaks

__all__ = ["Analysis", "WHOLE", "analyse", "default_batch"]


class Analysis:
    """Every node's receptive field and FLOPs (by `id(node)`), and the memory at `batch`."""

    def __init__(self, graph: Graph, batch: int, itemsize: int = FLOAT32) -> None:
        self.graph, self.batch, self.itemsize = graph, batch, itemsize
        self.texts: dict = {}  # a report's cells, made once for the rows that show the same (`columns.py`)

    @cached_property
    def fields(self) -> Fields:
        """Every node's field per run of its channels, and their unions (`fields.receptive_fields`)."""
        return receptive_fields(self.graph)

    @property
    def segments(self) -> dict[int, tuple]:
        return self.fields.segments

    @cached_property
    def _flops(self) -> tuple[dict[int, int], int]:
        return count_flops(self.graph)

    @cached_property
    def memory(self) -> Memory:
        return peaks(self.graph, self.batch, self.itemsize)

    @property
    def total_flops(self) -> int:
        return self._flops[1]

    def field(self, node: Node) -> Field:
        """The field of the node's output: the largest over its channels."""
        return self.fields.of(node)

    def flops(self, node: Node) -> int:
        return self._flops[0][id(node)]

    def output_bytes(self, node: Node) -> int:
        """The bytes of the node's output at the memory figures' batch."""
        return output_bytes(node.out_shape, self.batch, self.itemsize)


def default_batch(graph: Graph) -> int:
    """The input's batch when the spec gives one, else 1."""
    batch = graph.input[0] if graph.input else 1
    return batch if is_int(batch) else 1


def analyse(graph: Graph, batch: Optional[int] = None, itemsize: int = FLOAT32) -> Analysis:
    """Receptive fields, FLOPs and memory of `graph`; memory at `batch` (default: `default_batch`)."""
    return Analysis(graph, default_batch(graph) if batch is None else batch, itemsize)
