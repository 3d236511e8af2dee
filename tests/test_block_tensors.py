"""Blocks that take tensors and return several values; warnings for values nothing reads.

From the user's side: a spec whose blocks take a skip tensor (`skip: tensor`) and return two
values (`output (a, b)`, unpacked with `as (a, b)`) computes what the same network written by
hand in torch computes, in memory and as a generated file; YAML and `specc fmt` carry it; a
named value that nothing reads is a warning (exit 0), never in a bundled spec.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import specc
from generated_code import import_file

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
# An encoder block returning its features at two resolutions, and a decoder block given a skip.
block encode(c):
    conv(c, k=3, p=1) -> relu as full
    conv(c, k=3, s=2, p=1) -> relu as half
    output (full, half)

block decode(c, skip: tensor):
    conv_transpose(c, k=2, s=2)
    concat:
        skip
        identity
    conv(c, k=3, p=1)

model Tiny(classes=3):
    input 3 x 16 x 16
    enc = encode(8) as (full, half)
    mid = half -> conv(16, k=3, p=1)
    dec = decode(8, full)
    head = conv(classes, k=1)
"""


class Encode(nn.Module):
    def __init__(self, c_in, c):
        super().__init__()
        self.conv1, self.relu1 = nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU()
        self.conv2, self.relu2 = nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU()

    def forward(self, x):
        full = self.relu1(self.conv1(x))
        return full, self.relu2(self.conv2(full))


class Decode(nn.Module):
    def __init__(self, c_in, c):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(c_in, c, 2, stride=2)
        self.conv = nn.Conv2d(2 * c, c, 3, padding=1)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.deconv(x)], dim=1))


class ByHand(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc, self.mid, self.dec, self.head = Encode(3, 8), nn.Conv2d(8, 16, 3, padding=1), Decode(16, 8), \
            nn.Conv2d(8, 3, 1)

    def forward(self, x):
        full, half = self.enc(x)
        return self.head(self.dec(self.mid(half), full))


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def without_lines(text: str):
    """A `--json` report without what differs between a spec and its YAML form: the file and the lines."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("line", "file")}
        return [strip(v) for v in value] if isinstance(value, list) else value
    return strip(json.loads(text))


@pytest.fixture()
def spec(tmp_path):
    path = tmp_path / "tiny.spec"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_both_backends_compute_what_torch_written_by_hand_computes(spec, tmp_path):
    theirs = ByHand()
    ours = specc.build(spec)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
        [(k, v.shape) for k, v in theirs.state_dict().items()]
    ours.load_state_dict(theirs.state_dict(), strict=True)
    done = cli("build", spec.name, "-o", "tiny_model.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    generated = import_file(tmp_path / "tiny_model.py").Tiny()
    generated.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        expected = theirs(x)
        assert torch.equal(ours(x), expected) and torch.equal(generated(x), expected)
    source = (tmp_path / "tiny_model.py").read_text(encoding="utf-8")
    assert "full, half = self.enc(x)" in source and "def forward(self, x, skip):" in source
    assert "x = self.dec(x, full)" in source and "return (full, half)" in source


def test_the_report_shows_what_blocks_take_and_give(spec):
    table = cli("shapes", str(spec)).stdout
    assert "c=8 -> (full, half)" in table and "c=8, skip=full" in table
    modules = {m["path"]: m for m in json.loads(cli("shapes", str(spec), "--json").stdout)["modules"]}
    assert modules["enc"]["returns"] == ["full", "half"] and modules["enc"]["results"] == ["full", "half"]
    assert modules["dec"]["inputs"] == {"skip": "full"}


def test_yaml_and_fmt_carry_tensor_parameters_and_unpacking(spec, tmp_path):
    assert cli("fmt", str(spec)).stdout == SPEC
    yaml_text = cli("fmt", "--to", "yaml", str(spec)).stdout
    assert '"skip: tensor"' in yaml_text and "as (full, half)" in yaml_text
    yaml_path = tmp_path / "tiny.yaml"
    yaml_path.write_text(yaml_text, encoding="utf-8")
    assert without_lines(cli("shapes", str(yaml_path), "--json").stdout) == \
        without_lines(cli("shapes", str(spec), "--json").stdout)
    assert cli("fmt", "--to", "spec", str(yaml_path)).stdout == SPEC


def test_a_value_nothing_reads_is_a_warning(tmp_path):
    path = tmp_path / "unread.spec"
    path.write_text(SPEC.replace("    dec = decode(8, full)", "    dec = decode(8, full) as unused"), encoding="utf-8")
    done = cli("check", str(path))
    assert done.returncode == 0 and "checked 1 file: no errors" in done.stdout
    assert "warning[W0301]: the value `unused` is never read" in done.stderr and "unread.spec:18:" in done.stderr
    shapes = cli("shapes", str(path), "--json")
    assert shapes.returncode == 0
    assert [w["code"] for w in json.loads(shapes.stdout)["warnings"]] == ["W0301"]


def test_no_bundled_spec_has_a_warning():
    files = sorted(str(p) for p in [*ROOT.glob("specs/**/*.spec"), *ROOT.glob("specs/**/*.yaml")])
    done = cli("check", *files)
    assert done.returncode == 0, done.stderr
    assert "warning[" not in done.stderr
