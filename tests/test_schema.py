"""`specc schema`: a valid JSON Schema that accepts every YAML spec specc writes or reads, and rejects mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from ast_strategies import modules_calling
from specc import cli
from specc.fmt import format_text
from specc.schema import json_schema
from specc.syntax.to_yaml import to_yaml

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "docs" / "specc.schema.json"
SPECS = sorted((ROOT / "specs").glob("**/*.spec")) + [ROOT / "specc" / "lib" / "d2l.spec"]
YAML_SPECS = sorted((ROOT / "specs").glob("**/*.yaml")) + sorted((ROOT / "tests" / "yaml_diagnostics").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator, text: str) -> list[str]:
    return [e.message for e in validator.iter_errors(yaml.safe_load(text))]


def test_the_cli_prints_the_schema(capsys):
    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()


def test_the_shipped_schema_is_up_to_date():
    assert json.loads(SHIPPED.read_text()) == json_schema(), \
        "docs/specc.schema.json is stale: run `specc schema > docs/specc.schema.json`"


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_converted_specs_validate(validator, path):
    assert errors(validator, format_text(path.read_text(), str(path), to="yaml")) == []


@pytest.mark.parametrize("path", [p for p in YAML_SPECS if "yaml_diagnostics" not in str(p)],
                         ids=lambda p: p.name)
def test_hand_written_yaml_specs_validate(validator, path):
    assert errors(validator, path.read_text()) == []


@pytest.mark.parametrize("text", [
    "models: {M: {layerz: [relu]}}",                                   # unknown key
    "models: {M: {params: {classes: 10}}}",                            # no layers
    "models: {M: {layers: [{repeat: 3, dox: [relu]}]}}",               # misspelt key
    "models: {M: {layers: [{relu: null, conv: 3}]}}",                  # two ops in one mapping
    "models: {M: {layers: [{name: a}]}}",                              # a name and no op
    "models: {M: {layers: [{conv: {kk: 3}}]}}",                        # no such argument of conv
    "models: {M: {layers: [{relu: [1]}]}}",                            # relu takes no arguments
    "models: {M: {layers: [[relu, {repeat: 2, do: [relu]}]]}}",        # a statement inside a chain
    "models: {M: {layers: [42]}}",                                     # not a statement
    "models: {M: {layers: []}}",                                       # an empty body
    "models: {'bad name': {layers: [relu]}}",                          # not an identifier
    "models: {M: {layers: [{for: '1x', in: a, do: [relu]}]}}",         # not loop variables
])
def test_mistakes_are_rejected(validator, text):
    assert errors(validator, text)


def test_user_blocks_take_any_arguments(validator):
    assert errors(validator, "models: {M: {layers: [{my_block: [1, {anything: 2}]}, {name: b, other: 3}]}}") == []


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(modules_calling(["my_block", "on", "chain", "name", "Conv"]))
def test_schema_accepts_what_the_converter_writes(validator, module):
    # User blocks: the schema knows the arguments of the registry's ops, and flags wrong ones as `check` would.
    assert errors(validator, to_yaml(module)) == []
