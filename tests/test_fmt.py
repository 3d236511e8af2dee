"""`specc fmt`: canonical, idempotent, keeps every comment, converts both ways; the command's contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ast_strategies import decorated, modules
from specc import cli
from specc.fmt import comments_of, format_text, structure
from specc.syntax.frontend import parse_source
from specc.syntax.to_yaml import to_yaml
from specc.syntax import unparse as unparse_module
from specc.syntax.unparse import unparse, unparse_expr

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "specs").glob("**/*.spec")) + [ROOT / "specc" / "lib" / "d2l.spec"] + \
    sorted((ROOT / "specs").glob("**/*.yaml"))
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def comment_texts(text: str, name: str) -> list[str]:
    return sorted(c.text for c in comments_of(text, "yaml" if name.endswith(".yaml") else "spec"))


# ---------------------------------------------------------------- the specs of the repository


def test_the_bundled_specs_are_in_canonical_form():
    """What specc ships is what `specc fmt` writes: `fmt --check` over all of it, as a CI job would run it."""
    done = subprocess.run([sys.executable, "-m", "specc", "fmt", "--check", *map(str, FILES)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"0 files would be reformatted, {len(FILES)} unchanged" in done.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fmt_is_idempotent_and_keeps_comments(path):
    text, name = path.read_text(), str(path)
    once = format_text(text, name)
    assert format_text(once, name) == once
    assert comment_texts(once, name) == comment_texts(text, name)
    assert structure(parse_source(once, name)) == structure(parse_source(text, name))


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix == ".spec"], ids=lambda p: p.name)
def test_conversion_keeps_comments_and_comes_back(path):
    text, name = path.read_text(), str(path)
    as_yaml = format_text(text, name, to="yaml")
    assert comment_texts(as_yaml, "x.yaml") == comment_texts(text, name)
    assert format_text(as_yaml, name + ".yaml", to="spec") == format_text(text, name)


# ---------------------------------------------------------------- the canonical form

MESSY = """\
# header


use   d2l   # the library
# before block
block b(a,
        c=[1,  # inline one
           2]):
  conv(a, k = 3)->relu  # trailing
  # own line in body


  if a>1:
      relu
  # before else
  else :   # else trailing
      identity
model M :
  input 1x28x28
  for (i, n) in enumerate([1,2]):
    repeat n-(1-2):
      b(n, c=(1,)) if i==0 else identity
  let y = -2 ** -x[0] + (a if b else c) if not p and (q or r) else 'it\\'s'
# end of file
"""

CANONICAL = """\
# header

use d2l  # the library

# before block
block b(
    a,
    c=[1, 2],  # inline one
):
    conv(a, k=3) -> relu  # trailing
    # own line in body

    if a > 1:
        relu
    # before else
    else:  # else trailing
        identity

model M:
    input 1 x 28 x 28
    for i, n in enumerate([1, 2]):
        repeat n - (1 - 2):
            b(n, c=(1,)) if i == 0 else identity
    let y = -2 ** -x[0] + (a if b else c) if not p and (q or r) else "it's"
# end of file
"""


def test_canonical_form():
    assert format_text(MESSY, "messy.spec") == CANONICAL


def test_long_headers_put_one_parameter_per_line():
    params = ", ".join(f"parameter_{i}={i}" for i in range(8))
    out = format_text(f"model M({params}):  # note\n    relu\n", "m.spec")
    assert out.splitlines()[:3] == ["model M(  # note", "    parameter_0=0,", "    parameter_1=1,"]
    assert out.splitlines()[9:11] == ["):", "    relu"]
    assert format_text(out, "m.spec") == out


@pytest.mark.parametrize("source, canonical", [
    ("(a - b) - c", "a - b - c"), ("a - (b - c)", "a - (b - c)"), ("(a ** b) ** c", "(a ** b) ** c"),
    ("a ** (b ** c)", "a ** b ** c"), ("(-a) ** b", "(-a) ** b"), ("-(a ** b)", "-a ** b"),
    ("(a if b else c) if d else e", "(a if b else c) if d else e"), ("(a, )", "(a,)"),
    ("(a < b) < c", "(a < b) < c"), ("not (a and b)", "not (a and b)"), ("(a or b) and c", "(a or b) and c"),
    ("(a + b)[0]", "(a + b)[0]"), ("f(x)[1]", "f(x)[1]"), ("'say \"hi\"'", '"say \\"hi\\""'),
])
def test_expressions_keep_their_tree_with_the_fewest_parentheses(source, canonical):
    module = parse_source(f"model M:\n    let v = {source}\n", "e.spec")
    assert unparse_expr(module.models[0].body[0].value) == canonical


# ---------------------------------------------------------------- random specs


@SETTINGS
@given(modules)
def test_random_asts_unparse_and_parse_back(module):
    text = unparse(module)
    assert structure(parse_source(text, "random.spec")) == structure(module), text


@SETTINGS
@given(st.data())
def test_fmt_on_random_specs_with_comments(data):
    text = data.draw(decorated(unparse(data.draw(modules))))
    once = format_text(text, "random.spec")  # also checks the AST and the comments itself
    assert format_text(once, "random.spec") == once
    assert comment_texts(once, "random.spec") == comment_texts(text, "random.spec")
    as_yaml = format_text(text, "random.spec", to="yaml")
    assert format_text(as_yaml, "random.yaml") == as_yaml
    assert format_text(as_yaml, "random.yaml", to="spec") == once


@SETTINGS
@given(st.data())
def test_fmt_keeps_comments_between_parameters(data):
    """Headers written one parameter per line, with comments among them: each stays with its parameter."""
    with mock.patch.object(unparse_module, "MAX_HEADER", 0):  # every header with parameters wraps
        text = data.draw(decorated(unparse(data.draw(modules))))
    once = format_text(text, "random.spec")
    assert format_text(once, "random.spec") == once
    assert comment_texts(once, "random.spec") == comment_texts(text, "random.spec")
    as_yaml = format_text(text, "random.spec", to="yaml")
    assert format_text(as_yaml, "random.yaml") == as_yaml
    assert format_text(as_yaml, "random.yaml", to="spec") == once


COMMENTED_HEADER = """\
model M(a=1,  # the first
        # about b
        b=2):  # the last
    input 3 x 8 x 8
    relu
"""


def test_a_long_list_default_is_one_item_per_line():
    """A configuration table (MobileNetV3's bottlenecks) reads one row per line; a short list stays on its line."""
    rows = ", ".join(f'({k}, {e}, "relu", {s})' for k, e, s in [(3, 16, 1), (3, 64, 2), (5, 72, 2)] * 3)
    text = f"model M(short=[1, 2, 3], table=[{rows}]):\n    input 3 x 8 x 8\n    relu\n"
    once = format_text(text, "m.spec")
    assert once.startswith('model M(\n    short=[1, 2, 3],\n    table=[\n        (3, 16, "relu", 1),\n'
                           '        (3, 64, "relu", 2),\n')
    assert once.count('\n        (') == 9 and '        (5, 72, "relu", 2),\n    ],\n):\n    input' in once
    assert format_text(once, "m.spec") == once
    assert structure(parse_source(once, "m.spec")) == structure(parse_source(text, "m.spec"))
    as_yaml = format_text(once, "m.spec", to="yaml")
    assert format_text(as_yaml, "m.yaml", to="spec") == once


def test_a_comment_between_parameters_stays_there():
    assert format_text(COMMENTED_HEADER, "m.spec") == (
        "model M(  # the first\n"
        "    a=1,\n"
        "    # about b\n"
        "    b=2,  # the last\n"
        "):\n"
        "    input 3 x 8 x 8\n"
        "    relu\n")
    as_yaml = format_text(COMMENTED_HEADER, "m.spec", to="yaml")
    assert "      # about b\n      b: 2  # the last\n" in as_yaml
    assert format_text(as_yaml, "m.yaml", to="spec") == format_text(COMMENTED_HEADER, "m.spec")


def test_a_header_on_one_line_keeps_its_comment_on_that_line():
    text = "block b(a,  # about a\n        c=2):\n    relu\n"
    assert format_text(text, "b.spec") == "block b(a, c=2):  # about a\n    relu\n"


@SETTINGS
@given(st.data())
def test_fmt_on_random_yaml_with_comments(data):
    text = data.draw(decorated(to_yaml(data.draw(modules))))
    once = format_text(text, "random.yaml")
    assert format_text(once, "random.yaml") == once
    assert comment_texts(once, "random.yaml") == comment_texts(text, "random.yaml")


# ---------------------------------------------------------------- the command


def run(*args: str) -> int:
    return cli.main(["fmt", *args])


def test_check_exits_1_on_an_unformatted_file(tmp_path, capsys):
    good, bad = tmp_path / "good.spec", tmp_path / "bad.spec"
    good.write_text(CANONICAL)
    bad.write_text(MESSY)
    assert run("--check", str(good)) == 0
    assert run("--check", str(good), str(bad)) == 1
    err = capsys.readouterr().err
    assert f"would reformat {bad}" in err and "1 file would be reformatted, 1 unchanged" in err
    assert bad.read_text() == MESSY


def test_write_rewrites_in_place(tmp_path, capsys):
    bad = tmp_path / "bad.spec"
    bad.write_text(MESSY)
    assert run("--write", str(bad)) == 0
    assert bad.read_text() == CANONICAL
    assert run("--check", str(bad)) == 0


def test_default_prints_and_changes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.spec"
    bad.write_text(MESSY)
    assert run(str(bad)) == 0
    assert capsys.readouterr().out == CANONICAL
    assert bad.read_text() == MESSY


def test_convert_and_write_beside(tmp_path, capsys):
    spec = tmp_path / "net.spec"
    spec.write_text(CANONICAL.replace("use d2l  # the library\n", ""))
    assert run("--to", "yaml", "--write", str(spec)) == 0
    written = tmp_path / "net.yaml"
    assert "# before block" in written.read_text()
    assert run("--to", "yaml", "--write", str(spec)) == 0  # the same spec again: fine
    written.write_text("models:\n  Other:\n    layers: [relu]\n")
    with pytest.raises(SystemExit) as caught:
        run("--to", "yaml", "--write", str(spec))
    assert caught.value.code == 2
    assert "refusing to overwrite" in capsys.readouterr().err


def test_usage_and_spec_errors(tmp_path, capsys):
    broken = tmp_path / "broken.spec"
    broken.write_text("model M:\n    conv(\n")
    assert run(str(broken)) == 1
    assert "error[E0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        run("--check", "--write", str(broken))
    assert caught.value.code == 2
    assert run(str(tmp_path / "missing.spec")) == 2


def test_fmt_and_schema_do_not_import_torch():
    code = ("import sys; from specc.cli import main; main(['fmt', '--check', 'specs/alexnet.spec']); "
            "main(['schema']); assert 'torch' not in sys.modules, 'torch imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
