"""torchvision's FCN-ResNet50 with its auxiliary head, as a spec whose backbone block returns two values.

The done-when of the graphs issue: `fcn_resnet50(weights=None, weights_backbone=None,
aux_loss=True)`'s state_dict loads strictly, and `out` and `aux` equal torchvision's for a
non-square input; the generated file computes the same.
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
SPEC = ROOT / "specs" / "torchvision" / "fcn_resnet50.spec"
SIZE = (1, 3, 200, 264)  # not square: the heads upsample to the input's own height and width


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    torch.manual_seed(0)
    theirs = torchvision.models.segmentation.fcn_resnet50(weights=None, weights_backbone=None, aux_loss=True)
    state = theirs.state_dict()
    randomise_statistics(state)
    ours = specc.build(SPEC, input=SIZE)
    ours.load_state_dict(state, strict=True)
    out = tmp_path_factory.mktemp("fcn") / "fcn_resnet50.py"
    done = subprocess.run([sys.executable, "-m", "specc", "build", str(SPEC), "--input", "x".join(map(str, SIZE)),
                           "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    module = import_file(out)
    generated = module.FCN_ResNet50()
    generated.load_state_dict(state, strict=True)
    return theirs, ours, generated, out.read_text(encoding="utf-8")


def test_keys_are_torchvisions_in_order(models):
    theirs, ours, generated, _ = models
    assert list(ours.state_dict()) == list(theirs.state_dict()) == list(generated.state_dict())


def test_out_and_aux_equal_torchvisions_on_a_non_square_input(models):
    theirs, ours, generated, _ = models
    x = torch.randn(*SIZE)
    with torch.no_grad():
        expected = theirs.eval()(x)
        for model in (ours, generated):
            got = model.eval()(x)
            assert set(got) == {"out", "aux"}
            for key in ("out", "aux"):
                assert got[key].shape == expected[key].shape == (1, 21, 200, 264)
                assert torch.allclose(got[key], expected[key], atol=1e-5), key


def test_generated_forward_reads_like_hand_written_code(models):
    source = models[3]
    assert "features, aux_features = self.backbone(image)" in source
    assert 'return {"out": out, "aux": aux}' in source
    assert "return (out, aux)" in source  # the backbone block's own forward
