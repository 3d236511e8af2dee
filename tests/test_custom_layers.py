"""Custom layers: `op name(args) = pkg.mod.Class(...)` declares an op that the user's own torch module implements.

The examples are the seeds' `CenteredLayer` and `MyLinear` (seed 004, "自定义层",
d2l 5.4), kept in `examples/seeds/layers.py` as a user keeps their own
package, and declared by `specs/seeds/centered.spec` and `mylinear.spec`.
Both back-ends build them (the generated file imports the user's class), the
seed's own `nn.Sequential` loads into the built model strictly and computes
the same, and `specc check` and `specc shapes` run where the package cannot
be imported at all.

The goldens of `tests/build_diagnostics/`: each `E08xx_<what>.spec` makes
`specc.build` fail one of its checks of a declared op (the import, building
and running the class, the dry run against the declaration). They run in a
fresh interpreter in that folder, so the specs' `user_layers` is its
`user_layers.py`, and the rendered diagnostic is compared with the golden
`.txt`, as the command line would print it. `SPECC_UPDATE_GOLDEN=1`
rewrites them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

import specc  # noqa: E402
from examples.seeds.layers import CenteredLayer, MyLinear  # noqa: E402
from specc.diagnostics import CODES, SpecError  # noqa: E402
from specc.fmt import format_text, structure  # noqa: E402
from specc.syntax.frontend import parse_source  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "specs" / "seeds"
CENTERED, MYLINEAR = SEEDS / "centered.spec", SEEDS / "mylinear.spec"
GOLDEN = Path(__file__).resolve().parent / "build_diagnostics"
CASES = sorted(GOLDEN.glob("E0*.spec"))
UPDATE = os.environ.get("SPECC_UPDATE_GOLDEN") == "1"


# The seed's models, as the notes build them (seed 004, "自定义层").
def seed_centered() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 128), CenteredLayer())


def seed_mylinear() -> nn.Module:
    return nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))


SEED_NETS = {"centered": (CENTERED, seed_centered, (4, 8)), "mylinear": (MYLINEAR, seed_mylinear, (2, 64))}


def cli(*args: str, cwd: Path = ROOT, code: str = "") -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "specc", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def import_file(path: Path, name: str):
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, object]:
    """`specc build` of each seed spec, imported (the repository root is on the path, so `examples` imports)."""
    out = tmp_path_factory.mktemp("custom")
    modules = {}
    for name, (spec, _, _) in SEED_NETS.items():
        target = out / f"{name}_net.py"
        done = cli("build", str(spec.relative_to(ROOT)), "-o", str(target))
        assert done.returncode == 0, done.stderr
        modules[name] = import_file(target, f"{name}_net")
    return modules


# ---------------------------------------------------------------- the seeds' layers


@pytest.mark.parametrize("name", sorted(SEED_NETS))
def test_the_seed_net_loads_strictly_and_computes_the_same(name, generated):
    spec, seed, shape = SEED_NETS[name]
    theirs = seed()
    x = torch.rand(*shape)
    for ours in (specc.build(spec), getattr(generated[name], specc.shapes(spec).model)()):
        assert [type(m) for m in ours] == [type(m) for m in theirs]
        ours.load_state_dict(theirs.state_dict(), strict=True)
        assert torch.equal(ours(x), theirs(x))


@pytest.mark.parametrize("name", sorted(SEED_NETS))
def test_one_torch_seed_gives_the_seed_nets_weights_in_both_backends(name, generated):
    """The dry run builds its instance on the meta device: it draws no random numbers."""
    spec, seed, _ = SEED_NETS[name]
    torch.manual_seed(3)
    theirs = seed().state_dict()
    for build in (lambda: specc.build(spec), lambda: getattr(generated[name], specc.shapes(spec).model)()):
        torch.manual_seed(3)
        ours = build().state_dict()
        assert list(ours) == list(theirs)
        assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_the_centered_layer_centres():
    net = specc.build(CENTERED)
    with torch.no_grad():
        assert abs(net(torch.rand(4, 8)).mean().item()) < 1e-6  # the seed's own check: the mean is 0


@pytest.mark.parametrize("name", sorted(SEED_NETS))
def test_counts_are_the_declared_ones_and_torchinfos(name):
    torchinfo = pytest.importorskip("torchinfo")
    spec, seed, shape = SEED_NETS[name]
    graph = specc.shapes(spec)
    theirs = seed()
    summary = torchinfo.summary(theirs, input_size=(1, *shape[1:]), verbose=0)
    assert graph.total_params == sum(p.numel() for p in theirs.parameters()) == summary.total_params
    assert graph.total_macs == summary.total_mult_adds


def test_the_generated_file_imports_the_users_class(generated):
    text = Path(generated["mylinear"].__file__).read_text(encoding="utf-8")
    assert "from examples.seeds.layers import MyLinear\n" in text
    assert "            MyLinear(64, 8),  # [N, 8]\n            MyLinear(8, 1),  # [N, 1]\n" in text


def test_the_shapes_table_shows_declared_ops_with_their_counts():
    done = cli("shapes", "specs/seeds/mylinear.spec", "--json")
    rows = json.loads(done.stdout)["layers"]
    assert [(r["path"], r["op"], r["args"], r["out"], r["params"], r["macs"]) for r in rows] == [
        ("0", "my_linear", "8", ["N", 8], 520, 520), ("1", "my_linear", "1", ["N", 1], 9, 9)]


def test_weights_load_into_a_model_of_custom_layers(tmp_path):
    """`--weights` builds the model on the meta device, importing the user's class; `weights=` loads them."""
    seed = seed_mylinear()
    torch.save(seed.state_dict(), tmp_path / "seed.pt")
    done = cli("build", "specs/seeds/mylinear.spec", "--weights", str(tmp_path / "seed.pt"), "-o",
               str(tmp_path / "net.py"))
    assert done.returncode == 0, done.stderr
    assert "fits `MyLinearNet` (4 tensors, every key and shape)" in done.stderr
    net = specc.build(MYLINEAR, weights=tmp_path / "seed.pt")
    x = torch.rand(2, 64)
    assert torch.equal(net(x), seed(x))


# ---------------------------------------------------------------- static commands never import the user's code

BLOCKED = ("import sys\n"
           "sys.modules['examples'] = None  # `import examples` raises: the package is not importable\n"
           "from specc.cli import main\n"
           "status = main(sys.argv[1:])\n"
           "assert 'torch' not in sys.modules, 'torch imported'\n"
           "sys.exit(status)\n")


@pytest.mark.parametrize("command", [["check"], ["shapes"], ["shapes", "--json"], ["build"], ["fmt", "--to", "yaml"]])
@pytest.mark.parametrize("spec", [CENTERED, MYLINEAR], ids=["centered", "mylinear"])
def test_static_commands_run_without_the_users_package(command, spec):
    done = cli(command[0], str(spec.relative_to(ROOT)), *command[1:], code=BLOCKED)
    assert done.returncode == 0, done.stderr


def test_static_commands_run_where_the_package_does_not_exist(tmp_path):
    spec = write(tmp_path, "net.spec", "op swish = nowhere.to.be.Found()\n\nmodel M:\n    input 16\n    linear(8) -> swish\n")
    for command in (["check"], ["shapes"], ["build", "-o", "net.py"]):
        done = cli(command[0], spec.name, *command[1:], cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert "from nowhere.to.be import Found\n" in (tmp_path / "net.py").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the build's checks: goldens


GOLDEN_RUNNER = (
    "import sys\n"
    "import specc\n"
    "from specc import sources\n"
    "from specc.diagnostics import SpecError, render\n"
    "try:\n"
    "    specc.build(sys.argv[1])\n"
    "except SpecError as error:  # as the command line prints it\n"
    "    sys.stderr.write(render(error, sources.text_of))\n"
    "    sys.exit(error.exit_status)\n"
)


@pytest.mark.parametrize("spec", CASES, ids=[c.stem for c in CASES])
def test_rendered_build_diagnostic(spec: Path):
    code = spec.name[:5]
    done = cli(spec.name, cwd=GOLDEN, code=GOLDEN_RUNNER)
    assert done.stdout == ""
    assert done.returncode == CODES[code].category.exit_status, done.stderr
    assert done.stderr.startswith(f"error[{code}]: "), done.stderr
    assert "Traceback" not in done.stderr
    golden = spec.with_suffix(".txt")
    if UPDATE:
        golden.write_text(done.stderr, encoding="utf-8")
    assert golden.exists(), f"no golden {golden.name}; run with SPECC_UPDATE_GOLDEN=1 to write it"
    assert done.stderr == golden.read_text(encoding="utf-8")


def test_every_build_code_has_a_golden():
    pinned = {spec.name[:5] for spec in CASES if spec.with_suffix(".txt").exists()}
    assert {code for code in CODES if code.startswith("E08")} - pinned == set()
    assert {p.stem for p in GOLDEN.glob("*.txt")} == {p.stem for p in CASES}


def test_a_wrong_shape_rule_is_located_at_the_use_and_names_the_rule():
    text = (GOLDEN / "E0803_wrong_shape_rule.txt").read_text(encoding="utf-8")
    assert text.startswith("error[E0803]: expected output [N, 16, 30, 30] from `user_layers.Conv3(3, 16)`, as op "
                           "`conv3` declares, found [N, 16, 32, 32] in a dry run\n")
    assert "--> E0803_wrong_shape_rule.spec:8:5" in text
    assert "`[in.shape[0], channels, in.h - 2, in.w - 2]`, at E0803_wrong_shape_rule.spec:3:12" in text


def test_a_missing_package_is_located_at_the_declaration():
    text = (GOLDEN / "E0801_missing_module.txt").read_text(encoding="utf-8")
    assert "--> E0801_missing_module.spec:2:12" in text
    assert "no module named `no_such_package`" in text


# ---------------------------------------------------------------- the language


def test_the_yaml_form_says_the_same(tmp_path):
    yaml_text = """\
ops:
  my_linear:
    args: [{units: {kind: channels}}]
    torch: {examples.seeds.layers.MyLinear: [in.c, units]}
    shape: '[in.shape[0], units]'
    params: in.c * units + units
    macs: in.c * units + units

models:
  MyLinearNet:
    input: [64]
    layers:
      - [my_linear: 8, my_linear: 1]
"""
    text = MYLINEAR.read_text(encoding="utf-8")
    assert structure(parse_source(yaml_text, "mylinear.yaml")) == structure(parse_source(text, str(MYLINEAR)))
    assert format_text(yaml_text, "mylinear.yaml", to="spec").endswith(text.split("\n", 3)[3])
    converted = format_text(text, str(MYLINEAR), to="yaml")
    assert "    args: [{units: {kind: channels}}]\n" in converted
    assert "    torch: {examples.seeds.layers.MyLinear: [in.c, units]}\n" in converted
    yaml_path = write(tmp_path, "mylinear.yaml", yaml_text)
    assert [type(m) for m in specc.build(yaml_path)] == [MyLinear, MyLinear]


def test_an_op_is_scoped_like_a_block(tmp_path):
    write(tmp_path, "layers.spec", "op centered = examples.seeds.layers.CenteredLayer()\n")
    write(tmp_path, "other.spec", "op centered = examples.seeds.layers.CenteredLayer()\n")
    uses = write(tmp_path, "uses.spec", 'use "layers.spec"\n\nmodel M:\n    input 8\n    linear(4) -> centered\n')
    assert [type(m) for m in specc.build(uses)] == [nn.Linear, CenteredLayer]
    alone = write(tmp_path, "alone.spec", "model M:\n    input 8\n    linear(4) -> centered\n")
    with pytest.raises(SpecError) as caught:
        specc.shapes(alone)
    assert caught.value.code == "E0201"
    both = write(tmp_path, "both.spec", 'use "layers.spec"\nuse "other.spec"\n\nmodel M:\n    input 8\n    centered\n')
    with pytest.raises(SpecError) as caught:
        specc.shapes(both)
    assert caught.value.code == "E0206" and "op `centered` is defined by two used files" in caught.value.message


def test_a_torch_class_can_be_declared_and_default_sets_its_arguments(tmp_path):
    spec = write(tmp_path, "drop.spec", """\
op drop(p: probability = 0.5) = torch.nn.Dropout(p)

model M:
    input 8
    drop
    default drop(p=0.25)
    drop -> drop(0.125)
""")
    net = specc.build(spec)
    assert [m.p for m in net] == [0.5, 0.25, 0.125]
    assert "from torch.nn import Dropout\n" in specc.emit(spec)


def test_a_declared_op_in_a_block_becomes_a_constructor_parameter_of_its_class(tmp_path):
    spec = write(tmp_path, "blocks.spec", """\
op my_linear(units: channels) = examples.seeds.layers.MyLinear(in.c, units):
    shape: [in.shape[0], units]
    params: in.c * units + units

block stage(units):
    my_linear(units) -> centered
    fc = my_linear(units // 2)

op centered = examples.seeds.layers.CenteredLayer()

model MyLinear:
    input 64
    stage(32)
    stage(16)
    let shared = my_linear(8)
    shared -> shared
""")
    source = specc.emit(spec)
    assert "from examples.seeds.layers import CenteredLayer, MyLinear as MyLinear2\n" in source
    assert "    def __init__(self, in_channels, units):\n" in source
    assert "MyLinear2(in_channels, units)" in source and "MyLinear2(units, units // 2)" in source
    module = import_file(write(tmp_path, "blocks_net.py", source), "blocks_net")
    torch.manual_seed(0)
    ours = specc.build(spec)
    torch.manual_seed(0)
    theirs = module.MyLinear()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))
    assert ours[2] is ours[3] and theirs[2] is theirs[3]
    x = torch.randn(3, 64)
    assert torch.equal(ours(x), theirs(x))


@pytest.mark.parametrize("text, code, words", [
    ("op d(units: channels) = examples.seeds.layers.MyLinear(in.c, units)\n\n"
     "model M:\n    input 8\n    d(0)\n", "E0402", "expected `units` of at least 1, found `0` in `d`"),
    ("op d(units: channels) = examples.seeds.layers.MyLinear(in.c, units):\n    params: -1\n\n"
     "model M:\n    input 8\n    d(2)\n", "E0402", "expected a parameter count of at least 0"),
    ("op d = torch.nn.Identity():\n    shape: 3\n\nmodel M:\n    input 8\n    d\n", "E0401",
     "expected a shape (a list of sizes) from the shape rule of op `d`, found an int 3"),
    ("op d = torch.nn.Identity():\n    shape: [in.shape[0], in.c // 0]\n\nmodel M:\n    input 8\n    d\n", "E0403",
     "division by zero in `//` (in the shape rule of op `d`)"),
    ("op d = torch.nn.Identity()\nblock d:\n    relu\n\nmodel M:\n    input 8\n    d\n", "E0206",
     "`d` is defined twice"),
    ("op relu = torch.nn.ReLU()\n\nmodel M:\n    input 8\n    relu\n", "E0206",
     "`relu` is the name of a built-in op"),
    ("op d(k=1, n) = torch.nn.Identity()\n\nmodel M:\n    input 8\n    d(1)\n", "E0215",
     "expected a default for `n`, which follows `k=...`"),
    ("op d = torch.nn.Identity()\n\nmodel M:\n    input 8\n    d(3)\n", "E0204",
     "expected at most 0 positional arguments for op `d`"),
    ("op d(n: int = 1) = torch.nn.Identity()\n\nmodel M:\n    input 8\n    default d(m=2)\n    d\n", "E0202",
     "unknown keyword argument `m` for op `d`"),
])
def test_mistakes_in_declarations_are_located(tmp_path, text, code, words):
    with pytest.raises(SpecError) as caught:
        specc.shapes(write(tmp_path, "bad.spec", text))
    assert any(e.code == code and words in e.message for e in caught.value.errors), caught.value


def test_an_error_in_a_rule_points_at_the_use_and_says_where_the_rule_is(tmp_path):
    spec = write(tmp_path, "bad.spec", "op d = torch.nn.Identity():\n    shape: [in.shape[0], in.shape[3]]\n\n"
                                       "model M:\n    input 8\n    linear(4) -> d\n")
    with pytest.raises(SpecError) as caught:
        specc.shapes(spec)
    error = caught.value
    assert (error.code, error.span.line, error.span.column) == ("E0404", 6, 18)
    assert "the shape rule is declared at" in error.help and "bad.spec:2:12" in error.help


def test_init_rules_leave_custom_layers_to_their_own_modules(tmp_path):
    """`init linear` reaches the spec's `linear` layers only, alike in both back-ends; a custom layer keeps its own."""
    spec = write(tmp_path, "init.spec", """\
op dense(units: channels) = torch.nn.Linear(in.c, units):
    shape: [in.shape[0], units]
    params: in.c * units + units

model Net:
    input 8
    init linear: weight=zeros, bias=zeros
    linear(16) -> dense(4) -> linear(2)
""")
    torch.manual_seed(0)
    ours = specc.build(spec)
    module = import_file(write(tmp_path, "init_net.py", specc.emit(spec)), "init_net")
    torch.manual_seed(0)
    theirs = module.Net()
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))
    assert not ours[0].weight.any() and not ours[2].weight.any()
    assert ours[1].weight.abs().sum() > 0  # a declared torch.nn.Linear is no `linear` of the spec
    named = write(tmp_path, "layer.spec", "op dense(units: channels) = torch.nn.Linear(in.c, units):\n"
                                          "    shape: [in.shape[0], units]\n\nmodel Net:\n    input 8\n"
                                          "    fc = dense(4)\n    init layer fc: weight=zeros\n")
    with pytest.raises(SpecError) as caught:
        specc.shapes(named)
    assert caught.value.code == "E0219" and "the declared op `dense`" in caught.value.message
