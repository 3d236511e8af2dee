"""`specc shapes` as a command: the table, `--depth`, `--json`, `--set`, `--input`, `--model`, no torch.

Everything runs `python -m specc shapes ...` in a subprocess from the
repository root, as a user would. The LeNet table is pinned in
tests/shape_tables/lenet.txt (`SPECC_UPDATE_GOLDEN=1` rewrites it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TABLES = Path(__file__).resolve().parent / "shape_tables"
UPDATE = os.environ.get("SPECC_UPDATE_GOLDEN") == "1"


def specc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def shapes_json(*args: str) -> dict:
    done = specc("shapes", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def table_paths(table: str) -> list[str]:
    """The path column of a table's body rows (between the rules), without indentation or parentheses."""
    lines = table.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("-----")]
    return [line.split()[0].strip("()") for line in lines[rules[0] + 1:rules[1]]]


# ---------------------------------------------------------------- the table


def test_lenet_table_golden():
    done = specc("shapes", "specs/lenet.spec")
    assert done.returncode == 0 and done.stderr == ""
    golden = TABLES / "lenet.txt"
    if UPDATE:
        golden.write_text(done.stdout, encoding="utf-8")
    assert done.stdout == golden.read_text(encoding="utf-8")


def test_depth_folds_nested_blocks():
    full = specc("shapes", "specs/resnet18.spec").stdout
    top = specc("shapes", "specs/resnet18.spec", "--depth", "0").stdout
    one = specc("shapes", "specs/resnet18.spec", "--depth", "1").stdout
    assert table_paths(top) == ["b1", "b2", "b3", "b4", "b5", "pool", "flatten", "fc"]
    assert all("." not in path for path in table_paths(top))
    assert {path.count(".") for path in table_paths(one)} == {0, 1}
    assert "b3.0" in table_paths(one) and "b3.0.conv1" not in table_paths(one)
    assert "b3.0.conv1" in table_paths(full)
    assert len(table_paths(top)) < len(table_paths(one)) < len(table_paths(full))
    # Folding hides rows, never changes the totals.
    totals = [table.splitlines()[-2].split() for table in (top, one, full)]
    assert totals[0] == totals[1] == totals[2] == ["total", "[N,", "10]", "11,178,378", "1,737,382,026"]


# ---------------------------------------------------------------- the JSON contract


def test_json_contract():
    report = shapes_json("specs/lenet.spec")
    assert report["model"] == "LeNet"
    assert report["input"] == ["N", 1, 28, 28]
    assert report["output"] == ["N", 10]
    assert isinstance(report["total_params"], int) and isinstance(report["total_macs"], int)
    assert report["total_params"] == 61_706
    for layer in report["layers"]:
        assert {"path", "op", "out", "params", "macs"} <= set(layer)
        assert isinstance(layer["params"], int) and isinstance(layer["macs"], int)
        assert layer["out"][0] == "N" and all(isinstance(d, int) for d in layer["out"][1:])
    assert [layer["path"] for layer in report["layers"]] == [str(i) for i in range(12)]
    assert report["layers"][0]["op"] == "conv" and report["layers"][0]["out"] == ["N", 6, 28, 28]


@pytest.mark.parametrize("spec", ["specs/lenet.spec", "specs/resnet18.spec", "specs/googlenet.spec",
                                  "specs/densenet.spec", "specs/autoencoder.spec",
                                  "specs/torchvision/shufflenet_v2_x1_0.spec",
                                  "specs/torchvision/efficientnet_v2_s.spec"])
def test_layer_counts_add_up_to_the_totals(spec):
    report = shapes_json(spec)
    assert sum(layer["params"] for layer in report["layers"]) == report["total_params"]
    assert sum(layer["macs"] for layer in report["layers"]) == report["total_macs"]
    assert report["layers"][-1]["out"] == report["output"]


def test_set_ratio_changes_the_channels():
    full = shapes_json("specs/vgg11.spec")
    small = shapes_json("specs/vgg11.spec", "--set", "ratio=4")
    convs = lambda report: [layer["out"][1] for layer in report["layers"] if layer["op"] == "conv"]
    assert convs(full) == [64, 128, 256, 256, 512, 512, 512, 512]
    assert convs(small) == [16, 32, 64, 64, 128, 128, 128, 128]
    assert small["overrides"] == {"ratio": 4}
    assert small["total_params"] < full["total_params"]
    assert small["output"] == full["output"] == ["N", 10]


def test_input_with_a_batch():
    one = shapes_json("specs/lenet.spec")
    eight = shapes_json("specs/lenet.spec", "--input", "8x1x28x28")
    assert eight["input"] == [8, 1, 28, 28]
    assert eight["output"] == [8, 10]
    assert all(layer["out"][0] == 8 for layer in eight["layers"])
    assert eight["total_params"] == one["total_params"]
    assert eight["total_macs"] == 8 * one["total_macs"]  # symbolic N counts one sample


def test_input_without_a_batch_replaces_the_sample_shape():
    report = shapes_json("specs/lenet.spec", "--input", "1 x 32 x 32")
    assert report["input"] == ["N", 1, 32, 32]
    assert report["layers"][0]["out"] == ["N", 6, 32, 32]


def test_model_picks_one_of_several(tmp_path):
    spec = tmp_path / "two.spec"
    spec.write_text("model Small:\n    input 3 x 8 x 8\n    conv(4, k=3)\n\n"
                    "model Large:\n    input 3 x 8 x 8\n    conv(32, k=3)\n", encoding="utf-8")
    assert shapes_json(str(spec))["model"] == "Large"  # the last one by default
    small = shapes_json(str(spec), "--model", "Small")
    assert (small["model"], small["output"]) == ("Small", ["N", 4, 6, 6])
    done = specc("shapes", str(spec), "--model", "Medium")
    assert done.returncode == 2 and "error[E0212]" in done.stderr


def test_exit_codes():
    assert specc("shapes", "specs/lenet.spec").returncode == 0
    assert specc("shapes", "tests/shape_diagnostics/E0303_dimension_reaches_zero.spec").returncode == 1
    assert specc("shapes", "specs/lenet.spec", "--input", "0x28x28").returncode == 2
    assert specc("shapes", "specs/lenet.spec", "--no-such-flag").returncode == 2
    assert specc("shapes", "specs/no_such_file.spec").returncode == 2


# ---------------------------------------------------------------- no torch


def test_shapes_never_imports_torch():
    code = ("import sys; from specc.cli import main; main(['shapes', 'specs/resnet18.spec']); "
            "assert 'torch' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ResNet18" in done.stdout


def test_json_never_imports_torch():
    code = ("import sys; from specc.cli import main; main(['shapes', 'specs/densenet.spec', '--json']); "
            "assert not any(m == 'torch' or m.startswith('torch.') for m in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- --columns and --batch (the analyses)


def header(table: str) -> list[str]:
    return table.splitlines()[1].split()


def test_columns_choose_the_table():
    done = specc("shapes", "specs/resnet18.spec", "--columns", "path,rf,jump,memory,flops")
    assert done.returncode == 0, done.stderr
    assert header(done.stdout) == ["path", "rf", "jump", "memory", "flops"]
    assert table_paths(done.stdout) == table_paths(specc("shapes", "specs/resnet18.spec").stdout)
    assert "inference peak" in done.stdout and "training peak" in done.stdout  # the memory column brings them
    every = specc("shapes", "specs/resnet18.spec", "--columns", "all").stdout
    assert header(every) == ["path", "op", "args", "input", "output", "params", "mult-adds", "flops", "memory", "rf",
                             "jump"]
    assert "inference peak" not in specc("shapes", "specs/resnet18.spec", "--columns", "path,rf").stdout


@pytest.mark.parametrize("value", ["path,rff", "rf,,jump", "rf,rf", "", "ALL"])
def test_a_wrong_column_is_a_usage_error(value):
    done = specc("shapes", "specs/lenet.spec", "--columns", value)
    assert done.returncode == 2 and done.stdout == ""
    assert "--columns" in done.stderr and "Traceback" not in done.stderr
    if value != "rf,rf":
        assert "path, op, args, input, output, params, macs, flops, memory, rf, jump (or all)" in done.stderr


def test_columns_and_json_exclude_each_other():
    done = specc("shapes", "specs/lenet.spec", "--columns", "rf", "--json")
    assert done.returncode == 2 and "--json" in done.stderr and "--columns" in done.stderr


@pytest.mark.parametrize("value", ["0", "-3", "two", "1.5"])
def test_a_batch_below_one_is_a_usage_error(value):
    done = specc("shapes", "specs/lenet.spec", "--batch", value, "--columns", "memory")
    assert done.returncode == 2 and "--batch" in done.stderr and repr(value) in done.stderr


def test_the_memory_batch():
    one = shapes_json("specs/lenet.spec")
    three = shapes_json("specs/lenet.spec", "--batch", "3")
    eight = shapes_json("specs/lenet.spec", "--input", "8x1x28x28")
    assert (one["memory"]["batch"], three["memory"]["batch"], eight["memory"]["batch"]) == (1, 3, 8)
    # Each layer's output grows with the batch; the counts keep the spec's batch (per sample here).
    assert [layer["memory"] for layer in three["layers"]] == [3 * layer["memory"] for layer in one["layers"]]
    assert [layer["flops"] for layer in three["layers"]] == [layer["flops"] for layer in one["layers"]]
    assert one["memory"]["parameters"] == 4 * one["total_params"] == one["memory"]["gradients"]


def test_the_json_of_the_analyses(tmp_path):
    report = shapes_json("specs/yolo_like.spec")
    assert {"total_flops", "memory"} <= set(report)
    assert set(report["memory"]) == {"batch", "dtype", "inference_peak", "training_saved", "training_peak",
                                     "parameters", "gradients", "buffers"}
    assert sum(layer["flops"] for layer in report["layers"]) == report["total_flops"]
    for row in report["layers"] + report["modules"]:
        assert {"rf", "jump", "memory", "flops"} <= set(row)
        assert len(row["rf"]) == len(row["jump"]) == 2  # one per axis of the input image
        assert all(isinstance(size, int) or size == "whole" for size in row["rf"])
    heads = {layer["path"]: layer for layer in report["layers"]}
    assert heads["head3"]["jump"] == [8, 8] and heads["head5"]["jump"] == [32, 32]
    spec = tmp_path / "finer.spec"
    spec.write_text("model Finer:\n    input 1 x 8 x 8\n    upsample(scale=2) -> conv(2, k=3) -> flatten\n",
                    encoding="utf-8")
    up, conv, flat = shapes_json(str(spec))["layers"]
    assert (up["rf"], up["jump"]) == ([1, 1], [0.5, 0.5])  # a fraction of an input pixel
    assert (conv["rf"], conv["jump"]) == ([2, 2], [0.5, 0.5])
    assert (flat["rf"], flat["jump"]) == ([2, 2], [None, None])  # positions no longer followed
