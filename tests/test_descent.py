"""The fast path (`specc.syntax.descent`) reads specs exactly as Lark does, or steps aside.

For every text: either the recursive-descent parser builds the very AST
Lark's parser builds (every node, every span), or it raises `Unsure` and
Lark decides. It must never accept a text Lark rejects. On well-formed
specs it must not step aside, or the speed it exists for is lost. The
property tests in `test_properties.py` hold it to the same on generated,
random and mutated texts.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from lark.load_grammar import eval_escaping

from differential import assert_alike
from specc.syntax import descent, lalr

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "specs").glob("**/*.spec")) + sorted((ROOT / "specc" / "lib").glob("*.spec")) \
    + [ROOT / "tests" / "data" / "design_examples.spec"]
DIAGNOSTIC_SPECS = sorted((ROOT / "tests" / "diagnostics").glob("*.spec")) \
    + sorted((ROOT / "tests" / "shape_diagnostics").glob("*.spec"))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_bundled_specs_read_alike_without_lark(path: Path):
    assert_alike(path.read_text(encoding="utf-8"), sure=True)


@pytest.mark.parametrize("path", DIAGNOSTIC_SPECS, ids=lambda p: p.name)
def test_specs_with_mistakes_read_alike(path: Path):
    """Syntax errors are Lark's to report; a spec that parses but fails a later check must read the same.

    (The fast path may step aside on those too: `relu -> concat` is Lark's
    to read, since `concat` is a name there only to its contextual lexer.)
    """
    assert_alike(path.read_text(encoding="utf-8", errors="replace"), sure=False)


WELL_FORMED = {
    "sizes without spaces": "model M:\n    input 3x224x224\n    relu\n",
    "sizes with a batch": "model M:\n    input 8 x 3 x 32 x 32\n    relu\n",
    "a size named x": "model M(x=3):\n    input x x 28 x 28\n    relu\n",
    "symbolic sizes": "model M(c=1):\n    input c x (2 * 14) x in.w\n    relu\n",
    "a float size": "model M:\n    input 1.x 2\n    relu\n",
    "a leading-dot float glued to x": "model M:\n    input 1 x .5x3 x 2\n    relu\n",
    "x after a tab": "model M:\n    input 1 x 3\tx 2\n    relu\n",
    "a size in brackets over two lines": "model M:\n    input 1 x (3\n)x 2\n    relu\n",
    "comments and blank lines": "# top\n\n# more\nuse d2l  # lib\n\n\nmodel M:  # m\n    # inside\n\n"
                                "    relu   # r\n    # trailing\n\n",
    "crlf": "model M:\r\n    input 1 x 28 x 28\r\n    conv(6,\r\n        k=5) -> relu\r\n",
    "tabs": "model M:\n\tinput 1 x 28 x 28\n\trepeat 2:\n\t\trelu\n",
    "indented first line": "   model M:\n    relu\n",
    "line continuation": "model M:\n    conv(6) \\\n        -> relu\n",
    "no final newline": "model M:\n    relu",
    "parentheses in spans": "model M:\n    let v = ((a)) < (b) and (c) or (d)\n    let w = (a) + (b) * (c)\n"
                            "    let z = (a)[0] if (b) else -(c) ** (d)\n    (conv(3)) -> (relu)\n",
    "tuples and lists": "model M:\n    let t = (1, 2,)\n    let u = ()\n    let l = [1, [2, 3], ]\n"
                        "    let e = []\n    let o = (1,)\n",
    "keyword arguments": "model M:\n    conv(6, k=5, in=3, x=1)\n    linear(10,)\n    relu()\n",
    "if statement": "model M(a=1):\n    if a == 1:\n        relu\n    elif a < 2:\n        relu\n"
                    "    elif a:\n        relu\n    else:\n        relu\n    relu\n",
    "nested blocks": "block b(c, k=3,):\n    x = concat:\n        conv(c)\n        seq:\n            relu\n"
                     "    y = add:\n        repeat 2:\n            relu\n    for i, n in enumerate([1, 2]):\n"
                     "        for (a, b) in [(1, 2)]:\n            relu\n\nmodel M():\n    b(3)\n",
    "layer ifs": "model M(u=true):\n    conv(3) if u else identity -> relu if not u else (flatten)\n",
    "expressions": "model M:\n    let v = not a and b or c if d else e\n    let w = a ** -b ** c % 2 // 3\n"
                   "    let z = 1 < 2 <= 3 != 4\n    let s = 'it\\'s' + \"two\\n\"\n    let f = 1e3 + .5 + 1_000\n"
                   "    let q = in.shape[0] + len(xs) - min(1, 2)\n    let b = True or False or true\n",
    "use by path": 'use "blocks.spec"\nuse d2l\n\nmodel M:\n    relu\n',
    "named statements": "model M:\n    stem = conv(3) -> relu\n    x = relu\n",
    "deep but allowed": "model M:\n    let v = " + "(" * 99 + "1" + ")" * 99 + "\n",
    "long but shallow": "model M:\n    conv(" + ", ".join(["a + (b * -c)"] * 60) + ") -> relu\n",
}


@pytest.mark.parametrize("text", WELL_FORMED.values(), ids=WELL_FORMED.keys())
def test_well_formed_specs_read_alike_without_lark(text: str):
    assert_alike(text, sure=True)


# Texts Lark reads (or rejects) only through its contextual lexer, its error
# rules or its limits: the fast path may step aside, but must not disagree.
EDGES = {
    "keyword as a name": "model M:\n    let model = 3\n    relu\n",
    "keyword prefix glued": "modelM:\n    relu\n",
    "x glued to a name": "model M:\n    input 1 x28 x 28\n    relu\n",
    "add as a layer": "model M:\n    relu -> add\n",
    "positional after keyword": "model M:\n    conv(k=3, 6)\n",
    "not a layer": "model M:\n    3\n",
    "bad shape part": "model M:\n    let v = in.d\n",
    "too deep": "model M:\n    let v = " + "(" * 101 + "1" + ")" * 101 + "\n",
    "too long an operator chain": "model M:\n    let v = " + " + ".join(["1"] * 102) + "\n",
    "mixed tabs": "model M:\n\t relu\n",
    "bad dedent": "model M:\n    relu\n  relu\n",
    "unclosed": "model M:\n    conv(3\n",
    "stray close": "model M:\n    relu)\n",
    "only comments": "# nothing\n",
    "continuation at the end": "model M:\n    relu \\\n",
    "lone carriage return": "model M:\r    relu\n",
    "not ascii": "model M:\n    r\u00e9lu\n",
    "stray backslash": "\\# a comment\nmodel M:\n    relu\n",
    "backslash mid-line": "model M:\n    relu \\ -> relu\n",
    "unclosed string": "model M:\n    conv(pad=\"same) -> relu\n",
    "unclosed string at the end": "model M:\n    let s = 'a\n",
    "empty suite": "model M:\n",
    "blocks 51 deep": "model M:\n" + "".join(" " * (i + 1) + "seq:\n" for i in range(51)) + " " * 52 + "relu\n",
}


@pytest.mark.parametrize("text", EDGES.values(), ids=EDGES.keys())
def test_edge_cases_never_read_differently(text: str):
    assert_alike(text, sure=False)


def test_the_fast_path_tokens_are_the_grammars():
    """The lexer's patterns and keywords are copies of grammar/specc.lark's: they must not drift."""
    parser = lalr._parser()
    patterns = {"_NL": descent.NEWLINE, "FLOAT": descent.FLOAT, "INT": descent.INT, "NAME": descent.NAME,
                "STRING": descent.STRING, "COMMENT": descent.COMMENT}
    for terminal, pattern in patterns.items():  # Lark keeps `\n` in a pattern as the character itself
        assert parser.get_terminal(terminal).pattern.value == eval_escaping(pattern), terminal
    ignored = {parser.get_terminal(name).pattern.value for name in parser.lexer_conf.ignore}
    assert ignored == {eval_escaping(p) for p in (r"[\t ]+", descent.COMMENT, descent.CONTINUATION)}
    words = {t.pattern.value for t in parser.terminals
             if t.pattern.type == "str" and re.fullmatch(descent.NAME, t.pattern.value)}
    assert words == descent.KEYWORDS | {"x"}  # `x` is a name except between sizes


def test_a_well_formed_spec_is_read_without_importing_lark():
    code = ("import sys\nfrom specc.syntax.parse import parse_text\n"
            "parse_text(open(sys.argv[1]).read(), sys.argv[1])\n"
            "assert 'lark' not in sys.modules, 'lark was imported'\n")
    subprocess.run([sys.executable, "-c", code, str(ROOT / "specs" / "resnet18.spec")], check=True)
