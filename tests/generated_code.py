"""Helpers for tests that hold specc's output against torch: import a generated file, vary the weights.

    module = import_file(tmp_path / "net.py")          # as a user imports what `specc build -o` wrote
    randomise_statistics(theirs.state_dict())          # batch-norm statistics that are not the identity
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch


def import_file(path: Path):
    """The module a generated file defines, imported from its path (no package, no `sys.path` change)."""
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def randomise_statistics(state: dict) -> None:
    """Give every batch norm of a state_dict running statistics that change its output (in place)."""
    for key, tensor in state.items():
        if key.endswith("running_mean"):
            tensor.copy_(torch.randn_like(tensor) * 0.1)
        elif key.endswith("running_var"):
            tensor.copy_(torch.rand_like(tensor) + 0.5)
