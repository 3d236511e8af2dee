"""AST -> DSL text: the core of `specc fmt` (and of `specc fmt --to spec` for YAML files).

    unparse(parse_text("model M:\\n  input 1x28x28\\n  relu\\n"))
    # 'model M:\\n    input 1 x 28 x 28\\n    relu\\n'

The canonical form: four spaces per level, one statement per line, `use`
lines first, definitions in source order separated by one blank line, blank
lines inside bodies kept (at most one), the fewest parentheses that keep the
tree, strings in double quotes. A header longer than `MAX_HEADER` columns,
or with comments between its parameters, puts one parameter per line (each
comment stays with its parameter); a list default too long for its line
then puts one item per line (a configuration table, one row per line).
Statements are never wrapped.

Comments come from the source text (see `comments.py`) and are re-attached:
own-line comments before the next statement, trailing ones to their line.
"""

from __future__ import annotations

from typing import Optional

from . import ast
from .comments import Attached, Comment, Writer, anchor_lines, else_line, param_lines
from .templates import is_plain
from .visit import StatementVisitor

INDENT = "    "
MAX_HEADER = 100

# Binding power of each expression form, loosest first, as in the grammar:
# test < or < and < not < comparison < arith < term < factor < power < atom.
TEST, OR, AND, NOT, COMPARE, ARITH, TERM, FACTOR, POWER, ATOM = range(10)
_BINARY = {"+": ARITH, "-": ARITH, "*": TERM, "/": TERM, "//": TERM, "%": TERM, "**": POWER}


# ---------------------------------------------------------------- expressions


def unparse_expr(node, context: int = TEST) -> str:
    """`node` as DSL text, in parentheses if it binds looser than `context` requires."""
    text, power = _expr(node)
    return f"({text})" if power < context else text


def _expr(node) -> tuple[str, int]:
    kind = node.kind
    if kind == "int":
        return str(node.value), ATOM if node.value >= 0 else FACTOR
    if kind == "float":
        return repr(node.value), ATOM if node.value >= 0 else FACTOR
    if kind == "bool":
        return ("true" if node.value else "false"), ATOM
    if kind == "str":
        return quote(node.value), ATOM
    if kind == "name":
        return node.id, ATOM
    if kind == "in":
        return f"in.{node.attr}", ATOM
    if kind == "value_shape":
        return f"{node.name}.{node.attr}", ATOM
    if kind == "dict":
        return "{" + ", ".join(f"{unparse_expr(k)}: {unparse_expr(v)}" for k, v in zip(node.keys, node.values)) + "}", ATOM
    if kind == "list":
        return "[" + ", ".join(unparse_expr(i) for i in node.items) + "]", ATOM
    if kind == "tuple":
        items = [unparse_expr(i) for i in node.items]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")", ATOM
    if kind == "index":
        return f"{unparse_expr(node.value, ATOM)}[{unparse_expr(node.index)}]", ATOM
    if kind == "slice":
        bounds = [unparse_expr(b) if b is not None else "" for b in (node.lower, node.upper, node.step)]
        return f"{unparse_expr(node.value, ATOM)}[{':'.join(bounds if node.step is not None else bounds[:2])}]", ATOM
    if kind == "call":
        return call_text(node), ATOM
    return _operator(node)


def _operator(node) -> tuple[str, int]:
    kind = node.kind
    if kind == "binop":
        power = _BINARY[node.op]
        if node.op == "**":  # right-associative, and the base is an atom in the grammar
            return f"{unparse_expr(node.left, ATOM)} ** {unparse_expr(node.right, FACTOR)}", POWER
        return f"{unparse_expr(node.left, power)} {node.op} {unparse_expr(node.right, power + 1)}", power
    if kind == "unary":
        if node.op == "not":
            return f"not {unparse_expr(node.operand, NOT)}", NOT
        return f"{node.op}{unparse_expr(node.operand, FACTOR)}", FACTOR
    if kind == "compare":
        parts = [unparse_expr(node.first, ARITH)]
        for op, operand in zip(node.ops, node.rest):
            parts += [op, unparse_expr(operand, ARITH)]
        return " ".join(parts), COMPARE
    if kind == "boolop":
        power = OR if node.op == "or" else AND
        return f" {node.op} ".join(unparse_expr(v, power + 1) for v in node.values), power
    if kind == "ifexp":
        return (f"{unparse_expr(node.body, OR)} if {unparse_expr(node.test, OR)} "
                f"else {unparse_expr(node.orelse, TEST)}"), TEST
    raise ValueError(f"cannot unparse a `{kind}` node")


def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def call_text(node: ast.Call) -> str:
    if node.bare:
        return node.name
    args = [unparse_expr(a) for a in node.args] + [f"{k.name}={unparse_expr(k.value)}" for k in node.kwargs]
    return f"{node.name}({', '.join(args)})"


def keywords_text(keywords: list) -> str:
    return ", ".join(f"{k.name}={unparse_expr(k.value)}" for k in keywords)


def default_text(node: ast.Default) -> str:
    """`batchnorm(momentum=0.01)`: what follows `default`."""
    return f"{node.op}({keywords_text(node.kwargs)})"


def init_text(node: ast.Init) -> str:
    """`init conv, linear: weight=xavier_uniform, bias=zeros`."""
    return f"init {node.target_text()}: {keywords_text(node.rules)}"


def derived_text(node: ast.ModelDef) -> str:
    """`ResNet50(groups=32)`, or the bare name when no default changes: what follows `model Name =`."""
    return f"{node.extends}({keywords_text(node.defaults)})" if node.defaults else node.extends


def param_text(param: ast.Param, text: str) -> str:
    """A parameter on a line of its own: `text,`, or a list default too long for the line one item per line."""
    default = param.default
    if len(INDENT + text + ",") <= MAX_HEADER or default is None or default.kind != "list" or len(default.items) < 2:
        return f"{text},"
    return f"{param.name}=[\n" + "".join(f"{INDENT}{unparse_expr(item)},\n" for item in default.items) + "],"


def op_arg_text(node: ast.OpArg) -> str:
    """`units: channels`, `scale: float = 1.0` or `k=3`: an annotated default takes spaces, as in Python."""
    if node.type is None:
        return node.name + ("" if node.default is None else "=" + unparse_expr(node.default))
    return f"{node.name}: {node.type}" + ("" if node.default is None else " = " + unparse_expr(node.default))


def op_header(node: ast.OpDef) -> str:
    """`op my_linear(units: channels) = pkg.layers.MyLinear(in.c, units)`: an `op` declaration's first line."""
    args = f"({', '.join(op_arg_text(a) for a in node.args)})" if node.args else ""
    call = [unparse_expr(a) for a in node.call_args] + [f"{k.name}={unparse_expr(k.value)}" for k in node.call_kwargs]
    return f"op {node.name}{args} = {node.target}({', '.join(call)})"


def op_rules(node: ast.OpDef) -> list[tuple[str, ast.Node]]:
    """The rules an `op` declaration gives, in their canonical order."""
    return [(key, getattr(node, key)) for key in ast.OP_RULES if getattr(node, key) is not None]


def unparse_layer(node, context: int = TEST) -> str:
    if node.kind == "call":
        return call_text(node)
    text = (f"{unparse_layer(node.body, OR)} if {unparse_expr(node.test, OR)} "
            f"else {unparse_layer(node.orelse, TEST)}")
    return f"({text})" if context > TEST else text


def chain_text(node: ast.Chain) -> str:
    text = " -> ".join(unparse_layer(item) for item in node.items)
    if node.unpack is not None:
        return f"{text} as ({', '.join(node.unpack)})"
    return f"{text} as {node.capture}" if node.capture is not None else text


# ---------------------------------------------------------------- statements and files


def unparse(module: ast.Module, source: str = "", comments: tuple[Comment, ...] | list[Comment] = ()) -> str:
    """The canonical DSL text of `module`; `comments` (found in `source`) are put back in place."""
    attached = Attached(comments, anchor_lines(module, source), source)
    return _Printer(attached, source).module(module)


class _Printer(Writer, StatementVisitor):
    def __init__(self, comments: Attached, source: str) -> None:
        super().__init__(comments)
        self.source_lines = source.splitlines()

    def emit(self, depth: int, text: str, line: int, first: bool, *, blank: Optional[bool] = None) -> None:
        super().emit(INDENT * depth, text, line, first, blank=blank)

    def module(self, module: ast.Module) -> str:
        for index, use in enumerate(module.uses):
            target = quote(use.target) if use.is_path else use.target
            self.emit(0, f"use {target}", use.span.line, first=index == 0)
        definitions = sorted([*module.ops, *module.blocks, *module.models], key=lambda d: (d.span.line, d.span.column))
        for definition in definitions:
            if isinstance(definition, ast.OpDef):
                self.op_definition(definition, first=not self.out)
            else:
                self.definition(definition, first=not self.out)
        self.footer()
        return self.text()

    def op_definition(self, node: ast.OpDef, first: bool) -> None:
        rules = op_rules(node)
        self.emit(0, op_header(node) + (":" if rules else ""), node.span.line, first, blank=not first)
        for key, value in rules:
            self.emit(1, f"{key}: {unparse_expr(value)}", value.span.line, False, blank=False)

    def definition(self, node, first: bool) -> None:
        keyword = "block" if isinstance(node, ast.BlockDef) else "model"
        if keyword == "model" and node.extends is not None:
            self.emit(0, f"model {node.name} = {derived_text(node)}", node.span.line, first, blank=not first)
            return
        params = [p.name + (": tensor" if p.tensor else "" if p.default is None else "=" + unparse_expr(p.default))
                  for p in node.params]
        header = f"{keyword} {node.name}({', '.join(params)}):"
        if not params:
            header = f"{keyword} {node.name}:"
        elif len(header) > MAX_HEADER or self.comments.within(param_lines(node)):
            # One parameter per line, each with the comments written beside or above it.
            self.emit(0, f"{keyword} {node.name}(", node.span.line, first, blank=not first)
            for param, text in zip(node.params, params):
                self.emit(1, param_text(param, text), param.span.line if param.span.line != node.span.line else -1,
                          False, blank=False)
            self.raw("):")
            self.body(node.body, 1)
            return
        self.emit(0, header, node.span.line, first, blank=not first)
        self.body(node.body, 1)

    def body(self, body: list, depth: int) -> None:
        for index, stmt in enumerate(body):
            self.statement(stmt, depth, first=index == 0)

    def statement(self, stmt, depth: int, first: bool) -> None:
        self.visit(stmt, depth, first, "", stmt.span.line)

    # One handler per statement kind: write `stmt` at `depth`, its first line after `prefix`
    # (`name = ` when the statement is named) and anchored at source line `line` for comments.

    def visit_input(self, stmt: ast.Input, depth: int, first: bool, prefix: str, line: int) -> None:
        name = f"{stmt.name}: " if stmt.name is not None else ""
        self.emit(depth, prefix + "input " + name + " x ".join(unparse_expr(d, ATOM) for d in stmt.dims), line,
                  first)

    def visit_output(self, stmt: ast.Output, depth: int, first: bool, prefix: str, line: int) -> None:
        self.emit(depth, prefix + "output " + unparse_expr(stmt.value), line, first)

    def visit_let(self, stmt: ast.Let, depth: int, first: bool, prefix: str, line: int) -> None:
        self.emit(depth, f"{prefix}let {stmt.name} = {unparse_expr(stmt.value)}", line, first)

    def visit_chain(self, stmt: ast.Chain, depth: int, first: bool, prefix: str, line: int) -> None:
        self.emit(depth, prefix + chain_text(stmt), line, first)

    def visit_named(self, stmt: ast.Named, depth: int, first: bool, prefix: str, line: int) -> None:
        name = stmt.name if is_plain(stmt.name) else quote(stmt.name)
        self.visit(stmt.stmt, depth, first, f"{prefix}{name} = ", line)

    def visit_combine(self, stmt: ast.Combine, depth: int, first: bool, prefix: str, line: int) -> None:
        parts = f" {unparse_expr(stmt.parts)}" if stmt.parts is not None else ""
        self._compound(stmt, f"{stmt.op}{parts}:", depth, first, prefix, line)

    def visit_seq(self, stmt: ast.Seq, depth: int, first: bool, prefix: str, line: int) -> None:
        self._compound(stmt, "sequential:" if stmt.module else "seq:", depth, first, prefix, line)

    def visit_repeat(self, stmt: ast.Repeat, depth: int, first: bool, prefix: str, line: int) -> None:
        self._compound(stmt, f"repeat {unparse_expr(stmt.count)}:", depth, first, prefix, line)

    def visit_for(self, stmt: ast.For, depth: int, first: bool, prefix: str, line: int) -> None:
        self._compound(stmt, f"for {ast.target_text(stmt.targets)} in {unparse_expr(stmt.iter)}:", depth, first,
                       prefix, line)

    def visit_default(self, stmt: ast.Default, depth: int, first: bool, prefix: str, line: int) -> None:
        self.emit(depth, f"{prefix}default {default_text(stmt)}", line, first)

    def visit_init(self, stmt: ast.Init, depth: int, first: bool, prefix: str, line: int) -> None:
        self.emit(depth, f"{prefix}{init_text(stmt)}", line, first)

    def visit_if(self, stmt: ast.If, depth: int, first: bool, prefix: str, line: int) -> None:
        self.if_(stmt, depth, first)

    def _compound(self, stmt, header: str, depth: int, first: bool, prefix: str, line: int) -> None:
        self.emit(depth, prefix + header, line, first)
        self.body(stmt.body, depth + 1)

    def if_(self, node: ast.If, depth: int, first: bool) -> None:
        for index, branch in enumerate(node.branches):
            keyword = "if" if index == 0 else "elif"
            self.emit(depth, f"{keyword} {unparse_expr(branch.test)}:", branch.span.line,
                      first and index == 0, blank=None if index == 0 else False)
            self.body(branch.body, depth + 1)
        if node.orelse:
            line = else_line(node, self.source_lines)
            self.emit(depth, "else:", line if line is not None else -1, False, blank=False)
            self.body(node.orelse, depth + 1)
