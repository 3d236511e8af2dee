"""`mul:`, broadcasting `add:`, channel routing (`chunk`, `split`), `sequential:` and quoted names.

Two kinds of evidence, both from outside specc's own code:

- a torch oracle: hypothesis draws a combinator over random branches, specc
  infers the shape, and a small interpreter here runs the same description
  with torch's own `a + b`, `a * b`, `torch.chunk` and `torch.split`. The
  shapes must agree, and specc must refuse exactly when torch fails;
- the user's view: the CLI's table, the generated file imported beside
  `specc.build`'s module with equal outputs and equal state_dict keys
  (including names such as `block1-0` that are not identifiers).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import specc
from specc.api import shapes
from specc.diagnostics import SpecError

LONG = os.environ.get("SPECC_LONG") == "1"
SETTINGS = settings(max_examples=300 * (20 if LONG else 1), deadline=None,
                    suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------- the description


@dataclass(frozen=True)
class Branch:
    """One branch: `identity`, `global_avgpool`, `conv(c, k=1)` or `avgpool(k=2, s=2)`, then maybe a 1x1 conv."""

    first: str
    channels: int  # of the conv, when there is one


def branch_text(branch: Branch) -> str:
    return {"identity": "identity", "gap": "global_avgpool", "conv": f"conv({branch.channels}, k=1)",
            "pool": "avgpool(k=2, s=2)", "gap_conv": f"global_avgpool -> conv({branch.channels}, k=1)"}[branch.first]


def branch_module(branch: Branch, channels: int) -> nn.Module:
    if branch.first == "identity":
        return nn.Identity()
    if branch.first == "gap":
        return nn.AdaptiveAvgPool2d(1)
    if branch.first == "conv":
        return nn.Conv2d(channels, branch.channels, 1)
    if branch.first == "pool":
        return nn.AvgPool2d(2, 2)
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, branch.channels, 1))


branches = st.builds(Branch, st.sampled_from(["identity", "gap", "conv", "pool", "gap_conv"]),
                     st.sampled_from([1, 2, 4, 6]))


def spec(input_channels: int, size: int, header: str, body: list[Branch]) -> str:
    lines = ["model M:", f"    input {input_channels} x {size} x {size}", f"    {header}:"]
    lines += [f"        {branch_text(b)}" for b in body]
    return "\n".join(lines) + "\n"


def torch_shape(run) -> tuple | None:
    """The real output shape of `run()`, or None when torch refuses."""
    try:
        with torch.no_grad():
            return tuple(run().shape)
    except (RuntimeError, ValueError):
        return None


def specc_shape(text: str) -> tuple | None:
    try:
        graph = shapes(text, input=(2, *_sample(text)))
    except SpecError:
        return None
    return tuple(graph.output)


def _sample(text: str) -> tuple:
    dims = text.splitlines()[1].split("input")[1].split("x")
    return tuple(int(d) for d in dims)


# ---------------------------------------------------------------- the oracle


@SETTINGS
@given(op=st.sampled_from(["add", "mul"]), channels=st.sampled_from([1, 2, 4]), size=st.sampled_from([2, 4, 5]),
       body=st.lists(branches, min_size=1, max_size=3))
def test_add_and_mul_broadcast_as_torch_does(op, channels, size, body):
    x = torch.randn(2, channels, size, size)

    def run():
        outs = [branch_module(b, channels)(x) for b in body]
        total = outs[0]
        for out in outs[1:]:
            total = total + out if op == "add" else total * out
        return total

    assert specc_shape(spec(channels, size, op, body)) == torch_shape(run)


@SETTINGS
@given(op=st.sampled_from(["chunk", "split"]), channels=st.integers(1, 9), size=st.sampled_from([2, 3]),
       parts=st.one_of(st.integers(1, 5), st.lists(st.integers(1, 5), min_size=1, max_size=4)),
       body=st.lists(st.sampled_from([Branch("identity", 1), Branch("conv", 3), Branch("conv", 5)]),
                     min_size=1, max_size=4))
def test_channel_routing_cuts_as_torch_does(op, channels, size, parts, body):
    if op == "chunk" and isinstance(parts, list):
        parts = len(parts)  # `chunk` takes a count
    x = torch.randn(2, channels, size, size)

    def run():
        pieces = torch.chunk(x, parts, dim=1) if op == "chunk" else torch.split(x, parts, dim=1)
        if len(pieces) != len(body):
            raise ValueError("one branch per slice")
        return torch.cat([branch_module(b, p.shape[1])(p) for b, p in zip(body, pieces)], dim=1)

    header = f"{op} {parts}" if isinstance(parts, int) else f"{op} [{', '.join(map(str, parts))}]"
    assert specc_shape(spec(channels, size, header, body)) == torch_shape(run)


# ---------------------------------------------------------------- the user's view

SHUFFLE_UNIT = """\
# A ShuffleNetV2 unit and an SE gate, named as torchvision names its parts.
block squeeze_excitation(channels, squeeze):
    mul:
        seq:
            avgpool = global_avgpool
            fc1 = conv(squeeze, k=1)
            activation = relu
            fc2 = conv(channels, k=1)
            scale_activation = sigmoid
        identity

block unit(channels):
    chunk 2:
        identity
        branch2 = sequential:
            conv(channels // 2, k=1, bias=false)
            batchnorm
            relu

model Net(stages=2):
    input 3 x 16 x 16
    conv1 = conv(8, k=3, p=1)
    se = squeeze_excitation(8, 2)
    trunk = seq:
        for i in range(stages):
            "block1-{i}" = unit(8)
    split [2, 6]:
        relu
        "tail{stages}" = conv(6, k=1)
    flatten
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def _import(path: Path):
    module_spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_both_backends_compute_the_same_routed_model(tmp_path):
    source = tmp_path / "net.spec"
    source.write_text(SHUFFLE_UNIT, encoding="utf-8")
    done = _cli("build", "net.spec", "-o", "net_model.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    generated = (tmp_path / "net_model.py").read_text(encoding="utf-8")
    assert '("block1-0", Unit()),' in generated  # an nn.Sequential of non-identifier names
    assert "x1, x2 = x.chunk(2, dim=1)" in generated
    assert "x = out * identity" in generated

    ours = specc.build(source).eval()
    theirs = _import(tmp_path / "net_model.py").Net().eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "trunk.block1-1.branch2.0.weight" in ours.state_dict()
    assert "se.fc2.weight" in ours.state_dict()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(2, 3, 16, 16)
    assert torch.equal(ours(x), theirs(x))


def test_shapes_table_shows_the_slices(tmp_path):
    (tmp_path / "net.spec").write_text(SHUFFLE_UNIT, encoding="utf-8")
    done = _cli("shapes", "net.spec", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    assert ["(trunk.block1-1)", "chunk", "slices", "[4,", "4]", "[N,", "8,", "16,", "16]", "0", "0"] in rows
    assert ["(model)", "split", "slices", "[2,", "6]", "[N,", "8,", "16,", "16]", "0", "0"] in rows
    assert ["trunk.block1-1.branch2", "sequential", "[N,", "4,", "16,", "16]", "24", "4,104"] in rows


def test_an_unnamed_sequential_is_a_plain_nn_sequential():
    net = specc.build("model M:\n    input 4\n    sequential:\n        linear(3)\n        relu\n    linear(2)\n")
    assert type(net[0]) is nn.Sequential
    assert [name for name, _ in net.named_children()] == ["0", "1"]
