"""Back-ends: the layer graph IR to a torch module in memory or to Python source.

A back-end reads the op registry's semantics from the IR and owns how each
op becomes code: its lowering table, one row per op (`torch_lowering.TORCH`,
shared by `torch_module.py` and `python_source/`). `LOWERINGS` lists every
table; `tests/test_op_tables.py` fails when one lacks a row for an op.
"""

from .torch_lowering import TORCH

LOWERINGS = {"torch": TORCH}
