"""The bundled torchvision specs against torchvision itself, and the bundled autoencoder.

For each spec in specs/torchvision/ of a modern CNN (issue 15):
- `specc.build(spec)` loads `torchvision.models.X().state_dict()` with
  `strict=True`: the same keys (in the same order), the same shapes;
- in eval mode, with random batch-norm statistics and affine parameters set
  on torchvision's model and loaded into ours, the outputs on a random batch
  equal torchvision's;
- `specc shapes --json` totals (parameters, mult-adds) equal torchinfo's;
- the file `specc build spec -o file.py` writes imports with only torch
  beside it (specc and torchvision unimportable), loads the same state_dict
  and gives the same outputs.

The models are big: each is built once for the module (torchvision's and
ours), run once on a batch of two, in eval mode without gradients, and the
generated files all run in one fresh interpreter.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision", reason="the zoo is compared with torchvision's own models")
from torch import nn  # noqa: E402

import specc  # noqa: E402
from specc.report import to_json  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# torchvision.models factory -> the bundled spec that reproduces it
ZOO = {
    "mobilenet_v3_large": "specs/torchvision/mobilenet_v3_large.spec",
    "efficientnet_v2_s": "specs/torchvision/efficientnet_v2_s.spec",
    "regnet_y_800mf": "specs/torchvision/regnet_y_800mf.spec",
    "shufflenet_v2_x1_0": "specs/torchvision/shufflenet_v2_x1_0.spec",
}
NAMES = sorted(ZOO)
INPUT = (2, 3, 224, 224)
AUTOENCODER = "specs/autoencoder.spec"

# Runs in a fresh interpreter: imports each generated file with specc and torchvision unimportable, loads
# torchvision's state_dict into the class named as the model, and saves the output on the saved input.
RUNNER = r"""
import sys
sys.modules["specc"] = None
sys.modules["torchvision"] = None

import importlib.util, json
import torch

jobs = json.loads(sys.stdin.read())
for job in jobs:
    module_spec = importlib.util.spec_from_file_location("generated_" + job["name"], job["path"])
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    saved = torch.load(job["data"])
    model = getattr(module, job["model"])().eval()
    model.load_state_dict(saved["state_dict"], strict=True)
    with torch.no_grad():
        torch.save(model(saved["input"]), job["out"])
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in ("specc", "torchvision")
                        and sys.modules[name] is not None)))
"""


def randomise(model: nn.Module, generator: torch.Generator) -> None:
    """Batch-norm statistics and affine parameters away from their identity defaults."""
    for layer in model.modules():
        if isinstance(layer, nn.BatchNorm2d):
            n = layer.num_features
            with torch.no_grad():
                layer.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
                layer.running_var.copy_(0.5 + torch.rand(n, generator=generator))
                layer.weight.copy_(1 + 0.1 * torch.randn(n, generator=generator))
                layer.bias.copy_(0.1 * torch.randn(n, generator=generator))


class Pair:
    """torchvision's model and ours, with the same weights, and torchvision's output on one random batch."""

    def __init__(self, name: str):
        generator = torch.Generator().manual_seed(15)
        torch.manual_seed(15)
        self.theirs = getattr(torchvision.models, name)().eval()
        randomise(self.theirs, generator)
        self.ours = specc.build(ROOT / ZOO[name]).eval()
        self.ours.load_state_dict(self.theirs.state_dict(), strict=True)
        self.x = torch.randn(INPUT, generator=generator)
        with torch.no_grad():
            self.expected = self.theirs(self.x)


@pytest.fixture(scope="module")
def pairs():
    cache: dict[str, Pair] = {}

    def get(name: str) -> Pair:
        if name not in cache:
            cache[name] = Pair(name)
        return cache[name]

    return get


def close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    # The same layers in the same order: equal in practice; a hair of slack for kernels chosen by layout.
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- in memory


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_is_torchvisions(name, pairs):
    pair = pairs(name)  # loads torchvision's state_dict with strict=True
    ours, theirs = pair.ours.state_dict(), pair.theirs.state_dict()
    assert list(ours) == list(theirs)  # the same keys, in the same order
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}


@pytest.mark.parametrize("name", NAMES)
def test_outputs_equal_torchvisions(name, pairs):
    pair = pairs(name)
    with torch.no_grad():
        actual = pair.ours(pair.x)
    assert actual.shape == (INPUT[0], 1000)
    close(actual, pair.expected)


# ---------------------------------------------------------------- specc shapes --json against torchinfo


@pytest.mark.parametrize("name", NAMES)
def test_totals_equal_torchinfo(name):
    torchinfo = pytest.importorskip("torchinfo")
    done = subprocess.run([sys.executable, "-m", "specc", "shapes", ZOO[name], "--json", "--input", "1x3x224x224"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # device="meta": torchinfo's forward on meta tensors, the same counts without the arithmetic.
    stats = torchinfo.summary(getattr(torchvision.models, name)(), input_size=(1, 3, 224, 224), verbose=0,
                              device="meta")
    assert (report["total_params"], report["total_macs"]) == (stats.total_params, stats.total_mult_adds)
    assert report["output"] == [1, 1000]


# ---------------------------------------------------------------- the generated files


@pytest.fixture(scope="module")
def generated(pairs, tmp_path_factory):
    """`specc build SPEC -o FILE.py` for every model, then each file run in one fresh interpreter."""
    out = tmp_path_factory.mktemp("zoo")
    jobs = []
    for name in NAMES:
        path = out / f"{name}.py"
        done = subprocess.run([sys.executable, "-m", "specc", "build", ZOO[name], "-o", str(path)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        pair = pairs(name)
        torch.save({"state_dict": pair.theirs.state_dict(), "input": pair.x}, out / f"{name}.pt")
        jobs.append({"name": name, "path": str(path), "data": str(out / f"{name}.pt"),
                     "out": str(out / f"{name}.out.pt"), "model": specc.shapes(ROOT / ZOO[name]).model})
    # From the files' directory, so that the checkout is not on the path (the runner also blocks specc itself).
    done = subprocess.run([sys.executable, "-c", RUNNER], cwd=out, input=json.dumps(jobs), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return {"imported": json.loads(done.stdout.splitlines()[-1]),
            "outputs": {job["name"]: torch.load(job["out"]) for job in jobs}}


def test_generated_files_need_neither_specc_nor_torchvision(generated):
    assert generated["imported"] == []


@pytest.mark.parametrize("name", NAMES)
def test_generated_file_gives_torchvisions_outputs(name, pairs, generated):
    close(generated["outputs"][name], pairs(name).expected)


# ---------------------------------------------------------------- the autoencoder


@pytest.mark.parametrize("shape", [None, (3, 32, 32), (2, 1, 28, 28)])
def test_autoencoder_output_has_the_input_shape(shape):
    graph = specc.shapes(ROOT / AUTOENCODER, input=shape)
    assert graph.output == graph.input
    ops = {layer["op"] for layer in to_json(graph)["layers"]}
    assert {"conv_transpose", "upsample"} <= ops


def test_autoencoder_backends_agree(tmp_path):
    done = subprocess.run([sys.executable, "-m", "specc", "build", AUTOENCODER, "-o", str(tmp_path / "ae.py")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    module_spec = importlib.util.spec_from_file_location("generated_autoencoder", tmp_path / "ae.py")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    ours = specc.build(ROOT / AUTOENCODER).eval()
    theirs = module.Autoencoder().eval()
    randomise(ours, torch.Generator().manual_seed(4))
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        y = ours(x)
        assert y.shape == x.shape
        assert torch.equal(y, theirs(x))
