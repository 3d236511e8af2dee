"""The tree builder: Lark's parser calls it at every reduction, and it builds the typed AST.

    parser = Lark(grammar, parser="lalr", keep_all_tokens=True, transformer=AstBuilder())
    # `conv(6, k=5) -> relu` reduces to call(...), then chain(...): Chain(items=[Call("conv", ...), Call("relu", bare=True)])

There is no parse tree. Handed to `Lark(...)` as its transformer, each
method below is the callback of the grammar rule (or alias) it is named
after, and gets the rule's children as the parser reduces it: tokens
(`keep_all_tokens`, so keywords and brackets are there to measure spans
from) and what earlier callbacks returned. A `?rule` that matched one child
passes it through untouched; repetitions (`("," param)*`) arrive flattened.

Spans are those of Lark's `propagate_positions`, which Lark cannot compute
without a tree: a node runs from the start of its first child to the end of
its last, keywords, brackets and newlines included. Where a node's parent
measures it from is usually its span, except for a parenthesised operand,
which counts with its brackets, and a `+ - * / // %` chain, whose own spans
run from operand to operand but which counts with its operands' brackets.
Those two record where they are measured from in `self.bracketed`.

The rules beyond the grammar (a chain item must be a layer, positional
arguments first, `in.` takes four names) live here too. Their errors wait
until the whole text has parsed: a syntax error anywhere is reported first,
as when these checks ran over a finished tree.
"""

from __future__ import annotations

import math
from typing import Optional

from ..diagnostics import SpecError, name_too_long, suggest
from ..limits import LIMITS
from . import ast

MAX_DIGITS = LIMITS["int_digits"]

_new_span = tuple.__new__
_Span = ast.Span

make_module = ast.factory(ast.Module, "span", "file", "uses", "blocks", "models", "ops")
make_op = ast.factory(ast.OpDef, "span", "name", "name_span", "args", "target", "target_span", "call_args",
                      "call_kwargs", "shape", "params", "macs")
make_op_arg = ast.factory(ast.OpArg, "span", "name", "type", "type_span", "default")
make_use = ast.factory(ast.Use, "span", "target", "is_path")
make_block = ast.factory(ast.BlockDef, "span", "name", "name_span", "params", "body")
make_model = ast.factory(ast.ModelDef, "span", "name", "name_span", "params", "body")
make_derived = ast.factory(ast.ModelDef, "span", "name", "name_span", "params", "body", "extends", "extends_span",
                           "defaults")
make_default = ast.factory(ast.Default, "span", "op", "op_span", "kwargs")
make_init = ast.factory(ast.Init, "span", "ops", "op_spans", "layer", "layer_span", "rules")
make_unpack = ast.factory(ast.Unpack, "span", "targets", "target_spans")
make_slice = ast.factory(ast.Slice, "span", "value", "lower", "upper", "step")
make_param = ast.factory(ast.Param, "span", "name", "default")
make_tensor_param = ast.factory(ast.Param, "span", "name", "default", "tensor")
make_input = ast.factory(ast.Input, "span", "dims", "name", "name_span")
make_output = ast.factory(ast.Output, "span", "value")
make_let = ast.factory(ast.Let, "span", "name", "name_span", "value")
make_chain = ast.factory(ast.Chain, "span", "items", "capture", "capture_span")
make_unpacking_chain = ast.factory(ast.Chain, "span", "items", "capture", "capture_span", "unpack", "unpack_spans")
make_named = ast.factory(ast.Named, "span", "name", "name_span", "stmt")
make_combine = ast.factory(ast.Combine, "span", "op", "body", "parts")
make_seq = ast.factory(ast.Seq, "span", "body", "module")
make_repeat = ast.factory(ast.Repeat, "span", "count", "body")
make_for = ast.factory(ast.For, "span", "targets", "target_spans", "iter", "body")
make_if = ast.factory(ast.If, "span", "branches", "orelse")
make_branch = ast.factory(ast.IfBranch, "span", "test", "body")
make_ifexp = ast.factory(ast.IfExp, "span", "body", "test", "orelse")
make_boolop = ast.factory(ast.BoolOp, "span", "op", "values")
make_unary = ast.factory(ast.UnaryOp, "span", "op", "operand")
make_compare = ast.factory(ast.Compare, "span", "first", "ops", "rest")
make_binop = ast.factory(ast.BinOp, "span", "op", "left", "right")
make_call = ast.factory(ast.Call, "span", "name", "name_span", "args", "kwargs")
make_bare_call = ast.factory(ast.Call, "span", "name", "name_span", "bare")
make_keyword = ast.factory(ast.Keyword, "span", "name", "value")
make_index = ast.factory(ast.Index, "span", "value", "index")
make_int = ast.factory(ast.Int, "span", "value")
make_float = ast.factory(ast.Float, "span", "value")
make_str = ast.factory(ast.Str, "span", "value")
make_bool = ast.factory(ast.Bool, "span", "value")
make_name = ast.factory(ast.Name, "span", "id")
make_in_shape = ast.factory(ast.InShape, "span", "attr")
make_value_shape = ast.factory(ast.ValueShape, "span", "name", "attr")
make_dict = ast.factory(ast.DictExpr, "span", "keys", "values")
make_tuple = ast.factory(ast.TupleExpr, "span", "items")
make_list = ast.factory(ast.ListExpr, "span", "items")
make_layer_if = ast.factory(ast.LayerIf, "span", "body", "test", "orelse")

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}
_SHAPE_PARTS = ("c", "h", "w", "hw", "shape")


class AstBuilder:
    """One callback per grammar rule; each gets the rule's children and returns its node.

    A suite returns `(statements, dedent)`: its statements, and the token
    where it ends (a block ends where its last line does), which is where
    the statement that opens it ends too. `file` names the text being
    parsed; `begin` and `end` frame each parse, and `end` hands out the
    first error a rule beyond the grammar found.
    """

    def __init__(self) -> None:
        self.file = "<spec>"
        # id(node) -> (node, line, column, end_line, end_column): where its parent
        # measures it from, when that is not its span. Laid out as a span is (the
        # node where the file goes), so either reads the same by index. The entry
        # holds the node, so its id cannot be reused while the entry stands.
        self.bracketed: dict[int, tuple] = {}
        self.error: Optional[SpecError] = None
        self.deferred: list[SpecError] = []  # every error beyond the grammar, in the order found (for recovery)

    def begin(self, file: str) -> None:
        """Get ready to build the AST of `file`."""
        self.file, self.error = file, None
        self.bracketed.clear()
        self.deferred.clear()  # in place, like `bracketed` (a list of an earlier parse may be frozen: collector.py)

    def end(self) -> Optional[SpecError]:
        """Forget this parse's notes; the first error found beyond the grammar, if any."""
        self.bracketed.clear()
        error, self.error = self.error, None
        return error

    def _defer(self, error: SpecError, stand_in):
        """Keep the first error for `end` and let the parse go on (a syntax error later wins)."""
        if self.error is None:
            self.error = error
        self.deferred.append(error)
        return stand_in

    # -- spans

    def _token_span(self, token) -> ast.Span:
        return _new_span(_Span, (self.file, token.line, token.column, token.end_line, token.end_column))

    def _tokens_span(self, first, last) -> ast.Span:
        return _new_span(_Span, (self.file, first.line, first.column, last.end_line, last.end_column))

    def _token_to_node(self, first, node) -> ast.Span:
        outer = self.bracketed.get(id(node)) if self.bracketed else None
        end = node.span if outer is None else (None, None, None, outer[3], outer[4])
        return _new_span(_Span, (self.file, first.line, first.column, end[3], end[4]))

    def _node_to_token(self, node, last) -> ast.Span:
        outer = self.bracketed.get(id(node)) if self.bracketed else None
        start = node.span if outer is None else outer
        return _new_span(_Span, (self.file, start[1], start[2], last.end_line, last.end_column))

    def _between(self, first, last) -> ast.Span:
        """From where node `first` starts to where node `last` ends, counting the brackets around them."""
        start, end = first.span, last.span
        if self.bracketed:
            start = self.bracketed.get(id(first), start)
            outer = self.bracketed.get(id(last))
            if outer is not None:
                end = (None, None, None, outer[3], outer[4])
        return _new_span(_Span, (self.file, start[1], start[2], end[3], end[4]))

    def _edge(self, child) -> ast.Span:
        """Where a token, or a node as its parent measures it, lies: for the top level, where both come."""
        return self._between(child, child) if isinstance(child, ast.Node) else self._token_span(child)

    # -- top level

    def start(self, children):
        # `_NL? toplevel*`: a text of nothing but comments and blank lines is a module of nothing.
        items = children[1:] if children and not isinstance(children[0], ast.Node) else children
        first, last = (self._edge(children[0]), self._edge(children[-1])) if children else ((None, 1, 1, 1, 1),) * 2
        span = _new_span(_Span, (self.file, first[1], first[2], last[3], last[4]))
        return make_module(span, self.file, [i for i in items if isinstance(i, ast.Use)],
                           [i for i in items if isinstance(i, ast.BlockDef)],
                           [i for i in items if isinstance(i, ast.ModelDef)],
                           [i for i in items if isinstance(i, ast.OpDef)])

    def use_stmt(self, children):
        keyword, target, newline = children
        is_path = target.type == "STRING"
        return make_use(self._tokens_span(keyword, newline), unquote(target.value) if is_path else target.value,
                        is_path)

    def block_def(self, children):
        return self._definition(make_block, children)

    def model_def(self, children):
        return self._definition(make_model, children)

    def _definition(self, make, children):
        # `block NAME ( [params] ) : suite`; a model's brackets are optional.
        keyword, name, (body, end) = children[0], children[1], children[-1]
        params = children[3] if len(children) == 7 else []
        return make(self._tokens_span(keyword, end), name.value, self._token_span(name), params, body)

    def derived_model(self, children):
        # `model NAME = NAME [( [arguments] )] _NL`
        keyword, name, _, base = children[:4]
        last = children[-2]  # the base's name, or the `)`
        arguments = children[5] if len(children) == 8 else []
        node = make_derived(self._tokens_span(keyword, last), name.value, self._token_span(name), [], [],
                            base.value, self._token_span(base), [a for a in arguments if isinstance(a, ast.Keyword)])
        return self._keywords_only(arguments, f"`model {name.value} = {base.value}(...)`", node)

    def _keywords_only(self, arguments, where: str, node):
        """`default` and a derived model take keyword arguments only: a positional one waits for `end`."""
        for argument in arguments:
            if not isinstance(argument, ast.Keyword):
                return self._defer(SpecError(
                    "E0101", f"expected keyword arguments in {where}, found a positional one", argument.where,
                    label="positional argument", help="name the argument: `name=value`"), node)
        return node

    def op_def(self, children):
        # `op NAME [( [op_args] )] = import_path ( [arguments] ) (_NL | : op_rules)`
        keyword, name = children[0], children[1]
        equals = next(i for i, c in enumerate(children) if getattr(c, "type", None) == "EQUAL")
        args = children[3] if equals == 5 else []
        (target, target_span), rest = children[equals + 1], children[equals + 2:]
        close = next(i for i, c in enumerate(rest) if getattr(c, "type", None) == "RPAR")
        arguments = rest[1] if close == 2 else []
        rules, end = ({}, rest[close]) if close == len(rest) - 2 else rest[-1]
        call_args = [a for a in arguments if not isinstance(a, ast.Keyword)]
        call_kwargs = [a for a in arguments if isinstance(a, ast.Keyword)]
        node = make_op(self._tokens_span(keyword, end), name.value, self._token_span(name), args, target, target_span,
                       call_args, call_kwargs, *(rules.get(key, (None,))[0] for key in ast.OP_RULES))
        if call_args and call_kwargs:
            try:
                check_argument_order(arguments)
            except SpecError as error:
                return self._defer(error, node)
        return self._known_rules(rules, name.value, node)

    def _known_rules(self, rules: dict, op: str, node):
        """Each rule of an `op` is `shape`, `params` or `macs`, given once: a mistake waits for `end`."""
        for key, (_, token, count) in rules.items():
            if key not in ast.OP_RULES:
                return self._defer(SpecError(
                    "E0101", f"expected a rule of op `{op}` (`shape`, `params` or `macs`), found `{key}`",
                    self._token_span(token), label="not a rule",
                    help=suggest(key, ast.OP_RULES) or "`shape:` the output shape, `params:` the parameter count, "
                                                       "`macs:` the mult-adds per sample"), node)
            if count > 1:
                return self._defer(SpecError(
                    "E0211", f"rule `{key}` of op `{op}` is given twice", self._token_span(token),
                    label=f"`{key}` was already given", help="give each rule once"), node)
        return node

    def import_path(self, children):
        names = children[0::2]
        return ".".join(n.value for n in names), self._tokens_span(names[0], names[-1])

    def op_args(self, children):
        return children[0::2]

    def op_arg(self, children):
        # `NAME [: NAME] [= test]`
        name, rest = children[0], children[1:]
        type_token = rest[1] if rest and rest[0].type == "COLON" else None
        default = rest[-1] if rest and isinstance(rest[-1], ast.Node) else None
        last = default if default is not None else type_token if type_token is not None else name
        span = self._token_to_node(name, last) if isinstance(last, ast.Node) else self._tokens_span(name, last)
        return make_op_arg(span, name.value, type_token.value if type_token is not None else None,
                           self._token_span(type_token) if type_token is not None else None, default)

    def op_rules(self, children):
        # `_NL _INDENT op_rule+ _DEDENT`: the rules by key, each (value, key token, times given)
        rules: dict = {}
        for key, value in children[2:-1]:
            if key.value in rules:  # the first value stands; the error points at the second key
                first, _, count = rules[key.value]
                rules[key.value] = (first, key, count + 1)
            else:
                rules[key.value] = (value, key, 1)
        return rules, children[-1]

    def op_rule(self, children):
        key, _, value, _ = children
        return key, value

    def params(self, children):
        return children[0::2]  # the commas between them (and one after) drop out

    def param(self, children):
        # `NAME [: NAME] [= test]`
        name, kind = children[0], None
        if len(children) > 2 and getattr(children[1], "type", None) == "COLON":
            kind, children = children[2], [name, *children[3:]]
        if len(children) == 1:
            span, default = self._tokens_span(name, kind if kind is not None else name), None
        else:
            span, default = self._token_to_node(name, children[2]), children[2]
        if kind is None:
            return make_param(span, name.value, default)
        param = make_tensor_param(span, name.value, default, True)
        if kind.value != "tensor":
            return self._defer(SpecError(
                "E0321", f"expected `tensor` after `{name.value}:`, found `{kind.value}`", self._token_span(kind),
                label="not a kind of parameter", help=f"a block parameter is a value (`{name.value}`) or a tensor "
                f"(`{name.value}: tensor`), given a named value where the block is called"), param)
        if param.default is not None:
            return self._defer(SpecError(
                "E0321", f"expected no default for the tensor parameter `{name.value}`, found one",
                param.default.where, label="a tensor has no default",
                help="every call gives the tensor, a named value of the caller: drop `= ...`"), param)
        return param

    def suite(self, children):
        return children[2:-1], children[-1]  # _NL _INDENT stmt+ _DEDENT

    def stmt(self, children):
        return children[0]  # `simple_stmt _NL`: the newline is where the statement ends, not part of it

    # -- statements

    def input_stmt(self, children):
        # `input [NAME :] dim (x dim)*`
        span = self._token_to_node(children[0], children[-1])
        if len(children) > 2 and getattr(children[2], "type", None) == "COLON":
            name = children[1]
            return make_input(span, children[3::2], name.value, self._token_span(name))
        return make_input(span, children[1::2], None, None)

    def output_stmt(self, children):
        keyword, value = children
        return make_output(self._token_to_node(keyword, value), value)

    def let_stmt(self, children):
        keyword, name, _, value = children
        return make_let(self._token_to_node(keyword, value), name.value, self._token_span(name), value)

    def default_stmt(self, children):
        # `default NAME ( [arguments] )`
        keyword, name, last = children[0], children[1], children[-1]
        arguments = children[3] if len(children) == 5 else []
        node = make_default(self._tokens_span(keyword, last), name.value, self._token_span(name),
                            [a for a in arguments if isinstance(a, ast.Keyword)])
        return self._keywords_only(arguments, f"`default {name.value}(...)`", node)

    def init_stmt(self, children):
        # `init NAME ("," NAME)* : arguments` or `init layer NAME : arguments`
        keyword, arguments = children[0], children[-1]
        targets = children[1:-2]
        rules = [a for a in arguments if isinstance(a, ast.Keyword)]
        if targets[0].type != "NAME":  # the keyword `layer`
            name = targets[1]
            node = make_init(self._token_to_node(keyword, arguments[-1]), [], [], name.value,
                             self._token_span(name), rules)
        else:
            names = targets[0::2]
            node = make_init(self._token_to_node(keyword, arguments[-1]), [t.value for t in names],
                             [self._token_span(t) for t in names], None, None, rules)
        for argument in arguments:
            if not isinstance(argument, ast.Keyword):
                return self._defer(SpecError(
                    "E0101", f"expected `tensor=rule` in `init {node.target_text()}`, found a rule without a tensor",
                    argument.where, label="which tensor?",
                    help="name the tensor the rule initialises: `weight=xavier_uniform`, `bias=zeros`"), node)
        return node

    def chain(self, children):
        # `test ("->" test)* [as NAME | as "(" NAME ("," NAME)* [","] ")"]`
        capture = capture_span = None
        unpack: Optional[list] = None
        at = next((i for i, child in enumerate(children) if getattr(child, "type", None) == "AS"), None)
        if at is None:
            items = children
            span = self._between(children[0], children[-1])
        else:
            items, names = children[:at], [t for t in children[at + 1:] if t.type == "NAME"]
            span = self._node_to_token(children[0], children[-1])
            if len(children) == at + 2:  # `as name`
                capture, capture_span = names[0].value, self._token_span(names[0])
            else:  # `as (a, b)`
                unpack = names
        try:
            layers = [to_layer(item) for item in items[0::2]]
        except SpecError as error:
            return self._defer(error, make_chain(span, [], None, None))
        if unpack is None:
            return make_chain(span, layers, capture, capture_span)
        return make_unpacking_chain(span, layers, None, None, [token.value for token in unpack],
                                    [self._token_span(token) for token in unpack])

    def named_chain(self, children):
        return self._named(children)

    def named_compound(self, children):
        return self._named(children)

    def _named(self, children):
        name, _, stmt = children
        # A quoted name is its text: `"block1-0" = ...` (checked, and its `{...}` read, by `check`).
        text = unquote(name.value) if name.type == "STRING" else name.value
        named = make_named(self._token_to_node(name, stmt), text, self._token_span(name), stmt)
        if len(text) > LIMITS["name_chars"]:  # a bare name's length the lexer checks; a quoted one's here
            return self._defer(name_too_long(len(text), self._token_span(name)), named)
        return named

    def combine(self, children):
        # `concat : suite` or `chunk parts : suite`
        op, (body, end) = children[0], children[-1]
        parts = children[1] if len(children) == 4 else None
        return make_combine(self._tokens_span(op, end), op.value, body, parts)

    def seq(self, children):
        keyword, _, (body, end) = children
        return make_seq(self._tokens_span(keyword, end), body, keyword.value == "sequential")

    def repeat(self, children):
        keyword, count, _, (body, end) = children
        return make_repeat(self._tokens_span(keyword, end), count, body)

    def for_stmt(self, children):
        keyword, targets, _, iterable, _, (body, end) = children
        if len(targets) == 1 and isinstance(targets[0], ast.Unpack) and len(targets[0].targets) > 1:
            targets = targets[0]  # `for (a, b) in` is `for a, b in`
            names, spans = targets.targets, targets.target_spans
        else:
            names, spans = [self._target(t) for t in targets], [self._target_span(t) for t in targets]
        return make_for(self._tokens_span(keyword, end), names, spans, iterable, body)

    def targets(self, children):
        return children[0::2]

    def target(self, children):
        return children[1]  # `( target )`: the target itself

    def unpack(self, children):
        # `( target , [target ("," target)* [","]] )`
        items = [c for c in children[1:-1] if isinstance(c, ast.Unpack) or c.type == "NAME"]
        return make_unpack(self._tokens_span(children[0], children[-1]), [self._target(t) for t in items],
                           [self._target_span(t) for t in items])

    @staticmethod
    def _target(target):
        return target if isinstance(target, ast.Unpack) else target.value

    def _target_span(self, target) -> ast.Span:
        return target.span if isinstance(target, ast.Unpack) else self._token_span(target)

    def if_stmt(self, children):
        keyword, test, _, (body, dedent) = children[:4]
        branches, orelse = [None], None
        end = (dedent.end_line, dedent.end_column)
        for clause in children[4:]:
            if isinstance(clause, ast.IfBranch):
                branches.append(clause)
                end = clause.span[3:]
            else:
                orelse, dedent = clause
                end = (dedent.end_line, dedent.end_column)
        span = _new_span(_Span, (self.file, keyword.line, keyword.column, *end))
        branches[0] = make_branch(span, test, body)  # the `if` branch spans the whole statement
        return make_if(span, branches, orelse)

    def elif_clause(self, children):
        keyword, test, _, (body, end) = children
        return make_branch(self._tokens_span(keyword, end), test, body)

    def else_clause(self, children):
        return children[2]  # the suite: its statements, and where it ends

    # -- expressions

    def ifexp(self, children):
        body, _, test, _, orelse = children
        return make_ifexp(self._between(body, orelse), body, test, orelse)

    def or_(self, children):
        return make_boolop(self._between(children[0], children[-1]), "or", children[0::2])

    def and_(self, children):
        return make_boolop(self._between(children[0], children[-1]), "and", children[0::2])

    def not_(self, children):
        keyword, operand = children
        return make_unary(self._token_to_node(keyword, operand), "not", operand)

    def compare(self, children):
        return make_compare(self._between(children[0], children[-1]), children[0],
                            [op.value for op in children[1::2]], children[2::2])

    def binary(self, children):
        # Left-associative: a - b - c is (a - b) - c, each spanning its operands.
        left = children[0]
        for index in range(1, len(children), 2):
            right = children[index + 1]
            span = _new_span(_Span, (self.file, left.span[1], left.span[2], right.span[3], right.span[4]))
            left = make_binop(span, children[index].value, left, right)
        if self.bracketed:  # an operand in brackets: the parent measures the chain with them
            outer = self._between(children[0], children[-1])
            if outer != left.span:
                self.bracketed[id(left)] = (left, *outer[1:])
        return left

    def unary(self, children):
        op, operand = children
        return make_unary(self._token_to_node(op, operand), op.value, operand)

    def power(self, children):
        base, _, exponent = children
        return make_binop(self._between(base, exponent), "**", base, exponent)

    def call(self, children):
        name, last = children[0], children[-1]
        arguments = children[2] if len(children) == 4 else []
        args = [a for a in arguments if not isinstance(a, ast.Keyword)]
        kwargs = [a for a in arguments if isinstance(a, ast.Keyword)] if len(args) < len(arguments) else []
        node = make_call(self._tokens_span(name, last), name.value, self._token_span(name), args, kwargs)
        if kwargs and args:
            try:
                check_argument_order(arguments)
            except SpecError as error:
                return self._defer(error, node)
        return node

    def arguments(self, children):
        return children[0::2]

    def kwarg(self, children):
        name, _, value = children
        return make_keyword(self._token_to_node(name, value), name.value, value)

    def getitem(self, children):
        value, _, index, bracket = children
        return make_index(self._node_to_token(value, bracket), value, index)

    def slice(self, children):
        # `value [ [lower] : [upper] [: [step]] ]`: the colons say which bound each expression is
        value, bracket = children[0], children[-1]
        bounds: list = [None]
        for child in children[2:-1]:
            if isinstance(child, ast.Node):
                bounds[-1] = child
            else:
                bounds.append(None)
        lower, upper, step = (bounds + [None, None])[:3]
        return make_slice(self._node_to_token(value, bracket), value, lower, upper, step)

    def int_(self, children):
        token = children[0]
        digits = token.value.replace("_", "")
        if len(digits) > MAX_DIGITS:  # Python will not read it (nor should a spec hold it)
            span = self._token_span(token)
            return self._defer(SpecError("E0405", f"expected a number below 10^15, found one with {len(digits):,} "
                                         "digits", span.to_diagnostic(), label="too large",
                                         help="specs describe layer sizes; no size is this large"),
                               make_int(span, 0))
        return make_int(self._token_span(token), int(digits))

    def float_(self, children):
        token = children[0]
        value = float(token.value.replace("_", ""))
        if not math.isfinite(value):  # `1e309`: beyond the largest float, it would read as `inf`
            span = self._token_span(token)
            return self._defer(SpecError("E0405", f"expected a finite number, found `{token.value[:20]}`"
                                         f"{'...' if len(token.value) > 20 else ''}, beyond the largest float",
                                         span.to_diagnostic(), label="too large"), make_float(span, 0.0))
        return make_float(self._token_span(token), value)

    def string(self, children):
        token = children[0]
        return make_str(self._token_span(token), unquote(token.value))

    def true(self, children):
        return make_bool(self._token_span(children[0]), True)

    def false(self, children):
        return make_bool(self._token_span(children[0]), False)

    def name(self, children):
        token = children[0]
        return make_name(self._token_span(token), token.value)

    def in_shape(self, children):
        keyword, _, attr = children
        node = make_in_shape(self._tokens_span(keyword, attr), attr.value)
        if attr.value not in _SHAPE_PARTS:
            return self._defer(SpecError(
                "E0203", f"expected `in.c`, `in.h`, `in.w`, `in.hw` or `in.shape`, found `in.{attr.value}`",
                self._token_span(attr), label="no such part of the shape",
                help="`in` is the shape flowing into the statement: c channels, h height, w width"), node)
        return node

    def atom(self, children):
        # `( test )`: the expression itself, measured by its parent with the brackets.
        opening, inner, closing = children
        self.bracketed[id(inner)] = (inner, opening.line, opening.column, closing.end_line, closing.end_column)
        return inner

    def tuple_(self, children):
        # `( )`, `( test , )` or `( test , tests )`
        items = children[1:2] if len(children) > 2 else []
        if len(children) == 5:
            items.extend(children[3])
        return make_tuple(self._tokens_span(children[0], children[-1]), items)

    def value_shape(self, children):
        name, _, attr = children
        node = make_value_shape(self._tokens_span(name, attr), name.value, attr.value)
        if attr.value not in _SHAPE_PARTS:
            return self._defer(SpecError(
                "E0203", f"expected `{name.value}.c`, `.h`, `.w`, `.hw` or `.shape`, found `{name.value}.{attr.value}`",
                self._token_span(attr), label="no such part of the shape",
                help=f"`{name.value}` is a named value: c channels, h height, w width, hw both"), node)
        return node

    def dict_(self, children):
        entries = children[1] if len(children) == 3 else []
        return make_dict(self._tokens_span(children[0], children[-1]), [k for k, _ in entries],
                         [v for _, v in entries])

    def entries(self, children):
        return children[0::2]

    def entry(self, children):
        key, _, value = children
        return (key, value)

    def list_(self, children):
        items = children[1] if len(children) == 3 else []
        return make_list(self._tokens_span(children[0], children[-1]), items)

    def tests(self, children):
        return children[0::2]


# ---------------------------------------------------------------- rules beyond the grammar


def unquote(token: str) -> str:
    """The value of a string literal: quotes off, escapes replaced (an unknown escape drops out)."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    out, chars = [], iter(body)
    for char in chars:
        out.append(_ESCAPES.get(next(chars, ""), "") if char == "\\" else char)
    return "".join(out)


def to_layer(expr) -> ast.Layer:
    """A chain item must name a layer: an op or block, called or bare, or `a if c else b`."""
    if isinstance(expr, ast.Call):
        return expr
    if isinstance(expr, ast.Name):
        return make_bare_call(expr.span, expr.id, expr.span, True)
    if isinstance(expr, ast.IfExp):
        return make_layer_if(expr.span, to_layer(expr.body), expr.test, to_layer(expr.orelse))
    raise SpecError("E0107", f"expected a layer (an op or block call), found {_describe_expr(expr)}",
                    expr.where, label="not a layer",
                    help="a statement is a chain of layers like `conv(6, k=5) -> relu`; "
                         "to compute a value, use `let name = ...`")


def _describe_expr(expr) -> str:
    return {
        "int": "a number", "float": "a number", "bool": "a boolean", "str": "a string",
        "list": "a list", "tuple": "a tuple", "in": "the input shape",
    }.get(expr.kind, "an expression")


def check_argument_order(arguments) -> None:
    """Positional arguments come first, as in Python: `conv(k=3, 6)` is refused."""
    seen_keyword = None
    for argument in arguments:
        if isinstance(argument, ast.Keyword):
            seen_keyword = argument
        elif seen_keyword is not None:
            raise SpecError("E0101", "expected a keyword argument, found a positional one after "
                            f"`{seen_keyword.name}=`", argument.where,
                            label="positional argument after a keyword argument",
                            help="put positional arguments first, as in Python")
