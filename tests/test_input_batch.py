"""`input N x ...`: a leading `N` names the symbolic batch, and the sample may have any rank from 1 to 4.

Without `N` the old rule holds unchanged (1 or 3 sizes get a symbolic batch, 2 or 4 have one), and
`N` is a variable where one is in scope. `--input Nx3x100` and `api.shapes(input=("N", 3, 100))`
read the same way, as does the YAML form.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import specc
from specc.diagnostics import SpecError


@pytest.mark.parametrize("line, shape", [
    ("input N x 3 x 100", ("N", 3, 100)),
    ("input N x 3 x 16 x 112 x 112", ("N", 3, 16, 112, 112)),
    ("input N x 10", ("N", 10)),
    ("input N x 3 x 32 x 32", ("N", 3, 32, 32)),
    ("input 3 x 32 x 32", ("N", 3, 32, 32)),   # the old rules, unchanged
    ("input 8 x 3 x 32 x 32", (8, 3, 32, 32)),
    ("input 10", ("N", 10)),
    ("input 8 x 10", (8, 10)),
])
def test_the_input_line(line, shape):
    assert specc.shapes(f"model M:\n    {line}\n    identity\n").input == shape


def test_n_is_a_variable_where_one_is_in_scope():
    graph = specc.shapes("model M(N=4):\n    input N x 28 x 28\n    identity\n")
    assert graph.input == ("N", 4, 28, 28)


@pytest.mark.parametrize("given, shape", [
    (("N", 3, 100), ("N", 3, 100)), (("N", 3, 4, 5, 6), ("N", 3, 4, 5, 6)), ((3, 32, 32), ("N", 3, 32, 32)),
])
def test_the_api_input(given, shape):
    assert specc.shapes("model M:\n    input 1 x 8 x 8\n    identity\n", input=given).input == shape


def test_too_many_sizes_after_n():
    with pytest.raises(SpecError) as caught:
        specc.shapes("model M:\n    input 1 x 8 x 8\n    identity\n", input=("N", 1, 2, 3, 4, 5))
    assert caught.value.code == "E0502"


def test_the_command_line_input(tmp_path):
    spec = tmp_path / "m.spec"
    spec.write_text("model M:\n    input 1 x 8 x 8\n    conv(4, k=3)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "specc", "shapes", str(spec), "--input", "Nx2x10", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["input"] == ["N", 2, 10]


def test_the_yaml_input(tmp_path):
    spec = tmp_path / "m.yaml"
    spec.write_text("models:\n  M:\n    input: [N, 3, 100]\n    layers:\n      - conv: [4, {k: 3}]\n", encoding="utf-8")
    graph = specc.shapes(spec)
    assert graph.input == ("N", 3, 100) and graph.output == ("N", 4, 98)


def test_e0304_says_how_to_write_the_input_with_n():
    with pytest.raises(SpecError) as caught:
        specc.shapes("model M:\n    input 3 x 16 x 112 x 112\n    conv(8, k=(3, 3, 3))\n")
    assert caught.value.code == "E0304"
    assert "write `input N x 3 x 16 x 112 x 112`" in caught.value.help
