"""Named values, several inputs and `output`: models that are graphs, not only trees.

Evidence from outside specc: a torch oracle (hypothesis draws random
programs that name values, read them back several layers later and join
them with `concat`/`add`; a small interpreter runs the same description in
torch) and the user's view (both back-ends compute the same outputs in
training and evaluation mode; every module's real shape is the reported one).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Optional

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import specc
import specc.report
from specc.diagnostics import SpecError

LONG = os.environ.get("SPECC_LONG") == "1"
SETTINGS = settings(max_examples=300 * (20 if LONG else 1), deadline=None,
                    suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------- the oracle


@dataclass(frozen=True)
class Step:
    kind: str          # "conv", "relu", "keep", "read", "concat", "add", "join_cat", "join_add", "fork"
    channels: int = 0  # conv, fork
    value: str = ""    # keep, read, concat, add, join_cat, join_add (the tensor given), fork (its second result)


@st.composite
def programs(draw):
    """Steps over an image (and a second named input `side`), naming values and joining them later.

    Joins happen in the model's body or inside blocks given the value as a tensor parameter
    (`join_cat(v)`); `fork` is a block returning two values, the flow going on from the first.
    """
    steps, kept = [], ["side"]
    for index in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["conv", "relu", "keep", "read", "concat", "add", "join_cat", "join_add",
                                     "fork"]))
        if kind == "conv":
            steps.append(Step("conv", channels=draw(st.sampled_from([2, 3, 4]))))
        elif kind == "keep":
            name = f"v{index}"
            steps.append(Step("keep", value=name))
            kept.append(name)
        elif kind == "fork":
            name = f"f{index}"
            steps.append(Step("fork", channels=draw(st.sampled_from([2, 3, 4])), value=name))
            kept.append(name)
        elif kind == "relu":
            steps.append(Step("relu"))
        else:
            steps.append(Step(kind, value=draw(st.sampled_from(kept))))
    if draw(st.booleans()):  # a second output: `output (result, v)`
        steps.append(Step("output", value=draw(st.sampled_from(kept))))
    return draw(st.sampled_from([2, 3])), draw(st.sampled_from([2, 4])), steps


BLOCKS = """\
block join_cat(skip: tensor):
    concat:
        identity
        skip

block join_add(skip: tensor):
    add:
        identity
        skip

block fork(c):
    identity as before
    conv(c, k=1) as after
    output (after, before)

"""


def spec_text(channels: int, side: int, steps: list[Step]) -> str:
    lines = ["model Graph:", f"    input image: {channels} x 6 x 6", f"    input side: {side} x 6 x 6"]
    for index, step in enumerate(steps):
        if step.kind in ("join_cat", "join_add"):
            lines.append(f"    {step.kind}({step.value})")
        elif step.kind == "output":
            lines += ["    identity as result", f"    output (result, {step.value})"]
        elif step.kind == "fork":
            lines += [f"    fork({step.channels}) as (g{index}, {step.value})", f"    g{index} -> identity"]
        elif step.kind == "conv":
            lines.append(f"    conv({step.channels}, k=1)")
        elif step.kind == "relu":
            lines.append("    relu")
        elif step.kind == "keep":
            lines.append(f"    identity as {step.value}")
        elif step.kind == "read":
            lines.append(f"    {step.value} -> identity")
        else:
            lines += [f"    {step.kind}:", "        identity", f"        {step.value}"]
    return BLOCKS + "\n".join(lines) + "\n"


def torch_shape(channels: int, side: int, steps: list[Step]) -> Optional[tuple]:
    """The shape of what the description returns in torch (a tuple of shapes for two outputs), or None."""
    values = {"side": torch.randn(2, side, 6, 6)}
    x = torch.randn(2, channels, 6, 6)
    try:
        for step in steps:
            if step.kind == "conv":
                x = nn.Conv2d(x.shape[1], step.channels, 1)(x)
            elif step.kind == "relu":
                x = torch.relu(x)
            elif step.kind == "keep":
                values[step.value] = x
            elif step.kind == "read":
                x = values[step.value]
            elif step.kind in ("concat", "join_cat"):
                x = torch.cat([x, values[step.value]], dim=1)
            elif step.kind == "fork":
                values[step.value] = x
                x = nn.Conv2d(x.shape[1], step.channels, 1)(x)
            elif step.kind == "output":
                return tuple(x.shape), tuple(values[step.value].shape)
            else:
                x = x + values[step.value]
    except RuntimeError:
        return None
    return tuple(x.shape)


@SETTINGS
@given(program=programs())
def test_named_values_join_as_torch_joins_them(program):
    channels, side, steps = program
    text = spec_text(channels, side, steps)
    try:
        graph = specc.shapes(text, input=(2, channels, 6, 6))
        ours = tuple(graph.output)
        if graph.outputs is not None:
            ours = tuple(tuple(item[2]) for item in graph.outputs[1])
    except SpecError:
        ours = None
    assert ours == torch_shape(channels, side, steps), text
    if ours is not None and graph.outputs is not None:  # the built module returns both
        with torch.no_grad():
            got = specc.build(text)(torch.randn(2, channels, 6, 6), torch.randn(2, side, 6, 6))
        assert tuple(tuple(t.shape) for t in got) == ours
    elif ours is not None:  # and the built module computes it
        net = specc.build(text)
        with torch.no_grad():
            assert tuple(net(torch.randn(2, channels, 6, 6), torch.randn(2, side, 6, 6)).shape[1:]) == ours[1:]


# ---------------------------------------------------------------- the user's view

TWO_HEADS = """\
# An image and a side vector in; logits out, and an auxiliary map while training.
model TwoHeads:
    input image: 3 x 16 x 16
    input extra: 8
    conv(8, k=3, p=1) -> relu as feat
    global_avgpool -> flatten as pooled
    extra -> linear(8)
    add:
        pooled
        identity
    linear(10) as logits
    feat -> conv(4, k=1) -> adaptive_avgpool(image.hw) as aux
    output {"out": logits, "aux": aux} if training else logits
"""

UNET = """\
# Two levels of skips across the depth, as U-Net joins its encoder to its decoder.
block double_conv(c):
    conv(c, k=3, p=1) -> relu -> conv(c, k=3, p=1) -> relu

model TinyUNet:
    input 1 x 32 x 32
    down1 = double_conv(8) as skip1
    maxpool(k=2)
    down2 = double_conv(16) as skip2
    maxpool(k=2)
    bottom = double_conv(32)
    adaptive_avgpool(skip2.hw)
    concat:
        skip2
        identity
    up2 = double_conv(16)
    adaptive_avgpool(skip1.hw)
    concat:
        skip1
        identity
    up1 = double_conv(8)
    head = conv(2, k=1)
"""


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def _generated(tmp_path, text: str, cls: str):
    (tmp_path / "net.spec").write_text(text, encoding="utf-8")
    done = _cli("build", "net.spec", "-o", "net_model.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    module_spec = importlib.util.spec_from_file_location(f"net_model_{cls}", tmp_path / "net_model.py")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, cls)(), (tmp_path / "net_model.py").read_text(encoding="utf-8")


def test_two_inputs_and_outputs_by_mode_in_both_backends(tmp_path):
    theirs, source = _generated(tmp_path, TWO_HEADS, "TwoHeads")
    assert "def forward(self, image, extra):" in source
    assert 'return {"out": logits, "aux": aux}' in source
    ours = specc.build(TWO_HEADS)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    image, extra = torch.randn(2, 3, 16, 16), torch.randn(2, 8)
    ours.train(), theirs.train()
    a, b = ours(image, extra), theirs(image, extra)
    assert a.keys() == b.keys() == {"out", "aux"}
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert tuple(a["aux"].shape) == (2, 4, 16, 16)
    ours.eval(), theirs.eval()
    assert torch.equal(ours(image, extra), theirs(image, extra))


def test_the_json_names_inputs_and_outputs(tmp_path):
    (tmp_path / "net.spec").write_text(TWO_HEADS, encoding="utf-8")
    report = json.loads(_cli("shapes", "net.spec", "--json", cwd=tmp_path).stdout)
    assert report["inputs"] == {"image": ["N", 3, 16, 16], "extra": ["N", 8]}
    assert report["outputs"] == {"training": {"dict": {"out": {"value": "logits", "shape": ["N", 10]},
                                                       "aux": {"value": "aux", "shape": ["N", 4, 16, 16]}}},
                                 "eval": {"value": "logits", "shape": ["N", 10]}}
    values = [(row["op"], row["args"]) for row in report["layers"] if row["op"] in ("write", "read")]
    assert values[:3] == [("write", "feat"), ("write", "pooled"), ("read", "extra")]


def test_skips_across_the_depth_give_the_reported_shapes(tmp_path):
    theirs, _ = _generated(tmp_path, UNET, "TinyUNet")
    ours = specc.build(UNET)
    report = specc.shapes(UNET)
    x = torch.randn(2, 1, 32, 32)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    assert torch.equal(ours(x), theirs(x))
    shapes = {}
    hooks = [m.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:])))
             for name, m in ours.named_modules() if name]
    ours(x)
    for hook in hooks:
        hook.remove()
    from specc.ir import walk
    reported = {row.node.path: tuple(row.node.out_shape[1:]) for row in walk(report.body) if row.node.module}
    assert shapes == reported
    assert reported["up1"] == (8, 32, 32) and reported["up2"] == (16, 16, 16)


def test_a_value_keeps_its_shape_when_it_is_read_after_many_layers():
    graph = specc.shapes("model M:\n    input 4 x 8 x 8\n    identity as first\n    conv(16, k=3, s=2)\n"
                         "    conv(32, k=3)\n    first -> conv(2, k=1)\n")
    assert graph.output == ("N", 2, 8, 8)


def test_the_bundled_detector_returns_three_scales_in_both_backends(tmp_path):
    spec = os.path.join(os.path.dirname(__file__), "..", "specs", "yolo_like.spec")
    text = open(spec, encoding="utf-8").read()
    theirs, source = _generated(tmp_path, text, "YoloLike")
    assert "return (small, medium, large)" in source
    ours = specc.build(spec).eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    theirs.eval()
    x = torch.randn(1, 3, 128, 96)  # not square: every join must still line up
    with torch.no_grad():
        a, b = ours(x), theirs(x)
    assert [tuple(t.shape) for t in a] == [(1, 255, 16, 12), (1, 255, 8, 6), (1, 255, 4, 3)]
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    graph = specc.shapes(spec, input=(1, 3, 128, 96))
    assert [list(s["shape"]) for s in
            specc.report.to_json(graph)["outputs"]["tuple"]] == [[1, 255, 16, 12], [1, 255, 8, 6], [1, 255, 4, 3]]
