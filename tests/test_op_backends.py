"""Both back-ends agree on every op, at every rank it takes: `specc.build` and the generated file.

For each op call of `test_op_counts.CALLS` (and every other op bare), in a
one-layer model at each sample rank the op accepts, the generated file is
imported in a fresh interpreter where specc cannot be imported (the runner of
`test_python_source.py`): it must import only torch, and its model, given
its weights, must give the in-memory module's state_dict keys and outputs.
The classes specc defines itself (`backends/torch_layers.py`) must equal
torchvision's, whose semantics they copy.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

import specc  # noqa: E402
from specc import ir  # noqa: E402
from specc.diagnostics import SpecError  # noqa: E402
from specc.ops import OPS  # noqa: E402

from test_op_counts import CALLS, SAMPLES  # noqa: E402
from test_python_source import RUNNER  # noqa: E402


def cases() -> list[tuple[str, str, tuple]]:
    found = []
    for name in sorted(OPS):
        for index, call in enumerate(CALLS.get(name, [name])):
            for rank, sample in SAMPLES.items():
                text = f"model M:\n    input N x {' x '.join(map(str, sample))}\n    {call}\n"
                try:
                    specc.shapes(text)
                except SpecError:
                    continue  # a rank the op does not take
                found.append((f"{name}-{index}-rank{rank}", text, (2, *sample)))
    return found


CASES = cases()


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple:
    outdir = tmp_path_factory.mktemp("op_backends")
    jobs = []
    for case_id, text, shape in CASES:
        path = outdir / f"{case_id}.py"
        path.write_text(specc.emit(text), encoding="utf-8")
        jobs.append({"id": case_id, "path": str(path), "model": "M", "out": str(outdir / f"{case_id}.pt"),
                     "shape": list(shape)})
    result = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(jobs), cwd=outdir, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return outdir, json.loads(result.stdout.splitlines()[-1])


def test_every_op_is_built_at_some_rank():
    assert {case_id.split("-")[0] for case_id, _, _ in CASES} == set(OPS)


@pytest.mark.parametrize("case_id, text, shape", CASES, ids=[c[0] for c in CASES])
def test_the_generated_file_equals_the_in_memory_module(case_id, text, shape, ran):
    outdir, results = ran
    meta = results[case_id]
    assert "error" not in meta, meta.get("error")
    assert not meta["specc"]
    assert all(module in ("torch",) for module, _ in meta["direct"]), meta["direct"]
    saved = torch.load(outdir / f"{case_id}.pt")
    ours = specc.build(text).eval()
    assert list(ours.state_dict()) == list(saved["state_dict"])
    ours.load_state_dict(saved["state_dict"], strict=True)
    with torch.no_grad():
        torch.testing.assert_close(ours(saved["input"]), saved["output"], atol=1e-5, rtol=0)


def test_layernorm2d_is_torchvisions():
    convnext = pytest.importorskip("torchvision.models.convnext")
    ours = specc.build("model M:\n    input 2 x 8 x 5 x 5\n    layernorm2d(eps=1e-6)\n")
    theirs = convnext.LayerNorm2d(8, eps=1e-6)
    with torch.no_grad():
        theirs.weight.normal_()
        theirs.bias.normal_()
    ours.load_state_dict({f"0.{k}": v for k, v in theirs.state_dict().items()}, strict=True)
    x = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(ours(x), theirs(x))


@pytest.mark.parametrize("mode", ["row", "batch"])
def test_stochastic_depth_is_torchvisions(mode):
    ops = pytest.importorskip("torchvision.ops")
    ours = specc.build(f'model M:\n    input 8 x 3 x 4 x 4\n    stochastic_depth(0.5, mode="{mode}")\n').train()
    theirs = ops.StochasticDepth(0.5, mode).train()
    x = torch.randn(8, 3, 4, 4)
    torch.manual_seed(3)
    expected = theirs(x)
    torch.manual_seed(3)
    torch.testing.assert_close(ours(x), expected)
    assert repr(ours[0]) == repr(theirs)
    assert torch.equal(ours.eval()(x), x)


EVERY_OP = """\
model Signal:
    input N x 4 x 32
    conv(8, k=3, p=1) -> batchnorm -> instancenorm(affine=true) -> groupnorm(2) -> prelu(per_channel=true)
    local_response_norm(3) -> channel_shuffle(2) -> maxpool(k=2) -> avgpool(k=2, s=1) -> adaptive_maxpool(6)
    conv_transpose(4, k=2, s=2, op=1, d=2) -> upsample(scale=2, mode="linear", align_corners=true)
    adaptive_avgpool(8) -> global_avgpool -> flatten -> linear(6) -> layernorm -> softmax -> log_softmax(dim=-1)

model Image:
    input N x 4 x 16 x 16
    center_crop((14, 12)) -> center_crop(12) -> pixel_unshuffle(2) -> layernorm2d -> pixel_shuffle(2) -> dropout2d(0.1) -> stochastic_depth(0.2, mode="batch")
    relu -> relu6 -> leaky_relu(0.1) -> elu -> selu -> celu(2) -> gelu(approximate="tanh") -> silu -> mish
    hardswish -> hardsigmoid -> hardtanh(-2, 2) -> softplus(beta=2) -> sigmoid -> tanh -> identity
    flatten(start=2) -> unflatten(2, [16, -1]) -> dropout(0.5)

model Volume:
    input N x 2 x 4 x 8 x 8
    conv(4, k=(1, 3, 3), p=(0, 1, 1)) -> dropout3d -> upsample(size=(4, 16, 16), mode="trilinear") -> global_maxpool
"""


def test_the_command_line_writes_every_op(tmp_path):
    """`specc build FILE --model M -o OUT.py`, for models that use every op between them, writes what `emit` does."""
    spec = tmp_path / "every_op.spec"
    spec.write_text(EVERY_OP, encoding="utf-8")
    used = set()
    for model in ("Signal", "Image", "Volume"):
        used |= {node.op for node in ir.leaves(specc.shapes(spec, model=model).body)}
        target = tmp_path / f"{model}.py"
        done = subprocess.run([sys.executable, "-m", "specc", "build", spec.name, "--model", model, "-o", target.name],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        # The same text as `emit`, but for the header's path: the command line's is relative.
        assert target.read_text(encoding="utf-8") == specc.emit(spec, model=model).replace(str(spec), spec.name)
    assert used == set(OPS)
