"""Shared layers (`let fc = linear(8)`), checked against the seeds' tied net and torch itself.

The seeds' 5.2.3 builds `nn.Sequential(..., shared, nn.ReLU(), shared, ...)`:
one module at positions 2 and 4. `specs/seeds/tied.spec` must give the same
object at the same places, in memory and in the generated file, load the
seed net's state_dict strictly, compute its outputs, and train as one
parameter (an SGD step moves both places together).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import specc
from specc.diagnostics import SpecError
import seed_models

ROOT = Path(__file__).resolve().parent.parent
TIED = ROOT / "specs" / "seeds" / "tied.spec"


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("tied") / "tied_net.py"
    done = _cli("build", str(TIED), "-o", str(out))
    assert done.returncode == 0, done.stderr
    module_spec = importlib.util.spec_from_file_location("tied_net", out)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _both(generated) -> list[nn.Module]:
    return [specc.build(TIED), generated.Tied()]


def test_the_shared_layer_is_one_object_at_the_seeds_positions(generated):
    for net in _both(generated):
        assert net[2] is net[4]
        assert [type(m) for m in net] == [type(m) for m in seed_models.tied()]


def test_one_sgd_step_moves_both_places(generated):
    for net in _both(generated):
        before = net[4].weight.detach().clone()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        net(torch.randn(5, 4)).sum().backward()
        optimizer.step()
        assert not torch.equal(net[4].weight, before)
        assert torch.equal(net[2].weight, net[4].weight)
        net[2].weight.data[0, 0] = 100  # the seed's own check: one tensor, not equal copies
        assert net[4].weight[0, 0] == 100


def test_the_seed_net_loads_strictly_and_computes_the_same(generated):
    seed = seed_models.tied()
    x = torch.randn(3, 4)
    for net in _both(generated):
        net.load_state_dict(seed.state_dict(), strict=True)
        assert torch.equal(net(x), seed(x))
        assert sum(p.numel() for p in net.parameters()) == sum(p.numel() for p in seed.parameters())


def test_same_seed_same_weights_in_both_backends(generated):
    torch.manual_seed(7)
    ours = specc.build(TIED)
    torch.manual_seed(7)
    theirs = generated.Tied()
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))


def test_parameters_count_once_and_mult_adds_per_application():
    done = _cli("shapes", str(TIED), "--json")
    report = json.loads(done.stdout)
    seed = seed_models.tied()
    assert report["total_params"] == sum(p.numel() for p in seed.parameters())  # 121, not 193
    rows = {row["path"]: row for row in report["layers"]}
    assert (rows["2"]["shared"], rows["2"]["shares"], rows["2"]["params"]) == ("shared", None, 72)
    assert (rows["4"]["shared"], rows["4"]["shares"], rows["4"]["params"], rows["4"]["macs"]) == ("shared", "2", 0, 72)
    assert rows["0"]["shared"] is None
    assert report["total_macs"] == sum(row["macs"] for row in report["layers"])


SIAMESE = """\
model Siamese:
    input 8 x 16 x 16
    let tower = conv(8, k=3, p=1)
    tower -> relu
    add:
        tower
        identity
    flatten
"""


def test_among_named_layers_a_shared_layer_is_one_attribute_called_twice(tmp_path):
    source = tmp_path / "siamese.spec"
    source.write_text(SIAMESE, encoding="utf-8")
    done = _cli("build", str(source), "-o", str(tmp_path / "siamese_net.py"))
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "siamese_net.py").read_text(encoding="utf-8")
    assert text.count("nn.Conv2d(") == 1 and text.count("self.tower(") == 2
    ours = specc.build(source)
    assert [name for name, _ in ours.named_children()] == ["tower", "relu", "flatten"]
    module_spec = importlib.util.spec_from_file_location("siamese_net", tmp_path / "siamese_net.py")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    theirs = module.Siamese()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(2, 8, 16, 16)
    tower = ours.tower
    assert torch.equal(ours(x), theirs(x))
    assert torch.equal(ours(x), torch.flatten(tower(torch.relu(tower(x))) + torch.relu(tower(x)), 1))


def test_a_shared_layer_applied_where_it_does_not_fit_names_both_places():
    text = "model M:\n    input 8\n    let fc = linear(8)\n    fc\n    linear(16)\n    fc\n"
    with pytest.raises(SpecError) as error:
        specc.shapes(text)
    assert error.value.code == "E0312"
    assert error.value.span.line == 6
    assert "at line 4" in error.value.message


def test_a_shared_block_counts_its_parameters_once():
    text = ("block unit(c):\n    conv(c, k=1) -> relu\n\n"
            "model M:\n    input 4 x 8 x 8\n    let u = unit(4)\n    u\n    u\n")
    graph = specc.shapes(text)
    assert graph.total_params == 4 * 4 + 4
    net = specc.build(text)
    assert net[0] is net[1]
