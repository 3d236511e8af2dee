"""The in-memory torch back-end, from the user's side: `specc.build` against the
shapes report, torch's own forward, `torch.export`, and the seeds' hand-written models."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import specc  # noqa: E402
from specc.report import to_json  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("specs/**/*.spec"))
IDS = [str(p.relative_to(ROOT / "specs").with_suffix("")) for p in SPECS]
BATCH = 2


# The specs whose default size costs minutes of CPU here (the paper's U-Net: 167 G mult-adds a sample;
# FCN-ResNet50 at 520 x 520) run smaller: what is checked does not depend on the size.
SMALLER = {"unet": dict(overrides={"width": 4}), "torchvision/fcn_resnet50": dict(input=(BATCH, 3, 64, 80))}


def options(path: Path) -> dict:
    return SMALLER.get(str(path.relative_to(ROOT / "specs").with_suffix("")), {})


@lru_cache(maxsize=None)
def report(path: Path) -> dict:
    return to_json(specc.shapes(path, **options(path)))


@lru_cache(maxsize=None)
def built(path: Path) -> nn.Module:
    """Built once per spec; tests leave it as they found it (eval mode, hooks removed)."""
    torch.manual_seed(0)
    return specc.build(path, **options(path)).eval()


def concrete(shape: list, batch: int = BATCH) -> tuple[int, ...]:
    return tuple(batch if d == "N" else d for d in shape)


def module_rows(rep: dict) -> list[dict]:
    """Every application of a module in the report: a shared layer's rows after the first too."""
    return [row for row in rep["layers"] if row["module"]] + rep["modules"]


def module_paths(rep: dict) -> set[str]:
    # A shared layer applied again is the module at its owner's path (`named_modules()` lists it once).
    return {row["path"] for row in module_rows(rep) if not row["shares"]}


def ir_shapes(rep: dict) -> dict[str, list[tuple[tuple, tuple]]]:
    """path -> [(in shape, out shape)] for every module of the report, one pair per application."""
    shapes: dict[str, list] = {}
    for row in module_rows(rep):
        shapes.setdefault(row["shares"] or row["path"], []).append((concrete(row["in"]), concrete(row["out"])))
    return shapes


def first_tensor(out):
    """The first tensor a model returns: its only one, or the first of its `output` tuple or dict."""
    if isinstance(out, dict):
        return first_tensor(next(iter(out.values())))
    if isinstance(out, (tuple, list)):
        return first_tensor(out[0])
    return out


def run_with_hooks(model: nn.Module, x, modules) -> tuple[object, list]:
    """Run `model` on `x`, recording (module, input shape, output) for each of `modules` in call order."""
    calls = []
    handles = [m.register_forward_hook(lambda m, args, out: calls.append((m, tuple(args[0].shape), out)))
               for m in modules]
    try:
        with torch.no_grad():
            y = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return y, calls


# ---------------------------------------------------------------- every spec


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_module_paths_are_the_report_paths(path):
    model = built(path)
    rep = report(path)
    assert set(dict(model.named_modules())) - {""} == module_paths(rep)
    assert type(model).__name__ == rep["model"]


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_every_module_gives_the_inferred_shape(path):
    model = built(path)
    rep = report(path)
    named = {name: m for name, m in model.named_modules() if name}
    path_of = {id(m): name for name, m in named.items()}
    x = torch.randn(concrete(rep["input"]))
    y, calls = run_with_hooks(model, x, named.values())
    assert tuple(first_tensor(y).shape) == concrete(rep["output"])
    seen: dict[str, list] = {}
    for m, shape_in, out in calls:
        # (a block returning several values: the report's shape is its first's)
        seen.setdefault(path_of[id(m)], []).append((shape_in, tuple(first_tensor(out).shape)))
    assert seen == ir_shapes(rep)
    assert len(calls) == len(module_rows(rep))  # every module runs once per application


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_parameter_count_is_the_reported_total(path):
    model = built(path)
    state = model.state_dict()
    parameters = dict(model.named_parameters())
    assert set(parameters) <= set(state)
    assert sum(state[k].numel() for k in parameters) == report(path)["total_params"]


# A custom layer's forward is the user's code: the seeds' `MyLinear` reads `self.weight.data`, which
# torch.export refuses to trace (a constant lifted out of the graph). specc's own code exports.
NOT_EXPORTABLE = {"seeds/mylinear": "the seeds' MyLinear reads `self.weight.data` in its forward"}


# ResNet-152 exports in about 5 s, so every spec runs in the normal run (no SPECC_LONG gate needed).
@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_export(path):
    reason = NOT_EXPORTABLE.get(str(path.relative_to(ROOT / "specs").with_suffix("")))
    if reason:
        pytest.skip(reason)
    model = built(path)
    x = torch.randn(concrete(report(path)["input"]))
    program = torch.export.export(model, (x,))
    with torch.no_grad():
        torch.testing.assert_close(program.module()(x), model(x))


def test_cli_json_paths_are_named_modules():
    path = ROOT / "specs" / "googlenet.spec"
    out = subprocess.run([sys.executable, "-m", "specc", "shapes", str(path), "--json"],
                         capture_output=True, text=True, check=True).stdout
    model = built(path)
    assert set(dict(model.named_modules())) - {""} == module_paths(json.loads(out))


# ---------------------------------------------------------------- the API and the module's form


def test_overrides():
    model = specc.build(ROOT / "specs" / "vgg11.spec", overrides={"ratio": 4})
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32, 64, 64, 128, 128, 128, 128]
    assert model(torch.randn(1, 1, 224, 224)).shape == (1, 10)


def test_spec_text_and_input():
    text = "model Tiny(classes=3):\n    input 2 x 8 x 8\n    conv(4, k=3) -> relu\n    flatten\n    fc = linear(classes)\n"
    model = specc.build(text, input=(2, 10, 10), overrides={"classes": 5})
    assert type(model).__name__ == "Tiny"
    assert isinstance(model, nn.Sequential)
    # One named child: the others are named for what they are (see specc/naming.py).
    assert [name for name, _ in model.named_children()] == ["conv", "relu", "flatten", "fc"]
    assert model.fc.in_features == 4 * 8 * 8
    assert model(torch.randn(3, 2, 10, 10)).shape == (3, 5)


def test_classes_and_branch_order():
    model = specc.build(ROOT / "specs" / "resnet18.spec")
    assert type(model.b1).__name__ == "B1"
    assert type(model.b2).__name__ == "ResnetBlock"
    first = model.b3[0]
    assert type(first).__name__ == "Residual"
    assert type(first) is type(model.b2[0])  # one class per name
    assert list(dict(first.named_children())) == ["conv1", "bn1", "relu1", "conv2", "bn2", "conv3", "relu2"]
    assert "add(conv1 -> bn1 -> relu1 -> conv2 -> bn2, conv3) -> relu2" in repr(first)


def test_concat_keeps_branch_order():
    text = ("model Cat():\n    input 3 x 4 x 4\n    concat:\n        identity\n"
            "        conv(2, k=1)\n        a = conv(5, k=1)\n")
    model = specc.build(text)
    x = torch.randn(1, 3, 4, 4)
    y = model(x)
    assert torch.equal(y[:, :3], x)
    torch.testing.assert_close(y[:, 3:5], model.conv(x))
    torch.testing.assert_close(y[:, 5:], model.a(x))


def test_a_block_named_like_a_module_method():
    text = ("block eval(c):\n    conv(c, k=1)\n\nmodel M():\n    input 3 x 4 x 4\n"
            "    add:\n        eval(3)\n        identity\n")
    model = specc.build(text)
    assert "eval_block" in dict(model.named_children())
    assert model(torch.randn(1, 3, 4, 4)).shape == (1, 3, 4, 4)


def test_torchvision_state_dict_loads_exactly():
    torchvision = pytest.importorskip("torchvision")
    theirs = torchvision.models.resnet18().eval()
    generator = torch.Generator().manual_seed(3)
    for layer in theirs.modules():
        randomise(layer, generator)
    ours = specc.build(ROOT / "specs" / "torchvision" / "resnet18.spec").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=0)


def test_importing_specc_does_not_import_torch():
    code = "import sys, specc; specc.shapes('specs/lenet.spec'); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# ---------------------------------------------------------------- the seeds' hand-written models


if (ROOT / "tests" / "seed_models.py").exists():
    import seed_models
else:  # written by hand alongside; the comparison waits for it
    seed_models = None
SEED_SPECS = {"vgg11_small": ("vgg11", {"ratio": 4}, lambda: seed_models.vgg11(ratio=4))}
PARAMETERIZED = (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)


def seed_cases():
    if seed_models is None:
        return []
    return sorted(seed_models.SEED_INPUTS)


def seed_pair(name: str) -> tuple[nn.Module, nn.Module]:
    spec, overrides, factory = SEED_SPECS.get(name) or (name, {}, getattr(seed_models, name))
    torch.manual_seed(0)
    return specc.build(ROOT / "specs" / f"{spec}.spec", overrides=overrides), factory()


def layer_calls(model: nn.Module, x) -> tuple[object, list[nn.Module]]:
    y, calls = run_with_hooks(model, x, [m for m in model.modules() if isinstance(m, PARAMETERIZED)])
    return y, [m for m, _, _ in calls]


def randomise(layer: nn.Module, generator) -> None:
    """Batch-norm statistics and affine parameters away from their identity defaults."""
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        n = layer.num_features
        with torch.no_grad():
            layer.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
            layer.running_var.copy_(0.5 + torch.rand(n, generator=generator))
            layer.weight.copy_(1 + 0.1 * torch.randn(n, generator=generator))
            layer.bias.copy_(0.1 * torch.randn(n, generator=generator))


@pytest.mark.skipif(seed_models is None, reason="tests/seed_models.py is not written yet")
@pytest.mark.parametrize("name", seed_cases())
def test_matches_the_seed_model(name):
    ours, seed = seed_pair(name)
    ours.eval()
    seed.eval()
    x = torch.randn(seed_models.SEED_INPUTS[name], generator=torch.Generator().manual_seed(1))
    _, our_layers = layer_calls(ours, x)
    _, seed_layers = layer_calls(seed, x)
    assert [repr(m) for m in our_layers] == [repr(m) for m in seed_layers]
    generator = torch.Generator().manual_seed(2)
    for mine, theirs in zip(our_layers, seed_layers):
        randomise(theirs, generator)
        mine.load_state_dict(theirs.state_dict())
    y, _ = layer_calls(ours, x)
    expected, _ = layer_calls(seed, x)
    torch.testing.assert_close(y, expected, atol=1e-5, rtol=0)


def test_classes_are_named_as_in_the_generated_file():
    # One class-name function (naming.class_name) for both back-ends: `__` is `Block`, `module` is `ModuleBlock`.
    text = ("block __(c):\n    conv(c, k=1)\n\nblock module(c):\n    conv(c, k=1)\n\n"
            "model M:\n    input 3 x 4 x 4\n    __(3)\n    module(3)\n")
    assert [type(child).__name__ for child in specc.build(text)] == ["Block", "ModuleBlock"]
    source = specc.emit(text)
    assert "class Block(nn.Sequential):" in source and "class ModuleBlock(nn.Sequential):" in source
