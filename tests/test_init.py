"""Initialisation in the spec: `init op: tensor=rule` and `init layer name: ...`.

What is pinned here:

- the catalogue is torch.nn.init's (names, arguments, defaults, choices);
- for every rule, with one torch seed, the module of `specc.build` and the
  generated file's class hold identical tensors (the one plan both run);
- for every rule, on large layers, the drawn tensor has the mean, spread and
  bounds of torch's own function on a tensor of the same shape;
- the scope of the rules (later layers, called blocks, inner wins tensor by
  tensor, a shared layer's rules where it is made, `init layer` over all);
- the generated code's shape (a loop over `modules()` testing each module's
  exact class, as torchvision's models and the seeds do; a line per tensor
  for one layer);
- torchvision's own ResNet-18 initialisation, written as two `init` lines,
  gives torchvision's tensors for the same seed;
- the YAML form, and the diagnostics.

The seeds' models with their initialisations are in `test_seed_specs.py`.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import math
import typing
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import specc  # noqa: E402
from specc.diagnostics import SpecError  # noqa: E402
from specc.fmt import structure  # noqa: E402
from specc.initializers import CATALOGUE, MODES, NONLINEARITIES  # noqa: E402
from specc.ir import walk  # noqa: E402
from specc.syntax.frontend import parse_source  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_counter = itertools.count()

# Every rule of the catalogue, with arguments that differ from torch's defaults where it has any;
# beside it, the same call of torch's function (`ref`), written out by hand.
RULES = {
    "uniform": ("uniform(-0.5, 0.25)", dict(a=-0.5, b=0.25)),
    "normal": ("normal(mean=0.5, std=0.02)", dict(mean=0.5, std=0.02)),
    "trunc_normal": ("trunc_normal(mean=0.1, std=0.5, a=-0.4, b=0.9)", dict(mean=0.1, std=0.5, a=-0.4, b=0.9)),
    "constant": ("constant(0.3)", dict(val=0.3)),
    "ones": ("ones", {}),
    "zeros": ("zeros", {}),
    "xavier_uniform": ("xavier_uniform(gain=2.0)", dict(gain=2.0)),
    "xavier_normal": ("xavier_normal(gain=0.5)", dict(gain=0.5)),
    "kaiming_uniform": ('kaiming_uniform(a=0.1, mode="fan_out", nonlinearity="leaky_relu")',
                        dict(a=0.1, mode="fan_out", nonlinearity="leaky_relu")),
    "kaiming_normal": ('kaiming_normal(mode="fan_out", nonlinearity="relu")', dict(mode="fan_out", nonlinearity="relu")),
    "orthogonal": ("orthogonal(gain=1.5)", dict(gain=1.5)),
}
BOUNDED = {"uniform", "xavier_uniform", "kaiming_uniform", "trunc_normal"}
EXACT = {"constant", "ones", "zeros"}


def generated(text: str, tmp_path: Path, model: str = None):
    """The generated file of spec `text`, imported: its module."""
    source = specc.emit(text, model=model)
    name = f"init_generated_{next(_counter)}"
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def same_tensors(a: nn.Module, b: nn.Module) -> bool:
    one, two = a.state_dict(), b.state_dict()
    return list(one) == list(two) and all(torch.equal(one[k], two[k]) for k in one)


def both(text: str, tmp_path: Path, seed: int, model: str = None) -> tuple[nn.Module, nn.Module]:
    module = generated(text, tmp_path, model)
    torch.manual_seed(seed)
    ours = specc.build(text, model=model)
    torch.manual_seed(seed)
    theirs = getattr(module, ours.__class__.__name__)()
    return ours, theirs


def rules_of(text: str, model: str = None) -> dict[str, dict[str, str]]:
    """Every layer's rules, path -> {tensor: rule text}."""
    graph = specc.shapes(text, model=model)
    return {row.node.path: {t: r.text() for t, r in row.node.rules().items()}
            for row in walk(graph.body) if row.node.kind == "layer" and row.node.module}


# ---------------------------------------------------------------- the catalogue


def test_the_catalogue_is_torchs():
    assert set(RULES) == set(CATALOGUE)
    for name, rule in CATALOGUE.items():
        signature = inspect.signature(getattr(nn.init, name + "_"))
        params = [p for p in signature.parameters.values() if p.name not in ("tensor", "generator")]
        assert [a.name for a in rule.args] == [p.name for p in params], name
        for arg, param in zip(rule.args, params):
            if param.default is inspect.Parameter.empty:
                assert arg.required, (name, arg.name)
            else:
                assert arg.default == param.default and type(arg.default) is type(param.default), (name, arg.name)
    kaiming = inspect.signature(nn.init.kaiming_normal_).parameters
    assert typing.get_args(kaiming["mode"].annotation) == MODES
    assert typing.get_args(kaiming["nonlinearity"].annotation) == NONLINEARITIES


def test_a_rule_for_one_class_does_not_reach_its_subclass(tmp_path):
    """`LayerNorm2d` is an `nn.LayerNorm`: the loops test the exact class, so `init layernorm` stays its own."""
    text = ("model M:\n    input 4 x 6 x 6\n    init layernorm: weight=zeros\n    init layernorm2d: weight=ones\n"
            "    layernorm2d -> layernorm(dims=2) -> layernorm2d\n")
    code = _init_code(text)
    assert "type(m) is nn.LayerNorm:" in code and "type(m) is LayerNorm2d:" in code
    ours, theirs = both(text, tmp_path, 0)
    assert same_tensors(ours, theirs)
    assert torch.equal(ours[0].weight, torch.ones(4)) and torch.equal(ours[1].weight, torch.zeros(6, 6))


TENSOR_SPECS = [  # every op with parameters, with and without its optional tensors, at several ranks
    "model M:\n    input 4 x 6 x 6\n    conv(6, k=3, g=2) -> conv(4, k=(1, 3), bias=false) -> batchnorm\n"
    "    batchnorm(affine=false) -> groupnorm(2) -> groupnorm(2, affine=false) -> instancenorm(affine=true)\n"
    "    instancenorm -> layernorm2d -> layernorm2d(bias=false) -> layernorm(dims=2) -> layernorm(bias=false)\n"
    "    layernorm(affine=false) -> prelu -> prelu(per_channel=true) -> conv_transpose(6, k=2, s=2, g=2)\n"
    "    conv_transpose(4, k=3, bias=false) -> flatten -> linear(5) -> linear(3, bias=false) -> batchnorm\n",
    "model M:\n    input N x 2 x 9\n    conv(4, k=3) -> batchnorm -> conv_transpose(2, k=2) -> instancenorm(affine=true)\n",
    "model M:\n    input N x 2 x 3 x 4 x 5\n    conv(4, k=1) -> batchnorm -> conv_transpose(2, k=(1, 2, 2)) -> prelu\n",
]


@pytest.mark.parametrize("text", TENSOR_SPECS)
def test_the_ops_tensors_are_torchs_parameters(text):
    """`Op.tensors` (what `init` rules may name) are the built layers' parameters, names and shapes."""
    graph = specc.shapes(text)
    net = specc.build(text)
    from specc.ops import OPS
    for row in walk(graph.body):
        node = row.node
        if node.kind != "layer" or not node.module:
            continue
        op = OPS[node.op]
        declared = {t.name: t.shape(node.args, node.in_shape) for t in op.tensors}
        declared = {k: v for k, v in declared.items() if v is not None}
        actual = {k: tuple(v.shape) for k, v in net.get_submodule(node.path).named_parameters()}
        assert declared == actual, node.path
        assert sum(math.prod(s) for s in declared.values()) == node.params
        assert all(op.tensor(k).rank in (None, len(s)) for k, s in declared.items())


def test_every_op_with_parameters_declares_its_tensors():
    """An op whose layers have parameters lists them (and `TENSOR_SPECS` holds each such op to torch)."""
    from specc.ops import OPS
    covered = {row.node.op for text in TENSOR_SPECS for row in walk(specc.shapes(text).body)
               if row.node.kind == "layer"}
    assert {name for name, op in OPS.items() if op.tensors} <= covered
    for row in walk(specc.shapes(TENSOR_SPECS[0]).body):
        if row.node.kind == "layer" and row.node.params:
            assert OPS[row.node.op].tensors, row.node.op


# ---------------------------------------------------------------- both back-ends, every rule


def _every_layer_spec(rule: str) -> str:
    matrix_only = CATALOGUE[rule.split("(")[0]].min_rank >= 2
    biases = "" if matrix_only else f", bias={rule}"
    bn = "" if matrix_only else f"    init batchnorm: weight={rule}, bias={rule}\n"
    return ("model M:\n    input 3 x 8 x 8\n"
            f"    init conv, linear: weight={rule}{biases}\n{bn}"
            "    conv(8, k=3) -> batchnorm -> relu -> flatten -> linear(16) -> relu -> linear(4, bias=false)\n")


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_gives_identical_tensors_in_both_backends(name, tmp_path):
    text = _every_layer_spec(RULES[name][0])
    for seed in (0, 1):
        ours, theirs = both(text, tmp_path, seed)
        assert same_tensors(ours, theirs), (name, seed)
    torch.manual_seed(0)
    default = nn.Conv2d(3, 8, 3)
    if name not in ("ones", "zeros", "constant"):  # the rule was run: not torch's default draw
        assert not torch.equal(ours[0].weight, default.weight)


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_draws_what_torchs_function_draws(name):
    """On a 1024 x 1024 weight (and a bias of 4096 where the rule takes one), against torch's own call."""
    text, kwargs = RULES[name]
    matrix_only = CATALOGUE[name].min_rank >= 2
    spec = ("model M:\n    input 1024\n"
            f"    init linear: weight={text}" + ("" if matrix_only else f", bias={text}") + "\n"
            "    linear(1024)\n    linear(4096)\n")
    torch.manual_seed(11)
    net = specc.build(spec)
    torch.manual_seed(12)  # another stream: the distribution must agree, not the numbers
    tensors = [(net[0].weight.detach(), torch.empty(1024, 1024))]
    if not matrix_only:
        tensors.append((net[1].bias.detach(), torch.empty(4096)))
    for ours, ref in tensors:
        getattr(nn.init, name + "_")(ref, **kwargs)
        _same_distribution(name, ours, ref)


def _same_distribution(name: str, ours, ref) -> None:
    if name in EXACT:
        assert torch.equal(ours, ref)
        return
    n, sd = ours.numel(), ref.std().item()
    assert abs(ours.mean().item() - ref.mean().item()) <= 6 * sd / math.sqrt(n), name
    assert abs(ours.std().item() / sd - 1) <= (0.02 if n > 10**5 else 0.08), name
    if name in BOUNDED:  # the extremes of 10^6 draws sit at the bounds
        tolerance = (0.002 if n > 10**5 else 0.02) * sd
        assert abs(ours.min().item() - ref.min().item()) <= tolerance, name
        assert abs(ours.max().item() - ref.max().item()) <= tolerance, name
    if name == "orthogonal":
        gram = ours @ ours.T
        assert torch.allclose(gram, ref @ ref.T, atol=1e-3)
        assert torch.allclose(gram, 1.5 ** 2 * torch.eye(1024), atol=1e-3)


# ---------------------------------------------------------------- scope


BLOCKS = """\
block inner:
    init linear: weight=xavier_uniform
    linear(4)

block plain:
    linear(4)
"""


def test_rules_reach_later_layers_and_called_blocks_and_inner_wins_tensor_by_tensor():
    text = BLOCKS + ("model M:\n    input 4\n    linear(4)\n    init linear: weight=normal(std=0.01), bias=zeros\n"
                     "    linear(4) -> plain -> inner\n")
    assert rules_of(text) == {
        "0": {},  # before the rule
        "1": {"weight": "normal(std=0.01)", "bias": "zeros"},
        "2.0": {"weight": "normal(std=0.01)", "bias": "zeros"},  # a block called later: dynamic scope
        "3.0": {"weight": "xavier_uniform", "bias": "zeros"},  # the block's own rule wins for the weight
    }


def test_a_nested_body_ends_its_rules_and_blocks_cache_per_rules():
    text = BLOCKS + ("model M:\n    input 4\n    plain\n    seq:\n        init linear: weight=ones\n"
                     "        plain\n    plain\n    if true:\n        init linear: bias=ones\n        plain\n    plain\n")
    rules = rules_of(text)
    assert [rules[p] for p in ("0.0", "1.0", "2.0", "3.0", "4.0")] == [{}, {"weight": "ones"}, {}, {"bias": "ones"}, {}]


def test_in_a_combinator_a_rule_is_no_branch_and_reaches_the_later_branches():
    text = ("model M:\n    input 4 x 8 x 8\n    concat:\n        conv(4, k=1)\n        init conv: weight=zeros\n"
            "        conv(4, k=1)\n    conv(4, k=1)\n")
    assert [r.get("weight") for r in rules_of(text).values()] == [None, "zeros", None]


def test_a_shared_layer_takes_the_rules_where_it_is_made(tmp_path):
    text = ("model M:\n    input 4\n    init linear: weight=ones\n    let shared = linear(4)\n"
            "    init linear: weight=zeros\n    linear(4) -> shared -> relu -> shared\n")
    assert rules_of(text) == {"0": {"weight": "zeros"}, "1": {"weight": "ones"}, "2": {}, "3": {"weight": "ones"}}
    ours, theirs = both(text, tmp_path, 3)
    assert same_tensors(ours, theirs) and ours[1] is ours[3] and theirs[1] is theirs[3]
    assert torch.equal(ours[1].weight, torch.ones(4, 4))


def test_a_layer_rule_wins_over_rules_by_op_tensor_by_tensor_wherever_it_stands(tmp_path):
    text = ("model M:\n    input 4\n    init layer fc: weight=constant(42)\n"
            "    init linear: weight=normal(std=0.01), bias=zeros\n    hidden = linear(8)\n    fc = linear(2)\n")
    assert rules_of(text) == {"hidden": {"weight": "normal(std=0.01)", "bias": "zeros"},
                              "fc": {"weight": "constant(42)", "bias": "zeros"}}
    ours, theirs = both(text, tmp_path, 0)
    assert same_tensors(ours, theirs)
    assert torch.equal(ours.fc.weight, torch.full((2, 8), 42.0)) and not ours.fc.bias.any()


def test_a_rule_by_op_passes_by_a_layer_without_the_tensor(tmp_path):
    text = ("model M:\n    input 3 x 4 x 4\n    init conv, batchnorm: bias=ones\n"
            "    conv(4, k=1, bias=false) -> batchnorm(affine=false) -> conv(4, k=1) -> batchnorm\n")
    assert rules_of(text) == {"0": {}, "1": {}, "2": {"bias": "ones"}, "3": {"bias": "ones"}}
    ours, theirs = both(text, tmp_path, 0)
    assert same_tensors(ours, theirs)


def test_rules_take_values_from_parameters_and_set():
    text = "model M(s=0.5):\n    input 4\n    init linear: weight=constant(s * 2)\n    linear(3)\n"
    assert rules_of(text) == {"0": {"weight": "constant(1.0)"}}
    graph = specc.shapes(text, overrides={"s": 2.0})
    assert graph.body[0].rules()["weight"].text() == "constant(4.0)"


# ---------------------------------------------------------------- the generated code


def _init_code(text: str, model: str = None) -> str:
    """The lines the generated file writes after the model's layers."""
    source = specc.emit(text, model=model)
    model_class = source[source.rindex("\nclass "):]
    return model_class.split("\n\n    def forward")[0].rstrip("\n")


def test_the_seeds_mlp_rule_is_torchvisions_loop():
    code = _init_code("model M:\n    input 784\n    init linear: weight=normal(std=0.01), bias=zeros\n"
                      "    linear(256) -> relu -> linear(10)\n")
    assert code.endswith("\n        for m in self.modules():\n"
                         "            if type(m) is nn.Linear:\n"
                         "                nn.init.normal_(m.weight, std=0.01)\n"
                         "                nn.init.zeros_(m.bias)")


def test_train_ch6s_rule_is_one_test_of_both_classes_and_a_missing_bias_is_guarded():
    code = _init_code("model M:\n    input 1 x 28 x 28\n    init conv, linear: weight=xavier_uniform, bias=zeros\n"
                      "    conv(6, k=5, bias=false) -> flatten -> linear(10)\n")
    assert ("        for m in self.modules():\n"
            "            if type(m) in (nn.Conv2d, nn.Linear):\n"
            "                nn.init.xavier_uniform_(m.weight)\n"
            "                if m.bias is not None:\n"
            "                    nn.init.zeros_(m.bias)") in code


def test_torchvisions_resnet_rules_read_as_torchvisions_code():
    code = _init_code(
        "model M:\n    input 3 x 8 x 8\n"
        '    init conv: weight=kaiming_normal(mode="fan_out", nonlinearity="relu")\n'
        "    init batchnorm: weight=ones, bias=zeros\n    conv(8, k=3, bias=false) -> batchnorm -> relu\n")
    assert ("            if type(m) is nn.Conv2d:\n"
            '                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")\n'
            "            elif type(m) is nn.BatchNorm2d:\n"
            "                nn.init.ones_(m.weight)\n"
            "                nn.init.zeros_(m.bias)") in code


def test_a_blocks_rule_loops_over_its_instance_and_single_layers_get_lines(tmp_path):
    text = ("block stage(c):\n    init conv: weight=kaiming_uniform\n    conv(c, k=3, p=1) -> relu -> conv(c, k=3, p=1)\n\n"
            "model M:\n    input 3 x 8 x 8\n    init conv: weight=xavier_normal\n    stem = conv(8, k=1)\n"
            "    body = stage(8)\n    \"head-1\" = conv(4, k=1)\n    let last = conv(4, k=1)\n"
            "    init layer last: bias=constant(0.5)\n    last\n")
    code = _init_code(text)
    assert ("        for m in self.body.modules():\n"
            "            if type(m) is nn.Conv2d:\n"
            "                nn.init.kaiming_uniform_(m.weight)\n") in code
    assert "        nn.init.xavier_normal_(self.stem.weight)\n" in code
    assert '        nn.init.xavier_normal_(self.get_submodule("head-1").weight)\n' in code
    assert code.endswith("        nn.init.constant_(self.last.bias, 0.5)")
    for seed in (0, 5):
        ours, theirs = both(text, tmp_path, seed)
        assert same_tensors(ours, theirs)


def test_a_model_without_rules_writes_no_init_code():
    source = specc.emit(ROOT / "specs" / "lenet.spec")
    assert "nn.init" not in source and "modules()" not in source


# ---------------------------------------------------------------- larger models, both back-ends


def test_every_statement_kind_with_rules_gives_identical_tensors(tmp_path):
    text = (ROOT / "tests" / "data" / "every_statement.spec").read_text(encoding="utf-8")
    for model in ("EveryStatement", "Deeper"):
        for seed in (0, 1, 2):
            ours, theirs = both(text, tmp_path, seed, model)
            assert same_tensors(ours, theirs), (model, seed)


def test_shared_blocks_and_sequentials_with_rules_give_identical_tensors(tmp_path):
    text = ("block tower(c):\n    init conv: weight=orthogonal, bias=uniform(-1, 1)\n    conv(c, k=3, p=1) -> batchnorm\n\n"
            "model M:\n    input 4 x 8 x 8\n    init batchnorm: weight=trunc_normal(std=0.1), bias=zeros\n"
            "    let t = tower(4)\n    t -> relu\n    add:\n        t\n        identity\n"
            "    sequential:\n        conv(4, k=1) -> batchnorm\n        init conv: weight=xavier_uniform\n"
            "        conv(4, k=1)\n    flatten -> linear(10)\n")
    for seed in (0, 9):
        ours, theirs = both(text, tmp_path, seed)
        assert same_tensors(ours, theirs)
    assert sum(1 for name, _ in ours.named_modules() if name.startswith("t.")) == 2  # one tower, applied twice


def test_torchvisions_resnet18_initialisation_in_two_lines_gives_torchvisions_tensors():
    """torchvision's ResNet runs, after making every layer, `kaiming_normal_(fan_out, relu)` on each conv
    and 1 and 0 on each batchnorm: the same two rules in the spec draw the same numbers for one seed.
    (torchvision makes a block's `downsample` before the block's convs, specc where it stands; every
    tensor they draw is drawn again by the loop, and the fc after them all, so the order cannot show.)
    """
    torchvision = pytest.importorskip("torchvision")
    text = (ROOT / "specs" / "torchvision" / "resnet18.spec").read_text(encoding="utf-8")
    text = text.replace("    input 3 x 224 x 224\n", "    input 3 x 224 x 224\n"
                        '    init conv: weight=kaiming_normal(mode="fan_out", nonlinearity="relu")\n'
                        "    init batchnorm: weight=ones, bias=zeros\n")
    torch.manual_seed(2024)
    theirs = torchvision.models.resnet18()
    torch.manual_seed(2024)
    ours = specc.build(text)
    assert same_tensors(ours, theirs)


# ---------------------------------------------------------------- YAML and fmt


def test_the_yaml_form_builds_the_same_statements():
    dsl = ("model M:\n    input 4\n    init linear: weight=normal(std=0.01), bias=zeros\n"
           "    init conv, linear: weight=xavier_uniform\n    init layer fc: weight=constant(42)\n    fc = linear(3)\n")
    yaml = ("models:\n  M:\n    input: [4]\n    layers:\n"
            "      - init: {linear: {weight: normal(std=0.01), bias: zeros}, 'conv, linear': {weight: xavier_uniform}}\n"
            "      - init:\n          layer fc: {weight: constant(42)}\n"
            "      - {name: fc, linear: 3}\n")
    one, two = parse_source(dsl, "m.spec"), parse_source(yaml, "m.yaml")
    assert structure(one) == structure(two)
    assert specc.fmt.format_text(dsl, "m.spec", to="yaml") == (
        "models:\n  M:\n    input: [4]\n    layers:\n"
        "      - init: {linear: {weight: normal(std=0.01), bias: zeros}}\n"
        "      - init: {'conv, linear': {weight: xavier_uniform}}\n"
        "      - init: {layer fc: {weight: constant(42)}}\n"
        "      - {name: fc, linear: 3}\n")


# ---------------------------------------------------------------- mistakes


@pytest.mark.parametrize("statement, code", [
    ("init lineer: weight=zeros", "E0201"),
    ("init relu: weight=zeros", "E0241"),
    ("init stem: weight=zeros", "E0219"),
    ("init linear, linear: weight=zeros", "E0206"),
    ("init linear: weights=zeros", "E0241"),
    ("init linear: weight=zeroes", "E0240"),
    ("init linear: weight=1", "E0240"),
    ("init linear: weight=zeros, weight=ones", "E0211"),
    ("init linear: weight=constant", "E0205"),
    ("init linear: weight=normal(0, 1, 2)", "E0204"),
    ("init linear: weight=normal(sd=1)", "E0202"),
    ("init linear: weight=normal(std=unknown)", "E0203"),
    ("init linear: bias=orthogonal", "E0242"),
    ("init batchnorm: weight=kaiming_uniform", "E0242"),
    ("init layer fc: wieght=zeros", "E0241"),
    ("init linear: zeros", "E0101"),
])
def test_static_mistakes(statement, code):
    text = f"block stem:\n    relu\n\nmodel M:\n    input 4\n    {statement}\n    fc = linear(3)\n"
    with pytest.raises(SpecError) as caught:
        specc.check(text)
    assert caught.value.code == code, caught.value.errors


@pytest.mark.parametrize("statement, code", [
    ('init linear: weight=kaiming_normal(mode="fan_ot")', "E0402"),
    ("init linear: weight=kaiming_normal(nonlinearity=1)", "E0401"),
    ("init linear: weight=normal(std=-1)", "E0402"),
    ("init linear: weight=trunc_normal(std=0)", "E0402"),
    ("init linear: weight=trunc_normal(a=1, b=1)", "E0402"),
    ("init linear: weight=uniform(1, 0)", "E0402"),
    ('init linear: weight=constant("x")', "E0401"),
    ("init linear: weight=xavier_uniform(gain=true)", "E0401"),
    ("init layer gc: weight=zeros", "E0203"),
    ("init layer fc: bias=zeros", "E0241"),
    ("init layer bn: weight=xavier_uniform", "E0242"),
    ("init layer pair: weight=zeros", "E0219"),
    ("init layernorm: weight=orthogonal", "E0242"),  # a layernorm's weight has `dims` dims: 1 here
])
def test_mistakes_found_when_the_values_are_known(statement, code):
    """Found by elaboration, which `specc check` runs on every model too."""
    text = (f"model M:\n    input 4\n    {statement}\n    fc = linear(3, bias=false)\n    bn = batchnorm\n"
            "    pair = linear(3) -> linear(3) -> layernorm\n")
    for command in (specc.shapes, specc.check):
        with pytest.raises(SpecError) as caught:
            command(text)
        assert caught.value.code == code, caught.value.errors


# ---------------------------------------------------------------- construction order


def _bundled_models():
    for path in sorted((ROOT / "specs").glob("**/*.spec")):
        module = parse_source(path.read_text(encoding="utf-8"), str(path))
        for definition in module.models:
            yield pytest.param(path, definition.name, id=f"{path.relative_to(ROOT / 'specs')}-{definition.name}")


@pytest.mark.parametrize("path, model", list(_bundled_models()))
def test_both_backends_make_the_layers_in_one_order(path, model, tmp_path):
    """Without rules, every tensor is torch's default draw, made in construction order: one seed gives
    identical tensors only if both back-ends make the layers in the same order (block classes, shared
    layers assigned with `:=` where they first stand, nested Sequentials)."""
    graph = specc.shapes(path, model=model)
    if graph.total_params > 15_000_000:
        pytest.skip("large: the small models cover the same code paths")
    ours, theirs = both(path.read_text(encoding="utf-8"), tmp_path, 123, model)
    assert same_tensors(ours, theirs)
