"""Properties of the front-end: what the grammar generates parses, and nothing crashes it.

(a) Text generated from the grammar parses. `grammar_text` generates
    expressions straight from the rules of `specc.lark` (every terminal
    padded with spaces, so that `not` and `x` never glue together), with a
    bound on the depth: `hypothesis.extra.lark.from_lark` has none, and on
    this grammar most of its draws hit hypothesis' own limit and are thrown
    away, which made a few hundred examples take minutes. It cannot
    generate whole specs: `_INDENT`/`_DEDENT` come from the indenter, not
    from a context-free rule, so `specs()` below builds random but valid
    specs itself (nested blocks at random consistent indentation, comments,
    blank lines, calls split across lines), using the grammar's expressions.
(b) Random text, random bytes and random mutations of the bundled specs
    never raise anything but `SpecError` from loading and checking (nor, for
    what passes the checks, from elaboration), and never hang: each example
    runs under a hard alarm. There is no hypothesis deadline: the limits
    bound the work (a loop into the steps limit takes about a second), and a
    deadline in seconds would fail on a busy machine, not on slow code
    (`bench/fuzz.py` measures time).

The normal run draws a few hundred examples per test; `SPECC_LONG=1` ~20x.
"""

from __future__ import annotations

import os
import signal
import string
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lark import Lark

from specc.check import check_program
from specc.diagnostics import SpecError
from specc.elaborate import elaborate
from specc.resolve import load
from specc.sources import decode
from specc.syntax import ast, lalr
from specc.syntax.parse import parse_text

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "specs").glob("**/*.spec")) + sorted((ROOT / "specc" / "lib").glob("*.spec")) \
    + [ROOT / "tests" / "data" / "design_examples.spec"]
TEXTS = [p.read_text(encoding="utf-8") for p in CORPUS]

SCALE = 20 if os.environ.get("SPECC_LONG") == "1" else 1
HARD_LIMIT = 60  # seconds of wall time: an example taking longer is a hang, not slowness


def examples(n: int) -> settings:
    return settings(max_examples=n * SCALE, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@contextmanager
def hard_limit(seconds: int = HARD_LIMIT):
    """Fail an example that runs for `seconds` (hypothesis' deadline only measures after return)."""
    def expire(signum, frame):
        raise TimeoutError(f"example still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def parse(text: str) -> ast.Module:
    """Parse with `parse_text`, under the hard limit."""
    with hard_limit():
        return parse_text(text, "gen.spec")


# ---------------------------------------------------------------- (a) expressions from the grammar

# Names the generator may use. `c`, `h`, `w`, `shape` also make `in.<name>` valid.
NAMES = ["a", "b", "c", "h", "w", "shape", "n", "xs", "k2", "_p", "x", "Size"]
KEYWORDS = lalr.KEYWORDS | {"x"}  # `x` is a keyword between the sizes of `input`

_EXPRESSION_GRAMMAR = Lark(lalr._grammar_text(), parser="lalr", start="test")


def _padded_terminals() -> dict[str, st.SearchStrategy[str]]:
    string_body = st.text(st.characters(codec="utf-8", exclude_characters="\"'\\\r\n"), max_size=5)
    special = {
        "NAME": st.sampled_from(NAMES),
        "STRING": string_body.map(lambda s: f'"{s}"'),
        "COMMENT": st.just(""),  # a comment would swallow the rest of the line
        "_NL": st.just(""),  # not reachable from `test`
        # Cheap stand-ins for the regex terminals: `st.from_regex` rebuilds
        # strategies on every draw, which made whole specs take ~0.7 s each.
        "COMP_OP": st.sampled_from(["==", "!=", "<=", ">=", "<", ">"]),
        "ADD_OP": st.sampled_from(["+", "-"]),
        "MUL_OP": st.sampled_from(["*", "//", "/", "%"]),
        "INT": st.one_of(st.integers(0, 10**6).map(str), st.sampled_from(["1_000", "0_0", "007"])),
        "FLOAT": st.one_of(st.floats(0, 1e6, allow_nan=False).map(repr),
                           st.sampled_from(["1.", ".5", "1e3", "2E-4", "1_0.5_0", "3.e+2"])),
    }
    explicit = {}
    for terminal in _EXPRESSION_GRAMMAR.terminals:
        pattern = terminal.pattern
        if terminal.name in special:
            strategy = special[terminal.name]
        elif pattern.type == "str":
            strategy = st.just(pattern.value)
        else:
            strategy = st.from_regex(pattern.to_regexp(), fullmatch=True)
        explicit[terminal.name] = strategy.map(lambda s: f" {s} ")
    explicit["_INDENT"] = explicit["_DEDENT"] = st.just("")
    return explicit


def grammar_text(grammar: Lark, start: str, terminals: dict, choices: int) -> st.SearchStrategy[str]:
    """Text derived from `grammar`'s rules, making at most `choices` choices that grow it.

    A rule expands the shortest way to terminals unless a choice is left to
    spend on another expansion, so every draw ends, stays small, and shrinks
    toward the shortest text.
    """
    expansions = defaultdict(list)
    for rule in grammar.rules:
        expansions[rule.origin.name].append(rule.expansion)
    height = _heights(expansions)

    def cost(expansion) -> float:
        return 1 + max((height[s.name] for s in expansion if not s.is_term), default=0)

    def derive(draw, symbol: str, left: list[int]) -> str:
        options = sorted(expansions[symbol], key=lambda e: (cost(e), len(e)))  # shortest first: what hypothesis shrinks to
        if left[0] > 0 and len(options) > 1:
            expansion = draw(st.sampled_from(options))
            left[0] -= expansion is not options[0]
        else:
            expansion = options[0]
        return "".join(draw(terminals[s.name]) if s.is_term else derive(draw, s.name, left) for s in expansion)

    @st.composite
    def text(draw) -> str:
        return derive(draw, start, [draw(st.integers(0, choices))])

    return text()


def _heights(expansions: dict) -> dict[str, float]:
    """For each rule, the fewest levels of rules it takes to reach only terminals."""
    height = {name: float("inf") for name in expansions}
    changed = True
    while changed:
        changed = False
        for name, options in expansions.items():
            best = min(1 + max((height[s.name] for s in e if not s.is_term), default=0) for e in options)
            if best < height[name]:
                height[name], changed = best, True
    return height


grammar_expressions = grammar_text(_EXPRESSION_GRAMMAR, "test", _padded_terminals(), choices=25)


def _only_argument_order_errors(error: SpecError) -> bool:
    """The rules the grammar leaves to the tree builder.

    Positional arguments come first, and `in.<part>` (or `value.<part>`) names
    a part of the shape: the grammar takes any name after the `.` so the
    error can say which parts exist instead of "expected NAME".
    """
    return all((e.code == "E0101" and "positional one after" in e.message)
               or (e.code == "E0203" and ("`in.shape`, found `in." in e.message or "`.shape`, found `" in e.message))
               for e in error.errors)


@examples(300)
@given(grammar_expressions)
def test_expressions_generated_from_the_grammar_parse(text: str):
    try:
        module = parse(f"model M:\n    let v = {text}\n")
    except SpecError as error:
        assert _only_argument_order_errors(error), error
        event("positional argument after a keyword")
        return
    (let,) = module.models[0].body
    assert let.kind == "let"


# ---------------------------------------------------------------- (a) whole specs, built here

LAYER_NAMES = ["conv", "relu", "linear", "my_block", "a", "identity", "flatten"]
KWARG_NAMES = ["k", "s", "p", "in", "bias", "a"]

simple_expressions = st.one_of(
    st.integers(0, 999).map(str),
    st.sampled_from(NAMES),
    st.sampled_from(["in.c", "in.h", "in.w", "in.shape[0]", "len(xs)", "(1, 7)", "[1, 2]", "true", "False",
                     "'same'", "0.5", "c // 2", "-a ** 2", "a if b else c"]),
)
# Small grammar expressions: a spec holds dozens of them.
expressions = st.one_of(simple_expressions,
                        grammar_text(_EXPRESSION_GRAMMAR, "test", _padded_terminals(), choices=6))


@st.composite
def calls(draw, depth: int = 0) -> str:
    name = draw(st.sampled_from(LAYER_NAMES))
    if draw(st.booleans()):
        return name
    args = draw(st.lists(expressions, max_size=3))
    kwargs = draw(st.lists(st.tuples(st.sampled_from(KWARG_NAMES), expressions), max_size=3))
    parts = args + [f"{k}={v}" for k, v in kwargs]
    # Inside brackets a new line, at any indentation, just continues the call.
    separators = draw(st.lists(st.sampled_from([", ", ",", " , ", ",\n", ",\n       ", ", # note\n  "]),
                               min_size=len(parts), max_size=len(parts)))
    text = "".join(p + s for p, s in zip(parts, separators))
    if parts and not draw(st.booleans()):  # drop the trailing comma
        text = text[: len(text) - len(separators[-1])]
    return f"{name}({text})"


@st.composite
def layers(draw) -> str:
    if draw(st.integers(0, 5)) == 0:
        body, orelse = draw(calls()), draw(calls())
        return f"{body} if ({draw(expressions)}) else {orelse}"
    return draw(calls())


@st.composite
def chains(draw) -> str:
    items = draw(st.lists(layers(), min_size=1, max_size=4))
    return draw(st.sampled_from([" -> ", "->", " ->\\\n    "])).join(items)


names = st.sampled_from([n for n in NAMES if n not in KEYWORDS] + ["features", "stem"])


@st.composite
def dims(draw) -> str:
    sizes = draw(st.lists(st.one_of(st.integers(1, 512).map(str), names,
                                    expressions.map(lambda e: f"({e})")), min_size=1, max_size=4))
    if all(s.isdigit() for s in sizes) and draw(st.booleans()):
        return "x".join(sizes)  # `1x28x28`: no spaces needed between numbers
    return " x ".join(sizes)


class Spec:
    """Text being built, line by line, with the statement kinds of each model's body."""

    def __init__(self, unit: str) -> None:
        self.unit = unit  # " " or "\t": one indentation character for the whole file
        self.lines: list[str] = []

    def add(self, level: int, text: str) -> None:
        for i, line in enumerate(text.split("\n")):
            self.lines.append((self.unit * level if i == 0 else "") + line)


def statement(draw, spec: Spec, level: int, depth: int, in_model: bool, first: bool) -> str:
    """Add one statement at indentation `level` (in characters); return its AST kind."""
    choices = ["chain", "chain", "named", "let"]
    if depth < 3:
        choices += ["combine", "seq", "repeat", "for", "if", "named_block"]
    if in_model and first:
        choices += ["input"] * 3
    kind = draw(st.sampled_from(choices))
    if kind == "input":
        spec.add(level, f"input {draw(dims())}")
        return "input"
    if kind == "chain":
        spec.add(level, draw(chains()))
        return "chain"
    if kind == "named":
        spec.add(level, f"{draw(names)} = {draw(chains())}")
        return "named"
    if kind == "let":
        spec.add(level, f"let {draw(names)} = {draw(expressions)}")
        return "let"
    if kind == "named_block":
        header = draw(st.sampled_from(["concat:", "add:", "seq:", "repeat 2:"]))
        spec.add(level, f"{draw(names)} = {header}")
        suite(draw, spec, level, depth + 1)
        return "named"
    if kind in ("combine", "seq", "repeat"):
        header = {"combine": draw(st.sampled_from(["concat:", "add:"])), "seq": "seq:",
                  "repeat": f"repeat {draw(expressions)}:"}[kind]
        spec.add(level, header)
        suite(draw, spec, level, depth + 1)
        return kind
    if kind == "for":
        targets = draw(st.lists(names, min_size=1, max_size=3))
        target_text = ", ".join(targets)
        if len(targets) > 1 and draw(st.booleans()):
            target_text = f"({target_text})"
        spec.add(level, f"for {target_text} in {draw(expressions)}:")
        suite(draw, spec, level, depth + 1)
        return "for"
    spec.add(level, f"if {draw(expressions)}:")
    suite(draw, spec, level, depth + 1)
    for _ in range(draw(st.integers(0, 2))):
        spec.add(level, f"elif {draw(expressions)}:")
        suite(draw, spec, level, depth + 1)
    if draw(st.booleans()):
        spec.add(level, "else:")
        suite(draw, spec, level, depth + 1)
    return "if"


def suite(draw, spec: Spec, level: int, depth: int, in_model: bool = False) -> list[str]:
    inner = level + draw(st.integers(1, 8))
    kinds = []
    for i in range(draw(st.integers(1, 4))):
        if draw(st.integers(0, 6)) == 0:
            spec.lines.append(draw(st.sampled_from(["", "   ", "# a comment", spec.unit * inner + "# indented"])))
        kinds.append(statement(draw, spec, inner, depth, in_model, first=i == 0))
    return kinds


@st.composite
def specs(draw) -> tuple[str, list[str], list[list[str]]]:
    """(text, block names, the statement kinds of each model's body)."""
    spec = Spec(draw(st.sampled_from([" ", " ", "\t"])))
    if draw(st.booleans()):
        spec.add(0, draw(st.sampled_from(["use d2l", 'use "blocks.spec"', "use d2l  # the library"])))
    blocks, models = [], []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["stem", "my_block", "Block2"]))
        params = draw(st.lists(names, max_size=3, unique=True))
        defaults = [f"{p}={draw(expressions)}" if draw(st.booleans()) else p for p in params]
        spec.add(0, f"block {name}({', '.join(defaults)}):")
        suite(draw, spec, 0, 0)
        blocks.append(name)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(["M", "LeNet", "model_2"]))
        params = draw(st.lists(names, max_size=3, unique=True))
        header = f"model {name}({', '.join(f'{p}={draw(expressions)}' for p in params)}):" if params or \
            draw(st.booleans()) else f"model {name}:"
        spec.add(0, header)
        models.append(suite(draw, spec, 0, 0, in_model=True))
        if draw(st.booleans()):
            spec.lines.append("")
    text = "\n".join(spec.lines) + draw(st.sampled_from(["\n", "", "\n\n# the end\n"]))
    return text, blocks, models


# Each whole spec costs hypothesis ~0.5 s of drawing: fewer, larger examples.
@examples(100)
@given(specs())
def test_generated_specs_parse(case):
    text, blocks, models = case
    try:
        module = parse(text)
    except SpecError as error:
        assert _only_argument_order_errors(error), (error, text)
        event("positional argument after a keyword")
        return
    assert [b.name for b in module.blocks] == blocks
    assert [[s.kind for s in m.body] for m in module.models] == models
    assert ast.Module.model_validate(module.model_dump()) == module


# ---------------------------------------------------------------- (b) nothing but SpecError


def front_end(text: str, name: str = "random.spec", record=event) -> None:
    """Load and check `text` (and elaborate it when it checks); only `SpecError` may escape.

    `record` notes the outcome for hypothesis' statistics; plain tests pass
    a no-op, since hypothesis refuses events outside a `@given` test.
    """
    with hard_limit():
        try:
            program = load(name, text=text)
            check_program(program)
            if program.models:
                elaborate(program)
        except SpecError as error:
            assert error.errors and all(e.code for e in error.errors)
            str(error)  # the message must be buildable too
            record(f"error {error.code}")
        else:
            record("accepted")


SPEC_ALPHABET = string.ascii_letters + string.digits + " \t\n\r()[]:,=-+*/%<>!.#'\"\\_x;{}@$~`\x0b\x0c\u00e9\u2028\ufeff"


@examples(300)
@given(st.text(alphabet=st.sampled_from(list(SPEC_ALPHABET)) | st.characters(), max_size=200))
def test_random_text_raises_only_spec_errors(text: str):
    front_end(text)


@examples(200)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_spec_errors(data: bytes):
    try:
        text = decode(data, "bytes.spec")
    except SpecError as error:
        assert error.code == "E0002"
        return
    front_end(text, "bytes.spec")


# ---------------------------------------------------------------- (b) mutations of real specs

FRAGMENTS = ["(", ")", "[", "]", ":", ",", "=", "==", "->", " x ", "\t", "    ", "\n", "#", '"', "'", "\\",
             "in.c", "input 1 x 28 x 28", "repeat 2:", "if true:", "else:", "concat:", "let a = 1",
             "conv(6, k=3)", "relu", "block", "model", "use d2l", "for i in range(3):", "-", "**", "0", "-1",
             "1e999", "99999999999999999999", "not", "and", "lambda", "forward", ";", "\u00e9", "\x00"]


@st.composite
def mutated_specs(draw) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        how = draw(st.sampled_from(["insert", "delete", "replace", "delete_line", "duplicate_line",
                                    "swap_lines", "indent_line", "splice_line"]))
        if how in ("insert", "delete", "replace"):
            at = draw(st.integers(0, len(text)))
            span = draw(st.integers(1, 8))
            new = "" if how == "delete" else draw(st.sampled_from(FRAGMENTS) | st.text(max_size=3))
            text = text[:at] + new + text[at + (0 if how == "insert" else span):]
            continue
        i = draw(st.integers(0, len(lines) - 1))
        if how == "delete_line":
            del lines[i]
        elif how == "duplicate_line":
            lines.insert(i, lines[i])
        elif how == "swap_lines":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif how == "indent_line":
            lines[i] = draw(st.sampled_from(["", " ", "  ", "\t", "        "])) + lines[i].lstrip(" ")
        else:
            other = draw(st.sampled_from(TEXTS)).split("\n")
            lines.insert(i, draw(st.sampled_from(other)))
        text = "\n".join(lines)
    return text


@examples(400)
@given(mutated_specs())
def test_mutated_specs_raise_only_spec_errors(text: str):
    front_end(text)


def test_the_corpus_is_not_empty_and_checks():
    assert len(TEXTS) >= 3
    for path, text in zip(CORPUS, TEXTS):
        program = load(str(path), text=text)
        check_program(program)


@pytest.mark.parametrize("text", [
    "model M:\n" + "    repeat 2:\n" * 0 + "".join("    " * (i + 1) + "repeat 2:\n" for i in range(60))
    + "    " * 61 + "relu\n",
    "model M:\n    let a = " + "(" * 200 + "1" + ")" * 200 + "\n    relu\n",
    "model M:\n    let a = " + "-" * 500 + "1\n    relu\n",
    "model M:\n    let a = " + "[" * 100 + "]" * 100 + "\n    relu\n",
    "model M:\n    let a = 2 ** 2 ** 2 ** 2 ** 2 ** 2\n    relu\n",
    "model M:\n" + "    relu;\n" * 200,
])
def test_pathological_inputs_end_quickly(text: str):
    front_end(text, record=lambda outcome: None)
