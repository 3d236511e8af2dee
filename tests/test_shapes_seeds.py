"""`specc shapes` against the seed notes: their printed tables, torchinfo's totals, their layers.

Ground truth from outside specc: the shape tables printed in the seed notes
(tests/seed_tables.py), and the notes' hand-written PyTorch models
(tests/seed_models.py) measured by torchinfo and by forward hooks. specc runs
as a user runs it: `python -m specc shapes SPEC --json --input 1xCxHxW`.

- (a) the seeds' walk over the top-level children of their nn.Sequential
  equals specc's top-level rows (JSON `layers` and `modules` whose path has
  no dot, merged in forward order). Models whose walk the notes do not print
  (GoogLeNet, NiN, DenseNet, LeNet-BN, the small VGG) are walked here on
  the hand-written model.
- (b) `total_params` and `total_macs` equal torchinfo's `total_params` and
  `total_mult_adds` on the hand-written model.
- (c) the conv/linear/batchnorm rows, in order, equal the hand-written
  model's Conv2d/Linear/BatchNorm modules in forward-call order (forward
  hooks), kind, output shape and parameter count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
import torch
from torch import nn

import seed_models
from seed_tables import SEED_BLOCK_SHAPES, SEED_TABLE_INPUTS, SEED_TABLE_MODELS, SEED_TABLES

torchinfo = pytest.importorskip("torchinfo")

ROOT = Path(__file__).resolve().parent.parent

# seed name -> (spec file, extra CLI arguments, factory in seed_models, factory kwargs)
SEEDS = {
    "lenet": ("specs/lenet.spec", [], "lenet", {}),
    "lenet_bn": ("specs/lenet_bn.spec", [], "lenet_bn", {}),
    "alexnet": ("specs/alexnet.spec", [], "alexnet", {}),
    "vgg11": ("specs/vgg11.spec", [], "vgg11", {"ratio": 1}),
    "vgg11_small": ("specs/vgg11.spec", ["--set", "ratio=4"], "vgg11", {"ratio": 4}),
    "nin": ("specs/nin.spec", [], "nin", {}),
    "googlenet": ("specs/googlenet.spec", [], "googlenet", {}),
    "resnet18": ("specs/resnet18.spec", [], "resnet18", {}),
    "densenet": ("specs/densenet.spec", [], "densenet", {}),
}

# The seeds' class names as specc's ops; every container (Sequential, Inception, ...) is a module row.
OPS = {
    "Conv2d": "conv", "Linear": "linear", "BatchNorm2d": "batchnorm", "BatchNorm1d": "batchnorm",
    "ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "MaxPool2d": "maxpool", "AvgPool2d": "avgpool",
    "Flatten": "flatten", "Dropout": "dropout", "AdaptiveAvgPool2d": "adaptive_avgpool",
}
PARAMETERIZED = (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)


def test_every_seed_model_has_a_spec():
    assert set(SEEDS) == set(seed_models.SEED_INPUTS)
    assert all(SEED_TABLE_MODELS[key][0] == SEEDS[key][2] for key in SEED_TABLES)


# ---------------------------------------------------------------- both sides


def input_flag(shape: tuple) -> str:
    return "x".join(map(str, shape))


@lru_cache(maxsize=None)
def specc_json(name: str) -> dict:
    spec, extra, _, _ = SEEDS[name]
    command = [sys.executable, "-m", "specc", "shapes", spec, "--json",
               "--input", input_flag(seed_models.SEED_INPUTS[name]), *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def seed_model(name: str) -> nn.Module:
    _, _, factory, kwargs = SEEDS[name]
    torch.manual_seed(0)
    # eval(): lenet_bn's BatchNorm1d refuses a batch of one in training mode; shapes do not depend on it.
    return getattr(seed_models, factory)(**kwargs).eval()


def seed_walk(name: str) -> list[tuple[str, tuple]]:
    """The seeds' loop over the top-level children, printing each class and output shape."""
    x = torch.randn(seed_models.SEED_INPUTS[name])
    rows = []
    with torch.no_grad():
        for layer in seed_model(name):
            x = layer(x)
            rows.append((type(layer).__name__, tuple(x.shape)))
    return rows


def top_level_rows(report: dict) -> list[dict]:
    """Top-level layers and modules, merged in forward order.

    Each list is in forward order already; the merge is the interleaving in
    which every row takes the shape the previous row gives (from the model's
    input to its output), preferring the earlier source line where two rows
    could both come next.
    """
    layers = [dict(row, kind="layer") for row in report["layers"] if "." not in row["path"] and row["module"]]
    modules = [dict(row, kind="module") for row in report["modules"] if "." not in row["path"]]

    def merge(i: int, j: int, shape: list):
        if i == len(layers) and j == len(modules):
            return [] if shape == report["output"] else None
        candidates = [(row["line"], side, row) for side, row in
                      ((0, layers[i] if i < len(layers) else None), (1, modules[j] if j < len(modules) else None))
                      if row is not None and row["in"] == shape]
        for _, side, row in sorted(candidates, key=lambda c: (c[0], c[1])):
            rest = merge(i + (side == 0), j + (side == 1), row["out"])
            if rest is not None:
                return [row, *rest]
        return None

    merged = merge(0, 0, report["input"])
    assert merged is not None, "no forward order chains the top-level rows from input to output"
    return merged


def kind_of(row: dict) -> str:
    if row["kind"] == "module":
        return "module"
    return "adaptive_avgpool" if row["op"] == "global_avgpool" else row["op"]


# ---------------------------------------------------------------- (a) printed tables


def expected_table(name: str) -> list[tuple[str, tuple]]:
    if name in SEED_TABLES:
        assert SEED_TABLE_INPUTS[name] == seed_models.SEED_INPUTS[name]
        return SEED_TABLES[name]
    return seed_walk(name)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_top_level_rows_reproduce_the_seed_table(name):
    table = expected_table(name)
    rows = top_level_rows(specc_json(name))
    ours = [(kind_of(row), tuple(row["out"])) for row in rows]
    theirs = [(OPS.get(cls, "module"), shape) for cls, shape in table]
    assert ours == theirs


@pytest.mark.parametrize("name", sorted(SEED_TABLES))
def test_printed_tables_are_the_hand_written_models_walk(name):
    """The printed tables and the extracted models agree (so (b) and (c) test the same networks)."""
    assert seed_walk(name) == SEED_TABLES[name]


@pytest.mark.parametrize("cls, args, kwargs, in_shape, out_shape", SEED_BLOCK_SHAPES)
def test_residual_block_shapes_printed_in_the_notes(cls, args, kwargs, in_shape, out_shape):
    from specc.api import shapes

    assert cls == "Residual"
    channels = args[1]
    call = f"residual({channels}" + ("".join(
        f", {'stride' if k == 'strides' else k}={str(v).lower()}" for k, v in kwargs.items())) + ")"
    text = f"use d2l\nmodel M:\n    input {' x '.join(map(str, in_shape))}\n    {call}\n"
    assert shapes(text).output == out_shape


# ---------------------------------------------------------------- (b) torchinfo's totals


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_totals_equal_torchinfo(name):
    stats = torchinfo.summary(seed_model(name), input_size=seed_models.SEED_INPUTS[name], verbose=0, mode="eval")
    report = specc_json(name)
    assert (report["total_params"], report["total_macs"]) == (stats.total_params, stats.total_mult_adds)
    assert sum(row["params"] for row in report["layers"]) == report["total_params"]


# ---------------------------------------------------------------- (c) parameterized layers in call order


def hooked_calls(name: str) -> list[tuple[str, tuple, int]]:
    model = seed_model(name)
    calls = []

    def record(module, inputs, output):
        kind = OPS[type(module).__name__]
        calls.append((kind, tuple(output.shape), sum(p.numel() for p in module.parameters())))

    handles = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, PARAMETERIZED)]
    with torch.no_grad():
        model(torch.randn(seed_models.SEED_INPUTS[name]))
    for handle in handles:
        handle.remove()
    return calls


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_parameterized_layers_in_forward_order(name):
    ours = [(row["op"], tuple(row["out"]), row["params"]) for row in specc_json(name)["layers"]
            if row["op"] in ("conv", "linear", "batchnorm")]
    assert ours == hooked_calls(name)


# ---------------------------------------------------------------- torchvision as a second outside truth


@pytest.mark.parametrize("spec, factory", [("specs/torchvision/resnet18.spec", "resnet18"),
                                           ("specs/resnet152.spec", "resnet152")])
def test_torchvision_totals_equal_torchinfo(spec, factory):
    torchvision = pytest.importorskip("torchvision")
    from specc.api import shapes

    graph = shapes(spec, input=(1, 3, 224, 224))
    # device="meta": torchinfo's forward on meta tensors, the same counts without the arithmetic.
    stats = torchinfo.summary(getattr(torchvision.models, factory)(), input_size=(1, 3, 224, 224), verbose=0,
                              device="meta")
    assert (graph.total_params, graph.total_macs) == (stats.total_params, stats.total_mult_adds)
