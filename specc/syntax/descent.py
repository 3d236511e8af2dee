"""The fast path of the DSL front-end: a hand-written lexer and recursive-descent parser.

    parse("model M:\\n    input 1 x 28 x 28\\n    relu\\n", "m.spec")   # the same Module as lalr.parse_text

Lark's LALR parser (`lalr.py`) defines the language and reports its errors,
but in Python it costs ~200 us a line before any AST is built. This parser
reads the same language into the same AST, spans included, several times
faster. It never reports an error: on anything it is not sure of (a syntax
error, a keyword where a name goes, a token Lark's contextual lexer would
split differently, nesting near the limits, an error the AST builder
raises) it raises `Unsure`, and Lark reads the text instead. So it may be
conservative, but it must never accept a text Lark rejects, nor build a
different AST: `tests/test_descent.py` compares the two on every bundled
spec and on generated and mutated ones.

Spans follow Lark's `propagate_positions`: a node runs from the first to
the last token of its rule, brackets and keywords included, and a
parenthesised operand counts with its brackets when its parent's span is
measured (Lark's "container" positions), except in `+ - * / // %` chains,
whose spans run from operand to operand. A block ends where the newline
that closes its last line begins; `use` ends after the blank lines that
follow it.
"""

from __future__ import annotations

import re
import string

from ..diagnostics import SpecError
from . import ast
from .build import MAX_BLOCK_DEPTH, MAX_EXPRESSION_DEPTH, NESTING_OPERATORS, make_bare_call, to_layer, unquote


class Unsure(Exception):
    """The fast path cannot vouch for this text: Lark must read it."""


# ---------------------------------------------------------------- tokens

# The terminals of grammar/specc.lark, in the order Lark tries them (longest
# pattern first: FLOAT before INT; `->` before `-`). `tests/test_descent.py`
# checks the patterns against the grammar's.
NEWLINE = r"(\r?\n[\t ]*(#[^\n]*)?)+"
FLOAT = (r"([0-9](_?[0-9])*\.([0-9](_?[0-9])*)?|\.[0-9](_?[0-9])*)([eE][+-]?[0-9]+)?"
         r"|[0-9](_?[0-9])*[eE][+-]?[0-9]+")
INT = r"[0-9](_?[0-9])*"
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
STRING = r""""[^"\\\n]*(\\.[^"\\\n]*)*"|'[^'\\\n]*(\\.[^'\\\n]*)*'"""
COMMENT = r"#[^\n]*"
CONTINUATION = r"\\[\t ]*\r?\n"

def _plain(pattern: str) -> str:
    """`pattern` with its groups made non-capturing, so `findall` returns whole tokens."""
    return re.sub(r"\((?!\?)", "(?:", pattern)


# One token a match, with the blanks before it: `findall` does the whole text
# in C (a match with no groups is one string, the cheapest thing it can
# return), and the first character tells the kind. Lark's %ignore'd blanks,
# comments and line continuations come back as tokens to step over.
_PIECE = re.compile(
    r"[\t ]*(?:"
    + "|".join([
        _plain(NEWLINE), COMMENT, CONTINUATION,
        # `x` right after a number (`28x28`): Lark's contextual lexer splits it
        # off where the grammar takes `x` between sizes; elsewhere it is refused.
        r"(?<=[0-9])x",
        _plain(FLOAT), _plain(INT), NAME, _plain(STRING),
        r"->|\*\*|//|==|!=|<=|>=|[-+*/%<>,.:=()\[\]]",
        r"[\s\S]",  # anything else, one character: not a token (a lone `\\`, `"` or `\r` among them)
    ])
    + ")"
)

KEYWORDS = frozenset({"use", "block", "model", "input", "let", "seq", "repeat", "for", "in", "if", "elif",
                      "else", "not", "and", "or", "true", "True", "false", "False", "concat", "add"})
# The kind of every punctuation token: its terminal class, or itself.
_PUNCTUATION = {"+": "ADD_OP", "-": "ADD_OP", "*": "MUL_OP", "/": "MUL_OP", "//": "MUL_OP", "%": "MUL_OP",
                "==": "COMP_OP", "!=": "COMP_OP", "<": "COMP_OP", "<=": "COMP_OP", ">": "COMP_OP",
                ">=": "COMP_OP", "->": "->", "**": "**", ",": ",", ".": ".", ":": ":", "=": "="}
# What a token's first character says it is.
_FIRST = {**dict.fromkeys(string.ascii_letters + "_", "NAME"), **dict.fromkeys(string.digits, "NUMBER"),
          "\n": "NL", "\r": "NL", "#": "SKIP", "\\": "SKIP", '"': "STRING", "'": "STRING",
          "(": "OPEN", "[": "OPEN", ")": "CLOSE", "]": "CLOSE"}


def tokenize(text: str) -> list[tuple[str, str, int, int]]:
    """The tokens of `text` as (kind, value, line, column), with NL, INDENT, DEDENT and END as Lark's indenter makes them.

    A kind is the terminal class (`NAME`, `INT`, `ADD_OP`, ...) or, for a
    keyword or punctuation, the text itself. NL tokens inside brackets are
    dropped; INDENT and DEDENT carry no text.
    """
    tokens: list[tuple[str, str, int, int]] = []
    append = tokens.append
    first_kind, keywords, punctuation, digits = _FIRST.get, KEYWORDS, _PUNCTUATION, string.digits
    line, column = 1, 1
    levels, indent_char = [0], ""
    # Lark's nesting count (`lalr.Nesting`), kept as it goes: the operators
    # on the path to each token, one count per open bracket, and their sum.
    depths, nesting = [0], 0
    number_end = None  # (line, column) right after the last number ending in a digit: `28x28` splits there
    for value in _PIECE.findall(text):
        if value[0] in " \t":
            token = value.lstrip(" \t")
            if not token:
                raise Unsure  # blanks that end a text with no newline
            column += len(value) - len(token)
            value = token
        kind = first_kind(value[0])
        if kind == "NAME":
            if value in keywords:
                kind = value
                if value in NESTING_OPERATORS:
                    depths[-1] += 1
                    nesting += 1
                    if nesting > MAX_EXPRESSION_DEPTH:
                        raise Unsure
            elif value == "x" and number_end == (line, column):
                kind = "X"
        elif kind is None:
            if value[0] == "." and len(value) > 1:
                kind = "FLOAT"  # `.5`
                if value[-1] in digits:
                    number_end = line, column + len(value)
            else:
                kind = punctuation.get(value)
                if kind is None:
                    raise Unsure  # a character the language does not have
                if value in NESTING_OPERATORS:
                    depths[-1] += 1
                    nesting += 1
                    if nesting > MAX_EXPRESSION_DEPTH:
                        raise Unsure
                elif value == ",":  # the next element starts afresh beside its sibling
                    nesting -= depths[-1]
                    depths[-1] = 0
        elif kind == "NUMBER":
            kind = "FLOAT" if "." in value or "e" in value or "E" in value else "INT"
            if value[-1] in digits:
                number_end = line, column + len(value)
        elif kind == "NL":
            if "\n" not in value:
                raise Unsure  # a carriage return on its own
            newline = ("NL", value, line, column)
            line += value.count("\n")
            column = len(value) - value.rindex("\n")
            if len(depths) > 1:  # inside brackets a line break is only space
                continue
            depths[0] = nesting = 0
            append(newline)
            indent_char = _indentation(value[value.rindex("\n") + 1:], indent_char, levels, newline, line, append)
            continue
        elif kind == "OPEN":
            depths[-1] += 1
            depths.append(0)
            nesting += 1
            if nesting > MAX_EXPRESSION_DEPTH:
                raise Unsure
            kind = value
        elif kind == "CLOSE":
            if len(depths) == 1:
                raise Unsure
            nesting -= depths.pop()
            kind = value
        elif kind == "STRING":
            if len(value) == 1:
                raise Unsure  # a quote never closed on its line
        else:  # SKIP: a comment, or a backslash that continues the line
            if value[0] == "\\":
                if value[-1] != "\n":
                    raise Unsure  # a backslash that does not end its line
                line, column = line + 1, 1
            else:
                column += len(value)
            continue
        append((kind, value, line, column))
        column += len(value)
    # Lark ends the open blocks where the last newline begins; a text ending
    # otherwise (in brackets, after a line continuation) is left to Lark.
    if len(depths) > 1 or not tokens or tokens[-1][0] not in ("NL", "DEDENT"):
        raise Unsure
    last_newline = next(token for token in reversed(tokens) if token[0] == "NL")
    for _ in levels[1:]:
        append(("DEDENT", "", last_newline[2], last_newline[3]))
    append(("END", "", last_newline[2], last_newline[3]))
    return tokens


def _indentation(indent: str, seen: str, levels: list[int], newline, line: int, append) -> str:
    """Append the INDENT or DEDENTs the indentation after `newline` calls for; return the indent character."""
    if indent:
        if indent.strip(indent[0]) or (seen and indent[0] != seen):
            raise Unsure  # tabs mixed with spaces
        seen = seen or indent[0]
    width = len(indent)
    if width > levels[-1]:
        if len(levels) > MAX_BLOCK_DEPTH:
            raise Unsure
        levels.append(width)
        append(("INDENT", "", line, width + 1))
        return seen
    while width < levels[-1]:
        levels.pop()
        append(("DEDENT", "", newline[2], newline[3]))
    if width != levels[-1]:
        raise Unsure
    return seen


# ---------------------------------------------------------------- nodes

# A span straight from its five values: the named tuple's own `__new__` is a Python
# function around this, and a parse makes one span for nearly every token.
_tuple_new = tuple.__new__
_Span = ast.Span
make_module = ast.factory(ast.Module, "span", "file", "uses", "blocks", "models")
make_use = ast.factory(ast.Use, "span", "target", "is_path")
make_block = ast.factory(ast.BlockDef, "span", "name", "name_span", "params", "body")
make_model = ast.factory(ast.ModelDef, "span", "name", "name_span", "params", "body")
make_param = ast.factory(ast.Param, "span", "name", "default")
make_input = ast.factory(ast.Input, "span", "dims")
make_let = ast.factory(ast.Let, "span", "name", "name_span", "value")
make_chain = ast.factory(ast.Chain, "span", "items")
make_named = ast.factory(ast.Named, "span", "name", "name_span", "stmt")
make_combine = ast.factory(ast.Combine, "span", "op", "body")
make_seq = ast.factory(ast.Seq, "span", "body")
make_repeat = ast.factory(ast.Repeat, "span", "count", "body")
make_for = ast.factory(ast.For, "span", "targets", "target_spans", "iter", "body")
make_if_branch = ast.factory(ast.IfBranch, "span", "test", "body")
make_if = ast.factory(ast.If, "span", "branches", "orelse")
make_ifexp = ast.factory(ast.IfExp, "span", "body", "test", "orelse")
make_boolop = ast.factory(ast.BoolOp, "span", "op", "values")
make_unary = ast.factory(ast.UnaryOp, "span", "op", "operand")
make_compare = ast.factory(ast.Compare, "span", "first", "ops", "rest")
make_binop = ast.factory(ast.BinOp, "span", "op", "left", "right")
make_call = ast.factory(ast.Call, "span", "name", "name_span", "args", "kwargs")
make_keyword = ast.factory(ast.Keyword, "span", "name", "value")
make_index = ast.factory(ast.Index, "span", "value", "index")
make_int = ast.factory(ast.Int, "span", "value")
make_float = ast.factory(ast.Float, "span", "value")
make_str = ast.factory(ast.Str, "span", "value")
make_bool = ast.factory(ast.Bool, "span", "value")
make_name = ast.factory(ast.Name, "span", "id")
make_in_shape = ast.factory(ast.InShape, "span", "attr")
make_tuple = ast.factory(ast.TupleExpr, "span", "items")
make_list = ast.factory(ast.ListExpr, "span", "items")

_BOOLEANS = {"true": True, "True": True, "false": False, "False": False}
_SHAPE_PARTS = frozenset({"c", "h", "w", "shape"})

# Binding strength, loosest first, as the grammar's rules nest: test (`x if c
# else y`), or_test, and_test, not_test, comparison, arith, term, factor, power.
TEST, OR, AND, NOT, COMPARISON, ARITH, TERM, FACTOR = range(8)
# The kinds that may continue an expression after an operand.
_INFIX = frozenset({"MUL_OP", "ADD_OP", "COMP_OP", "and", "or", "if"})
# A name or number followed by one of these is the whole expression.
_SIMPLE = frozenset({"NAME", "INT"})
_ENDS = frozenset({",", ")", "]", "->", "NL", ":"})
_LAYER_ENDS = frozenset({"->", "NL"})
# What may name a keyword argument: the grammar takes `in=` too.
_KEYWORD_NAMES = frozenset({"NAME", "in"})


# ---------------------------------------------------------------- parser


def _start_of(token) -> tuple[int, int]:
    return token[2], token[3]


def _end_of(token) -> tuple[int, int]:
    """Where a token on one line ends (every token but NL)."""
    return token[2], token[3] + len(token[1])



def parse(text: str, file: str) -> ast.Module:
    """The AST of a spec text, or `Unsure`."""
    if not text.endswith("\n"):
        text += "\n"
    try:
        return _Parser(tokenize(text), file).module()
    except SpecError:
        raise Unsure from None  # Lark reports it, with its neighbours
    except IndexError:
        raise Unsure from None  # read past END: a truncated construct


class _Parser:
    """One method per grammar rule; each returns its node and leaves `self.at` on the token after it."""

    def __init__(self, tokens: list[tuple[str, str, int, int]], file: str) -> None:
        self.tokens = tokens
        self.at = 0
        self.file = file
        # id(node) -> (node, line, column, end_line, end_column): where its parent measures it
        # from, when that is not its span: the outermost brackets around it, or its operands'.
        self.bracketed: dict[int, tuple] = {}

    # -- tokens and spans

    def peek(self) -> str:
        """The kind of the next token."""
        return self.tokens[self.at][0]

    def take(self, kind: str) -> tuple[str, str, int, int]:
        token = self.tokens[self.at]
        if token[0] != kind:
            raise Unsure
        self.at += 1
        return token

    def token_span(self, token) -> ast.Span:
        line, column = token[2], token[3]
        return _tuple_new(_Span, (self.file, line, column, line, column + len(token[1])))

    def measure(self, node, line: int, column: int, end_line: int, end_column: int) -> None:
        """Record where `node`'s parent measures it from. The entry holds the node, so that
        its id is not reused (by a node made later) while the entry stands."""
        self.bracketed[id(node)] = (node, line, column, end_line, end_column)

    def start(self, node) -> tuple[int, int]:
        outer = self.bracketed.get(id(node)) if self.bracketed else None
        if outer:
            return outer[1], outer[2]
        return node.span.line, node.span.column

    def end(self, node) -> tuple[int, int]:
        outer = self.bracketed.get(id(node)) if self.bracketed else None
        if outer:
            return outer[3], outer[4]
        return node.span.end_line, node.span.end_column

    def span(self, start: tuple[int, int], end: tuple[int, int]) -> ast.Span:
        return _tuple_new(_Span, (self.file, start[0], start[1], end[0], end[1]))

    def between(self, first, last) -> ast.Span:
        """From where `first` starts to where `last` ends, counting the brackets around them."""
        if self.bracketed:
            (line, column), (end_line, end_column) = self.start(first), self.end(last)
            return _tuple_new(_Span, (self.file, line, column, end_line, end_column))
        start, end = first.span, last.span
        return _tuple_new(_Span, (self.file, start.line, start.column, end.end_line, end.end_column))

    # -- top level

    def module(self) -> ast.Module:
        uses, blocks, models, items = [], [], [], []
        first = self.take("NL") if self.peek() == "NL" else None
        while self.peek() != "END":
            kind = self.peek()
            if kind == "use":
                item = self.use()
                uses.append(item)
            elif kind == "block":
                item = self.definition(make_block)
                blocks.append(item)
            elif kind == "model":
                item = self.definition(make_model)
                models.append(item)
            else:
                raise Unsure
            items.append(item)
        if not items:
            raise Unsure
        start = _start_of(first) if first else self.start(items[0])
        return make_module(self.span(start, self.end(items[-1])), self.file, uses, blocks, models)

    def use(self) -> ast.Use:
        keyword = self.take("use")
        target = self.tokens[self.at]
        if target[0] not in ("NAME", "STRING"):
            raise Unsure
        self.at += 1
        newline = self.take("NL")
        value = newline[1]
        end = (newline[2] + value.count("\n"), len(value) - value.rindex("\n"))
        is_path = target[0] == "STRING"
        return make_use(self.span(_start_of(keyword), end),
                        unquote(target[1]) if is_path else target[1], is_path)

    def definition(self, make):
        """`block name(params): suite`, or `model name[(params)]: suite`."""
        keyword = self.tokens[self.at]
        self.at += 1
        name = self.take("NAME")
        params = []
        if keyword[0] == "block" or self.peek() == "(":
            self.take("(")
            params = self.params()
            self.take(")")
        self.take(":")
        body, end = self.suite()
        return make(self.span(_start_of(keyword), end), name[1], self.token_span(name), params, body)

    def params(self) -> list[ast.Param]:
        params = []
        while self.peek() != ")":
            name = self.take("NAME")
            default = None
            end = _end_of(name)
            if self.peek() == "=":
                self.at += 1
                default = self.expr(TEST)
                end = self.end(default)
            params.append(make_param(self.span(_start_of(name), end), name[1], default))
            if self.peek() != ",":
                break
            self.at += 1
        return params

    def suite(self) -> tuple[list, tuple[int, int]]:
        """The statements of an indented block, and where the block ends."""
        self.take("NL")
        self.take("INDENT")
        body = []
        while self.tokens[self.at][0] != "DEDENT":
            body.append(self.statement())
        dedent = self.tokens[self.at]
        self.at += 1
        return body, _start_of(dedent)

    # -- statements

    def statement(self):
        if self.bracketed:  # brackets matter only to the parent, in the same statement
            self.bracketed.clear()
        kind = self.tokens[self.at][0]
        if kind == "NAME" and self.tokens[self.at + 1][0] == "=":
            return self.named()
        compound = self.COMPOUND.get(kind)
        if compound is not None:
            return compound(self)
        if kind == "input":
            stmt = self.input()
        elif kind == "let":
            stmt = self.let()
        else:
            stmt = self.chain()
        self.take("NL")
        return stmt

    def named(self) -> ast.Named:
        name = self.take("NAME")
        self.take("=")
        kind = self.peek()
        if kind in ("concat", "add", "seq", "repeat"):
            stmt = self.COMPOUND[kind](self)
        else:
            stmt = self.chain()
            self.take("NL")
        return make_named(self.span(_start_of(name), (stmt.span.end_line, stmt.span.end_column)),
                          name[1], self.token_span(name), stmt)

    def input(self) -> ast.Input:
        keyword = self.take("input")
        dims = [self.atom_expr()]
        while True:
            token = self.tokens[self.at]
            if token[0] != "X" and token[1] != "x":  # `x` between sizes: split off a number, or a word
                break
            self.at += 1
            dims.append(self.atom_expr())
        return make_input(self.span(_start_of(keyword), self.end(dims[-1])), dims)

    def let(self) -> ast.Let:
        keyword = self.take("let")
        name = self.take("NAME")
        self.take("=")
        value = self.expr(TEST)
        return make_let(self.span(_start_of(keyword), self.end(value)), name[1], self.token_span(name), value)

    def chain(self) -> ast.Chain:
        items = [self.layer()]
        tokens = self.tokens
        while tokens[self.at][0] == "->":
            self.at += 1
            items.append(self.layer())
        span = self.between(items[0], items[-1])
        return make_chain(span, [to_layer(item) for item in items])

    def layer(self):
        """A chain item; a bare op (`relu ->`) becomes its Call at once."""
        tokens = self.tokens
        token = tokens[self.at]
        if token[0] == "NAME":
            after = tokens[self.at + 1][0]
            if after in _LAYER_ENDS:
                self.at += 1
                span = self.token_span(token)
                return make_bare_call(span, token[1], span, True)
            if after == "(":  # `conv(6, k=5) ->`: the call is the layer, unless an operator follows it
                start = self.at
                self.at += 1
                call = self.call(token)
                if tokens[self.at][0] in _LAYER_ENDS:
                    return call
                self.at = start
        return self.expr(TEST)

    def combine(self) -> ast.Combine:
        keyword = self.tokens[self.at]
        self.at += 1
        self.take(":")
        body, end = self.suite()
        return make_combine(self.span(_start_of(keyword), end), keyword[0], body)

    def seq(self) -> ast.Seq:
        keyword = self.take("seq")
        self.take(":")
        body, end = self.suite()
        return make_seq(self.span(_start_of(keyword), end), body)

    def repeat(self) -> ast.Repeat:
        keyword = self.take("repeat")
        count = self.expr(TEST)
        self.take(":")
        body, end = self.suite()
        return make_repeat(self.span(_start_of(keyword), end), count, body)

    def for_(self) -> ast.For:
        keyword = self.take("for")
        bracketed = self.peek() == "("
        if bracketed:
            self.at += 1
        targets = [self.take("NAME")]
        while self.peek() == ",":
            self.at += 1
            targets.append(self.take("NAME"))
        if bracketed:
            self.take(")")
        self.take("in")
        iterable = self.expr(TEST)
        self.take(":")
        body, end = self.suite()
        return make_for(self.span(_start_of(keyword), end), [t[1] for t in targets],
                        [self.token_span(t) for t in targets], iterable, body)

    def if_(self) -> ast.If:
        keyword = self.take("if")
        test = self.expr(TEST)
        self.take(":")
        body, end = self.suite()
        clauses = [(keyword, test, body, end)]
        while self.peek() == "elif":
            clause = self.take("elif")
            test = self.expr(TEST)
            self.take(":")
            body, end = self.suite()
            clauses.append((clause, test, body, end))
        orelse = None
        if self.peek() == "else":
            self.at += 1
            self.take(":")
            orelse, end = self.suite()
        whole = self.span(_start_of(keyword), end)
        # Lark's first branch is the whole statement; each `elif` runs to the end of its own block.
        branches = [make_if_branch(whole if token is keyword else self.span(_start_of(token), clause_end),
                                   test, body)
                    for token, test, body, clause_end in clauses]
        return make_if(whole, branches, orelse)

    COMPOUND = {"concat": combine, "add": combine, "seq": seq, "repeat": repeat, "for": for_, "if": if_}

    # -- expressions

    def expr(self, level: int):
        """An expression binding at least as tightly as `level` (precedence climbing over the grammar's rules)."""
        tokens = self.tokens
        token = tokens[self.at]
        kind = token[0]
        if kind in _SIMPLE and tokens[self.at + 1][0] in _ENDS:  # the common case, `3` or `relu`: no climbing
            self.at += 1
            span = self.token_span(token)
            return make_name(span, token[1]) if kind == "NAME" else make_int(span, int(token[1].replace("_", "")))
        if kind == "not" and level <= NOT:
            self.at += 1
            operand = self.expr(NOT)
            node = make_unary(self.span(_start_of(token), self.end(operand)), "not", operand)
        elif kind == "ADD_OP" and level <= FACTOR:
            self.at += 1
            operand = self.expr(FACTOR)
            node = make_unary(self.span(_start_of(token), self.end(operand)), token[1], operand)
        else:
            node = self.atom_expr()
            if self.tokens[self.at][0] == "**":
                self.at += 1
                exponent = self.expr(FACTOR)
                node = make_binop(self.between(node, exponent), "**", node, exponent)
        kind = self.tokens[self.at][0]
        if kind not in _INFIX:
            return node
        if kind == "MUL_OP" and level <= TERM:
            node = self.binary(node, "MUL_OP", FACTOR)
            kind = self.tokens[self.at][0]
        if kind == "ADD_OP" and level <= ARITH:
            node = self.binary(node, "ADD_OP", TERM)
            kind = self.tokens[self.at][0]
        if kind == "COMP_OP" and level <= COMPARISON:
            node = self.compare(node)
            kind = self.tokens[self.at][0]
        if kind == "and" and level <= AND:
            node = self.boolop(node, "and", NOT)
            kind = self.tokens[self.at][0]
        if kind == "or" and level <= OR:
            node = self.boolop(node, "or", AND)
            kind = self.tokens[self.at][0]
        if kind == "if" and level <= TEST:
            self.at += 1
            test = self.expr(OR)
            self.take("else")
            orelse = self.expr(TEST)
            node = make_ifexp(self.between(node, orelse), node, test, orelse)
        return node

    def binary(self, left, kind: str, operand_level: int):
        """`a - b - c` is `(a - b) - c`, each spanning its operands only (brackets left out)."""
        tokens = self.tokens
        first = left
        while tokens[self.at][0] == kind:
            op = tokens[self.at][1]
            self.at += 1
            right = self.expr(operand_level)
            span = self.span((left.span.line, left.span.column), (right.span.end_line, right.span.end_column))
            left = make_binop(span, op, left, right)
        if self.bracketed:  # the chain's parent still measures it with its operands' brackets
            start, end = self.start(first), self.end(right)
            if start != (span.line, span.column) or end != (span.end_line, span.end_column):
                self.measure(left, *start, *end)
        return left

    def compare(self, first) -> ast.Compare:
        ops, rest = [], []
        while self.peek() == "COMP_OP":
            ops.append(self.tokens[self.at][1])
            self.at += 1
            rest.append(self.expr(ARITH))
        return make_compare(self.between(first, rest[-1]), first, ops, rest)

    def boolop(self, first, op: str, operand_level: int) -> ast.BoolOp:
        values = [first]
        while self.peek() == op:
            self.at += 1
            values.append(self.expr(operand_level))
        return make_boolop(self.between(first, values[-1]), op, values)

    def atom_expr(self):
        token = self.tokens[self.at]
        kind = token[0]
        self.at += 1
        if kind == "NAME":
            node = self.call(token) if self.tokens[self.at][0] == "(" else make_name(self.token_span(token), token[1])
        elif kind == "INT":
            node = make_int(self.token_span(token), int(token[1].replace("_", "")))
        elif kind == "FLOAT":
            node = make_float(self.token_span(token), float(token[1].replace("_", "")))
        elif kind == "STRING":
            node = make_str(self.token_span(token), unquote(token[1]))
        elif kind in _BOOLEANS:
            node = make_bool(self.token_span(token), _BOOLEANS[kind])
        elif kind == "in":
            self.take(".")
            attr = self.take("NAME")
            if attr[1] not in _SHAPE_PARTS:
                raise Unsure
            node = make_in_shape(self.span(_start_of(token), _end_of(attr)), attr[1])
        elif kind == "(":
            node = self.parenthesised(token)
        elif kind == "[":
            items = self.items("]")
            close = self.take("]")
            node = make_list(self.span(_start_of(token), _end_of(close)), items)
        else:
            raise Unsure
        while self.tokens[self.at][0] == "[":
            self.at += 1
            index = self.expr(TEST)
            close = self.take("]")
            node = make_index(self.span(self.start(node), _end_of(close)), node, index)
        return node

    def call(self, name) -> ast.Call:
        """`name(args, kw=value)`; a positional argument after a keyword one is Lark's to report."""
        self.at += 1  # (
        tokens = self.tokens
        args, kwargs = [], []
        while tokens[self.at][0] != ")":
            token = tokens[self.at]
            if token[0] in _KEYWORD_NAMES and tokens[self.at + 1][0] == "=":
                self.at += 2
                value = self.expr(TEST)
                kwargs.append(make_keyword(self.span(_start_of(token), self.end(value)), token[1], value))
            elif kwargs:
                raise Unsure
            else:
                args.append(self.expr(TEST))
            if tokens[self.at][0] != ",":
                break
            self.at += 1
        close = self.take(")")
        return make_call(self.span(_start_of(name), _end_of(close)), name[1], self.token_span(name),
                         args, kwargs)

    def parenthesised(self, open_):
        """`()` and `(a, b)` are tuples; `(a)` is `a`, measured with its brackets by its parent."""
        if self.peek() == ")":
            close = self.take(")")
            return make_tuple(self.span(_start_of(open_), _end_of(close)), [])
        first = self.expr(TEST)
        if self.peek() == ")":
            close = self.take(")")
            self.measure(first, open_[2], open_[3], close[2], close[3] + 1)
            return first
        self.take(",")
        items = [first] + (self.items(")") if self.peek() != ")" else [])
        close = self.take(")")
        return make_tuple(self.span(_start_of(open_), _end_of(close)), items)

    def items(self, close: str) -> list:
        """`a, b, c` with an optional trailing comma, up to `close`."""
        items = []
        while self.peek() != close:
            items.append(self.expr(TEST))
            if self.peek() != ",":
                break
            self.at += 1
        return items
