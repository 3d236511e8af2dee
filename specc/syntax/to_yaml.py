"""AST -> YAML text, in the compact hand-written style (`specc fmt --to yaml`).

    to_yaml(parse_text("model M:\\n    input 1 x 28 x 28\\n    conv(6, k=5) -> relu\\n"))

gives

    models:
      M:
        input: [1, 28, 28]
        layers:
          - [conv: [6, {k: 5}], relu]

The choices, in order of preference: a bare layer is its name (`- relu`); a
call is a one-key mapping (`- conv: [64, {k: 3}]`, `- linear: 10`,
`- maxpool: {k: 2}`); a chain is a flow list of those, or a `chain:` block
list when the line would pass `MAX_LINE`; other statements are block
mappings keyed by their keyword; expressions the YAML scalars cannot say
(tuples, operators, names) are strings of DSL. `parse_yaml(to_yaml(m))`
equals `m` but for spans. Comments of the source are kept as YAML comments.
"""

from __future__ import annotations

import io
from typing import Callable, Optional

import yaml
from yaml.emitter import Emitter
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from ..diagnostics import SpecError
from . import ast
from .comments import Attached, Comment, Writer, anchor_lines, else_line, param_lines
from .templates import is_plain
from .unparse import ATOM, chain_text, default_text, init_text, op_rules, quote, unparse_expr, unparse_layer
from .visit import StatementVisitor
from .yaml_form import RESERVED_KEYS

MAX_LINE = 100
STEP = "  "
STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()


# ---------------------------------------------------------------- scalars and values


def scalar(text: str, flow: bool = True) -> str:
    """`text` as a YAML scalar that reads back as this very string: plain when YAML allows, else quoted."""
    analysis = Emitter(io.StringIO()).analyze_scalar(text)
    plain_ok = analysis.allow_flow_plain if flow else analysis.allow_block_plain
    if text and plain_ok and not analysis.multiline and _resolves_to_str(text):
        return text
    if "'" in text and '"' not in text and "\\" not in text and text.isprintable():
        return f'"{text}"'
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return yaml.safe_dump(text, default_style='"', width=10**6).strip().removesuffix("...").strip()


def _resolves_to_str(text: str) -> bool:
    return _RESOLVER.resolve(ScalarNode, text, (True, False)) == STR_TAG


def value(node, flow: bool = True) -> str:
    """An expression as YAML: a native number, boolean or list where that reads back the same, else DSL text."""
    kind = node.kind
    if kind == "int" and node.value >= 0:
        return str(node.value)
    if kind == "float" and node.value >= 0:
        return scalar(repr(node.value), flow) if not _is_float(repr(node.value)) else repr(node.value)
    if kind == "bool":
        return "true" if node.value else "false"
    if kind == "unary" and node.op == "-" and node.operand.kind in ("int", "float") and node.operand.value >= 0:
        return "-" + value(node.operand)
    if kind == "list" and all(_simple(item) for item in node.items):
        return "[" + ", ".join(value(item) for item in node.items) + "]"
    return scalar(unparse_expr(node), flow)


def _is_float(text: str) -> bool:
    return _RESOLVER.resolve(ScalarNode, text, (True, False)) == "tag:yaml.org,2002:float"


def _simple(node) -> bool:
    if node.kind in ("int", "float", "bool", "name", "in"):
        return True
    if node.kind == "unary":
        return node.op == "-" and node.operand.kind in ("int", "float")
    return node.kind == "list" and all(_simple(item) for item in node.items)


def key(name: str) -> str:
    return scalar(name)


# ---------------------------------------------------------------- calls and layers


def keywords(items: list[ast.Keyword]) -> str:
    return "{" + ", ".join(f"{key(k.name)}: {value(k.value)}" for k in items) + "}"


def targets(items: list) -> str:
    """The targets of a `for`: `i, n` as a string, or a flow list once a group nests (`[i, [w, d]]`)."""
    if all(isinstance(t, str) for t in items):
        return scalar(", ".join(items), flow=False)
    return _target_list(items)


def _target_list(items: list) -> str:
    return "[" + ", ".join(key(t) if isinstance(t, str) else _target_list(t.targets) for t in items) + "]"


def _param_item(param) -> str:
    """A parameter as an item of `params: [...]`: `channels`, `{stride: 1}`, or `"skip: tensor"`."""
    if param.tensor:
        return f'"{param.name}: tensor"'
    return key(param.name) if param.default is None else "{" + f"{key(param.name)}: {value(param.default)}" + "}"


def dsl_statement(stmt) -> Optional[str]:
    """The statement as one line of DSL, for the statements YAML writes so: None for the others.

    `... as name` (a chain that names its value), `... as (a, b)` and `input name: ...`: the YAML
    reader parses a string statement with the DSL's grammar, so these round-trip as they are.
    """
    if stmt.kind == "input" and stmt.name is not None:
        return f"input {stmt.name}: " + " x ".join(unparse_expr(d, ATOM) for d in stmt.dims)
    if stmt.kind == "chain" and (stmt.capture is not None or stmt.unpack is not None):
        return chain_text(stmt)
    if stmt.kind == "named" and stmt.stmt.kind == "chain" and (stmt.stmt.capture is not None
                                                               or stmt.stmt.unpack is not None):
        name = stmt.name if is_plain(stmt.name) else quote(stmt.name)
        return f"{name} = {chain_text(stmt.stmt)}"
    return None


def call_mapping(node: ast.Call) -> Optional[str]:
    """`conv: [64, {k: 3}]` for a call, or None when only DSL text can say it (a bare or reserved name)."""
    names = [k.name for k in node.kwargs]
    if node.bare or node.name in RESERVED_KEYS or len(set(names)) < len(names):
        return None  # (a keyword given twice is an error, but one that `check` should report, not YAML)
    kwargs = keywords(node.kwargs)
    if not node.args:
        return f"{key(node.name)}: {kwargs if node.kwargs else '[]'}"
    if len(node.args) == 1 and not node.kwargs:
        single = value(node.args[0])
        return f"{key(node.name)}: {'[' + single + ']' if single.startswith('[') else single}"
    items = [value(a) for a in node.args] + ([kwargs] if node.kwargs else [])
    return f"{key(node.name)}: [{', '.join(items)}]"


def op_arg(node: ast.OpArg) -> str:
    """An argument of a declared op as a list item: `units`, `{p: 0.5}`, `{units: {kind: channels}}`."""
    if node.type is None:
        return key(node.name) if node.default is None else "{" + f"{key(node.name)}: {value(node.default)}" + "}"
    spec = f"kind: {key(node.type)}" + ("" if node.default is None else f", default: {value(node.default)}")
    return "{" + f"{key(node.name)}: " + "{" + spec + "}}"


def torch_call(node: ast.OpDef) -> str:
    """`pkg.mod.Class`, or with constructor arguments `{pkg.mod.Class: [in.c, units]}`."""
    if not node.call_args and not node.call_kwargs:
        return key(node.target)
    names = [k.name for k in node.call_kwargs]
    if len(set(names)) < len(names):
        raise SpecError("E0211", f"an argument of `{node.target}` is given twice in op `{node.name}`, which YAML "
                        "cannot say", node.target_span.to_diagnostic(), label="an argument given twice",
                        help="give each argument once before converting to YAML")
    kwargs = keywords(node.call_kwargs)
    if len(node.call_args) == 1 and not node.call_kwargs:
        single = value(node.call_args[0])
        return "{" + f"{key(node.target)}: {'[' + single + ']' if single.startswith('[') else single}" + "}"
    items = [value(a) for a in node.call_args] + ([kwargs] if node.call_kwargs else [])
    return "{" + f"{key(node.target)}: [{', '.join(items)}]" + "}"


def layer(node, flow: bool = True) -> str:
    """One layer: a call mapping, or DSL text (`relu`, `a if c else b`)."""
    if node.kind == "call":
        mapping = call_mapping(node)
        if mapping is not None:
            return mapping
    return scalar(unparse_layer(node), flow)


def chain_flow(node: ast.Chain) -> str:
    return "[" + ", ".join(layer(item) for item in node.items) + "]"


# ---------------------------------------------------------------- the file


def to_yaml(module: ast.Module, source: str = "", comments: tuple[Comment, ...] | list[Comment] = ()) -> str:
    """The YAML form of `module`; `comments` (found in `source`) become YAML comments in place."""
    attached = Attached(comments, anchor_lines(module, source), source)
    return _YamlWriter(attached, source).module(module)


def _no_duplicates(definitions: list) -> None:
    seen: dict[str, object] = {}
    for definition in definitions:
        if definition.name in seen:
            raise SpecError("E0206", f"`{definition.name}` is defined twice, which YAML cannot say",
                            definition.name_span.to_diagnostic(), label="a second definition",
                            help="rename one of them before converting to YAML")
        seen[definition.name] = definition


class _YamlWriter(Writer, StatementVisitor):
    def __init__(self, comments: Attached, source: str) -> None:
        super().__init__(comments)
        self.source_lines = source.splitlines()

    def module(self, module: ast.Module) -> str:
        _no_duplicates([*module.blocks, *module.models])
        _no_duplicates(module.ops)
        first_anchor = min([u.span.line for u in module.uses] +
                           [d.span.line for d in [*module.ops, *module.blocks, *module.models]], default=None)
        if first_anchor is not None:
            self.header(first_anchor)
        self.uses(module.uses)
        for section, definitions in (("ops", module.ops), ("blocks", module.blocks), ("models", module.models)):
            if definitions:
                self.blank(0, False, True)
                self.raw(f"{section}:")
                for index, definition in enumerate(sorted(definitions, key=lambda d: d.span.line)):
                    if isinstance(definition, ast.OpDef):
                        self.op_definition(definition, first=index == 0)
                    else:
                        self.definition(definition, first=index == 0)
        self.footer()
        return self.text()

    def header(self, line: int) -> None:
        """The file's opening comments, up to the last blank line before the first anchor, go on top."""
        leading = self.comments.leading.get(line, [])
        cut = 0
        for index in range(len(leading)):
            after = leading[index + 1].line if index + 1 < len(leading) else line
            if self.comments.blank_before(after):
                cut = index + 1
        for comment in leading[:cut]:
            self.blank(comment.line, not self.out, None)
            self.raw(comment.text)
        if cut:
            self.raw("")
        self.comments.leading[line] = leading[cut:]

    def uses(self, uses: list[ast.Use]) -> None:
        def target(use: ast.Use) -> str:
            if use.is_path and use.target.isidentifier():
                return "{path: " + scalar(use.target) + "}"
            return scalar(use.target)

        if len(uses) == 1:
            self.emit("", f"use: {target(uses[0])}", uses[0].span.line, first=True)
        elif uses:
            self.raw("use:")
            for index, use in enumerate(uses):
                self.emit(STEP, f"- {target(use)}", use.span.line, first=index == 0)

    def definition(self, node, first: bool) -> None:
        pad = STEP
        self.emit(pad, f"{key(node.name)}:", node.span.line, first, blank=not first)
        inner = pad + STEP
        if isinstance(node, ast.ModelDef) and node.extends is not None:
            names = [k.name for k in node.defaults]
            if len(set(names)) < len(names):
                raise SpecError("E0211", f"a parameter of `{node.extends}` is given twice in `{node.name}`, which YAML "
                                "cannot say", node.name_span.to_diagnostic(), label="a parameter given twice",
                                help="give each parameter once before converting to YAML")
            self.raw(f"{inner}extends: {key(node.extends)}")
            if node.defaults:
                self.mapping("params", [(k.name, k.value) for k in node.defaults], inner)
            return
        if node.params:
            self.params(node, inner)
        body = list(node.body)
        # (`layers` may not be empty; a named input stays a statement: `input:` has no place for its name)
        hoisted = len(body) > 1 and isinstance(body[0], ast.Input) and body[0].name is None
        if hoisted:
            self.emit(inner, f"input: {self.dims(body[0])}", body[0].span.line, first=True, blank=False)
            body = body[1:]
        self.raw(f"{inner}layers:")
        # After a hoisted `input`, a blank line before the first layer is kept, as between any two statements.
        self.body(body, inner + STEP, first=not hoisted)

    def op_definition(self, node: ast.OpDef, first: bool) -> None:
        """`my_linear:` with `args`, `torch` and the rules, each key on its own line."""
        self.emit(STEP, f"{key(node.name)}:", node.span.line, first, blank=not first)
        pad = STEP * 2
        if node.args:
            items = [op_arg(a) for a in node.args]
            flow = "args: [" + ", ".join(items) + "]"
            if len(pad + flow) <= MAX_LINE:
                self.raw(pad + flow)
            else:
                self.raw(pad + "args:")
                for item in items:
                    self.raw(f"{pad}{STEP}- {item}")
        self.raw(f"{pad}torch: {torch_call(node)}")
        for name, rule in op_rules(node):
            self.emit(pad, f"{name}: {value(rule, flow=False)}", rule.span.line, False, blank=False)

    def params(self, node, pad: str) -> None:
        params = node.params
        unique = len({p.name for p in params}) == len(params)
        as_mapping = unique and all(p.default is not None for p in params)
        if self.comments.within(param_lines(node)):
            # One parameter per line, each with the comments written beside or above it.
            self.raw(pad + "params:")
            for p in params:
                text = f"{key(p.name)}: {value(p.default, flow=False)}" if as_mapping else "- " + _param_item(p)
                self.emit(pad + STEP, text, p.span.line if p.span.line != node.span.line else -1, False, blank=False)
            return
        if as_mapping:
            self.mapping("params", [(p.name, p.default) for p in params], pad)
            return
        self.raw(pad + "params: [" + ", ".join(_param_item(p) for p in params) + "]")

    def mapping(self, name: str, items: list[tuple[str, object]], pad: str) -> None:
        """`name: {a: 1, b: 2}`, or one key per line when that passes `MAX_LINE`."""
        flow = f"{name}: {{" + ", ".join(f"{key(k)}: {value(v)}" for k, v in items) + "}"
        if len(pad + flow) <= MAX_LINE:
            self.raw(pad + flow)
            return
        self.raw(f"{pad}{name}:")
        for k, v in items:
            self.raw(f"{pad}{STEP}{key(k)}: {value(v, flow=False)}")

    @staticmethod
    def dims(node: ast.Input) -> str:
        return "[" + ", ".join(value(d) for d in node.dims) + "]"

    # -- statements

    def body(self, body: list, pad: str, first: bool = True) -> None:
        for index, stmt in enumerate(body):
            self.statement(stmt, pad, first=first and index == 0)

    def statement(self, stmt, pad: str, first: bool) -> None:
        """`stmt` as an item of a list of statements, at `pad`."""
        line = stmt.span.line
        text = dsl_statement(stmt)
        if text is not None:  # named values and named inputs are written as a line of DSL
            self.emit(pad, "- " + scalar(text, flow=False), line, first)
            return
        if stmt.kind == "named":
            inline = self.named_flow(stmt)
            if inline is not None and len(pad) + 2 + len(inline) <= MAX_LINE:
                self.emit(pad, "- " + inline, line, first)
                return
        if stmt.kind == "chain":
            text = self.chain_item(stmt, pad)
            if text is not None:
                self.emit(pad, "- " + text, line, first)
                return
        self.visit(stmt, lambda head: self.emit(pad, "- " + head, line, first), pad + STEP)

    def chain_item(self, chain: ast.Chain, pad: str) -> Optional[str]:
        """A chain as one list item: `relu`, `conv: [64]` or `[conv: 64, relu]`; None if too long."""
        if len(chain.items) == 1:
            return layer(chain.items[0], flow=False)
        text = chain_flow(chain)
        return text if len(pad) + 2 + len(text) <= MAX_LINE else None

    @staticmethod
    def named_flow(stmt: ast.Named) -> Optional[str]:
        """`{name: b2, resnet_block: [64, 2]}`: a named chain as a flow mapping, or None."""
        inner = stmt.stmt
        if not isinstance(inner, ast.Chain):
            return None
        only = inner.items[0] if len(inner.items) == 1 else None
        mapping = call_mapping(only) if only is not None and only.kind == "call" else None
        if mapping is None:
            mapping = "chain: " + (layer(only) if only is not None else chain_flow(inner))
        return "{name: " + key(stmt.name) + ", " + mapping + "}"

    def keyed(self, stmt, pad: str) -> None:
        """A nameable statement as the keys after `name:`, at `pad`."""
        if isinstance(stmt, ast.Chain):
            only = stmt.items[0] if len(stmt.items) == 1 else None
            mapping = call_mapping(only) if only is not None and only.kind == "call" else None
            if mapping is not None:
                self.raw(pad + mapping)
                return
            text = layer(only, flow=False) if only is not None else chain_flow(stmt)
            if len(pad) + 7 + len(text) <= MAX_LINE:
                self.raw(f"{pad}chain: {text}")
                return
        self.visit(stmt, lambda head: self.raw(pad + head), pad)

    # One handler per statement kind, in block form: `head(text)` writes the statement's
    # first key (after `- ` in a list, or as it stands after `name:`), the rest goes at `pad`.

    def visit_chain(self, stmt: ast.Chain, head: Callable[[str], None], pad: str) -> None:
        head("chain:")
        for item in stmt.items:
            self.raw(f"{pad}{STEP}- {layer(item, flow=False)}")

    def visit_input(self, stmt: ast.Input, head: Callable[[str], None], pad: str) -> None:
        head(f"input: {self.dims(stmt)}")  # (a named one is DSL text: `dsl_statement`)

    def visit_output(self, stmt: ast.Output, head: Callable[[str], None], pad: str) -> None:
        head(f"output: {value(stmt.value, flow=False)}")

    def visit_let(self, stmt: ast.Let, head: Callable[[str], None], pad: str) -> None:
        head("let: {" + f"{key(stmt.name)}: {value(stmt.value)}" + "}")

    def visit_named(self, stmt: ast.Named, head: Callable[[str], None], pad: str) -> None:
        head(f"name: {key(stmt.name)}")
        self.keyed(stmt.stmt, pad)

    def visit_combine(self, stmt: ast.Combine, head: Callable[[str], None], pad: str) -> None:
        if stmt.parts is None:
            head(f"{stmt.op}:")
        else:  # `chunk: 2` / `split: [16, 48]`, then the branches under `do:`
            head(f"{stmt.op}: {value(stmt.parts, flow=False)}")
            self.raw(pad + "do:")
        self.body(stmt.body, pad + STEP)

    def visit_seq(self, stmt: ast.Seq, head: Callable[[str], None], pad: str) -> None:
        head("sequential:" if stmt.module else "seq:")
        self.body(stmt.body, pad + STEP)

    def visit_repeat(self, stmt: ast.Repeat, head: Callable[[str], None], pad: str) -> None:
        head(f"repeat: {value(stmt.count, flow=False)}")
        self.raw(pad + "do:")
        self.body(stmt.body, pad + STEP)

    def visit_for(self, stmt: ast.For, head: Callable[[str], None], pad: str) -> None:
        head(f"for: {targets(stmt.targets)}")
        self.raw(f"{pad}in: {value(stmt.iter, flow=False)}")
        self.raw(pad + "do:")
        self.body(stmt.body, pad + STEP)

    def visit_default(self, stmt: ast.Default, head: Callable[[str], None], pad: str) -> None:
        names = [k.name for k in stmt.kwargs]
        if len(set(names)) < len(names):  # a keyword given twice (an error `check` reports): only DSL text says it
            head(scalar(f"default {default_text(stmt)}", flow=False))
            return
        head("default: {" + f"{key(stmt.op)}: {keywords(stmt.kwargs)}" + "}")

    def visit_init(self, stmt: ast.Init, head: Callable[[str], None], pad: str) -> None:
        names = [k.name for k in stmt.rules]
        if len(set(names)) < len(names) or not stmt.rules:  # what only DSL text says (errors `check` reports)
            head(scalar(init_text(stmt), flow=False))
            return
        head("init: {" + f"{key(stmt.target_text())}: {keywords(stmt.rules)}" + "}")

    def visit_if(self, stmt: ast.If, head: Callable[[str], None], pad: str) -> None:
        head(f"if: {value(stmt.branches[0].test, flow=False)}")
        self.if_rest(stmt, pad)

    def if_rest(self, stmt: ast.If, pad: str) -> None:
        self.raw(pad + "then:")
        self.body(stmt.branches[0].body, pad + STEP)
        if len(stmt.branches) > 1:
            self.raw(pad + "elif:")
            for index, branch in enumerate(stmt.branches[1:]):
                self.emit(pad + STEP, f"- if: {value(branch.test, flow=False)}", branch.span.line,
                          first=index == 0, blank=False)
                self.raw(f"{pad}{STEP}{STEP}then:")
                self.body(branch.body, pad + STEP * 3)
        if stmt.orelse:
            line = else_line(stmt, self.source_lines)
            self.emit(pad, "else:", line if line is not None else -1, first=False, blank=False)
            self.body(stmt.orelse, pad + STEP)
