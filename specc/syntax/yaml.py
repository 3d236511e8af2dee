"""The YAML front-end: YAML text -> (checked against `yaml_form`) -> the same AST as the DSL.

    models:
      LeNet:
        input: [1, 28, 28]
        layers:
          - [conv: [6, {k: 5, p: 2}], sigmoid]

gives `Module(models=[ModelDef(name="LeNet", body=[Input(...), Chain(...)])])`,
the AST of `model LeNet:` / `input 1 x 28 x 28` / `conv(6, k=5, p=2) -> sigmoid`.

Three steps, each reporting every error it finds, located at the YAML line
and column: compose the node graph with PyYAML's safe loader (marks kept;
duplicate keys, Python and other non-standard tags, merge keys rejected),
validate the plain data against the surface models of `yaml_form`, then
build the AST from the nodes. Strings in expression position are DSL
expressions, parsed by `parse.parse_fragment` with spans in the YAML file.
"""

from __future__ import annotations

import math
import re
from typing import Any, Optional

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .. import collector, sources
from ..limits import LIMITS
from ..diagnostics import Collector, Span, SpecError, Suggestion, name_too_long, raise_all, suggest
from . import ast, yaml_form
from .ast import construct
from .parse import parse_fragment

MAX_NODES = LIMITS["yaml_values"]  # aliases can make a small file expand without bound
MAX_DIGITS = LIMITS["int_digits"]
MAX_BLOCK_DEPTH = LIMITS["block_depth"]
# Lists and mappings inside one another. Every step after composing recurses
# once per level; libyaml's composer does too, in C, and crashes the process
# somewhere past 100,000 levels, so a file that might be that deep is composed
# by PyYAML's own composer, whose RecursionError is caught.
MAX_DEPTH = LIMITS["yaml_depth"]
_C_COMPOSER_SAFE_DEPTH = 1_000
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STANDARD = "tag:yaml.org,2002:"
PLAIN_TAGS = {STANDARD + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}
# The AST statement each YAML form builds (`yaml_form.statement_kind` tells the form);
# `tests/test_statement_kinds.py` holds the front-end to every kind.
SURFACE_KINDS = {
    "<input>": "input", "<let>": "let", "<for>": "for", "<if>": "if", "<layer-list>": "chain", "<call>": "chain",
    "<chain>": "chain", "<concat>": "combine", "<add>": "combine", "<mul>": "combine", "<chunk>": "combine",
    "<split>": "combine", "<seq>": "seq", "<sequential>": "seq", "<repeat>": "repeat", "<default>": "default",
    "<output>": "output", "<init>": "init",
}


def _without_dates(loader: type) -> type:
    """A safe loader without the implicit timestamp and `=` types: `2024-01-01` stays a string."""
    resolvers = {first: [(tag, regexp) for tag, regexp in entries
                         if tag not in (STANDARD + "timestamp", STANDARD + "value")]
                 for first, entries in loader.yaml_implicit_resolvers.items()}
    return type(f"Specc{loader.__name__}", (loader,), {"yaml_implicit_resolvers": resolvers})


_Loader = _without_dates(yaml.SafeLoader)
# libyaml's parser, ten times faster, when PyYAML has it; errors always come
# from PyYAML's own, so their words do not depend on how PyYAML was built.
_FastLoader = _without_dates(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def parse_yaml(text: str, name: str = "<string>") -> ast.Module:
    """Parse a YAML spec into the AST, or raise every error found in it."""
    sources.register(name, text)
    with collector.paused():
        root = _compose(text, name)
        values = _Plain(name).convert(root)
        _validate(values[id(root)], root, name)
        try:
            return _Builder(name, values).module(root)
        except _Expanded as expanded:
            raise expanded.error from None


class _Expanded(Exception):
    """The DSL text of a YAML spec passed `LIMITS["yaml_text"]`: not an error to collect, the end of the build."""

    def __init__(self, error: SpecError) -> None:
        super().__init__(error.message)
        self.error = error


# ---------------------------------------------------------------- spans


def _span(file: str, start: Node, end: Optional[Node] = None) -> ast.Span:
    end = end or start
    return ast.Span(file=file, line=start.start_mark.line + 1, column=start.start_mark.column + 1,
                    end_line=end.end_mark.line + 1, end_column=end.end_mark.column + 1)


def _where(file: str, start: Node, end: Optional[Node] = None) -> Span:
    return _span(file, start, end).to_diagnostic()


def _describe(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list" if node.value else "an empty list"
    if isinstance(node, MappingNode):
        return "a mapping" if node.value else "an empty mapping"
    tag = node.tag[len(STANDARD):] if node.tag.startswith(STANDARD) else node.tag
    text = node.value if len(node.value) <= 40 else node.value[:37] + "..."
    if tag == "null":
        return "nothing (null)"
    if tag in ("int", "float"):
        return f"the number `{text}`"
    if tag == "bool":
        return f"the boolean `{text}`"
    return f"the string `{text}`"


# ---------------------------------------------------------------- step 1: compose


def _compose(text: str, file: str) -> Node:
    deep = _depth_bound(text)
    loader = _FastLoader if deep[0] <= _C_COMPOSER_SAFE_DEPTH else _Loader
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        root = _compose_for_errors(text, file)
    except RecursionError:
        raise _too_deep(Span(file, deep[1], 1, deep[1], 1)) from None
    root = _non_empty(root, file)
    _check_depth(root, file)
    return root


_FLOW_CHARS = re.compile(r"[\[\]{}'\"#]")


def _depth_bound(text: str) -> tuple[int, int]:
    """An upper bound on how deeply `text` nests, and the first line where it passes MAX_DEPTH.

    Each block level indents by at least one column or adds a `- `; each
    flow level opens a bracket. Brackets inside quotes and comments count
    as opening but never as closing, so the bound can only be too high.
    """
    flow = bound = 0
    first_line = 1
    quote = None
    for number, line in enumerate(text.split("\n"), start=1):
        block = len(line) - len(line.lstrip(" -?:"))
        deepest = flow
        for char in (line if quote or _FLOW_CHARS.search(line) else ""):  # (most lines: none to count)
            if quote:
                quote = None if char == quote else quote
                flow += char in "[{"
            elif char in "'\"":
                quote = char
            elif char == "#":
                quote = "\n"  # a comment, to the end of the line (never matches a character)
            elif char in "[{":
                flow += 1
            elif char in "]}":
                flow = max(flow - 1, 0)
            deepest = max(deepest, flow)
        if quote == "\n":
            quote = None
        if bound <= MAX_DEPTH < block + deepest:
            first_line = number
        bound = max(bound, block + deepest)
    return bound, first_line


def _check_depth(root: Node, file: str) -> None:
    """Walks the node graph without recursion; aliases are counted where they are used."""
    stack = [(root, 1)]
    visits = 0
    while stack:
        node, depth = stack.pop()
        visits += 1
        if depth > MAX_DEPTH:
            raise _too_deep(_where(file, node))
        if visits > MAX_NODES:
            return  # `_Plain` names the expansion
        if isinstance(node, SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
        elif isinstance(node, MappingNode):
            stack.extend((value, depth + 1) for _, value in node.value)


def _too_deep(where: Span) -> SpecError:
    return SpecError("E0109", f"expected lists and mappings nested at most {MAX_DEPTH} levels deep, "
                              "found a deeper one", where, label="nested too deeply here",
                     help="move the inner layers into a block and call it")


def _compose_for_errors(text: str, file: str) -> Node:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, file) from None
    except yaml.reader.ReaderError as error:
        before = text[: error.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        raise SpecError("E0601", f"invalid YAML: the character {error.character!r} is not allowed",
                        Span(file, line, column, line, column + 1), label="not allowed in YAML",
                        help="remove it, or write it inside a quoted string as an escape") from None


def _non_empty(root: Optional[Node], file: str) -> Node:
    if root is None:
        raise SpecError("E0003", "expected a spec, found an empty file", Span(file, 1, 1, 1, 1),
                        help="a YAML spec is a mapping with `use`, `blocks` and `models`")
    return root


_YAML_HINTS = (
    ("cannot start any token", "'\\t'", "YAML indents with spaces only"),
    ("mapping values are not allowed here", "", "a value that contains `: ` must be quoted"),
    ("could not find expected ':'", "", "each key needs a `:` after it"),
    ("expected <block end>", "", "check the indentation: items of one list or mapping line up"),
    ("found another document", "", "a spec is one YAML document: remove the `---`"),
    ("did not find expected ',' or ']'", "", "close the list with `]`, or quote an item that holds `,` or `[`"),
    ("did not find expected ',' or '}'", "", "close the mapping with `}`, or quote a value that holds `,` or `{`"),
    ("found undefined alias", "", "define the anchor (`&name`) before using it (`*name`)"),
)


def _syntax_error(error: yaml.MarkedYAMLError, file: str) -> SpecError:
    mark = error.problem_mark or error.context_mark
    problem = re.sub(r"^but (found|got)", "found", error.problem or "malformed YAML")
    problem = re.sub(r",? but (found|got)", ", found", problem)
    problem = re.sub(r"'([^']*)'", r"`\1`", problem.replace("\t", "\\t"))
    help = ""
    for fragment, detail, hint in _YAML_HINTS:
        if fragment in (error.problem or "") and detail in (error.problem or ""):
            help = hint
            break
    if error.context and error.context_mark and error.context_mark.line != mark.line:
        where = f"{error.context} at line {error.context_mark.line + 1}"
        help = f"{help} ({where})" if help else where
    for token, words in _TOKEN_WORDS.items():
        problem = problem.replace(f"`{token}`", words).replace(token, words)
    label = "here"
    if "<stream end>" in (error.problem or "") and error.context_mark is not None:
        # The file ended inside a list or mapping: point at where it opened.
        mark, label, help = error.context_mark, "opened here, never closed", ""
    line, column = mark.line + 1, mark.column + 1
    return SpecError("E0601", f"invalid YAML: {problem}", Span(file, line, column, line, column + 1),
                     label=label, help=help)


_TOKEN_WORDS = {
    "<stream end>": "the end of the file", "<block end>": "the end of the block",
    "<block mapping start>": "a new mapping", "<block sequence start>": "a new list",
    "<document start>": "`---`", "<scalar>": "a value",
}


# ---------------------------------------------------------------- step 1b: nodes -> plain data


class _Plain:
    """Turns the node graph into plain Python data, rejecting duplicate keys and unsafe tags.

    Returns the value of every node, by `id(node)`, so the later steps can
    look values up while they walk the nodes (which carry the marks).
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[int, Any] = {}
        self.visits = 0
        self.errors = Collector()
        self.constructor = yaml.constructor.SafeConstructor()

    def convert(self, root: Node) -> dict[int, Any]:
        self.value(root)
        self.errors.raise_if_any()
        return self.values

    def value(self, node: Node) -> Any:
        self.visits += 1
        if self.visits > MAX_NODES:
            raise SpecError("E0405", f"expected at most {MAX_NODES:,} YAML values, found more (aliases expand)",
                            _where(self.file, node), label="the expansion passes the limit here",
                            help="write the repeated part once, as a block, and call it")
        if node.tag not in PLAIN_TAGS:
            self.errors.add(self._tag_error(node))
            value = None
        elif isinstance(node, ScalarNode):
            value = self.scalar(node)
        elif isinstance(node, SequenceNode):
            value = [self.value(item) for item in node.value]
        else:
            value = self.mapping(node)
        self.values[id(node)] = value
        return value

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag == STANDARD + "int" and len(node.value) > MAX_DIGITS:
            self.errors.add(SpecError("E0405", f"expected a number below 10^15, found one with {len(node.value):,} "
                                      "digits", _where(self.file, node), label="too large",
                                      help="specs describe layer sizes; no size is this large"))
            return 0
        value = self.constructor.construct_object(node)
        if isinstance(value, float) and not math.isfinite(value):  # `.inf`, `.nan`, `1.0e999`
            self.errors.add(SpecError("E0405", f"expected a finite number, found `{_describe(node)[12:-1]}`",
                                      _where(self.file, node), label="not finite"))
            return 0.0
        return value

    def mapping(self, node: MappingNode) -> dict:
        out: dict = {}
        first: dict[tuple, Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == STANDARD + "merge":
                self.errors.add(SpecError("E0605", "expected a key, found a merge key `<<`",
                                          _where(self.file, key_node), label="merge keys are not read",
                                          help="write the keys out, or share the layers as a block"))
                continue
            if not isinstance(key_node, ScalarNode):
                self.errors.add(SpecError("E0604", f"expected a name as key, found {_describe(key_node)}",
                                          _where(self.file, key_node), label="not a name"))
                continue
            key = self.value(key_node)
            identity = (type(key), key)
            if identity in first:
                line = first[identity].start_mark.line + 1
                self.errors.add(SpecError("E0603",
                                          f"expected each key once in a mapping, found `{key_node.value}` twice",
                                          _where(self.file, key_node), label=f"already given at line {line}",
                                          help="remove one of them (YAML would silently keep the last)"))
                continue
            first[identity] = key_node
            out[key] = self.value(value_node)
        return out

    def _tag_error(self, node: Node) -> SpecError:
        tag = node.tag
        shown = "!!" + tag[len(STANDARD):] if tag.startswith(STANDARD) else tag
        python = "python" in tag
        return SpecError("E0605", f"expected plain YAML data, found the {'Python ' if python else ''}tag `{shown}`",
                         _where(self.file, node), label="tags are not read",
                         help="specc reads YAML with safe_load semantics: only strings, numbers, booleans, "
                              "lists and mappings")


# ---------------------------------------------------------------- step 2: validate the structure


def _validate(data: Any, root: Node, file: str) -> None:
    try:
        yaml_form.SpecFile.model_validate(data)
    except ValidationError as error:
        raise_all(_structure_errors(error, root, file))


def _structure_errors(error: ValidationError, root: Node, file: str) -> list[SpecError]:
    """One diagnostic per mistake, at its node: pydantic's raw errors grouped, then pruned."""
    groups = _group(error, root)
    groups = _without_misspelt_missing(groups)
    groups = _innermost(groups)
    return [_structure_error(details, target, file) for target, details in groups.values()]


Groups = dict[tuple, tuple[Node, list[dict]]]


def _group(error: ValidationError, root: Node) -> Groups:
    """Type errors at one node merge ("expected a string or a list"); other errors stay apart."""
    groups: Groups = {}
    keys: dict[int, dict[str, tuple[Node, Node]]] = {}  # each mapping's keys, indexed once
    for detail in error.errors(include_url=False):
        node, key_node = _locate(root, detail["loc"], keys)
        kind = detail["type"]
        on_key = kind == "extra_forbidden" or detail["loc"][-1:] == ("[key]",)
        target = key_node if on_key and key_node is not None else node
        group = (id(target), "type") if kind in _NOUNS else (id(target), kind, detail["loc"])
        groups.setdefault(group, (target, []))[1].append(detail)
    return groups


def _without_misspelt_missing(groups: Groups) -> Groups:
    """`layer:` for `layers:` is reported once, as an unknown key with "did you mean", not also as missing."""
    unknown = {id(target) for (_, kind, *_), (target, _) in groups.items() if kind == "extra_forbidden"}

    def misspelt(group: tuple, target: Node) -> bool:
        missing = group[2][-1]
        # The unknown keys of this mapping, found by walking its own keys (not every unknown key of the file).
        keys = [key for key, _ in target.value] if isinstance(target, MappingNode) else []
        return any(id(key) in unknown and suggest(key.value, [missing]) for key in keys)

    return {g: v for g, v in groups.items() if not (g[1] == "missing" and misspelt(g, v[0]))}


def _innermost(groups: Groups) -> Groups:
    """A union reports each form it tried; a complaint about a part beats one about the whole.

    A type complaint about a node is dropped when another complaint targets a
    node inside it. Nodes nest (two are disjoint or one holds the other), so
    in the order of their starts, a node holds another exactly when the next
    node after it does: one sort, not a comparison of every pair.
    """
    targets = list({id(target): target for target, _ in groups.values()}.values())
    order = sorted(targets, key=lambda n: (n.start_mark.index, -n.end_mark.index))
    shadowed: set[int] = set()
    for index, outer in enumerate(order):
        start, end = outer.start_mark.index, outer.end_mark.index
        for next_index in range(index + 1, len(order)):
            inner = order[next_index]
            if inner.start_mark.index > end:
                break
            if inner.end_mark.index <= end:  # inside `outer` (or the same stretch: each shadows the other)
                shadowed.add(id(outer))
                if (inner.start_mark.index, inner.end_mark.index) == (start, end):
                    shadowed.add(id(inner))
                break
    return {g: v for g, v in groups.items() if g[1] != "type" or id(v[0]) not in shadowed}


def _locate(root: Node, loc: tuple, keys: dict[int, dict[str, tuple[Node, Node]]]) -> tuple[Node, Optional[Node]]:
    """Follow an error location through the nodes: the deepest node reached, and its key when in a mapping."""
    node, key_node = root, None
    for step in loc:
        if isinstance(step, str) and step.startswith("<"):
            continue  # a union tag of `yaml_form`, not a key
        if isinstance(node, SequenceNode) and isinstance(step, int):
            if 0 <= step < len(node.value):
                node, key_node = node.value[step], None
        elif isinstance(node, MappingNode):
            match = _key(node, step, keys)
            if match is not None:
                key_node, node = match
    return node, key_node


def _key(mapping: MappingNode, step: Any, keys: dict[int, dict[str, tuple[Node, Node]]]) -> Optional[tuple[Node, Node]]:
    index = keys.get(id(mapping))
    if index is None:
        index = keys[id(mapping)] = {}
        for key_node, value_node in mapping.value:
            if isinstance(key_node, ScalarNode):
                index.setdefault(key_node.value, (key_node, value_node))
    return index.get(str(step)) or (index.get(step) if isinstance(step, str) else None)


_NOUNS = {
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "string_type": "a string", "int_type": "an integer", "float_type": "a number", "bool_type": "a boolean",
    "none_required": "nothing (null)",
}


def _structure_error(details: list[dict], node: Node, file: str) -> SpecError:
    first = details[0]
    kind, loc = first["type"], first["loc"]
    if kind == "extra_forbidden":
        return _unknown_key(node, loc, file)
    if kind == "missing":
        return _missing_key(node, loc, file)
    if kind == "specc":
        return SpecError("E0604", first["msg"], _head(file, node), label=_label(node),
                         help=first["ctx"]["help"])
    if kind == "specc_kind":
        return SpecError("E0604", f"expected {first['msg']}, found {_describe(node)}", _head(file, node),
                         label=_label(node))
    if kind == "too_short":
        return SpecError("E0604", f"expected a non-empty list, found {_describe(node)}", _where(file, node),
                         label="empty", help="a body holds at least one statement")
    if kind == "string_pattern_mismatch":
        return _bad_name(node, first, file)
    if kind == "string_too_long":
        return name_too_long(len(node.value), _where(file, node))
    nouns = list(dict.fromkeys(_NOUNS.get(d["type"], "") for d in details if _NOUNS.get(d["type"])))
    expected = " or ".join(nouns) if nouns else first["msg"].lower()
    return SpecError("E0604", f"expected {expected}, found {_describe(node)}", _head(file, node),
                     label=_label(node))


def _label(node: Node) -> str:
    return {SequenceNode: "this list", MappingNode: "this mapping"}.get(type(node), "this value")


def _head(file: str, node: Node) -> Span:
    """A block collection spans many lines: point at its first line only."""
    start, end = node.start_mark, node.end_mark
    if start.line != end.line and start.buffer is not None:
        line_end = start.buffer.find("\n", start.index)
        width = (line_end if line_end >= 0 else len(start.buffer)) - (start.index - start.column)
        return Span(file, start.line + 1, start.column + 1, start.line + 1, max(width, start.column + 1) + 1)
    return _where(file, node)


def _model_at(loc: tuple) -> tuple[Optional[type], str]:
    holder = loc[:-1]
    if not holder:
        return yaml_form.SpecFile, "the top level of a spec"
    if holder[-1] in yaml_form.TAGGED:
        tag = holder[-1]
        what = {"<definition>": "a definition", "<path>": "a `use` path", "<extends>": "a derived model"}.get(
            tag, f"a `{tag[1:-1]}`")
        return yaml_form.TAGGED[tag], what
    if len(holder) == 2 and holder[0] == "ops":
        return yaml_form.OpDefinition, "an `op` declaration"
    if len(holder) >= 2 and holder[-2] == "elif":
        return yaml_form.ElifClause, "an `elif` branch"
    return None, "this mapping"


def _unknown_key(key_node: Node, loc: tuple, file: str) -> SpecError:
    model, what = _model_at(loc)
    keys = yaml_form.keys_of(model) if model else []
    key = key_node.value if isinstance(key_node, ScalarNode) else str(loc[-1])
    listed = ", ".join(f"`{k}`" for k in keys)
    otherwise = ""
    if key in yaml_form.STATEMENT_KEYS and what.startswith("a `"):
        otherwise = f"one mapping is one statement: put `{key}` in its own list item"
    shown = key if len(key) <= 40 else key[:37] + "..."
    return SpecError("E0602", f"expected a key of {what} ({listed}), found `{shown}`", _where(file, key_node),
                     label="unknown key", help=Suggestion(key, keys, otherwise=otherwise))


def _missing_key(node: Node, loc: tuple, file: str) -> SpecError:
    _, what = _model_at(loc)
    key = loc[-1]
    present = [k.value for k, _ in node.value] if isinstance(node, MappingNode) else []
    found = "only " + ", ".join(f"`{k}`" for k in present) if present else "nothing"
    at = node.value[0][0] if isinstance(node, MappingNode) and node.value else node
    what = "this " + what.split(" ", 1)[1] if what.startswith(("a ", "an ")) else what
    help = {"do": "give the body as a list: `do: [relu]`", "then": "give the body as a list: `then: [relu]`",
            "in": "say what to iterate over: `in: enumerate(convs)`",
            "layers": "list the statements of the body under `layers:`",
            "torch": "name the class that implements the op: `torch: pkg.mod.Class`"}.get(key, f"add `{key}:`")
    return SpecError("E0606", f"expected `{key}` in {what}, found {found}", _where(file, at),
                     label=f"`{key}` is missing", help=help)


def _bad_name(node: Node, detail: dict, file: str) -> SpecError:
    value = node.value if isinstance(node, ScalarNode) else "?"
    if detail["ctx"].get("pattern") == yaml_form.TARGETS:
        return SpecError("E0604", f"expected loop variables such as `i, n`, found `{value}`", _where(file, node),
                         label="not a list of names", help="write `for: i, n` and `in: enumerate(convs)`")
    shown = value if len(value) <= 40 else value[:37] + "..."
    if detail["ctx"].get("pattern") == yaml_form.INIT_TARGET:
        return SpecError("E0604", f"expected the ops an init rule is for (`linear`, `conv, linear`) or `layer NAME`, "
                         f"found `{shown}`", _where(file, node), label="not ops or a layer",
                         help="`{linear: {weight: zeros}}` for every later linear, `{layer fc: {...}}` for one layer")
    if detail["ctx"].get("pattern") == yaml_form.MODULE_NAME:
        return SpecError("E0604", f"expected a module name, found `{shown}`", _where(file, node),
                         label="not a name", help=yaml_form.NAME_HELP)
    return SpecError("E0604", f"expected a name, found `{shown}`", _where(file, node), label="not a name",
                     help="a name is letters, digits and `_`, and does not start with a digit")


# ---------------------------------------------------------------- step 3: nodes -> AST


class _Builder:
    """Builds AST nodes from validated YAML nodes, dispatching as `yaml_form` does."""

    def __init__(self, file: str, values: dict[int, Any]) -> None:
        self.file = file
        self.values = values
        self.errors = Collector()
        # An aliased string is one node used many times: parsed once, counted at every use.
        self.parsed: dict[tuple[int, str], Any] = {}
        self.text_left = LIMITS["yaml_text"]
        self.depth = 0  # bodies under way

    def fragment(self, node: Node, text: str, rule: str, line: int, column: int):
        """The DSL in a YAML string (`parse.parse_fragment`), once per node, within `LIMITS["yaml_text"]`."""
        self.text_left -= len(text)
        if self.text_left < 0:  # once: the error ends the build, rather than one per string after it
            raise _Expanded(SpecError("E0405", f"expected at most {LIMITS['yaml_text']:,} characters of DSL in a "
                                      "YAML spec, found more (aliases count at every use)", _where(self.file, node),
                                      label="the limit is reached here",
                                      help="write the repeated part once, as a block, and call it"))
        key = (id(node), rule)
        if key not in self.parsed:
            self.parsed[key] = parse_fragment(text, rule, self.file, line, column)
        return self.parsed[key]

    def value(self, node: Node) -> Any:
        return self.values[id(node)]

    def span(self, start: Node, end: Optional[Node] = None) -> ast.Span:
        return _span(self.file, start, end)

    @staticmethod
    def pairs(node: MappingNode) -> dict[str, tuple[Node, Node]]:
        return {key.value: (key, value) for key, value in node.value}

    # -- the file and its definitions

    def module(self, root: MappingNode) -> ast.Module:
        top = self.pairs(root)
        uses = self.uses(top["use"][1]) if "use" in top and self.value(top["use"][1]) is not None else []
        ops = self.op_definitions(top.get("ops"))
        blocks = self.definitions(top.get("blocks"), ast.BlockDef)
        models = self.definitions(top.get("models"), ast.ModelDef)
        self.errors.raise_if_any()
        return construct(ast.Module, span=self.span(root), file=self.file, uses=uses, blocks=blocks,
                         models=models, ops=ops)

    def uses(self, node: Node) -> list[ast.Use]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        out = []
        for item in items:
            if isinstance(item, MappingNode):
                target, is_path = self.value(item)["path"], True
            else:
                target = self.value(item)
                is_path = not NAME.fullmatch(target)
                if not is_path and len(target) > LIMITS["name_chars"]:  # a library's name, as the DSL's lexer
                    raise name_too_long(len(target), self.span(item))
            out.append(construct(ast.Use, span=self.span(item), target=target, is_path=is_path))
        return out

    def definitions(self, entry: Optional[tuple[Node, Node]], cls) -> list:
        if entry is None or not isinstance(entry[1], MappingNode):
            return []
        out = []
        for key, value in entry[1].value:
            try:
                out.append(self.definition(key, value, cls))
            except SpecError as error:
                self.errors.add(error)
        return out

    def definition(self, key: ScalarNode, node: Node, cls):
        params, body = [], []
        if isinstance(node, MappingNode) and "extends" in self.pairs(node):
            return self.derived(key, node)
        if isinstance(node, SequenceNode):
            body = self.body(node)
        else:
            fields = self.pairs(node)
            if "params" in fields and self.value(fields["params"][1]) is not None:
                params = self.params(fields["params"][1])
            if "input" in fields and self.value(fields["input"][1]) is not None:
                self.errors.run(lambda: body.append(self.input(*fields["input"])))
            body.extend(self.body(fields["layers"][1]))
        return construct(cls, span=self.span(key, node), name=key.value, name_span=self.span(key),
                                   params=params, body=body)

    def derived(self, key: ScalarNode, node: MappingNode) -> ast.ModelDef:
        fields = self.pairs(node)
        base = fields["extends"][1]
        params = fields.get("params")
        defaults = self.keywords(params[1]) if params is not None and self.value(params[1]) is not None else []
        return construct(ast.ModelDef, span=self.span(key, node), name=key.value, name_span=self.span(key),
                         params=[], body=[], extends=base.value, extends_span=self.span(base), defaults=defaults)

    def op_definitions(self, entry: Optional[tuple[Node, Node]]) -> list[ast.OpDef]:
        if entry is None or not isinstance(entry[1], MappingNode):
            return []
        out = []
        for key, value in entry[1].value:
            try:
                out.append(self.op_definition(key, value))
            except SpecError as error:
                self.errors.add(error)
        return out

    def op_definition(self, key: ScalarNode, node: MappingNode) -> ast.OpDef:
        """`my_linear: {args: ..., torch: {pkg.mod.Class: [...]}, shape: ..., params: ..., macs: ...}`."""
        fields = self.pairs(node)
        args = []
        if "args" in fields and self.value(fields["args"][1]) is not None:
            args = self.op_args(fields["args"][1])
        torch = fields["torch"][1]
        target, call = (torch, None) if isinstance(torch, ScalarNode) else torch.value[0]
        parsed = self.call(target, call) if call is not None else None
        rules = {name: self.expr(fields[name][1]) for name in ast.OP_RULES
                 if name in fields and self.value(fields[name][1]) is not None}
        return construct(ast.OpDef, span=self.span(key, node), name=key.value, name_span=self.span(key), args=args,
                         target=target.value, target_span=self.span(target),
                         call_args=parsed.args if parsed else [], call_kwargs=parsed.kwargs if parsed else [],
                         **rules)

    def op_args(self, node: Node) -> list[ast.OpArg]:
        if isinstance(node, MappingNode):
            return [self.op_arg(key, value) for key, value in node.value]
        return [self.op_arg(*item.value[0]) if isinstance(item, MappingNode) else self.op_arg(item, None)
                for item in node.value]

    def op_arg(self, key: Node, value: Optional[Node]) -> ast.OpArg:
        """`units`, `units: null`, `p: 0.5` or `units: {kind: channels, default: 8}`."""
        span = self.span(key, value) if value is not None else self.span(key)
        kind = default = None
        if isinstance(value, MappingNode):
            parts = self.pairs(value)
            kind = parts.get("kind")
            if "default" in parts and self.value(parts["default"][1]) is not None:
                default = self.expr(parts["default"][1])
            if kind is not None and self.value(kind[1]) is None:
                kind = None
        elif value is not None and self.value(value) is not None:
            default = self.expr(value)
        return construct(ast.OpArg, span=span, name=key.value, type=kind[1].value if kind else None,
                         type_span=self.span(kind[1]) if kind else None, default=default)

    def params(self, node: Node) -> list[ast.Param]:
        if isinstance(node, MappingNode):
            return [self.param(key, value) for key, value in node.value]
        out = []
        for item in node.value:
            if isinstance(item, MappingNode):
                out.append(self.param(*item.value[0]))
            elif ":" in item.value:  # `"skip: tensor"`, as the form allows
                out.append(construct(ast.Param, span=self.span(item), name=item.value.partition(":")[0],
                                     default=None, tensor=True))
            else:
                out.append(construct(ast.Param, span=self.span(item), name=item.value, default=None))
        return out

    def param(self, key: Node, value: Node) -> ast.Param:
        default = None if self.value(value) is None else self.expr(value)
        return construct(ast.Param, span=self.span(key, value), name=key.value, default=default)

    # -- statements

    def body(self, node: SequenceNode) -> list:
        # As deep as the DSL's indented blocks may go, so that every YAML spec has a DSL form.
        if self.depth >= MAX_BLOCK_DEPTH:
            raise SpecError("E0109", f"expected statements nested at most {MAX_BLOCK_DEPTH} levels deep, found a "
                            "deeper one", _where(self.file, node), label="nested too deeply here",
                            help="move the inner statements into a block and call it")
        self.depth += 1
        out = []
        try:
            for item in node.value:
                try:
                    out.extend(self.statement(item))
                except SpecError as error:
                    self.errors.add(error)
        finally:
            self.depth -= 1
        return out

    def statement(self, node: Node) -> list:
        surface = yaml_form.statement_kind(self.value(node))
        if surface == "<layers>":  # a line of DSL: the grammar builds whichever statement it is
            line, column = self.content_start(node)
            return [self.fragment(node, node.value, "simple_stmt", line, column)]
        return getattr(self, f"build_{SURFACE_KINDS[surface]}")(node, surface)

    # One builder per AST statement kind (a `name:` beside a nameable form wraps it in `named`).

    def build_input(self, node: Node, surface: str) -> list:
        return [self.input(*self.pairs(node)["input"], whole=node)]

    def build_output(self, node: Node, surface: str) -> list:
        return [construct(ast.Output, span=self.span(node), value=self.expr(self.pairs(node)["output"][1]))]

    def build_let(self, node: Node, surface: str) -> list:
        return [construct(ast.Let, span=self.span(key, value), name=key.value, name_span=self.span(key),
                          value=self.expr(value)) for key, value in self.pairs(node)["let"][1].value]

    def build_for(self, node: Node, surface: str) -> list:
        return [self.for_(node, self.pairs(node))]

    def build_default(self, node: Node, surface: str) -> list:
        return [construct(ast.Default, span=self.span(key, value), op=key.value, op_span=self.span(key),
                          kwargs=self.keywords(value)) for key, value in self.pairs(node)["default"][1].value]

    def build_init(self, node: Node, surface: str) -> list:
        """`init: {linear: {weight: ...}, layer fc: {...}}`: one statement per key, as `init <key>: ...`."""
        out = []
        for key, value in self.pairs(node)["init"][1].value:
            line, column = self.content_start(key)
            names = [(m.group(), ast.Span(file=self.file, line=line, column=column + m.start(), end_line=line,
                                          end_column=column + m.end())) for m in NAME.finditer(key.value)]
            rules = self.keywords(value)
            span = self.span(key, value)
            if names[0][0] == "layer" and len(names) == 2 and "," not in key.value:
                out.append(construct(ast.Init, span=span, layer=names[1][0], layer_span=names[1][1], rules=rules))
            elif names[0][0] == "layer" and len(names) == 1:
                raise SpecError("E0604", "expected `layer NAME` or the ops an init rule is for, found `layer`",
                                _where(self.file, key), label="which layer?",
                                help="`layer fc` sets the rules of the layer named `fc`; ops are listed as "
                                     "`conv, linear`")
            else:
                out.append(construct(ast.Init, span=span, ops=[n for n, _ in names],
                                     op_spans=[s for _, s in names], rules=rules))
        return out

    def build_if(self, node: Node, surface: str) -> list:
        return [self.if_(node, self.pairs(node))]

    def build_chain(self, node: Node, surface: str) -> list:
        if surface == "<layer-list>":
            return [self.chain(node, node)]
        fields = self.pairs(node)
        if surface == "<call>":
            key, value = next((k, v) for k, v in node.value if k.value != "name")
            chain = construct(ast.Chain, span=self.span(key, value), items=[self.call(key, value)])
        else:
            chain = self.chain(node, fields["chain"][1])
        return [self.named(node, fields, chain)]

    def build_combine(self, node: Node, surface: str) -> list:
        fields, op = self.pairs(node), surface[1:-1]
        if op in ("chunk", "split"):  # `{chunk: 2, do: [...]}`: how to slice, then the branches
            combine = construct(ast.Combine, span=self.span(node), op=op, body=self.body(fields["do"][1]),
                                parts=self.expr(fields[op][1]))
        else:
            combine = construct(ast.Combine, span=self.span(node), op=op, body=self.body(fields[op][1]))
        return [self.named(node, fields, combine)]

    def build_seq(self, node: Node, surface: str) -> list:
        fields, keyword = self.pairs(node), surface[1:-1]
        seq = construct(ast.Seq, span=self.span(node), body=self.body(fields[keyword][1]),
                        module=keyword == "sequential")
        return [self.named(node, fields, seq)]

    def build_repeat(self, node: Node, surface: str) -> list:
        fields = self.pairs(node)
        repeat = construct(ast.Repeat, span=self.span(node), count=self.expr(fields["repeat"][1]),
                           body=self.body(fields["do"][1]))
        return [self.named(node, fields, repeat)]

    def named(self, node: Node, fields: dict, stmt):
        if "name" not in fields:
            return stmt
        key, value = fields["name"]
        return construct(ast.Named, span=self.span(node), name=value.value, name_span=self.span(value),
                                         stmt=stmt)

    def input(self, key: Node, value: Node, whole: Optional[Node] = None) -> ast.Input:
        span = self.span(whole) if whole is not None else self.span(key, value)
        if isinstance(value, SequenceNode):
            return construct(ast.Input, span=span, dims=[self.expr(item) for item in value.value])
        line, column = self.content_start(value)
        parsed = self.fragment(value, "input " + value.value, "input_stmt", line, column - len("input "))
        return construct(ast.Input, span=span, dims=parsed.dims)

    def chain(self, whole: Node, node: Node) -> ast.Chain:
        if isinstance(node, ScalarNode):
            line, column = self.content_start(node)
            parsed = self.fragment(node, node.value, "chain", line, column)
            return construct(ast.Chain, span=self.span(whole), items=parsed.items)
        items = []
        for item in node.value:
            items.extend(self.layers(item))
        return construct(ast.Chain, span=self.span(whole), items=items)

    def layers(self, node: Node) -> list:
        if isinstance(node, ScalarNode):
            line, column = self.content_start(node)
            return self.fragment(node, node.value, "chain", line, column).items
        key, value = node.value[0]
        return [self.call(key, value)]

    def for_(self, node: MappingNode, fields: dict) -> ast.For:
        targets_node = fields["for"][1]
        if isinstance(targets_node, SequenceNode):
            names = [(self.target(item), self.span(item)) for item in targets_node.value]
            if len(names) == 1 and isinstance(names[0][0], ast.Unpack) and len(names[0][0].targets) > 1:
                group = names[0][0]  # `for: [[a, b]]` is `for: [a, b]`, as in the DSL
                names = list(zip(group.targets, group.target_spans))
        else:
            line, column = self.content_start(targets_node)
            names = [(m.group(), ast.Span(file=self.file, line=line, column=column + m.start(),
                                          end_line=line, end_column=column + m.end()))
                     for m in NAME.finditer(targets_node.value)]
            for name, span in names:
                if len(name) > LIMITS["name_chars"]:
                    raise name_too_long(len(name), span.to_diagnostic())
        return construct(ast.For, span=self.span(node), targets=[n for n, _ in names],
                                       target_spans=[s for _, s in names], iter=self.expr(fields["in"][1]),
                                       body=self.body(fields["do"][1]))

    def target(self, node: Node):
        """A loop variable, or for a list of them (`[w, d]`) the group that unpacks an item in turn."""
        if isinstance(node, ScalarNode):
            return node.value
        return construct(ast.Unpack, span=self.span(node), targets=[self.target(item) for item in node.value],
                         target_spans=[self.span(item) for item in node.value])

    def if_(self, node: MappingNode, fields: dict) -> ast.If:
        branches = [construct(ast.IfBranch, span=self.span(node), test=self.expr(fields["if"][1]),
                                                 body=self.body(fields["then"][1]))]
        if "elif" in fields and self.value(fields["elif"][1]) is not None:
            for clause in fields["elif"][1].value:
                parts = self.pairs(clause)
                branches.append(construct(ast.IfBranch, span=self.span(clause), test=self.expr(parts["if"][1]),
                                                             body=self.body(parts["then"][1])))
        orelse = None
        if "else" in fields and self.value(fields["else"][1]) is not None:
            orelse = self.body(fields["else"][1])
        return construct(ast.If, span=self.span(node), branches=branches, orelse=orelse)

    # -- calls and expressions

    def call(self, key: Node, value: Node) -> ast.Call:
        raw = self.value(value)
        kind = yaml_form.args_kind(raw)
        end = value if raw is not None else key
        args, kwargs = [], []
        if kind == "<positional>":
            for item in value.value:
                if isinstance(item, MappingNode):
                    kwargs.extend(self.keywords(item))
                else:
                    args.append(self.expr(item))
        elif kind == "<keywords>":
            kwargs = self.keywords(value)
        elif kind == "<single>":
            args = [self.expr(value)]
        return construct(ast.Call, span=self.span(key, end), name=key.value, name_span=self.span(key),
                                        args=args, kwargs=kwargs, bare=kind == "<bare>")

    def keywords(self, node: MappingNode) -> list[ast.Keyword]:
        return [construct(ast.Keyword, span=self.span(key, value), name=key.value, value=self.expr(value))
                for key, value in node.value]

    def expr(self, node: Node):
        value = self.value(node)
        span = self.span(node)
        if isinstance(node, SequenceNode):
            return construct(ast.ListExpr, span=span, items=[self.expr(item) for item in node.value])
        if isinstance(value, bool):
            return construct(ast.Bool, span=span, value=value)
        if isinstance(value, (int, float)):
            return self.number(value, node.value.lstrip().startswith("-"), span)
        line, column = self.content_start(node)
        return self.fragment(node, value, "test", line, column)

    @staticmethod
    def number(value, negative: bool, span: ast.Span):
        cls = ast.Int if isinstance(value, int) else ast.Float
        if not negative:
            return construct(cls, span=span, value=value)
        # `-1` in the DSL is `-` applied to `1`: build the same nodes (`-0` included).
        inner = span._replace(column=span.column + 1)
        return construct(ast.UnaryOp, span=span, op="-", operand=construct(cls, span=inner, value=-value))

    def content_start(self, node: ScalarNode) -> tuple[int, int]:
        """Where a string's text starts in the file: after the quote of a quoted scalar."""
        mark = node.start_mark
        if node.style in ("'", '"'):
            return mark.line + 1, mark.column + 2
        if node.style in ("|", ">"):
            return mark.line + 2, 1
        return mark.line + 1, mark.column + 1
