"""specs/unet.spec, the U-Net of the paper: its shapes, the built module's real shapes, and its errors.

The done-when of the graphs issue: shapes correct for valid inputs (the paper's 572 -> 388);
a located error naming the level for an input that breaks a downsampling, with the input sizes
that fit; the built module's real shapes equal the report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import specc
from specc import ir

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "unet.spec"


def specc_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], capture_output=True, text=True, timeout=120)


def test_the_papers_sizes():
    graph = specc.shapes(SPEC)
    assert graph.input == ("N", 1, 572, 572) and graph.output == ("N", 2, 388, 388)
    encoders = [m.out_shape[2] for m in ir.modules(graph.body) if m.path.endswith("encode")]
    assert encoders == [568, 280, 136, 64, 28]  # the contracting path of the paper's figure 1


@pytest.mark.parametrize("padding, size", [(0, 188), (0, 252), (1, 64), (1, 80)])
def test_built_module_real_shapes_equal_the_report(padding, size):
    options = dict(input=(1, 1, size, size), overrides={"width": 4, "padding": padding})
    graph = specc.shapes(SPEC, **options)
    net = specc.build(SPEC, **options)
    seen = {}
    for name, module in net.named_modules():
        module.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, tuple(o.shape)))
    with torch.no_grad():
        out = net(torch.randn(1, 1, size, size))
    assert tuple(out.shape) == graph.output
    reported = {row.node.path: row.node.out_shape for row in ir.walk(graph.body) if row.node.module}
    assert reported and {path: seen[path] for path in reported} == reported


def test_an_input_that_breaks_a_downsampling_names_the_level_and_the_sizes_that_fit():
    done = specc_cli("shapes", str(SPEC), "--set", "padding=1", "--input", "1x1x200x192")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "error[E0302]" in done.stderr
    assert "in `level(channels=512, depth=1, padding=1)`" in done.stderr  # the level where 25 halves to 12
    assert "the nearest input heights at which the branches agree: 192 and 208" in done.stderr
    for fits in (192, 208):  # and they do
        assert specc_cli("shapes", str(SPEC), "--set", "padding=1", "--input", f"1x1x{fits}x192").returncode == 0


def test_an_input_too_small_says_the_smallest_that_fits():
    done = specc_cli("shapes", str(SPEC), "--input", "1x1x100x100")
    assert done.returncode == 1 and "error[E0303]" in done.stderr
    assert "the model needs an input of at least 1 x 1 x 188 x 188" in done.stderr
    assert specc_cli("shapes", str(SPEC), "--input", "1x1x188x188").returncode == 0
    assert specc_cli("shapes", str(SPEC), "--input", "1x1x187x188").returncode == 1
