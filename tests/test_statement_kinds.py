"""Every statement kind is handled everywhere: the checklist a new statement kind hands its author.

A statement kind is a class in the `Stmt` union of `specc/syntax/ast.py`.
Adding one means: the grammar rule and its tree-builder method (the DSL
front-end), a YAML form (`yaml.SURFACE_KINDS` and a `build_<kind>`), and a
`visit_<kind>` in every `StatementVisitor`: checking, elaboration, the DSL
printer and the YAML writer. The tests below name whatever is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import specc
from specc import check, elaborate  # noqa: F401 - imported so that their visitors register
from specc.fmt import format_text, structure
from specc.syntax import ast, to_yaml, unparse, yaml  # noqa: F401
from specc.syntax.frontend import parse_source
from specc.syntax.visit import STATEMENT_KINDS, VISITORS, missing_handlers

EVERY_STATEMENT = Path(__file__).resolve().parent / "data" / "every_statement.spec"

# The visitors the pipeline and `specc fmt` rely on: each must cover every kind.
REQUIRED_VISITORS = {
    "specc.check._BodyChecker", "specc.elaborate._Elaborator",
    "specc.syntax.unparse._Printer", "specc.syntax.to_yaml._YamlWriter",
}


def test_statement_kinds_come_from_the_ast():
    assert set(STATEMENT_KINDS) == {"input", "let", "chain", "combine", "seq", "repeat", "for", "if", "named",
                                    "default", "output", "init"}


def test_the_stages_dispatch_through_statement_visitors():
    registered = {f"{v.__module__}.{v.__qualname__}" for v in VISITORS}
    assert REQUIRED_VISITORS <= registered


@pytest.mark.parametrize("visitor", VISITORS, ids=lambda v: f"{v.__module__}.{v.__qualname__}")
def test_every_visitor_handles_every_statement_kind(visitor):
    assert missing_handlers(visitor) == [], f"{visitor.__qualname__} lacks visit_<kind> for these"


def test_the_yaml_front_end_builds_every_statement_kind():
    built = set(yaml.SURFACE_KINDS.values()) | {"named"}  # `name:` beside any nameable form
    assert built == set(STATEMENT_KINDS)
    for kind in set(yaml.SURFACE_KINDS.values()):
        assert hasattr(yaml._Builder, f"build_{kind}"), kind  # noqa: SLF001


def _kinds(body) -> set[str]:
    found = set()
    for stmt in body:
        found.add(stmt.kind)
        for inner in _inner_bodies(stmt):
            found |= _kinds(inner)
    return found


def _inner_bodies(stmt):
    if stmt.kind == "named":
        return [[stmt.stmt]]
    if stmt.kind == "if":
        return [b.body for b in stmt.branches] + ([stmt.orelse] if stmt.orelse else [])
    return [stmt.body] if hasattr(stmt, "body") else []


def test_the_sample_holds_every_kind_and_both_front_ends_read_it_alike():
    text = EVERY_STATEMENT.read_text(encoding="utf-8")
    module = parse_source(text, str(EVERY_STATEMENT))
    kinds = set()
    for definition in [*module.blocks, *module.models]:
        kinds |= _kinds(definition.body)
    assert kinds == set(STATEMENT_KINDS)
    as_yaml = format_text(text, str(EVERY_STATEMENT), to="yaml")
    again = parse_source(as_yaml, "every_statement.yaml")
    assert structure(again) == structure(module)
    assert format_text(as_yaml, "every_statement.yaml", to="spec") == format_text(text, str(EVERY_STATEMENT))


def test_the_sample_checks_and_elaborates_as_torch_runs_it():
    torch = pytest.importorskip("torch")
    graph = specc.shapes(EVERY_STATEMENT)
    net = specc.build(EVERY_STATEMENT)
    out = net(torch.zeros(2, *graph.input[1:]))["logits"]  # its `output {"logits": logits}`
    assert tuple(out.shape) == (2, *graph.output[1:])
