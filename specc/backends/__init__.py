"""Back-ends: the layer graph IR to a torch module in memory, to Python source, or to a picture.

A back-end reads the op registry's semantics from the IR and owns how each
op becomes code or a drawing: its lowering table, one row per op
(`torch_lowering.TORCH`, shared by `torch_module.py` and `python_source/`;
`picture_lowering.PICTURE`, read by `specc/picture/`). `LOWERINGS` lists
every table; `tests/test_op_tables.py` fails when one lacks a row for an op.
"""

from .picture_lowering import PICTURE
from .torch_lowering import TORCH

LOWERINGS = {"torch": TORCH, "picture": PICTURE}
