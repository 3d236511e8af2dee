"""The comforts writing torchvision's models showed missing, and two bugs found on the way (issue 15).

- a block without parameters is declared without `()`: `block stem:`;
- slices in expressions, as Python's: `cfg[1:]`, `cfg[::2]`;
- nested unpacking in `for`: `for i, (w, d) in enumerate(zip(widths, depths)):`;
- op defaults for a body and the blocks it calls: `default batchnorm(momentum=0.0003)`;
- derived models: `model ResNeXt50_32x4d = ResNet50(groups=32, width_per_group=4)`;
- `specc build` of a block argument that holds strings (VGG's `[64, "M", 128, "M"]`).

Each is read by both front-ends to the same AST; `fmt` round-trips them
(tests/test_fmt.py draws them at random through `ast_strategies`), and the
diagnostics are pinned in tests/diagnostics and tests/shape_diagnostics.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import specc
from specc import cli
from specc.diagnostics import SpecError
from specc.expr import Env, evaluate
from specc.fmt import format_text, structure
from specc.ir import walk
from specc.syntax.frontend import parse_source
from specc.syntax.parse import parse_expression

ROOT = Path(__file__).resolve().parent.parent
RESNET50 = ROOT / "specs" / "torchvision" / "resnet50.spec"


def same_ast(dsl: str, yaml: str) -> None:
    assert structure(parse_source(yaml, "t.yaml")) == structure(parse_source(dsl, "t.spec"))


def layers(source: str, **options) -> list:
    """(op, args) of every layer of a spec's model, in order."""
    graph = specc.shapes(source, **options)
    return [(row.node.op, row.node.args) for row in walk(graph.body) if row.node.kind == "layer"]


def error_of(source: str, **options) -> SpecError:
    with pytest.raises(SpecError) as caught:
        specc.shapes(source, **options)
    return caught.value.errors[0]


# ---------------------------------------------------------------- blocks without parameters


STEM = "block stem:\n    conv(8, k=3) -> relu\n\nmodel M:\n    input 3 x 8 x 8\n    stem\n"


def test_a_block_without_parameters_needs_no_brackets():
    assert structure(parse_source(STEM, "a.spec")) == structure(parse_source(STEM.replace("stem:", "stem():", 1),
                                                                             "b.spec"))
    assert format_text(STEM.replace("stem:", "stem():", 1), "m.spec") == STEM
    assert format_text(format_text(STEM, "m.spec", to="yaml"), "m.yaml", to="spec") == STEM
    assert specc.shapes(STEM).output == ("N", 8, 6, 6)


# ---------------------------------------------------------------- slices


VALUES = {"cfg": [64, "M", 128, "M", 256], "t": (1, 2, 3, 4), "s": "abcdef", "a": 1, "b": -1, "c": 2}


@pytest.mark.parametrize("text", [
    "cfg[1:]", "cfg[:-1]", "cfg[::2]", "cfg[1:4:2]", "cfg[::-1]", "cfg[-2:]", "cfg[:]", "cfg[a:b:c]",
    "t[1:]", "t[::-2]", "s[1:3]", "s[::-1]", "cfg[10:]", "cfg[-10:2]", "[1, 2, 3][1:][0]", "len(cfg[::2])",
    "cfg[a if a else b:]",
])
def test_slices_are_pythons(text):
    assert evaluate(parse_expression(text, "e.spec"), Env(dict(VALUES))) == eval(text, {}, dict(VALUES))  # noqa: S307


@given(st.lists(st.integers(), max_size=8), st.none() | st.integers(-10, 10), st.none() | st.integers(-10, 10),
       st.none() | st.integers(-4, 4).filter(bool))
def test_random_slices_are_pythons(items, lower, upper, step):
    bounds = ["" if b is None else str(b) for b in (lower, upper, step)]
    text = f"xs[{bounds[0]}:{bounds[1]}:{bounds[2]}]"
    assert evaluate(parse_expression(text, "e.spec"), Env({"xs": items})) == items[lower:upper:step]


@pytest.mark.parametrize("text, code, wanted", [
    ("cfg[::0]", "E0402", "expected a slice step other than 0, found 0"),
    ("cfg[1.5:]", "E0401", "expected an int for a slice bound"),
    ("a[1:]", "E0401", "expected a list, tuple or string to slice, found an int"),
])
def test_slice_mistakes_are_located(text, code, wanted):
    with pytest.raises(SpecError) as caught:
        evaluate(parse_expression(text, "e.spec"), Env(dict(VALUES)))
    assert caught.value.code == code and wanted in caught.value.message


def test_slices_in_yaml_expression_strings():
    dsl = "model M(widths=[8, 16, 32]):\n    input 3 x 8 x 8\n    for w in widths[1:]:\n        conv(w, k=1)\n"
    yaml = ("models:\n  M:\n    params: {widths: [8, 16, 32]}\n    input: [3, 8, 8]\n    layers:\n"
            "      - for: w\n        in: 'widths[1:]'\n        do:\n          - conv: [w, {k: 1}]\n")
    same_ast(dsl, yaml)
    assert [args["channels"] for _, args in layers(dsl)] == [16, 32]


@pytest.mark.parametrize("source, canonical", [
    ("x[ 1 : ]", "x[1:]"), ("x[:: 2]", "x[::2]"), ("x[a:b:c]", "x[a:b:c]"), ("x[::]", "x[:]"), ("x[1:2:]", "x[1:2]"),
    ("(a + b)[1:]", "(a + b)[1:]"), ("x[1:][0]", "x[1:][0]"), ("x[-1:]", "x[-1:]"),
])
def test_slices_print_canonically(source, canonical):
    text = f"model M:\n    let v = {source}\n"
    assert format_text(text, "s.spec") == f"model M:\n    let v = {canonical}\n"


# ---------------------------------------------------------------- nested unpacking


NESTED = """\
model M(widths=[8, 16], depths=[1, 2]):
    input 3 x 8 x 8
    for i, (w, d) in enumerate(zip(widths, depths)):
        repeat d:
            conv(w + i, k=1)
"""


def test_nested_unpacking_in_for():
    assert [args["channels"] for _, args in layers(NESTED)] == [8, 17, 17]


def test_nested_unpacking_in_yaml():
    yaml = ("models:\n  M:\n    params: {widths: [8, 16], depths: [1, 2]}\n    input: [3, 8, 8]\n    layers:\n"
            "      - for: [i, [w, d]]\n        in: enumerate(zip(widths, depths))\n        do:\n"
            "          - repeat: d\n            do:\n              - conv: [w + i, {k: 1}]\n")
    same_ast(NESTED, yaml)
    assert format_text(NESTED, "n.spec", to="yaml") == format_text(yaml, "n.yaml")
    assert format_text(yaml, "n.yaml", to="spec") == NESTED


@pytest.mark.parametrize("targets, items, channels", [
    ("(a, b)", "[(1, 2), (3, 4)]", [3, 7]),  # the same loop as `for a, b in`
    ("(a,), b", "[((1,), 2)]", [3]),  # a group of one unpacks an item of one
    ("(a), b", "[(1, 2)]", [3]),  # brackets around one name are only brackets
    ("a, ((b, c), d)", "[(1, ((20, 300), 4000))]", [4321]),
])
def test_python_unpacking_rules(targets, items, channels):
    total = " + ".join(sorted(set("abcd") & set(targets)))
    text = f"model M:\n    input 3 x 8 x 8\n    for {targets} in {items}:\n        conv({total}, k=1)\n"
    assert [args["channels"] for _, args in layers(text)] == channels


def test_a_lone_group_is_the_plain_targets():
    plain = parse_source("model M:\n    for a, b in x:\n        relu\n", "a.spec")
    grouped = parse_source("model M:\n    for (a, b) in x:\n        relu\n", "b.spec")
    assert structure(plain) == structure(grouped)


def test_an_unpacking_mismatch_names_the_group_and_the_item():
    error = error_of(NESTED.replace("zip(widths, depths)", "[(8, 1), (16, 2, 3)]"))
    assert error.code == "E0218"
    assert error.message == "expected 2 values to unpack into (w, d), found 3 in (16, 2, 3)"


def test_a_name_twice_among_the_targets():
    with pytest.raises(SpecError) as caught:
        specc.check(NESTED.replace("(w, d)", "(w, i)"))
    assert caught.value.errors[0].code == "E0206"


# ---------------------------------------------------------------- op defaults


def momenta(source: str, **options) -> list:
    return [args["momentum"] for op, args in layers(source, **options) if op == "batchnorm"]


SCOPES = """\
block b:
    batchnorm

model M:
    input 8 x 4 x 4
    batchnorm
    default batchnorm(momentum=0.2)
    batchnorm
    b
    seq:
        default batchnorm(momentum=0.5)
        batchnorm
        b
        batchnorm(momentum=0.9)
    b
    batchnorm
"""


def test_a_default_applies_from_where_it_stands_to_the_end_of_its_body_and_into_called_blocks():
    # before it; after it, itself and through a block; inside `seq` the inner one, and a call's own argument;
    # after `seq`, the outer one again
    assert momenta(SCOPES) == [0.1, 0.2, 0.2, 0.5, 0.5, 0.9, 0.2, 0.2]


def test_identical_block_calls_under_other_defaults_are_elaborated_apart():
    """The block-body cache is keyed by the defaults in force: `b` under 0.2 and under 0.5 differ."""
    graph = specc.shapes(SCOPES)
    modules = [row.node for row in walk(graph.body) if row.node.kind == "module"]
    assert len(modules) == 3
    assert [m.body[0].args["momentum"] for m in modules] == [0.2, 0.5, 0.2]


def test_inner_defaults_override_outer_ones_argument_by_argument():
    text = ("model M:\n    input 8 x 4 x 4\n    default batchnorm(momentum=0.2, eps=0.01)\n    seq:\n"
            "        default batchnorm(eps=0.5)\n        batchnorm\n")
    [(_, args)] = layers(text)
    assert (args["momentum"], args["eps"]) == (0.2, 0.5)


def test_a_model_default_reaches_the_library_blocks_it_calls():
    text = ("use d2l\n\nmodel M:\n    input 3 x 32 x 32\n    default batchnorm(momentum=0.0003, eps=0.001)\n"
            "    residual(16, use_1x1conv=true)\n")
    norms = [(args["momentum"], args["eps"]) for op, args in layers(text) if op == "batchnorm"]
    assert norms == [(0.0003, 0.001)] * 2


def test_defaults_take_aliases_and_values_of_the_body():
    text = ("model M(s=2):\n    input 3 x 32 x 32\n    default conv(s=s, p=in.h // 32)\n"
            "    conv(8, k=3)\n    conv(8, k=3, stride=1)\n")
    [(_, first), (_, second)] = layers(text)
    assert (first["stride"], first["padding"]) == ((2, 2), (1, 1))
    assert second["stride"] == (1, 1)
    assert [args["stride"] for _, args in layers(text, overrides={"s": 4})][0] == (4, 4)


def test_a_default_is_no_branch_of_a_combinator():
    text = ("model M:\n    input 8 x 4 x 4\n    concat:\n        default conv(bias=false)\n"
            "        conv(4, k=1)\n        conv(4, k=1)\n")
    graph = specc.shapes(text)
    assert graph.output == ("N", 8, 4, 4)
    assert [args["bias"] for _, args in layers(text)] == [False, False]


def test_defaults_in_yaml():
    dsl = ("model M:\n    input 8 x 4 x 4\n    default batchnorm(momentum=0.0003)\n"
           "    default dropout(p=0.2)\n    batchnorm\n")
    yaml = ("models:\n  M:\n    input: [8, 4, 4]\n    layers:\n"
            "      - default: {batchnorm: {momentum: 0.0003}, dropout: {p: 0.2}}\n      - batchnorm\n")
    same_ast(dsl, yaml)
    same_ast(dsl, yaml.replace("      - default: {batchnorm: {momentum: 0.0003}, dropout: {p: 0.2}}\n",
                               "      - default batchnorm(momentum=0.0003)\n      - 'default dropout(p=0.2)'\n"))


@pytest.mark.parametrize("statement, code", [
    ("default batchnrom(momentum=0.1)", "E0201"),
    ("default batchnorm(momentun=0.1)", "E0202"),
    ("default conv(k=3)", "E0232"),
    ("default batchnorm(eps=0.1, eps=0.2)", "E0211"),
    ("default batchnorm(momentum=unknown)", "E0203"),
    ("default stem(c=1)", "E0219"),
])
def test_default_mistakes_are_found_by_check(statement, code):
    text = f"block stem(c=1):\n    relu\n\nmodel M:\n    input 8 x 4 x 4\n    {statement}\n    batchnorm\n"
    with pytest.raises(SpecError) as caught:
        specc.check(text)
    assert caught.value.errors[0].code == code


def test_a_default_before_input_is_fine_and_input_stays_first():
    specc.check("model M:\n    default batchnorm(momentum=0.1)\n    input 8 x 4 x 4\n    batchnorm\n")


def test_defaults_reach_both_back_ends(tmp_path):
    torch = pytest.importorskip("torch")
    text = ("block b:\n    conv(8, k=3, p=1) -> batchnorm -> relu\n\nmodel M:\n    input 3 x 8 x 8\n"
            "    default batchnorm(momentum=0.0003, eps=0.001)\n    default conv(bias=false)\n    b\n    b\n")
    model = specc.build(text)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert [(m.momentum, m.eps) for m in norms] == [(0.0003, 0.001)] * 2
    assert all(m.bias is None for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    source = specc.emit(text)
    assert "momentum=0.0003" in source and "bias=False" in source


# ---------------------------------------------------------------- derived models


DERIVED = """\
model Net(classes=10, width=8, depth=1):
    input 3 x 8 x 8
    repeat depth:
        conv(width, k=3, p=1) -> relu
    global_avgpool -> flatten -> linear(classes)

model Wide = Net(width=32)

model WideDeep = Wide(classes=20, depth=width // 16)
"""


def test_a_derived_model_is_its_base_with_other_defaults():
    graph = specc.shapes(DERIVED, model="Wide")
    assert graph.model == "Wide" and graph.output == ("N", 10)
    assert [a["channels"] for op, a in layers(DERIVED, model="Wide") if op == "conv"] == [32]
    assert specc.shapes(DERIVED, model="Net").output == ("N", 10)


def test_a_derived_model_may_extend_a_derived_one_and_see_earlier_parameters():
    graph = specc.shapes(DERIVED)  # the last model: WideDeep
    assert graph.model == "WideDeep" and graph.output == ("N", 20)
    assert [a["channels"] for op, a in layers(DERIVED) if op == "conv"] == [32, 32]


def test_set_works_on_a_derived_model(tmp_path, capsys):
    spec = tmp_path / "net.spec"
    spec.write_text(DERIVED)
    assert cli.main(["shapes", str(spec), "--model", "Wide", "--set", "classes=3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Wide: input [N, 3, 8, 8] -> output [N, 3]")
    with pytest.raises(SpecError) as caught:
        specc.shapes(DERIVED, model="Wide", overrides={"width": "wide"})
    assert caught.value.code == "E0501"


def test_a_derived_model_may_extend_a_model_of_a_used_file(tmp_path):
    (tmp_path / "base.spec").write_text(DERIVED)
    spec = tmp_path / "mine.spec"
    spec.write_text('use "base.spec"\n\nmodel Tiny = Net(width=2)\n')
    assert specc.shapes(spec).model == "Tiny"
    assert [a["channels"] for op, a in layers(spec) if op == "conv"] == [2]


def test_derived_models_in_yaml():
    yaml = ("models:\n  Net:\n    params: {classes: 10, width: 8, depth: 1}\n    input: [3, 8, 8]\n    layers:\n"
            "      - repeat: depth\n        do:\n          - [conv: [width, {k: 3, p: 1}], relu]\n"
            "      - [global_avgpool, flatten, linear: classes]\n\n"
            "  Wide:\n    extends: Net\n    params: {width: 32}\n\n"
            "  WideDeep:\n    extends: Wide\n    params: {classes: 20, depth: width // 16}\n")
    same_ast(DERIVED, yaml)
    assert format_text(DERIVED, "d.spec", to="yaml") == yaml
    assert format_text(yaml, "d.yaml", to="spec") == DERIVED


def test_a_derived_model_without_new_defaults_is_written_bare():
    text = "model Net:\n    input 3 x 8 x 8\n    relu\n\nmodel Same = Net\n"
    assert format_text(text.replace("= Net\n", "= Net()\n"), "s.spec") == text
    assert specc.shapes(text).model == "Same"


@pytest.mark.parametrize("line, code", [
    ("model Bad = Nte(width=2)", "E0230"),
    ("model Bad = Net(widht=2)", "E0202"),
    ("model Bad = Net(width=2, width=3)", "E0211"),
    ("model Bad = Net(width=nothing)", "E0203"),
    ("model Bad = Bad(width=2)", "E0231"),
    ("model Bad = Net(2)", "E0101"),
    ("model nn = Net(width=2)", "E0208"),
])
def test_derived_model_mistakes(line, code):
    with pytest.raises(SpecError) as caught:
        specc.check(DERIVED + "\n" + line + "\n")
    assert caught.value.errors[0].code == code


def test_the_model_class_and_the_generated_file_take_the_derived_name(tmp_path):
    pytest.importorskip("torch")
    model = specc.build(DERIVED, model="Wide")
    assert type(model).__name__ == "Wide"
    assert "\nclass Wide(nn." in specc.emit(DERIVED, model="Wide")


def randomise_norms(model, seed: int) -> None:
    import torch

    generator = torch.Generator().manual_seed(seed)
    for layer in model.modules():
        if isinstance(layer, torch.nn.BatchNorm2d):
            layer.running_mean.copy_(torch.randn(layer.running_mean.shape, generator=generator))
            layer.running_var.copy_(torch.rand(layer.running_var.shape, generator=generator) + 0.5)


@pytest.mark.parametrize("model, constructor", [("ResNeXt50_32x4d", "resnext50_32x4d"),
                                                ("WideResNet50_2", "wide_resnet50_2")])
def test_resnext_and_wide_resnet_are_resnet50_with_two_defaults_changed(model, constructor):
    """torchvision's own models load into the derived models exactly and compute the same."""
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    theirs = getattr(torchvision.models, constructor)().eval()
    randomise_norms(theirs, 3)
    ours = specc.build(RESNET50, model=model).eval()
    assert type(ours).__name__ == model
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-4, rtol=0)


def test_shapes_of_a_derived_model_on_the_command_line():
    done = subprocess.run([sys.executable, "-m", "specc", "shapes", str(RESNET50), "--model", "ResNeXt50_32x4d"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ResNeXt50_32x4d: input [N, 3, 224, 224] -> output [N, 1000]")
    assert "25,028,904" in done.stdout  # torchvision's resnext50_32x4d parameter count


# ---------------------------------------------------------------- a block argument holding strings (VGG)


VGG = """\
# VGG from a configuration: numbers are convolutions, "M" a pool.
block vgg_features(cfg):
    for v in cfg:
        if v == "M":
            maxpool(k=2, s=2)
        else:
            conv(v, k=3, p=1) -> batchnorm -> relu

model VGG(cfg=[8, "M", 16, "M", 32, 32, "M"], classes=10):
    input 3 x 32 x 32
    features = vgg_features(cfg)
    vgg_features([32, "M"])
    vgg_features([16, "M"])
    flatten
    linear(64) -> relu -> dropout(0.5)
    linear(classes)
"""


def test_build_writes_a_block_whose_argument_holds_strings(tmp_path):
    """The strings never reach the file: the class takes no `cfg`, its numbers are folded per instance."""
    torch = pytest.importorskip("torch")
    spec, target = tmp_path / "vgg.spec", tmp_path / "vgg_generated.py"
    spec.write_text(VGG)
    done = subprocess.run([sys.executable, "-m", "specc", "build", str(spec), "-o", str(target)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    source = target.read_text(encoding="utf-8")
    assert '"M"' not in source and "cfg" not in source
    module_spec = importlib.util.spec_from_file_location("vgg_generated", target)
    generated = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(generated)
    theirs = generated.VGG().eval()
    ours = specc.build(spec).eval()
    randomise_norms(ours, 5)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(theirs(x), ours(x), atol=1e-5, rtol=0)
