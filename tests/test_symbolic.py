"""Symbolic input sizes (`input 3 x H x W`): specc's verdict at every size is torch's.

Hypothesis draws random stacks of spatial ops (convs, pools with ceil mode,
transposed convs, upsampling, crops, adaptive pools; kernels, strides,
paddings and dilations that may differ by axis) with `add`/`concat` joins of
branches that take different strides (a U-Net's skip beside a path down and
up again). specc describes the model once (`graph.sizes`: the valid heights
and widths, and each row's sizes as expressions); a small torch interpreter in
this file builds the same network from the description (never from specc)
and runs it at random sizes. At each size specc must say "valid" exactly when
torch runs, and, when it runs, every row's size must be the expression's
value there. The bundled models are held to torch the same way at random
sizes, at small widths.

The normal run draws 200 stacks; `SPECC_LONG=1` 20 times more.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from specc import api
from specc.diagnostics import SpecError
from specc.ir import walk
from specc.size_notation import evaluate_text

LONG = os.environ.get("SPECC_LONG") == "1"
ROOT = Path(__file__).resolve().parent.parent
CHANNELS = 2


# ---------------------------------------------------------------- random stacks


@dataclass
class Op:
    name: str
    args: dict


@dataclass
class Join:
    op: str  # "add" or "concat"
    branches: list  # lists of Op


def _pair(draw, low: int, high: int):
    first = draw(st.integers(low, high))
    return (first, draw(st.integers(low, high))) if draw(st.integers(0, 3)) == 0 else first


@st.composite
def ops(draw) -> Op:
    kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool", "conv_transpose", "upsample",
                                 "center_crop", "adaptive_avgpool"]))
    if kind == "conv":
        return Op("conv", {"channels": CHANNELS, "k": _pair(draw, 1, 4), "s": _pair(draw, 1, 3),
                           "p": _pair(draw, 0, 2), "d": draw(st.sampled_from([1, 1, 2]))})
    if kind in ("maxpool", "avgpool"):
        k = _pair(draw, 1, 4)
        smallest = min(k) if isinstance(k, tuple) else k
        return Op(kind, {"k": k, "s": _pair(draw, 1, 3), "p": draw(st.integers(0, smallest // 2)),
                         "ceil_mode": draw(st.booleans())})
    if kind == "conv_transpose":
        return Op(kind, {"channels": CHANNELS, "k": _pair(draw, 1, 3), "s": _pair(draw, 1, 3),
                         "p": draw(st.integers(0, 1))})
    if kind == "upsample":
        return Op(kind, {"scale": draw(st.sampled_from([2, 3]))})
    if kind == "center_crop":
        return Op(kind, {"size": _pair(draw, 1, 12)})
    return Op(kind, {"size": _pair(draw, 1, 3)})


@st.composite
def joins(draw) -> Join:
    """A join whose branches may take different strides: a path down and up beside a skip, or two paths."""
    op = draw(st.sampled_from(["add", "concat"]))
    down = [Op("conv", {"channels": CHANNELS, "k": 3, "s": 2, "p": 1})]
    if draw(st.booleans()):
        down.append(Op("maxpool", {"k": 2, "s": 2, "p": 0, "ceil_mode": draw(st.booleans())}))
    up = Op("conv_transpose", {"channels": CHANNELS, "k": 2, "s": 2, "p": 0}) if draw(st.booleans()) else \
        Op("upsample", {"scale": 2})
    path = down + [up] * len(down)
    other = draw(st.sampled_from([[Op("identity", {})], draw(st.lists(ops(), min_size=1, max_size=2))]))
    branches = [path, other] if draw(st.booleans()) else [other, path]
    if op == "concat" or any(o.name != "identity" for o in other):
        # Every branch ends in CHANNELS channels, so that add's only question is the spatial sizes.
        branches = [b + [Op("conv", {"channels": CHANNELS, "k": 1, "s": 1, "p": 0, "d": 1})] for b in branches]
    return Join(op, branches)


@st.composite
def stacks(draw) -> list:
    return draw(st.lists(st.one_of(ops(), ops(), joins()), min_size=1, max_size=5))


# ---------------------------------------------------------------- the spec


def arg_text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def op_text(op: Op) -> str:
    if op.name == "identity":
        return "identity"
    args = dict(op.args)
    positional = [arg_text(args.pop(key)) for key in ("channels", "size") if key in args]
    return f"{op.name}({', '.join(positional + [f'{k}={arg_text(v)}' for k, v in args.items()])})"


def spec_text(stack: list) -> str:
    lines = ["model M:", f"    input {CHANNELS} x H x W"]
    for item in stack:
        if isinstance(item, Op):
            lines.append("    " + op_text(item))
        else:
            lines.append(f"    {item.op}:")
            lines += ["        " + " -> ".join(op_text(o) for o in branch) for branch in item.branches]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- torch, from the description


class Crop(nn.Module):
    def __init__(self, size) -> None:
        super().__init__()
        self.size = size if isinstance(size, tuple) else (size, size)

    def forward(self, x):
        index = [slice(None), slice(None)]
        for have, want in zip(x.shape[2:], self.size):
            if want > have:
                raise RuntimeError("a crop larger than the input")
            index.append(slice((have - want) // 2, (have - want) // 2 + want))
        return x[tuple(index)]


def torch_op(op: Op, x: torch.Tensor) -> nn.Module:
    a, channels = op.args, x.shape[1]
    if op.name == "conv":
        return nn.Conv2d(channels, a["channels"], a["k"], a["s"], a["p"], a.get("d", 1))
    if op.name == "maxpool":
        return nn.MaxPool2d(a["k"], a["s"], a["p"], ceil_mode=a["ceil_mode"])
    if op.name == "avgpool":
        return nn.AvgPool2d(a["k"], a["s"], a["p"], ceil_mode=a["ceil_mode"])
    if op.name == "conv_transpose":
        return nn.ConvTranspose2d(channels, a["channels"], a["k"], a["s"], a["p"])
    if op.name == "upsample":
        return nn.Upsample(scale_factor=a["scale"])
    if op.name == "center_crop":
        return Crop(a["size"])
    if op.name == "adaptive_avgpool":
        return nn.AdaptiveAvgPool2d(a["size"])
    return nn.Identity()


def run_torch(stack: list, size: tuple[int, int]) -> Optional[list]:
    """Each row's output shape in `ir.walk` order (a join's after its branches'), or None when torch fails."""
    rows: list = []

    def chain(items: list, x: torch.Tensor) -> torch.Tensor:
        for item in items:
            if isinstance(item, Op):
                x = torch_op(item, x)(x)
                rows.append(tuple(x.shape))
                if x.numel() == 0:
                    raise RuntimeError("an empty tensor")
            else:
                outs = [chain(branch, x) for branch in item.branches]
                x = torch.cat(outs, 1) if item.op == "concat" else outs[0] + outs[1]
                rows.append(tuple(x.shape))
        return x

    try:
        with torch.no_grad():
            chain(stack, torch.zeros(1, CHANNELS, *size))
    except RuntimeError:
        return None
    return rows


# ---------------------------------------------------------------- the property


def verdict(graph, size: tuple[int, int]) -> Optional[list]:
    """specc's answer at `size`: each row's shape from the expressions, or None when it is not valid."""
    sizes = graph.sizes
    values = dict(zip(("H", "W"), size))
    if not all(values[name] in axis.valid for name, axis in sizes.axes.items()):
        return None
    return [tuple(1 if d == "N" else evaluate_text(d, values) for d in shape) for shape in sizes.rows]


class TooLong(Exception):
    """The sizes repeat only past `LIMITS["sizes_period"]` (many strides of 2 and 3): specc says so, E0331."""


def described(text: str):
    try:
        return api.shapes(text)
    except SpecError as error:
        if error.code == "E0331" and "to repeat within" in error.message:
            raise TooLong from None
        assert error.code != "E0331", error  # every stack of these ops is floor-affine
        return None


def random_sizes(rng: random.Random, graph) -> list[tuple[int, int]]:
    """Random sizes, and the smallest valid ones and their neighbours, where mistakes would show."""
    picks = [(rng.randint(1, 70), rng.randint(1, 70)) for _ in range(6)]
    if graph is not None:
        h, w = graph.sizes.smallest_input[2:]
        picks += [(h, w), (h - 1, w), (h, w + 1), (h + graph.sizes.axes["H"].period, w)]
    return [p for p in picks if min(p) >= 1]


@settings(max_examples=4000 if LONG else 200)
@given(stacks(), st.randoms(use_true_random=False))
def test_symbolic_sizes_are_torch_sizes(stack, rng):
    text = spec_text(stack)
    try:
        graph = described(text)
    except TooLong:
        return  # a limit, not a verdict: nothing to hold against torch
    for size in random_sizes(rng, graph):
        expected = run_torch(stack, size)
        answer = verdict(graph, size) if graph is not None else None
        if graph is not None and answer is not None and expected is not None:
            # specc's rows include only layers and joins: the same rows as the interpreter's.
            assert [r[2:] for r in answer] == [r[2:] for r in expected], (text, size)
        assert (answer is not None) == (expected is not None), (text, size, graph and graph.sizes.constraints())


def test_a_unet_like_skip_needs_even_sizes():
    graph = api.shapes("model M:\n    input 3 x H x W\n    concat:\n"
                       "        conv(4, k=3, s=2, p=1) -> conv_transpose(4, k=2, s=2)\n        identity\n")
    assert graph.sizes.constraints() == ["H % 2 == 0", "W % 2 == 0"]
    assert graph.sizes.smallest_input == ("N", 3, 2, 2)
    assert graph.sizes.output == ("N", 7, "H", "W")


# ---------------------------------------------------------------- the bundled models


# (spec, --set to keep torch cheap, the input's channels)
BUNDLED = [
    ("unet.spec", {"width": 4, "padding": 1}, 1),
    ("unet.spec", {"width": 4, "padding": 0}, 1),
    ("unet.spec", {"width": 4, "padding": 1, "depth": 2}, 1),
    ("resnet18.spec", {}, 1),
    ("lenet.spec", {}, 1),
    ("alexnet.spec", {"ratio": 16}, 1),
    ("vgg11.spec", {"ratio": 16}, 1),
    ("nin.spec", {}, 1),
    ("yolo_like.spec", {"width": 4}, 3),
    ("autoencoder.spec", {}, 1),
    ("densenet.spec", {"growth": 4, "convs": [2, 2, 2, 2]}, 1),
    ("googlenet.spec", {}, 1),
    ("resnet152.spec", {"stages": [1, 1, 1, 1]}, 3),
    ("torchvision/shufflenet_v2_x1_0.spec", {"repeats": [1, 1, 1]}, 3),
    ("torchvision/mobilenet_v3_large.spec", {}, 3),
    ("torchvision/fcn_resnet50.spec", {"layers": [1, 1, 1, 1]}, 3),
]


def _overrides(path: Path, wanted: dict) -> dict:
    """The overrides the model has parameters for."""
    params = api.shapes(path).params_values
    return {k: v for k, v in wanted.items() if k in params}


@pytest.mark.parametrize("spec, overrides, channels", BUNDLED, ids=lambda v: str(v) if isinstance(v, str) else None)
def test_bundled_models_accept_exactly_what_torch_runs(spec, overrides, channels):
    path = ROOT / "specs" / spec
    overrides = _overrides(path, overrides)
    pattern = ("N", channels, "H", "W")
    graph = api.shapes(path, overrides=overrides, input=pattern)
    module = api.build(path, overrides=overrides, input=graph.sizes.smallest_input).eval()
    rng = random.Random(spec + str(overrides))
    smallest = graph.sizes.smallest_input[2:]
    sizes = [(rng.randint(1, 200), rng.randint(1, 200)) for _ in range(3)]
    sizes += [smallest, (smallest[0] - 1, smallest[1]), (smallest[0], smallest[1] + 1)]
    for size in sizes:
        if min(size) < 1:
            continue
        valid = all(dict(zip("HW", size))[name] in axis.valid for name, axis in graph.sizes.axes.items())
        flattens = any(row.node.kind == "layer" and row.node.op == "flatten" for row in walk(graph.body))
        if flattens and valid:  # its linear layer's features are the smallest input's: build it at this size
            module = api.build(path, overrides=overrides, input=(pattern[1], *size)).eval()
        try:
            with torch.no_grad():
                module(torch.zeros(1, pattern[1], *size))
            ran = True
        except RuntimeError:
            ran = False
        assert valid == ran, (spec, overrides, size, graph.sizes.constraints())


# ---------------------------------------------------------------- the command line


def specc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_valid_sizes_of_the_unet():
    done = specc("shapes", "specs/unet.spec", "--set", "padding=1", "--valid-sizes", "64:600")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "UNet: input [N, 1, H, W]  (padding=1)\n"
        "H: H % 16 == 0\n"
        "  from 64 to 600: 64, 80, 96, ..., 592 (34 sizes, every 16)\n"
        "W: W % 16 == 0\n"
        "  from 64 to 600: 64, 80, 96, ..., 592 (34 sizes, every 16)\n"
        "smallest valid input: 1 x 16 x 16\n")


def test_valid_sizes_json():
    done = specc("shapes", "specs/unet.spec", "--valid-sizes", "180:200", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["input"] == ["N", 1, "H", "W"]
    assert result["axes"]["H"]["constraint"] == "H >= 188"
    assert result["axes"]["H"]["valid"] == list(range(188, 201))
    assert result["smallest_input"] == ["N", 1, 188, 188]


@pytest.mark.parametrize("bad", ["600:64", "0:10", "a:b", "64", "1:99999999"])
def test_a_bad_range_is_a_usage_error(bad):
    done = specc("shapes", "specs/unet.spec", "--valid-sizes", bad)
    assert done.returncode == 2
    assert "--valid-sizes" in done.stderr and "Traceback" not in done.stderr


def test_shapes_json_has_the_expressions(tmp_path):
    spec = tmp_path / "m.spec"
    spec.write_text("model M:\n    input 3 x H x W\n    conv(8, k=3, s=2, p=1) -> maxpool(k=2)\n")
    done = specc("shapes", str(spec), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["sizes"]["input"] == ["N", 3, "H", "W"]
    assert result["sizes"]["output"] == ["N", 8, "floor((H + 1)/4)", "floor((W + 1)/4)"]
    assert result["sizes"]["axes"]["H"]["constraint"] == "H >= 3"
    assert result["sizes"]["shown_at"] == ["N", 3, 3, 3]
    assert [layer["out_sizes"] for layer in result["layers"]] == [
        ["N", 8, "ceil(H/2)", "ceil(W/2)"], ["N", 8, "floor((H + 1)/4)", "floor((W + 1)/4)"]]
    assert result["input"] == ["N", 3, 3, 3]  # every other field at the smallest valid input


def test_input_option_takes_names():
    done = specc("shapes", "specs/lenet.spec", "--input", "1xHxW", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sizes"]["axes"]["W"]["constraint"] == "W >= 12"


SMALL = "model M:\n    input 3 x H x W\n    conv(8, k=3, s=2, p=1) -> relu -> maxpool(k=2)\n"


def test_the_table_of_a_small_spec(tmp_path):
    spec = tmp_path / "m.spec"
    spec.write_text(SMALL)
    done = specc("shapes", str(spec))
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        'M: input [N, 3, H, W] -> output [N, 8, floor((H + 1)/4), floor((W + 1)/4)]\n'
        'path   op       args              output                                      params  mult-adds\n'
        '-----  -------  ----------------  ------------------------------------------  ------  ---------\n'
        '0      conv     8, k=3, s=2, p=1  [N, 8, ceil(H/2), ceil(W/2)]                   224        896\n'
        '1      relu                       [N, 8, ceil(H/2), ceil(W/2)]                     0          0\n'
        '2      maxpool  k=2               [N, 8, floor((H + 1)/4), floor((W + 1)/4)]       0          0\n'
        '-----  -------  ----------------  ------------------------------------------  ------  ---------\n'
        'total                             [N, 8, floor((H + 1)/4), floor((W + 1)/4)]     224        896\n'
        'valid input sizes: H >= 3; W >= 3\n'
        'counts at the smallest valid input, 3 x 3 x 3 (--input gives another)\n'
        'mult-adds are per sample (the batch N is symbolic)\n')


def test_check_describes_symbolic_models(tmp_path):
    spec = tmp_path / "m.spec"
    spec.write_text(SMALL)
    assert specc("check", str(spec)).returncode == 0
    bad = tmp_path / "bad.spec"
    bad.write_text("model M:\n    input 3 x H x W\n    concat:\n        identity\n        upsample(scale=2)\n")
    done = specc("check", str(bad))
    assert done.returncode == 1 and done.stderr.startswith("error[E0332]")


def test_yaml_and_fmt_take_symbolic_sizes(tmp_path):
    from specc.fmt import format_text

    yaml = tmp_path / "m.yaml"
    yaml.write_text("models:\n  M:\n    input: [3, H, W]\n    layers:\n"
                    "      - [conv: [8, {k: 3, s: 2, p: 1}], relu, maxpool: {k: 2}]\n")
    assert api.shapes(yaml).sizes.output == api.shapes(SMALL).sizes.output
    assert format_text(SMALL, "m.spec") == SMALL
    from specc.syntax.frontend import parse_source
    from specc.syntax.to_yaml import to_yaml
    from specc.syntax.unparse import unparse

    as_yaml = to_yaml(parse_source(SMALL, "m.spec"))
    assert "input: [3, H, W]" in as_yaml
    assert unparse(parse_source(as_yaml, "m.yaml")) == SMALL


def test_build_in_memory_is_at_the_smallest_valid_input():
    module = api.build(SMALL)
    graph = api.shapes(SMALL)
    assert graph.input == ("N", 3, 3, 3)
    with torch.no_grad():
        assert tuple(module(torch.zeros(1, 3, 37, 40)).shape) == (1, 8, 9, 10)  # floor(38/4), floor(41/4)


def test_build_writes_the_expressions_as_comments(tmp_path):
    spec = tmp_path / "m.spec"
    spec.write_text(SMALL)
    done = specc("build", str(spec))
    assert done.returncode == 0, done.stderr
    assert "# [N, 8, floor((H + 1)/4), floor((W + 1)/4)]" in done.stdout
    assert "valid: H >= 3; W >= 3." in done.stdout


def test_symbolic_sizes_only_where_spatial():
    with pytest.raises(SpecError) as caught:
        api.shapes("model M:\n    input 3 x 8 x 8\n    conv(8, k=3)\n", input=("N", "C", "H", "W"))
    assert caught.value.code == "E0502"
    done = specc("shapes", "specs/lenet.spec", "--input", "Cx28x28")
    assert done.returncode == 2 and "E0502" in done.stderr


def test_valid_sizes_on_a_model_without_spatial_sizes(tmp_path):
    spec = tmp_path / "mlp.spec"
    spec.write_text("model M:\n    input 20\n    linear(10)\n")
    done = specc("shapes", str(spec), "--valid-sizes", "1:10")
    assert done.returncode == 2 and "--valid-sizes needs an input with spatial sizes" in done.stderr


def test_periodic_constraints_read_back_exactly():
    from specc.sizes import Valid

    valid = Valid(threshold=32, period=32, residues=(0,), below=(), above=())
    assert valid.text("H") == "H % 32 == 0" and valid.smallest == 32
    valid = Valid(threshold=40, period=4, residues=(1, 3), below=(5, 6))
    assert valid.text("H") == "H >= 40 and H % 4 in {1, 3} or H in {5, 6}"
    assert valid.within(1, 45) == [5, 6, 41, 43, 45] and valid.smallest == 5


# ---------------------------------------------------------------- against specc at each size


def concrete_rows(text: str, shape: tuple) -> Optional[list]:
    try:
        graph = api.shapes(text, input=shape)
    except SpecError:
        return None
    return [tuple(row.node.out_shape) for row in walk(graph.body)]


@pytest.mark.parametrize("text, sizes", [
    # A custom layer's rule divides by 3: its period is found by trying multiples of the strides'.
    ("op half(channels: channels) = my_layers.Half(in.c, channels):\n"
     "    shape: [in.shape[0], channels, in.h // 2, in.w // 3]\n    params: channels\n\n"
     "model M:\n    input 3 x H x W\n    conv(8, k=3) -> half(4)\n", [(h, w) for h in range(1, 30, 3) for w in range(1, 30)]),
    ("model M:\n    input N x 3 x L\n    conv(8, k=5, s=3) -> maxpool(k=2, ceil_mode=true)\n", [(n,) for n in range(1, 80)]),
    ("model M:\n    input N x 1 x D x H x W\n    conv(4, k=(1, 3, 3), s=(1, 2, 2), p=(0, 1, 1)) -> maxpool(k=2)\n",
     [(d, h, h + 3) for d in range(1, 7) for h in range(1, 12)]),
    # The skip of a U-Net level, cropped to the upsampled path: the crop's size is read from `up.hw`.
    ("model M:\n    input 1 x H x W\n    conv(4, k=3) as skip\n    maxpool(k=2) -> conv(4, k=3) -> "
     "conv_transpose(4, k=2, s=2) as up\n    concat:\n        skip -> center_crop(up.hw)\n        up\n",
     [(h, h) for h in range(1, 60)]),
], ids=["declared", "1d", "3d", "crop"])
def test_the_description_is_specc_at_every_size(text, sizes):
    graph = api.shapes(text)
    names = [d for d in graph.sizes.pattern[2:]]
    for size in sizes:
        values = dict(zip(names, size))
        shape = (*graph.sizes.pattern[:2], *size)
        expected = concrete_rows(text, shape)
        valid = all(values[name] in axis.valid for name, axis in graph.sizes.axes.items())
        assert valid == (expected is not None), (size, graph.sizes.constraints())
        if valid:
            assert [tuple(evaluate_text(d, values) for d in row) for row in graph.sizes.rows] == expected, size


# ---------------------------------------------------------------- bounded work


@pytest.mark.parametrize("limit, value", [("sizes_trials", 20), ("sizes_steps", 2_000), ("sizes_layers", 500)])
def test_the_trials_are_bounded(monkeypatch, limit, value):
    from specc import limits

    monkeypatch.setitem(limits.LIMITS, limit, value)
    with pytest.raises(SpecError) as caught:
        api.shapes(ROOT / "specs" / "unet.spec", input=("N", 1, "H", "W"))
    assert caught.value.code == "E0332" and caught.value.span is not None


def test_a_period_past_the_limit_is_said(monkeypatch):
    from specc import limits

    monkeypatch.setitem(limits.LIMITS, "sizes_period", 8)
    with pytest.raises(SpecError) as caught:
        api.shapes(ROOT / "specs" / "unet.spec", input=("N", 1, "H", "W"))
    assert caught.value.code == "E0331" and "period of 16" in caught.value.message


def test_the_notebook_table_shows_the_expressions():
    page = api.shapes(SMALL)._repr_html_()
    assert "[N, 8, ceil(H/2), ceil(W/2)]" in page and "valid input sizes: H &gt;= 3; W &gt;= 3" in page


def test_branches_that_agree_at_two_sizes_only():
    """A fixed crop beside a path down and up: they agree where ceil(H/2) == 5 (found by hypothesis)."""
    graph = api.shapes("model M:\n    input 2 x H x W\n    add:\n"
                       "        center_crop(5) -> conv_transpose(2, k=2, s=2)\n"
                       "        conv(2, k=3, s=2, p=1) -> upsample(scale=2)\n")
    assert graph.sizes.constraints() == ["H in {9, 10}", "W in {9, 10}"]
    assert graph.sizes.output == ("N", 2, 10, 10)


def test_a_square_input_flattened_multiplies_its_sizes():
    graph = api.shapes("model M:\n    input 3 x S x S\n    conv(8, k=3, s=2, p=1) -> flatten\n")
    assert graph.sizes.output == ("N", "8*ceil(S/2)*ceil(S/2)")
    assert graph.sizes.constraints() == ["S >= 1"]


def test_a_string_is_no_symbolic_size():
    """Only a bare name is symbolic: a string the spec computes is still no size (E0401)."""
    for text in ('model M:\n    input "x" x 8 x 8\n    relu\n', 'model M(h="H"):\n    input 3 x h x 8\n    relu\n'):
        with pytest.raises(SpecError) as caught:
            api.shapes(text)
        assert caught.value.code == "E0401"
    with pytest.raises(SpecError) as caught:
        api.shapes(SMALL, input=("N", 3, "H\nimport os", "W"))
    assert caught.value.code == "E0401"


def test_sizes_valid_only_by_broadcasting_at_one():
    """Odd sizes beside even ones agree only where one of them is 1 (found by hypothesis)."""
    graph = api.shapes("model M:\n    input 2 x H x W\n    conv_transpose(2, k=(3, 1), s=2, p=1)\n    add:\n"
                       "        identity\n        conv(2, k=3, s=2, p=1) -> upsample(scale=2)\n")
    assert graph.sizes.constraints() == ["H == 1", "W == 2"]
