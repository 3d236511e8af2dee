"""torchvision's GoogLeNet with auxiliary classifiers, as a spec with named values and `output`.

The done-when of the graphs issue: torchvision's state_dict loads strictly; the outputs
equal torchvision's in evaluation mode (the logits) and in training mode (the logits
and both auxiliary logits, as `GoogLeNetOutputs`), with dropout off in both; and the
generated file computes the same.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import specc
from generated_code import import_file, randomise_statistics

torchvision = pytest.importorskip("torchvision", reason="torchvision is the outside truth here")

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "torchvision" / "googlenet_aux.spec"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    torch.manual_seed(0)
    theirs = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False)
    state = theirs.state_dict()
    randomise_statistics(state)
    ours = specc.build(SPEC)
    ours.load_state_dict(state, strict=True)
    out = tmp_path_factory.mktemp("googlenet") / "googlenet_aux.py"
    done = subprocess.run([sys.executable, "-m", "specc", "build", str(SPEC), "-o", str(out)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    module = import_file(out)
    generated = module.GoogLeNetAux()
    generated.load_state_dict(state, strict=True)
    for model in (theirs, ours, generated):
        for layer in model.modules():
            if isinstance(layer, torch.nn.Dropout):
                layer.p = 0.0  # training mode without randomness: the outputs must agree exactly
    return theirs, ours, generated


def test_evaluation_mode_returns_torchvisions_logits(models):
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = models[0].eval()(x)
        for model in models[1:]:
            assert torch.allclose(model.eval()(x), expected, atol=1e-5)


def test_training_mode_returns_the_logits_and_both_auxiliary_logits(models):
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = models[0].train()(x)
        assert type(expected).__name__ == "GoogLeNetOutputs"
        for model in models[1:]:
            got = model.train()(x)
            assert isinstance(got, tuple) and len(got) == 3
            for ours, theirs in zip(got, expected):  # logits, aux_logits2, aux_logits1
                assert torch.allclose(ours, theirs, atol=1e-5)
