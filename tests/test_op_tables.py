"""Every op of the registry is complete everywhere an op must be written down.

Adding an op to `specc/ops.py` means a row in every back-end's lowering
table, documentation, a JSON Schema entry, a line of the README's op table
and a generator in the torch-oracle property test; each test here fails
until that place has it, and a row for an op that does not exist fails too.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from specc.backends import LOWERINGS
from specc.backends.torch_lowering import HOMES, REQUIRED, TORCH, attribute_name, lower
from specc.ops import OPS, OpProblem, accepts, bind
from specc.reserved import GENERATED_NAMES, GLOBAL_NAMES
from specc.schema import json_schema

ROOT = Path(__file__).resolve().parent.parent

# A value of each argument kind, for building every op once per input rank it accepts.
SAMPLES = {"channels": 4, "size": 2, "padding": 0, "conv_padding": 0, "optional_size": None, "optional_int": None,
           "optional_bool": None, "scale": None, "groups": 1, "dim": 1, "sizes": (2, -1), "probability": 0.5,
           "float": 1.0, "scalar": 1.0, "positive_float": 1.0, "bool": True, "choice": None}
KEYWORDS = {"upsample": {"scale": 2}, "pixel_shuffle": {"factor": 2}}  # where the samples do not fit
SHAPES = ((2, 6), (2, 4, 8), (2, 4, 8, 8), (2, 4, 4, 6, 6))


@pytest.mark.parametrize("backend", sorted(LOWERINGS))
def test_every_op_has_a_row_in_every_lowering_table(backend):
    table = LOWERINGS[backend]
    assert sorted(set(OPS) - set(table)) == [], f"ops without a row in the {backend} table"
    assert sorted(set(table) - set(OPS)) == [], f"rows of the {backend} table for ops that do not exist"


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_is_documented(name):
    op = OPS[name]
    assert op.doc.strip()
    assert f"Args_{name}" in json_schema()["$defs"]


def readme_ops() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("| op | arguments (aliases) |", 1)[1].split("\n\n", 1)[0]
    return {name for line in table.splitlines()[2:] for name in re.findall(r"`(\w+)`", line.split("|")[1])}


def test_the_readme_op_table_lists_every_op():
    assert readme_ops() == set(OPS)


def test_the_property_test_draws_every_op():
    properties = pytest.importorskip("test_shapes_properties")
    assert properties.DRAWN_OPS == set(OPS)


def sample_calls(name: str) -> list:
    """(args, input shape, output shape) for op `name` with sample arguments, at every sample rank it accepts."""
    op = OPS[name]
    args = bind(op, [SAMPLES[arg.kind] for arg in op.args if arg.required], KEYWORDS.get(name, {}))
    calls = []
    for shape in SHAPES:
        try:
            fitted, out = op.apply(args, shape)
        except OpProblem:
            continue
        calls.append((fitted, shape, out))
    assert calls, f"{name} accepts no sample input"
    if op.ranks is not None:  # `apply` refuses exactly the ranks the op does not list
        assert {len(shape) for _, shape, _ in calls} == {r for r in (2, 3, 4, 5) if accepts(op.ranks, r)}
    return calls


def torch_class(call):
    torch = pytest.importorskip("torch")
    if call.home == "nn":
        return getattr(torch.nn, call.cls)
    from specc.backends import torch_layers

    assert call.cls in GLOBAL_NAMES, "a class the generated file defines is a reserved global"
    return getattr(torch_layers, call.cls)


@pytest.mark.parametrize("name", sorted(TORCH))
def test_torch_rows_build_the_inferred_shape_with_torch_defaults(name):
    torch = pytest.importorskip("torch")
    for args, shape, out in sample_calls(name):
        call = lower(name, args, shape)
        if call is None:
            assert out == shape  # no module: the data passes through
            continue
        assert call.home in HOMES
        cls = torch_class(call)
        signature = inspect.signature(cls)
        for param, _ in call.args + call.kwargs:
            assert param.name in signature.parameters, f"{call.cls} takes no `{param.name}`"
            if param.default is not REQUIRED:
                assert signature.parameters[param.name].default == param.default, f"torch's default for {param.name}"
        module = cls(*call.positional(), **call.keywords())
        assert tuple(module(torch.randn(*shape)).shape) == out, (name, shape)


def test_attribute_names_are_identifiers_the_file_may_use():
    for name in OPS:
        base = attribute_name(name)
        assert base.isidentifier() and base not in GENERATED_NAMES
