"""Weights: `specc.build(spec, weights=PATH)` and `specc build --weights PATH`.

A state_dict that fits loads exactly; one that does not gets one diagnostic
naming every key that does not fit, and nothing is loaded. The goldens in
`tests/weight_diagnostics/`: each `E07xx_<what>.spec` is a model, and
`WEIGHTS[stem]` makes the weights file for it at test time (from the
model's own fresh state_dict); the test runs `python -m specc build
FILE.spec --weights FILE.pt` in a folder holding both, as a user would, and
compares stderr with the golden `.txt`. `SPECC_UPDATE_GOLDEN=1` rewrites
the goldens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import specc  # noqa: E402
from specc.diagnostics import CODES, SpecError  # noqa: E402

HERE = Path(__file__).resolve().parent / "weight_diagnostics"
ROOT = HERE.parent.parent
CASES = sorted(HERE.glob("E0*.spec"))
UPDATE = os.environ.get("SPECC_UPDATE_GOLDEN") == "1"


def renamed_missing_misshaped(state: dict) -> dict:
    state["feature.0.weight"] = state.pop("features.0.weight")
    del state["features.3.bias"]
    state["classifier.4.weight"] = torch.zeros(10, 80)
    return state


def save(change) -> object:
    """Save what `change` makes of the model's state_dict."""
    return lambda path, state: torch.save(change(state), path)


WEIGHTS = {
    "E0701_missing_weights": None,
    "E0702_checkpoint": save(lambda state: {"model": state, "optimizer": {"lr": 0.1}, "epoch": 3}),
    "E0702_pickled_model": save(lambda state: torch.nn.Sequential(torch.nn.Linear(3, 2))),
    "E0702_not_torch": lambda path, state: path.write_text("weights: none\n", encoding="utf-8"),
    "E0703_renamed_missing_misshaped": save(renamed_missing_misshaped),
    "E0703_wrapped_model": save(lambda state: {f"module.{key}": value for key, value in state.items()}),
}


def prepare(spec: Path, folder: Path) -> Path:
    """`folder` with the spec and the weights file of its case; returns the weights' path."""
    shutil.copy(spec, folder / spec.name)
    weights = folder / f"{spec.stem}.pt"
    make = WEIGHTS[spec.stem]
    if make is not None:
        torch.manual_seed(0)
        make(weights, dict(specc.build(spec).state_dict()))
    return weights


def build(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", "build", *args], cwd=folder,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("spec", CASES, ids=[c.stem for c in CASES])
def test_rendered_diagnostic(spec: Path, tmp_path: Path):
    code = spec.name[:5]
    prepare(spec, tmp_path)
    done = build(tmp_path, spec.name, "--weights", f"{spec.stem}.pt")
    assert done.stdout == ""
    assert done.returncode == CODES[code].category.exit_status, done.stderr
    assert done.stderr.startswith(f"error[{code}]: "), done.stderr
    assert "Traceback" not in done.stderr
    golden = spec.with_suffix(".txt")
    if UPDATE:
        golden.write_text(done.stderr, encoding="utf-8")
    assert golden.exists(), f"no golden {golden.name}; run with SPECC_UPDATE_GOLDEN=1 to write it"
    assert done.stderr == golden.read_text(encoding="utf-8")


def test_every_weights_code_has_a_golden_and_every_case_its_weights():
    pinned = {spec.name[:5] for spec in CASES if spec.with_suffix(".txt").exists()}
    assert {code for code in CODES if code.startswith("E07")} - pinned == set()
    assert set(WEIGHTS) == {spec.stem for spec in CASES}
    assert {p.stem for p in HERE.glob("*.txt")} == {p.stem for p in CASES}


def test_one_diagnostic_names_the_renamed_the_missing_and_the_misshaped_key():
    text = (HERE / "E0703_renamed_missing_misshaped.txt").read_text(encoding="utf-8")
    assert text.count("error[") == 1
    assert "3 keys that do not: 1 renamed, 1 missing and 1 of the wrong shape" in text
    assert "the file's `feature.0.weight`: did you mean `features.0.weight`?" in text
    assert "`features.3.bias` [16], of `conv` at E0703_renamed_missing_misshaped.spec:7:9" in text
    assert ("`classifier.4.weight`: expected [10, 84], found [10, 80], of `linear` at "
            "E0703_renamed_missing_misshaped.spec:12:9") in text
    assert "--> E0703_renamed_missing_misshaped.spec:3:7" in text  # the model's line


def test_long_lists_are_cut_short():
    text = (HERE / "E0703_wrapped_model.txt").read_text(encoding="utf-8")
    assert "every key in the file starts with `module.`" in text
    assert "... and 21 more" in text and "... and 25 more" in text
    assert text.count("\n            `") == 10  # five of each list


# ---------------------------------------------------------------- the Python API


def test_a_fitting_file_loads_exactly(tmp_path: Path):
    spec = HERE / "E0703_renamed_missing_misshaped.spec"
    theirs = specc.build(spec)
    with torch.no_grad():
        for tensor in theirs.state_dict().values():
            if tensor.is_floating_point():
                tensor.normal_()
    torch.save(theirs.state_dict(), tmp_path / "lenet.pt")
    ours = specc.build(spec, weights=tmp_path / "lenet.pt")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(ours.eval()(x), theirs.eval()(x))


def test_a_file_that_does_not_fit_loads_nothing(tmp_path: Path):
    spec = HERE / "E0703_renamed_missing_misshaped.spec"
    weights = prepare(spec, tmp_path)
    with pytest.raises(SpecError) as caught:
        specc.build(spec, weights=weights)
    assert caught.value.code == "E0703" and len(caught.value.errors) == 1
    assert "did you mean `features.0.weight`?" in caught.value.help


def test_batchnorm_step_counters_may_be_missing_as_torch_allows(tmp_path: Path):
    spec = HERE / "E0703_wrapped_model.spec"
    state = {k: v for k, v in specc.build(spec).state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save(state, tmp_path / "old.pt")  # a plain dict: no version metadata, as before torch 0.4.1
    specc.build(spec, weights=tmp_path / "old.pt")
    saved = specc.build(spec).state_dict()
    missing = type(saved)((k, v) for k, v in saved.items() if not k.endswith("num_batches_tracked"))
    missing._metadata = saved._metadata  # a current file's metadata says batch norm version 2: required
    torch.save(missing, tmp_path / "new.pt")
    with pytest.raises(SpecError) as caught:
        specc.build(spec, weights=tmp_path / "new.pt")
    assert "missing from the file (4)" in caught.value.help and "num_batches_tracked" in caught.value.help


def test_torchvision_resnet18_weights_load_into_its_spec(tmp_path: Path):
    torchvision = pytest.importorskip("torchvision")
    theirs = torchvision.models.resnet18().eval()
    torch.save(theirs.state_dict(), tmp_path / "resnet18.pt")
    ours = specc.build(ROOT / "specs" / "torchvision" / "resnet18.spec", weights=tmp_path / "resnet18.pt").eval()
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))
    x = torch.randn(1, 3, 64, 64)
    assert torch.allclose(ours(x), theirs(x))
    # d2l's ResNet-18 names its layers otherwise: every difference listed, abbreviated, nothing loaded.
    with pytest.raises(SpecError) as caught:
        specc.build(ROOT / "specs" / "resnet18.spec", weights=tmp_path / "resnet18.pt")
    help = caught.value.help
    assert "missing from the file (108):" in help and "not in the model (120):" in help
    assert "... and 103 more" in help and "did you mean" not in help  # two naming schemes: no near misses


# ---------------------------------------------------------------- the command line


def test_build_checks_the_weights_fit_the_generated_file(tmp_path: Path):
    spec = HERE / "E0703_renamed_missing_misshaped.spec"
    shutil.copy(spec, tmp_path / "net.spec")
    torch.save(specc.build(spec).state_dict(), tmp_path / "net.pt")
    done = build(tmp_path, "net.spec", "--weights", "net.pt", "-o", "net.py")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ("weights: `net.pt` fits `LeNet` (10 tensors, every key and shape); a .py file holds no "
                           "weights: load them with\n    model.load_state_dict(torch.load('net.pt', "
                           "weights_only=True))\n")
    namespace: dict = {}
    exec(compile((tmp_path / "net.py").read_text(encoding="utf-8"), "net.py", "exec"), namespace)  # noqa: S102
    namespace["LeNet"]().load_state_dict(torch.load(tmp_path / "net.pt", weights_only=True))


def test_build_writes_nothing_when_the_weights_do_not_fit(tmp_path: Path):
    spec = HERE / "E0703_renamed_missing_misshaped.spec"
    prepare(spec, tmp_path)
    done = build(tmp_path, spec.name, "--weights", f"{spec.stem}.pt", "-o", "net.py")
    assert done.returncode == 1 and not (tmp_path / "net.py").exists()
