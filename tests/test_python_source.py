"""The Python source back-end, from the user's side: `specc build SPEC -o OUT.py`.

Every spec under specs/ is built with the command line, and the generated
file is imported in a fresh interpreter where specc cannot be imported. Its
model must equal `specc.build(SPEC)` key for key, shape for shape and output
for output once it has the same weights; the file must import nothing but
torch (and the standard library), come out byte-identical from every run,
export with `torch.export`, and match the golden files in tests/generated/
(`SPECC_UPDATE_GOLDEN=1 pytest tests/test_python_source.py` rewrites them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import specc  # noqa: E402
from specc import output  # noqa: E402
from specc.backends.python_source import MARKER  # noqa: E402
from specc.cli import UsageError  # noqa: E402
from specc.ir import walk  # noqa: E402

from seed_models import vgg11 as seed_vgg11  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(p.relative_to(ROOT) for p in ROOT.glob("specs/**/*.spec"))
GOLDEN = ROOT / "tests" / "generated"
GOLDEN_SPECS = {"lenet": "specs/lenet.spec", "resnet18": "specs/resnet18.spec",
                "googlenet": "specs/googlenet.spec", "densenet": "specs/densenet.spec",
                "torchvision_resnet18": "specs/torchvision/resnet18.spec"}
BATCH = 2

# Runs in a fresh interpreter: for each job, imports a generated file by path with specc made unimportable,
# records what the file itself imported, builds the model with no arguments and saves its weights and output.
# One interpreter for all the files: importing torch takes seconds.
RUNNER = r"""
import sys
sys.modules["specc"] = None  # `import specc` now raises ImportError: the files must not need it

import builtins, importlib.util, json, traceback
jobs = json.loads(sys.stdin.read())

import torch  # first, so that torch's own dependencies are not counted as the files'
real_import = builtins.__import__
results = {}
for job in jobs:
    name = "generated_" + job["id"]
    direct = []

    def recording_import(module, globals=None, locals=None, fromlist=(), level=0):
        if globals is not None and globals.get("__name__") == name:
            direct.append([module, level])
        return real_import(module, globals, locals, fromlist, level)

    before = set(sys.modules)
    try:
        builtins.__import__ = recording_import
        try:
            spec = importlib.util.spec_from_file_location(name, job["path"])
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            builtins.__import__ = real_import
        new_modules = sorted(set(sys.modules) - before - {name})
        cls = getattr(module, job["model"])
        classes = sorted(k for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == name)
        torch.manual_seed(0)
        model = cls().eval()
        x = torch.randn(*job["shape"])
        with torch.no_grad():
            y = model(x)
        torch.save({"state_dict": model.state_dict(), "input": x, "output": y}, job["out"])
        results[job["id"]] = {"direct": direct, "new_modules": new_modules, "classes": classes,
                              "class_name": cls.__name__, "specc": sys.modules.get("specc") is not None}
    except Exception:
        results[job["id"]] = {"error": traceback.format_exc()}
print(json.dumps(results))
"""


def cli(*args: str, cwd: Path = ROOT, hash_seed: str = "0") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def input_shape(spec: Path, overrides: dict | None = None) -> list[int]:
    graph = specc.shapes(ROOT / spec, overrides=overrides)
    return [BATCH if d == "N" else d for d in graph.input]


def import_file(path: Path, name: str = "generated_under_test"):
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def spec_id(spec: Path) -> str:
    return str(spec.relative_to("specs").with_suffix("")).replace("/", "_")


@pytest.fixture(scope="session")
def outdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generated")


@pytest.fixture(scope="session")
def generated(outdir) -> dict[Path, Path]:
    """`specc build SPEC -o OUT.py` for every spec (a few at a time), from the repository root with a relative path."""
    def build(spec: Path) -> Path:
        target = outdir / f"{spec_id(spec)}.py"
        result = cli("build", str(spec), "-o", str(target))
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        return target

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(SPECS, pool.map(build, SPECS)))


@pytest.fixture(scope="session")
def ran(generated, outdir) -> dict[str, dict]:
    """Every generated model, built and run in a fresh interpreter without specc: metadata per spec id."""
    jobs = [{"id": spec_id(spec), "path": str(path), "model": specc.shapes(ROOT / spec).model,
             "out": str(outdir / f"{spec_id(spec)}.pt"), "shape": input_shape(spec)}
            for spec, path in generated.items()]
    # The repository root on the path: the custom-layer specs' files import the example package
    # (`from examples.seeds.layers import MyLinear`), as a user's file imports their own.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(jobs), cwd=outdir, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def run_result(ran: dict, outdir: Path, spec: Path) -> tuple[dict, dict]:
    meta = ran[spec_id(spec)]
    assert "error" not in meta, meta.get("error")
    return meta, torch.load(outdir / f"{spec_id(spec)}.pt")


# ---------------------------------------------------------------- the generated model equals specc.build


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_generated_module_equals_in_memory_build(spec, ran, outdir):
    meta, saved = run_result(ran, outdir, spec)
    assert meta["class_name"] == specc.shapes(ROOT / spec).model
    theirs = saved["state_dict"]
    torch.manual_seed(1)
    ours = specc.build(ROOT / spec).eval()
    assert list(ours.state_dict()) == list(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in theirs.items()}
    ours.load_state_dict(theirs, strict=True)
    with torch.no_grad():
        y = ours(saved["input"])
    torch.testing.assert_close(y, saved["output"], atol=1e-5, rtol=0)


def declared_packages(spec: Path) -> set[str]:
    """The packages of the user's modules that the spec's declared ops name (`examples` for `examples.seeds...`)."""
    return {row.node.declared.module.split(".")[0] for row in walk(specc.shapes(ROOT / spec).body)
            if row.node.kind == "layer" and row.node.declared is not None}


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_generated_file_imports_only_torch(spec, ran, outdir):
    """Only torch, and the user's own modules for the ops the spec declares (`op x = pkg.mod.Class(...)`)."""
    meta, _ = run_result(ran, outdir, spec)
    users = declared_packages(spec)
    assert not meta["specc"]
    assert {name.split(".")[0] for name, level in meta["direct"]} <= {"torch", "collections"} | users
    assert all(level == 0 for _, level in meta["direct"])
    foreign = [m for m in meta["new_modules"]
               if m.split(".")[0] not in sys.stdlib_module_names and m.split(".")[0] not in {"torch", *users}]
    assert foreign == []


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_build_is_deterministic_and_prints_to_stdout_without_o(spec, generated):
    # Another process with another hash seed: no set or dict order may leak into the file.
    again = cli("build", str(spec), hash_seed="12345")
    assert again.returncode == 0, again.stderr
    assert again.stdout.encode("utf-8") == generated[spec].read_bytes()
    assert again.stdout.startswith(MARKER)


def test_build_never_imports_torch(tmp_path):
    """The README's promise: writing the file needs no torch, only running it does."""
    target = tmp_path / "resnet18.py"
    code = (f"import sys; from specc.cli import main; main(['build', 'specs/resnet18.spec', '-o', {str(target)!r}]); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "class ResNet18" in target.read_text(encoding="utf-8")


def test_dash_o_dash_prints_to_stdout(generated):
    spec = Path("specs/lenet.spec")
    result = cli("build", str(spec), "-o", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout == generated[spec].read_text(encoding="utf-8")


def test_refuses_to_overwrite_a_hand_written_file(tmp_path):
    target = tmp_path / "model.py"
    target.write_text("print('written by hand')\n")
    result = cli("build", str(ROOT / "specs/lenet.spec"), "-o", str(target))
    assert result.returncode == 2
    assert "refusing to overwrite" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_text() == "print('written by hand')\n"
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]

    forced = cli("build", str(ROOT / "specs/lenet.spec"), "-o", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert target.read_text().startswith(MARKER)


def test_overwrites_a_generated_file_without_force(tmp_path):
    target = tmp_path / "model.py"
    assert cli("build", str(ROOT / "specs/lenet.spec"), "-o", str(target)).returncode == 0
    result = cli("build", str(ROOT / "specs/alexnet.spec"), "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert "class AlexNet(" in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]  # no temporary left behind


def test_unwritable_output_is_a_usage_error(tmp_path):
    for target in (tmp_path / "missing" / "model.py", tmp_path):
        result = cli("build", str(ROOT / "specs/lenet.spec"), "-o", str(target), "--force")
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("specc: error: cannot write") and "Traceback" not in result.stderr


def test_write_is_atomic(tmp_path, monkeypatch):
    """A failure between writing and renaming leaves the old file whole and no temporary behind."""
    target = tmp_path / "model.py"
    output.write_generated(target, f"{MARKER} old\n")

    def failing_replace(src, dst):
        assert Path(src).parent == tmp_path and Path(src).read_text() == f"{MARKER} new\n"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", failing_replace)
    with pytest.raises(UsageError, match="No space left"):
        output.write_generated(target, f"{MARKER} new\n")
    assert target.read_text() == f"{MARKER} old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]


def test_written_file_has_the_usual_mode(tmp_path):
    target = tmp_path / "model.py"
    output.write_generated(target, f"{MARKER}\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o640)
    output.write_generated(target, f"{MARKER} again\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_set_ratio_appears_in_the_header_and_changes_the_channels(tmp_path):
    target = tmp_path / "vgg_small.py"
    result = cli("build", "specs/vgg11.spec", "--set", "ratio=4", "-o", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    assert "# Overrides: ratio=4.\n" in text.split('"""')[0]

    small = import_file(target).VGG11().eval()
    seed = seed_vgg11(ratio=4).eval()
    assert [tuple(v.shape) for v in small.state_dict().values()] == \
        [tuple(v.shape) for v in seed.state_dict().values()]
    assert tuple(small.state_dict()["0.0.weight"].shape) == (16, 1, 3, 3)
    # With the seed's weights, the same function.
    small.load_state_dict(dict(zip(small.state_dict(), seed.state_dict().values())))
    x = torch.randn(BATCH, 1, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(small(x), seed(x), atol=1e-5, rtol=0)


# ---------------------------------------------------------------- torch.export


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_generated_module_exports(spec, generated):
    if spec_id(spec) == "seeds_mylinear":  # the user's forward: see test_torch_backend.NOT_EXPORTABLE
        pytest.skip("the seeds' MyLinear reads `self.weight.data` in its forward, which torch.export cannot trace")
    module = import_file(generated[spec], f"generated_{spec.stem}")
    model = getattr(module, specc.shapes(ROOT / spec).model)().eval()
    x = torch.randn(*input_shape(spec))
    exported = torch.export.export(model, (x,))
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(x), model(x), atol=1e-5, rtol=0)


# ---------------------------------------------------------------- golden files


@pytest.mark.parametrize("name", sorted(GOLDEN_SPECS))
def test_golden_source(name):
    result = cli("build", GOLDEN_SPECS[name])
    assert result.returncode == 0, result.stderr
    golden = GOLDEN / f"{name}.py"
    if os.environ.get("SPECC_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(result.stdout, encoding="utf-8", newline="\n")
    assert golden.exists(), f"no golden file {golden}: run with SPECC_UPDATE_GOLDEN=1"
    assert result.stdout == golden.read_text(encoding="utf-8"), \
        f"generated source for {name} changed; if intended, rerun with SPECC_UPDATE_GOLDEN=1 and review the diff"
