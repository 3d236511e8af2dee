"""The YAML front-end: the same AST and the same results as the DSL, and located, safe errors.

- every spec in specs/ converts to YAML and back with an equal AST (spans aside),
  and its YAML form gives the same `specc shapes --json`;
- every form of the YAML surface syntax gives the AST of its DSL counterpart;
- random ASTs survive DSL -> YAML -> AST (hypothesis);
- golden diagnostics: `python -m specc check tests/yaml_diagnostics/X.yaml`
  must print X.txt on stderr (SPECC_UPDATE_GOLDEN=1 rewrites the .txt files).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from ast_strategies import modules
from specc import cli
from specc.diagnostics import SpecError
from specc.fmt import structure
from specc.syntax import ast
from specc.syntax.parse import parse_text
from specc.syntax.to_yaml import to_yaml
from specc.syntax.unparse import unparse
from specc.syntax.yaml import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("**/*.spec"))
LIBRARY = ROOT / "specc" / "lib" / "d2l.spec"
GOLDEN = Path(__file__).resolve().parent / "yaml_diagnostics"
UPDATE = os.environ.get("SPECC_UPDATE_GOLDEN") == "1"


def dsl(text: str) -> ast.Module:
    return parse_text(text, "t.spec")


def yml(text: str) -> ast.Module:
    return parse_yaml(text, "t.yaml")


def assert_valid(module: ast.Module) -> None:
    """The YAML front-end builds nodes without validation, as the DSL's does: check they would pass it."""
    ast.Module.model_validate(module.model_dump())


# ---------------------------------------------------------------- the specs of the repository


@pytest.mark.parametrize("path", SPECS + [LIBRARY], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_round_trips_through_yaml(path):
    text = path.read_text()
    module = parse_text(text, str(path))
    back = parse_yaml(to_yaml(module, text), str(path.with_suffix(".yaml")))
    assert_valid(back)
    assert structure(back) == structure(module)
    assert structure(parse_text(unparse(back), str(path))) == structure(module)


def _shapes_json(path: Path, capsys) -> dict:
    assert cli.main(["shapes", str(path), "--json"]) == 0
    return _without_locations(json.loads(capsys.readouterr().out))


def _without_locations(data):
    """Source locations differ between the two forms by design; everything else must not."""
    if isinstance(data, dict):
        return {k: _without_locations(v) for k, v in data.items() if k not in ("file", "line", "column")}
    if isinstance(data, list):
        return [_without_locations(v) for v in data]
    return data


def _require_shapes():
    if "shapes" not in cli.build_parser()._subparsers._group_actions[0].choices:  # noqa: SLF001
        pytest.skip("`specc shapes` is not available yet")


def test_yaml_form_gives_the_same_shapes(tmp_path, capsys):
    _require_shapes()
    copy = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", copy)
    assert SPECS, "no specs found"
    for spec in sorted(copy.glob("**/*.spec")):
        yaml_path = spec.with_suffix(".yaml")
        yaml_path.write_text(to_yaml(parse_text(spec.read_text(), str(spec)), spec.read_text()))
        assert _shapes_json(yaml_path, capsys) == _shapes_json(spec, capsys), spec.name


@pytest.mark.parametrize("name", ["alexnet", "resnet18"])
def test_hand_written_yaml_specs_match_the_dsl(name, capsys):
    _require_shapes()
    yaml_path, spec = ROOT / "specs" / "yaml" / f"{name}.yaml", ROOT / "specs" / f"{name}.spec"
    assert _shapes_json(yaml_path, capsys) == _shapes_json(spec, capsys)


def test_hand_written_alexnet_is_the_dsl_alexnet():
    spec = ROOT / "specs" / "alexnet.spec"
    yaml_path = ROOT / "specs" / "yaml" / "alexnet.yaml"
    assert structure(parse_yaml(yaml_path.read_text(), str(yaml_path))) == \
        structure(parse_text(spec.read_text(), str(spec)))


# ---------------------------------------------------------------- each form of the surface syntax

EQUIVALENT = [
    # a bare op, a call with each shape of arguments, chains
    ("- relu", "relu"),
    ("- relu: []", "relu()"),
    ("- relu:", "relu"),
    ("- linear: 10", "linear(10)"),
    ("- maxpool: {k: 2, s: 2}", "maxpool(k=2, s=2)"),
    ("- conv: [64, {k: 3, p: 1}]", "conv(64, k=3, p=1)"),
    ("- my_block: [[1, 2]]", "my_block([1, 2])"),
    ("- [conv: [6, {k: 5}], sigmoid, avgpool: {k: 2}]", "conv(6, k=5) -> sigmoid -> avgpool(k=2)"),
    ("- conv(6, k=5) -> sigmoid", "conv(6, k=5) -> sigmoid"),
    ("- chain: [conv: 6, relu]", "conv(6) -> relu"),
    ("- chain: conv(6) -> relu", "conv(6) -> relu"),
    ("- chain:\n    - conv: 6\n    - relu", "conv(6) -> relu"),
    ("- conv(c, k=1) if use else identity", "conv(c, k=1) if use else identity"),
    ("- ['conv(c) if a else identity', relu]", "(conv(c) if a else identity) -> relu"),
    # expressions: native scalars and lists, strings of DSL
    ("- conv: [-1, {p: -0.5}]", "conv(-1, p=-0.5)"),
    ("- conv: [in.c // 2, {k: '(1, 7)', p: '\"same\"'}]", 'conv(in.c // 2, k=(1, 7), p="same")'),
    ("- dropout: 1e-3", "dropout(1e-3)"),
    ("- b: [true, false, [1, 2.5], 'c2[0]']", "b(true, false, [1, 2.5], c2[0])"),
    ("- b: '2024-01-01'", 'b(2024 - 01 - 01)'),
    # names
    ("- {name: fc, linear: 10}", "fc = linear(10)"),
    ("- {name: bn, chain: batchnorm}", "bn = batchnorm"),
    ("- {name: bn, batchnorm: }", "bn = batchnorm"),
    ("- bn = batchnorm -> relu", "bn = batchnorm -> relu"),
    ("- name: stem\n  seq: [relu, flatten]", "stem = seq:\n        relu\n        flatten"),
    # statements
    ("- input: [1, 28, 28]", "input 1 x 28 x 28"),
    ("- input: 1 x 28 x 28", "input 1 x 28 x 28"),
    ("- input 1 x 28 x 28", "input 1 x 28 x 28"),
    ("- let: {a: 1, b: a * 2}", "let a = 1\n    let b = a * 2"),
    ("- let a = 1", "let a = 1"),
    ("- concat: [relu, [conv: 1, relu]]", "concat:\n        relu\n        conv(1) -> relu"),
    ("- {name: res, add: [identity, relu]}", "res = add:\n        identity\n        relu"),
    ("- repeat: n - 1\n  do: [relu]", "repeat n - 1:\n        relu"),
    ("- {name: body, repeat: 2, do: [relu]}", "body = repeat 2:\n        relu"),
    ("- for: i, n\n  in: enumerate(convs)\n  do: [relu]", "for i, n in enumerate(convs):\n        relu"),
    ("- for: [i, n]\n  in: arch\n  do: [relu]", "for (i, n) in arch:\n        relu"),
    ("- if: a\n  then: [relu]", "if a:\n        relu"),
    ("- if: a == 1\n  then: [relu]\n  elif: [{if: b, then: [sigmoid]}, {if: c, then: [tanh]}]\n  else: [identity]",
     "if a == 1:\n        relu\n    elif b:\n        sigmoid\n    elif c:\n        tanh\n    else:\n        identity"),
]


@pytest.mark.parametrize("yaml_body, dsl_body", EQUIVALENT, ids=[e[1].split("\n")[0] for e in EQUIVALENT])
def test_yaml_forms_give_the_dsl_ast(yaml_body, dsl_body):
    yaml_text = "models:\n  M:\n    layers:\n" + "".join(f"      {line}\n" for line in yaml_body.split("\n"))
    module = yml(yaml_text)
    assert_valid(module)
    assert structure(module) == structure(dsl(f"model M:\n    {dsl_body}\n"))


def test_definitions_params_input_and_use():
    yaml_text = """\
use: [d2l, blocks.spec, {path: lib}]
blocks:
  b: [relu]
  c:
    params: [channels, {stride: 1}]
    layers: [relu]
models:
  M:
    params: {classes: 10, arch: '[(1, 64)]', unset: null}
    input: [1, 28, 28]
    layers: [relu]
"""
    dsl_text = """\
use d2l
use "blocks.spec"
use "lib"
block b():
    relu
block c(channels, stride=1):
    relu
model M(classes=10, arch=[(1, 64)], unset):
    input 1 x 28 x 28
    relu
"""
    assert structure(yml(yaml_text)) == structure(dsl(dsl_text))


def test_spans_point_into_the_yaml_file():
    module = yml("models:\n  M:\n    layers:\n      - conv: [64 // r, {k: '(1, 7)'}]\n")
    call = module.models[0].body[0].items[0]
    assert (call.name_span.line, call.name_span.column) == (4, 9)
    division = call.args[0]
    assert (division.span.line, division.span.column, division.span.end_column) == (4, 16, 23)
    assert (division.right.span.column, division.right.span.end_column) == (4 + 18, 23)
    pair = call.kwargs[0].value
    assert (pair.span.column, pair.span.end_column) == (30, 36)  # inside the quotes


def test_libyaml_and_pure_python_yaml_give_the_same_ast(monkeypatch):
    import specc.syntax.yaml as front_end

    text = (ROOT / "specs" / "yaml" / "resnet18.yaml").read_text()
    fast = parse_yaml(text, "r.yaml")
    monkeypatch.setattr(front_end, "_FastLoader", front_end._Loader)  # noqa: SLF001
    assert parse_yaml(text, "r.yaml").model_dump() == fast.model_dump()  # spans included


# ---------------------------------------------------------------- random ASTs


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(modules)
def test_random_asts_survive_yaml(module):
    text = to_yaml(module)
    back = parse_yaml(text, "random.yaml")
    assert structure(back) == structure(module), text
    assert to_yaml(back, text) == text


# ---------------------------------------------------------------- safety


def test_python_tags_are_never_run(tmp_path):
    marker = tmp_path / "pwned"
    text = f"models:\n  M:\n    layers:\n      - !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(SpecError) as caught:
        yml(text)
    assert caught.value.code == "E0605"
    assert not marker.exists()


def test_aliases_cannot_expand_without_bound():
    lines = ["a0: &a0 [relu, relu, relu, relu, relu, relu, relu, relu, relu, relu]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
              for i in range(1, 9)]
    with pytest.raises(SpecError) as caught:
        yml("\n".join(lines) + "\nmodels: {M: {layers: [relu]}}\n")
    assert caught.value.code == "E0405"


def test_independent_errors_are_reported_together():
    with pytest.raises(SpecError) as caught:
        yml("models:\n  M:\n    layers:\n      - 1\n      - {repeat: 2}\n      - conv(\n    extra: 1\n")
    codes = [e.code for e in caught.value.errors]
    assert codes == ["E0604", "E0606", "E0602"]


def test_converting_a_file_with_a_duplicate_definition_is_an_error():
    with pytest.raises(SpecError) as caught:
        to_yaml(dsl("model M:\n    relu\nmodel M:\n    relu\n"))
    assert caught.value.code == "E0206"


# ---------------------------------------------------------------- golden diagnostics

CASES = sorted(p.stem for p in GOLDEN.glob("*.yaml"))


@pytest.fixture(scope="module")
def checked() -> dict:
    """Every case checked by the command line, as a user runs it; in parallel, to keep the suite quick."""
    def run(case: str):
        return subprocess.run([sys.executable, "-m", "specc", "check", f"{case}.yaml"], cwd=GOLDEN,
                              capture_output=True, text=True, timeout=60)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(CASES, pool.map(run, CASES)))


@pytest.mark.parametrize("case", CASES)
def test_golden_yaml_diagnostic(case, checked):
    result = checked[case]
    expected = GOLDEN / f"{case}.txt"
    assert result.returncode == 1, result.stderr
    if UPDATE or not expected.exists():
        expected.write_text(result.stderr)
    assert result.stderr == expected.read_text()


def test_golden_cases_cover_the_yaml_codes():
    from specc.diagnostics import CODES

    seen = {line.split("]")[0].split("[")[1] for case in CASES
            for line in (GOLDEN / f"{case}.txt").read_text().splitlines() if line.startswith("error[")}
    assert {code for code in CODES if code.startswith("E06")} <= seen
