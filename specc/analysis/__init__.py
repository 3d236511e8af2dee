"""Analyses of the IR: receptive fields and jumps, activation memory, FLOPs. Static: never imports torch.

    graph = specc.shapes("specs/resnet18.spec")
    facts = analyse(graph, batch=32)
    facts.field(layer).sizes(), facts.flops(layer), facts.output_bytes(layer), facts.memory.training_peak

Each analysis is a module of its own: `fields.py` (receptive fields),
`memory.py` (the peaks), `flops.py`; `flow.py` is the forward-order fold over
the IR that the first two share. `report.py` shows the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..ir import Graph, Node
from ..ops import is_int
from .fields import WHOLE, Field, fields
from .flops import flops as layer_flops
from .memory import FLOAT32, Memory, output_bytes, peaks

__all__ = ["Analysis", "WHOLE", "analyse", "default_batch"]


@dataclass(frozen=True)
class Analysis:
    """Every node's receptive field and FLOPs, by `id(node)`, and the memory at `memory.batch`."""

    fields: dict[int, Field]
    node_flops: dict[int, int]
    total_flops: int
    memory: Memory

    def field(self, node: Node) -> Field:
        return self.fields[id(node)]

    def flops(self, node: Node) -> int:
        return self.node_flops[id(node)]

    def output_bytes(self, node: Node) -> int:
        """The bytes of the node's output at the memory figures' batch."""
        return output_bytes(node.out_shape, self.memory.batch, self.memory.itemsize)


def default_batch(graph: Graph) -> int:
    """The input's batch when the spec gives one, else 1."""
    batch = graph.input[0] if graph.input else 1
    return batch if is_int(batch) else 1


def analyse(graph: Graph, batch: Optional[int] = None, itemsize: int = FLOAT32) -> Analysis:
    """Receptive fields, FLOPs and memory of `graph`; memory at `batch` (default: `default_batch`)."""
    node_flops, total = _flops(graph)
    return Analysis(fields(graph), node_flops, total,
                    peaks(graph, default_batch(graph) if batch is None else batch, itemsize))


def _flops(graph: Graph) -> tuple[dict[int, int], int]:
    """Each layer's and combine's FLOPs, each module's (the sum of its body's), and the model's."""
    counts: dict[int, int] = {}

    def body_total(body) -> int:
        total = 0
        for node in body:
            if node.kind == "module":
                counts[id(node)] = count = body_total(node.body)
            elif node.kind == "combine":
                count = sum(body_total(branch) for branch in node.branches) + layer_flops(node)
                counts[id(node)] = layer_flops(node)
            elif node.kind == "value":
                counts[id(node)] = count = 0
            else:
                counts[id(node)] = count = layer_flops(node)
            total += count
        return total

    return counts, body_total(graph.body)
