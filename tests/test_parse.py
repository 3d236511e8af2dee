"""The DSL front-end: what each construct parses to, with its spans.

ASTs are compared through `show`, a fully parenthesised printer written
here (independent of `specc fmt`), so that precedence and associativity are
visible in the expected strings: `-2 ** 2` shows as `(-(2 ** 2))`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from specc.diagnostics import SpecError
from specc.sources import decode
from specc.syntax import ast, lalr
from specc.syntax.build import AstBuilder
from specc.syntax.parse import parse_text

ROOT = Path(__file__).resolve().parent.parent
DESIGN = ROOT / "tests" / "data" / "design_examples.spec"
SPECS = sorted((ROOT / "specs").glob("**/*.spec")) + sorted((ROOT / "specc" / "lib").glob("*.spec")) + [DESIGN]


# ---------------------------------------------------------------- a printer for ASTs


def show(node) -> str:
    """One line per node kind; binary operators fully parenthesised."""
    kind = node.kind
    if kind in ("int", "float"):
        return repr(node.value)
    if kind == "bool":
        return "true" if node.value else "false"
    if kind == "str":
        return repr(node.value)
    if kind == "name":
        return node.id
    if kind == "in":
        return f"in.{node.attr}"
    if kind == "list":
        return "[" + ", ".join(show(i) for i in node.items) + "]"
    if kind == "tuple":
        return "(" + "".join(show(i) + ", " for i in node.items).rstrip() + ")"
    if kind == "index":
        return f"{show(node.value)}[{show(node.index)}]"
    if kind == "binop":
        return f"({show(node.left)} {node.op} {show(node.right)})"
    if kind == "unary":
        return f"({node.op}{' ' if node.op == 'not' else ''}{show(node.operand)})"
    if kind == "compare":
        rest = "".join(f" {op} {show(r)}" for op, r in zip(node.ops, node.rest))
        return f"({show(node.first)}{rest})"
    if kind == "boolop":
        return "(" + f" {node.op} ".join(show(v) for v in node.values) + ")"
    if kind in ("ifexp", "layer_if"):
        return f"({show(node.body)} if {show(node.test)} else {show(node.orelse)})"
    if kind == "call":
        if node.bare:
            return node.name
        args = [show(a) for a in node.args] + [f"{k.name}={show(k.value)}" for k in node.kwargs]
        return f"{node.name}({', '.join(args)})"
    if kind == "chain":
        return " -> ".join(show(i) for i in node.items)
    if kind == "input":
        return "input " + " x ".join(show(d) for d in node.dims)
    if kind == "let":
        return f"let {node.name} = {show(node.value)}"
    if kind == "named":
        return f"{node.name} = {show(node.stmt)}"
    if kind == "combine":
        return f"{node.op}: " + body(node.body)
    if kind == "seq":
        return "seq: " + body(node.body)
    if kind == "repeat":
        return f"repeat {show(node.count)}: " + body(node.body)
    if kind == "for":
        return f"for {', '.join(node.targets)} in {show(node.iter)}: " + body(node.body)
    if kind == "if":
        parts = [f"if {show(b.test)}: {body(b.body)}" for b in node.branches]
        text = " elif ".join(p[3:] if i else p for i, p in enumerate(parts))
        return text + (f" else: {body(node.orelse)}" if node.orelse is not None else "")
    raise AssertionError(f"no printer for {kind}")


def body(stmts) -> str:
    return "{" + "; ".join(show(s) for s in stmts) + "}"


def model_body(text: str) -> list[str]:
    """Parse `text` as the body of a model (indented here) and show each statement."""
    indented = "".join(f"    {line}\n" if line.strip() else "\n" for line in text.strip("\n").split("\n"))
    module = parse_text("model M:\n" + indented, "t.spec")
    return [show(s) for s in module.models[0].body]


def expr(text: str) -> str:
    (let,) = model_body(f"let v = {text}")
    return let[len("let v = "):]


# ---------------------------------------------------------------- every example parses and checks


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_bundled_and_design_specs_parse_into_valid_asts(path: Path):
    module = parse_text(path.read_text(encoding="utf-8"), str(path))
    assert module.models or module.blocks
    # Nodes are built with `model_construct` (no validation, for speed): the
    # promise that they are valid anyway is kept here.
    assert ast.Module.model_validate(module.model_dump()) == module


def test_design_examples_pass_specc_check():
    done = subprocess.run([sys.executable, "-m", "specc", "check", str(DESIGN)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_design_examples_have_every_snippet():
    module = parse_text(DESIGN.read_text(encoding="utf-8"), "design.spec")
    assert [b.name for b in module.blocks] == [
        "vgg_block", "nin_block", "inception", "residual", "dense_block", "transition"]
    assert {"DenseNet", "VGG11", "LeNet"} <= {m.name for m in module.models}


# ---------------------------------------------------------------- top level


def test_uses_blocks_and_models_in_source_order():
    module = parse_text('use d2l\nuse "lib/blocks.spec"\n\nblock b(c, k=3,):\n    conv(c, k=k)\n\n'
                        "model A:\n    relu\nmodel B(x=1):\n    relu\n", "t.spec")
    assert [(u.target, u.is_path) for u in module.uses] == [("d2l", False), ("lib/blocks.spec", True)]
    (block,) = module.blocks
    assert [(p.name, p.default and show(p.default)) for p in block.params] == [("c", None), ("k", "3")]
    assert [m.name for m in module.models] == ["A", "B"]
    assert module.models[0].params == []


def test_empty_parameter_list_and_none_are_the_same():
    a = parse_text("model M():\n    relu\n", "t.spec").models[0]
    b = parse_text("model M:\n    relu\n", "t.spec").models[0]
    assert a.params == b.params == []


# ---------------------------------------------------------------- statements


def test_chain_of_calls_and_bare_ops():
    (chain,) = parse_text("model M:\n    conv(6, k=5, p=2) -> sigmoid -> avgpool(k=2, s=2)\n", "t.spec").models[0].body
    assert chain.kind == "chain"
    assert [(c.name, c.bare) for c in chain.items] == [("conv", False), ("sigmoid", True), ("avgpool", False)]
    assert show(chain) == "conv(6, k=5, p=2) -> sigmoid -> avgpool(k=2, s=2)"


def test_call_with_empty_parentheses_is_not_bare():
    (chain,) = parse_text("model M:\n    relu()\n", "t.spec").models[0].body
    assert chain.items[0].bare is False and chain.items[0].args == []


def test_named_statements():
    assert model_body("""
features = conv(6, k=3) -> relu
trunk = seq:
    relu
branches = concat:
    identity
    relu
stack = repeat 2:
    relu
""") == [
        "features = conv(6, k=3) -> relu",
        "trunk = seq: {relu}",
        "branches = concat: {identity; relu}",
        "stack = repeat 2: {relu}",
    ]


def test_concat_and_add_have_one_branch_per_line():
    assert model_body("""
concat:
    conv(c1, k=1) -> relu
    maxpool(k=3, s=1, p=1) -> conv(c4, k=1)
    seq:
        relu
        identity
add:
    conv(c, k=3, p=1) -> batchnorm
    identity
""") == [
        "concat: {conv(c1, k=1) -> relu; maxpool(k=3, s=1, p=1) -> conv(c4, k=1); seq: {relu; identity}}",
        "add: {conv(c, k=3, p=1) -> batchnorm; identity}",
    ]


def test_combinator_words_are_still_names_elsewhere():
    """`add`, `concat`, `seq` are keywords only where a statement starts with them and a `:` follows."""
    assert expr("add + concat") == "(add + concat)"


def test_repeat_and_nested_blocks():
    assert model_body("""
repeat n // 2:
    repeat 2:
        relu
    identity
""") == ["repeat (n // 2): {repeat 2: {relu}; identity}"]


def test_for_with_tuple_unpacking_and_enumerate():
    assert model_body("""
for i, n in enumerate(convs):
    relu
for (n, c) in arch:
    relu
for x in [1, 2]:
    relu
""") == [
        "for i, n in enumerate(convs): {relu}",
        "for n, c in arch: {relu}",
        "for x in [1, 2]: {relu}",
    ]


def test_if_elif_else():
    assert model_body("""
if i == 0 and not first:
    relu
elif i < 3:
    sigmoid
elif true:
    tanh
else:
    identity
if c:
    relu
""") == [
        "if ((i == 0) and (not first)): {relu} elif (i < 3): {sigmoid} elif true: {tanh} else: {identity}",
        "if c: {relu}",
    ]


def test_conditional_layers():
    (chain,) = parse_text("model M:\n    conv(c, k=1, s=s) if use_1x1conv else identity -> relu\n",
                          "t.spec").models[0].body
    first = chain.items[0]
    assert first.kind == "layer_if"
    assert (first.body.kind, first.orelse.kind) == ("call", "call")
    assert first.orelse.bare
    assert show(chain) == "(conv(c, k=1, s=s) if use_1x1conv else identity) -> relu"


def test_nested_conditional_layers_are_right_associative():
    assert model_body("relu if a else sigmoid if b else tanh") == ["(relu if a else (sigmoid if b else tanh))"]


def test_let():
    assert model_body("let half = in.c // 2\nlet sizes = [(1, 64), (2, 128)]") == [
        "let half = (in.c // 2)", "let sizes = [(1, 64,), (2, 128,)]"]


@pytest.mark.parametrize("line, dims", [
    ("input 1 x 28 x 28", ["1", "28", "28"]),
    ("input 1x28x28", ["1", "28", "28"]),
    ("input 8 x 3 x 224 x 224", ["8", "3", "224", "224"]),
    ("input 8x3x224x224", ["8", "3", "224", "224"]),
    ("input 784", ["784"]),
    ("input c x size x size", ["c", "size", "size"]),
    ("input (c * 2) x sizes[0] x 28", ["(c * 2)", "sizes[0]", "28"]),
])
def test_input_shapes(line: str, dims: list[str]):
    (statement,) = model_body(line)
    assert statement == "input " + " x ".join(dims)


def test_in_shape_and_in_keyword():
    (chain,) = model_body("linear(10, in=in.c * in.h * in.w) -> conv(in.shape[1], in_channels=in.c)")
    assert chain == "linear(10, in=((in.c * in.h) * in.w)) -> conv(in.shape[1], in_channels=in.c)"


def test_booleans_in_both_spellings():
    assert expr("[True, true, False, false]") == "[true, true, false, false]"


def test_literals():
    assert expr("[0, 1_000, 1.5, .5, 1e-3, 2E2, 'a', \"b\\\"c\", 'it\\'s', \"tab\\tx\"]") == \
        "[0, 1000, 1.5, 0.5, 0.001, 200.0, 'a', 'b\"c', \"it's\", 'tab\\tx']"


def test_tuples_lists_and_parentheses():
    assert expr("(1)") == "1"
    assert expr("(1,)") == "(1,)"
    assert expr("()") == "()"
    assert expr("[]") == "[]"
    assert expr("[1, 2,]") == "[1, 2]"
    assert expr("((1, 2), [3])") == "((1, 2,), [3],)"


def test_comments_anywhere():
    module = parse_text("""# a file comment

use d2l  # why
# between definitions
model M:  # the model
    # before the first statement
    input 1 x 28 x 28
# at column 0 inside the body: does not end the block
    conv(6, k=5)  # trailing
            # deeper than the block: still only a comment
    relu
""", "t.spec")
    assert [show(s) for s in module.models[0].body] == ["input 1 x 28 x 28", "conv(6, k=5)", "relu"]


def test_brackets_continue_lines():
    assert model_body("""
conv(6,
     k=5,
  p=2) -> relu
let sizes = [
    1,
    2,
]
""") == ["conv(6, k=5, p=2) -> relu", "let sizes = [1, 2]"]


def test_backslash_continues_a_line():
    assert model_body("conv(6, k=5) \\\n    -> relu") == ["conv(6, k=5) -> relu"]


def test_crlf_line_endings_and_a_byte_order_mark():
    text = decode(b"\xef\xbb\xbfmodel M:\r\n    input 1 x 28 x 28\r\n    relu\r\n", "crlf.spec")
    module = parse_text(text, "crlf.spec")
    assert [show(s) for s in module.models[0].body] == ["input 1 x 28 x 28", "relu"]


def test_no_final_newline():
    assert [show(s) for s in parse_text("model M:\n    relu", "t.spec").models[0].body] == ["relu"]


# ---------------------------------------------------------------- expressions


@pytest.mark.parametrize("text, tree", [
    ("-2 ** 2", "(-(2 ** 2))"),
    ("2 ** -1", "(2 ** (-1))"),
    ("2 ** 3 ** 2", "(2 ** (3 ** 2))"),
    ("1 + 2 * 3", "(1 + (2 * 3))"),
    ("(1 + 2) * 3", "((1 + 2) * 3)"),
    ("a - b - c", "((a - b) - c)"),
    ("a // b % c * d / e", "((((a // b) % c) * d) / e)"),
    ("a < b <= c", "(a < b <= c)"),
    ("a == b != c", "(a == b != c)"),
    ("1 + 2 < 3 * 4", "((1 + 2) < (3 * 4))"),
    ("not a and b or c", "(((not a) and b) or c)"),
    ("a or b and c", "(a or (b and c))"),
    ("not not a", "(not (not a))"),
    ("a and b and c", "(a and b and c)"),
    ("x if c else y if d else z", "(x if c else (y if d else z))"),
    ("a + 1 if a > 0 else -a", "((a + 1) if (a > 0) else (-a))"),
    ("-x[0]", "(-x[0])"),
    ("xs[i][j] ** 2", "(xs[i][j] ** 2)"),
    ("len(xs) - 1", "(len(xs) - 1)"),
    ("max(1, c // 2)", "max(1, (c // 2))"),
    ("+-1", "(+(-1))"),
])
def test_operator_precedence(text: str, tree: str):
    assert expr(text) == tree


# ---------------------------------------------------------------- spans


def test_spans_of_statements_names_and_calls():
    module = parse_text("use d2l\n\nmodel LeNet(classes=10):\n    input 1 x 28 x 28\n"
                        "    features = conv(6, k=5) -> relu\n", "lenet.spec")
    model = module.models[0]
    assert (model.span.line, model.span.column) == (3, 1)
    assert (model.name_span.line, model.name_span.column, model.name_span.end_column) == (3, 7, 12)
    assert (model.params[0].span.line, model.params[0].span.column) == (3, 13)
    input_stmt, named = model.body
    assert (input_stmt.span.line, input_stmt.span.column, input_stmt.span.end_column) == (4, 5, 22)
    assert (named.name_span.column, named.name_span.end_column) == (5, 13)
    conv = named.stmt.items[0]
    assert (conv.span.line, conv.span.column, conv.span.end_column) == (5, 16, 28)
    assert (conv.name_span.column, conv.name_span.end_column) == (16, 20)
    k = conv.kwargs[0]
    assert (k.span.column, k.span.end_column, k.value.span.column) == (24, 27, 26)
    assert all(s.file == "lenet.spec" for s in (model.span, conv.span, k.value.span))


def test_block_span_ends_with_its_last_line():
    module = parse_text("block b(c):\n    repeat 2:\n        relu\n\n\nmodel M:\n    relu\n", "t.spec")
    block = module.blocks[0]
    assert (block.span.line, block.span.end_line, block.span.end_column) == (1, 3, 13)
    assert module.models[0].span.line == 6


def test_span_of_a_call_across_lines():
    (named,) = parse_text("model M:\n    x = conv(c,\n        k=3)\n", "t.spec").models[0].body
    call = named.stmt.items[0]
    assert (call.span.line, call.span.column, call.span.end_line, call.span.end_column) == (2, 9, 3, 13)
    assert (call.kwargs[0].span.line, call.kwargs[0].span.column) == (3, 9)


def test_binary_operator_spans_cover_both_operands():
    (let,) = parse_text("model M:\n    let v = a - b - c\n", "t.spec").models[0].body
    outer = let.value
    assert (outer.span.column, outer.span.end_column) == (13, 22)
    assert (outer.left.span.column, outer.left.span.end_column) == (13, 18)


def test_for_target_spans():
    (loop,) = parse_text("model M:\n    for i, n in xs:\n        relu\n", "t.spec").models[0].body
    assert [(s.column, s.end_column) for s in loop.target_spans] == [(9, 10), (12, 13)]


def positions(span) -> tuple[int, int, int, int]:
    return span.line, span.column, span.end_line, span.end_column


def test_a_parent_measures_a_bracketed_operand_with_its_brackets():
    """Lark's `propagate_positions` "container" rule, which the tree builder keeps without a tree.

    A parenthesised expression spans its inside; its parent counts the
    brackets. A `+ - * / // %` chain spans operand to operand, but its
    parent measures it with its operands' brackets too.
    """
    let, chain = parse_text("model M:\n    let v = (a) + b * (c)\n    (conv(3)) -> (relu)\n",
                            "t.spec").models[0].body
    assert positions(let.value.right.span) == (2, 19, 2, 25)
    assert positions(let.value.span) == (2, 14, 2, 25)
    assert positions(let.span) == (2, 5, 2, 26)
    assert [positions(item.span) for item in chain.items] == [(3, 6, 3, 13), (3, 19, 3, 23)]
    assert positions(chain.span) == (3, 5, 3, 24)


def test_spans_of_use_lines_if_statements_and_the_module():
    module = parse_text("use d2l\n\n\nmodel M(a=1):\n    if a:\n        relu\n    elif (a):\n        relu\n"
                        "    else:\n        flatten\n\n# end\n", "t.spec")
    assert positions(module.uses[0].span) == (1, 1, 4, 1)  # a `use` line ends after the blank lines below it
    branch = module.models[0].body[0]
    assert positions(branch.span) == (5, 5, 10, 16)  # to the end of the `else` body
    assert [positions(b.span) for b in branch.branches] == [(5, 5, 10, 16), (7, 5, 8, 13)]
    assert positions(module.span) == (1, 1, 10, 16)
    assert positions(parse_text("# nothing\n", "t.spec").span) == (1, 10, 2, 1)


# ---------------------------------------------------------------- the grammar and the tree builder


def test_the_keywords_are_the_grammars_words():
    """`lalr.KEYWORDS` (the indenter's glued-keyword check, the property tests' names) must follow the grammar."""
    words = {t.pattern.value for t in lalr._parser().terminals
             if t.pattern.type == "str" and re.fullmatch(lalr.NAME, t.pattern.value)}
    assert words == lalr.KEYWORDS | {"x"}  # `x` is a name except between sizes
    assert lalr._parser().get_terminal("NAME").pattern.value == lalr.NAME


def test_every_grammar_rule_has_a_callback():
    """A rule without one would put Lark's `Tree` into the AST; only a `?rule` passing its one child through may lack it."""
    for rule in lalr._parser().rules:
        name = rule.alias or rule.origin.name
        if name.startswith("__"):
            continue  # Lark's helper for a repetition: its children arrive flattened into the parent's
        passes_through = rule.options.expand1 and len(rule.expansion) == 1
        assert passes_through or callable(getattr(AstBuilder, name, None)), rule


def test_errors_beyond_the_grammar_and_syntax_errors_are_reported_together():
    """`3` is not a layer (found as the parser reduces), the `conv(` below is never closed (found later)."""
    with pytest.raises(SpecError) as caught:
        parse_text("model M:\n    3\n    conv(6\n", "t.spec")
    assert [(e.code, e.span.line) for e in caught.value.errors] == [("E0107", 2), ("E0103", 3)]


# ---------------------------------------------------------------- what does not parse


@pytest.mark.parametrize("text, code", [
    ("", "E0003"),
    ("\n  \n", "E0003"),
    ("model M:\n    conv(6, k=5\n", "E0103"),
    ("model M:\n    relu;\n", "E0102"),
    ("model M:\n    relu\n      relu\n", "E0104"),
    ("model M:\n    relu\n\trelu\n", "E0105"),
    ("model M:\n    conv(p='same)\n", "E0106"),
    ("model M:\n    conv(6) -> [1, 2]\n", "E0107"),
    ("model M:\n    conv(k=3, 6)\n", "E0101"),
    ("model M:\n    if x = 1:\n        relu\n", "E0101"),
    ("model M:\n    let = 3\n", "E0101"),
    ("model M:\n    input 1 x\n", "E0101"),
    ("model M:\n    conv(in.channels)\n", "E0203"),
])
def test_syntax_errors(text: str, code: str):
    with pytest.raises(SpecError) as caught:
        parse_text(text, "t.spec")
    assert caught.value.code == code


def test_several_syntax_errors_and_their_lines():
    with pytest.raises(SpecError) as caught:
        parse_text("model M:\n    relu;\n    conv(6, k=3) relu\n    if x = 1:\n        relu\n    else:\n"
                   "        relu\n    flatten\n", "t.spec")
    assert [(e.code, e.span.line) for e in caught.value.errors] == [("E0102", 2), ("E0101", 3), ("E0101", 4)]


def test_the_checker_walks_every_field_that_holds_an_expression():
    """`check._EXPR_CHILDREN` is written out for speed: it must follow the AST's fields."""
    import typing

    from specc.check import _EXPR_CHILDREN

    for cls in (*typing.get_args(typing.get_args(ast.Expr)[0]), ast.Keyword):
        kind = cls.model_fields["kind"].default
        holding = {name for name, info in cls.model_fields.items()
                   if name not in ("span", "name_span", "kind") and "Expr" in str(info.annotation)
                   or "Keyword" in str(info.annotation)}
        assert set(_EXPR_CHILDREN.get(kind, ())) == holding, kind


def test_parses_in_several_threads_take_turns():
    """Lark's callbacks and the indenter hold one parse's state: threads must not interleave inside it."""
    import threading

    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "specs" / "lenet.spec", DESIGN)}
    expected = {name: parse_text(text, name) for name, text in texts.items()}
    wrong = []

    def parse_all():
        for _ in range(3):
            for name, text in texts.items():
                try:
                    if parse_text(text, name) != expected[name]:
                        wrong.append(name)
                except Exception as error:  # a thread's exception would only be printed
                    wrong.append(f"{name}: {error!r}")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, inside parses too
    try:
        threads = [threading.Thread(target=parse_all) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []
