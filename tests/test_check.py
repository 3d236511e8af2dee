"""`specc check` checks everything: every model of every file elaborated at its declared input.

`test_shapes_errors.py` runs `check` on every shape diagnostic and wants
what `shapes` prints; this file is about several models and several files:
errors of independent models reported together, models without an `input`
checked statically with a note, and `--model`, `--set` and `--input`
narrowing the check to one model of each file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import specc
from specc.diagnostics import SpecError

ZOO = """\
block stem(c):
    conv(c, k=3, p=1) -> relu

model Shortcut:
    input 16 x 32 x 32
    add:
        conv(32, k=3, p=1)
        identity

model TooSmall(width=8):
    input 3 x 4 x 4
    stem(width)
    conv(16, k=5)

model Headless(classes=10):
    stem(16) -> global_avgpool -> flatten -> linear(classes)

model Fine(classes=10):
    input 3 x 32 x 32
    stem(16) -> global_avgpool -> flatten -> linear(classes)
"""
LIBRARY = "block stem(c):\n    conv(c, k=3, p=1) -> relu\n"
FINE = "model Net(classes=10):\n    input 3 x 32 x 32\n    conv(8, k=3) -> global_avgpool -> flatten -> linear(classes)\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "zoo.spec").write_text(ZOO, encoding="utf-8")
    (tmp_path / "lib.spec").write_text(LIBRARY, encoding="utf-8")
    (tmp_path / "net.spec").write_text(FINE, encoding="utf-8")
    return tmp_path


def check(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", "check", *args], cwd=folder,
                          capture_output=True, text=True, timeout=60)


def codes(stderr: str) -> list[str]:
    return [line.split("]")[0] + "]" for line in stderr.splitlines() if line.startswith("error[")]


def test_every_model_is_elaborated_and_their_errors_come_together(folder: Path):
    done = check(folder, "zoo.spec")
    assert done.returncode == 1 and done.stdout == ""
    assert codes(done.stderr) == ["error[E0301]", "error[E0303]"]
    assert "--> zoo.spec:8:9" in done.stderr and "--> zoo.spec:13:5" in done.stderr


def test_a_model_without_input_is_checked_statically_with_a_note(folder: Path):
    done = check(folder, "zoo.spec")
    assert done.stderr.startswith(
        "note: `Headless` declares no `input`: its names and calls are checked, its shapes are not "
        "(add an `input` line, or pass --input)\n --> zoo.spec:15:7\n")
    done = check(folder, "zoo.spec", "--model", "Headless", "--input", "3x8x8")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == "checked 1 file: no errors\n"


def test_a_library_and_a_clean_file_pass(folder: Path):
    done = check(folder, "lib.spec", "net.spec")
    assert (done.returncode, done.stdout, done.stderr) == (0, "checked 2 files: no errors\n", "")


def test_every_file_is_checked_even_after_one_with_errors(folder: Path):
    bad = folder / "bad.spec"
    bad.write_text(FINE.replace("k=3", "k=64"), encoding="utf-8")
    done = check(folder, "bad.spec", "zoo.spec")
    assert codes(done.stderr) == ["error[E0303]", "error[E0301]", "error[E0303]"]


def test_model_options_narrow_the_check_to_the_model_shapes_would_show(folder: Path):
    assert check(folder, "zoo.spec", "--model", "Fine").returncode == 0
    done = check(folder, "zoo.spec", "--model", "TooSmall", "--input", "3x32x32")
    assert done.returncode == 0, done.stderr
    done = check(folder, "zoo.spec", "--set", "classes=3")  # the last model, as `shapes` would take
    assert done.returncode == 0, done.stderr
    done = check(folder, "zoo.spec", "--model", "Fine", "--set", "classes=0")
    assert codes(done.stderr) == ["error[E0402]"]


def test_model_options_apply_to_every_file(folder: Path):
    done = check(folder, "net.spec", "zoo.spec", "--set", "classes=3")
    assert done.returncode == 0, done.stderr
    done = check(folder, "net.spec", "lib.spec", "--model", "Net")
    assert codes(done.stderr) == ["error[E0213]"]  # the library has no model `Net`


def test_a_bad_option_is_one_usage_error(folder: Path):
    done = check(folder, "net.spec", "zoo.spec", "--set", "clases=3")
    assert done.returncode == 2 and codes(done.stderr) == ["error[E0501]", "error[E0501]"]
    assert "did you mean `classes`?" in done.stderr
    done = check(folder, "net.spec", "zoo.spec", "--input", "0x1x1")
    assert done.returncode == 2 and codes(done.stderr) == ["error[E0502]"]
    done = check(folder, "zoo.spec", "--model", "Headless", "--set", "clases=3")  # checked with no input too
    assert done.returncode == 2 and codes(done.stderr) == ["error[E0501]"]


def test_a_block_two_models_call_alike_errs_once_for_each_call(tmp_path: Path):
    text = ("block head(c):\n    conv(c, k=99)\n\nmodel A:\n    input 3 x 8 x 8\n    head(4)\n\n"
            "model B:\n    input 3 x 8 x 8\n    head(4)\n")
    (tmp_path / "two.spec").write_text(text, encoding="utf-8")
    done = check(tmp_path, "two.spec")
    assert codes(done.stderr) == ["error[E0303]", "error[E0303]"]
    assert "in `head(c=4)` at two.spec:6:5" in done.stderr and "in `head(c=4)` at two.spec:10:5" in done.stderr


def test_dump_still_stops_before_elaboration(folder: Path):
    for stage in ("parse", "resolve", "check"):
        done = check(folder, "zoo.spec", "--dump", stage)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["kind"] in ("module", "Program")
        assert done.stderr == ""


def test_the_python_api_checks_shapes_too(folder: Path):
    with pytest.raises(SpecError) as caught:
        specc.check(folder / "zoo.spec")
    assert [e.code for e in caught.value.errors] == ["E0301", "E0303"]
    assert specc.check(folder / "zoo.spec", model="Fine").models[-1].name == "Fine"
    with pytest.raises(SpecError) as caught:
        specc.check(folder / "zoo.spec", model="TooSmall", overrides={"width": 0})
    assert caught.value.code == "E0402"


def test_a_derived_model_is_elaborated_as_what_it_derives(tmp_path: Path):
    text = FINE + "\nmodel Narrow = Net(classes=0)\n"
    (tmp_path / "derived.spec").write_text(text, encoding="utf-8")
    done = check(tmp_path, "derived.spec")
    assert codes(done.stderr) == ["error[E0402]"] and "note:" not in done.stderr
