"""The pipeline as data: the stages in order, run by the API and the CLI, each stage's product on show."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from specc import pipeline
from specc.diagnostics import SpecError

ROOT = Path(__file__).resolve().parent.parent
LENET = ROOT / "specs" / "lenet.spec"


def test_the_stages_in_order():
    assert pipeline.STAGE_NAMES == ("parse", "resolve", "check", "elaborate", "name")


def test_the_cli_offers_the_stages_it_can_dump():
    from specc import cli

    assert cli.STAGE_NAMES == pipeline.STAGE_NAMES


def test_run_stops_after_the_stage_asked_for():
    done = pipeline.run(pipeline.Compilation(LENET), until="parse")
    assert done.module is not None and done.program is None and done.graph is None
    done = pipeline.run(pipeline.Compilation(LENET))
    assert done.graph.model == "LeNet" and done.graph.output == ("N", 10)


def test_after_sees_every_stage_in_turn():
    seen = []
    pipeline.run(pipeline.Compilation(LENET), after=lambda stage, c: seen.append(stage.name))
    assert tuple(seen) == pipeline.STAGE_NAMES


def test_errors_collected_by_a_stage_are_raised_together_before_the_next():
    text = "model M:\n    input 3\n    lienar(2)\n    relu(1)\n"
    with pytest.raises(SpecError) as caught:
        pipeline.run(pipeline.Compilation("<string>", text=text))
    assert [e.code for e in caught.value.errors] == ["E0201", "E0204"]


@pytest.mark.parametrize("stage, kind", [("parse", "module"), ("resolve", "Program"), ("check", "Program"),
                                         ("elaborate", "Draft"), ("name", "Graph")])
def test_dump_prints_a_stage_as_json_and_stops(stage: str, kind: str):
    done = subprocess.run([sys.executable, "-m", "specc", "shapes", str(LENET), "--dump", stage],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["kind"] == kind
    if stage == "name":
        assert data["output"] == ["N", 10] and data["body"][0]["path"] == "0"


@pytest.mark.parametrize("stage", ["elaborate", "name"])
def test_dump_prints_a_shared_layer_once(tmp_path: Path, stage: str):
    """A shared layer's scope holds the layer: the draft is not a tree, and the dump says where it loops.

    (Found by the fuzzing campaign: `--dump elaborate` recursed until Python's limit, exit 3.)
    """
    spec = tmp_path / "shared.spec"
    spec.write_text("model M:\n    input 4\n    let first = linear(4)\n    first -> relu -> first\n")
    done = subprocess.run([sys.executable, "-m", "specc", "shapes", str(spec), "--dump", stage],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["kind"] == ("Draft" if stage == "elaborate" else "Graph")
    assert stage == "name" or "<SharedLayer, above>" in done.stdout


def test_run_resumes_from_a_later_stage():
    """`specc check` checks a file once, then elaborates each model from there."""
    checked = pipeline.run(pipeline.Compilation(LENET), until="check")
    seen = []
    done = pipeline.run(checked, start="elaborate", after=lambda stage, c: seen.append(stage.name))
    assert seen == ["elaborate", "name"] and done.graph.model == "LeNet"
    with pytest.raises(ValueError):
        pipeline.run(checked, start="nowhere")
