"""Every shape, value and command-line error of `specc shapes`, rendered in full.

Each `tests/shape_diagnostics/E0xxx_*.spec` triggers the error its name
starts with; a first line `# args: ...` adds command-line arguments (for
`--set` and `--input`). The test runs `python -m specc shapes FILE [ARGS]`
in that directory, as a user would, and compares stderr with the golden
`.txt` next to the spec; `specc check FILE [ARGS]` must print the same. `SPECC_UPDATE_GOLDEN=1` rewrites the goldens.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from specc.diagnostics import CODES

HERE = Path(__file__).resolve().parent / "shape_diagnostics"
CASES = sorted(HERE.glob("E0*.spec"))
UPDATE = os.environ.get("SPECC_UPDATE_GOLDEN") == "1"


def arguments(spec: Path) -> list[str]:
    first = spec.read_text(encoding="utf-8").splitlines()[0]
    return shlex.split(first[len("# args:"):]) if first.startswith("# args:") else []


def run(spec: Path, command: str = "shapes") -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "specc", command, spec.name, *arguments(spec)]
    return subprocess.run(argv, cwd=HERE, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("spec", CASES, ids=[c.stem for c in CASES])
def test_rendered_diagnostic(spec: Path):
    code = spec.name[:5]
    done = run(spec)
    assert done.stdout == ""
    assert done.returncode == CODES[code].category.exit_status, done.stderr
    assert done.stderr.startswith(f"error[{code}]: "), done.stderr
    assert "Traceback" not in done.stderr
    golden = spec.with_suffix(".txt")
    if UPDATE:
        golden.write_text(done.stderr, encoding="utf-8")
    assert golden.exists(), f"no golden {golden.name}; run with SPECC_UPDATE_GOLDEN=1 to write it"
    assert done.stderr == golden.read_text(encoding="utf-8")


# `specc check` elaborates every model at its declared input: it reports what `shapes` does,
# except that a model without an `input` is no error for it (it is checked statically, with a note).
STATIC_ONLY = {"E0309_no_input"}


@pytest.mark.parametrize("spec", CASES, ids=[c.stem for c in CASES])
def test_check_reports_what_shapes_reports(spec: Path):
    done = run(spec, "check")
    if spec.stem in STATIC_ONLY:
        assert done.returncode == 0, done.stderr
        assert done.stderr.startswith("note: `") and "declares no `input`" in done.stderr
        assert done.stdout == "checked 1 file: no errors\n"
        return
    assert done.stdout == ""
    assert done.returncode == CODES[spec.name[:5]].category.exit_status, done.stderr
    assert done.stderr == spec.with_suffix(".txt").read_text(encoding="utf-8")


def test_every_shape_value_and_cli_code_has_a_golden():
    pinned = {spec.name[:5] for spec in CASES if spec.with_suffix(".txt").exists()}
    wanted = {code for code in CODES if code.startswith(("E03", "E04", "E05"))}
    assert wanted - pinned == set()


def test_every_golden_has_its_spec():
    assert {p.stem for p in HERE.glob("*.txt")} == {p.stem for p in CASES}


# ---------------------------------------------------------------- what the messages must say


def golden(stem: str) -> str:
    return (HERE / f"{stem}.txt").read_text(encoding="utf-8")


def test_residual_mismatch_points_at_the_shortcut_and_the_call():
    text = golden("E0301_residual_without_1x1conv")
    assert "branch 1 gives [N, 128, 28, 28], branch 2 (the input) gives [N, 64, 56, 56]" in text
    assert "^^^^^^^^ this branch keeps the input shape" in text
    assert "pass `use_1x1conv=true`" in text
    assert "residual(channels=128, use_1x1conv=false, stride=2)` at E0301_residual_without_1x1conv.spec:9:5" in text


def test_zero_size_names_layer_incoming_shape_and_smallest_input():
    text = golden("E0303_dimension_reaches_zero")
    assert "`conv` reduces the height to 0: input [N, 16, 4, 4]" in text
    assert "the smallest height that fits this layer is 5" in text
    assert "the model needs an input of at least 1 x 32 x 32" in text


def test_linear_on_images_says_insert_flatten():
    assert "= help: insert `flatten` before it" in golden("E0304_linear_on_images")


def test_explicit_in_features_says_the_inferred_value():
    text = golden("E0305_linear_in_features")
    assert "expected in-features 9216 (inferred from the input), found `in=6400`" in text
    assert "write `in=9216`" in text


def test_smallest_input_is_really_the_smallest():
    from specc.api import shapes
    from specc.diagnostics import SpecError

    spec = HERE / "E0303_dimension_reaches_zero.spec"
    assert shapes(spec, input=(1, 32, 32)).output == ("N", 10)
    for smaller in ((1, 31, 32), (1, 32, 31)):
        with pytest.raises(SpecError) as error:
            shapes(spec, input=smaller)
        assert error.value.code == "E0303"
