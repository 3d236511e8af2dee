"""Hypothesis strategies for random specc ASTs, and for their text with comments and blank lines.

The ASTs are the ones the parsers can produce (non-negative literals, bare
calls without arguments, bodies never empty), with names chosen to trip
YAML up (`on`, `null`, `yes` read as booleans or null when unquoted).
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

from specc.syntax import ast

SPAN = ast.Span(file="<random>", line=1, column=1, end_line=1, end_column=1)

NAMES = ["a", "b", "ch", "n", "stride", "k2", "_p", "on", "null", "yes", "y", "No"]
OPS = ["conv", "relu", "linear", "my_block", "on", "chain", "name", "do"]
BUILTINS = ["len", "min", "max", "range", "enumerate"]
KEYWORDS = ["k", "s", "p", "in", "bias", "name"]

names = st.sampled_from(NAMES)


def node(cls, **fields):
    return cls.model_construct(span=SPAN, **fields)


# ---------------------------------------------------------------- expressions

atoms = st.one_of(
    st.integers(0, 10**6).map(lambda v: node(ast.Int, value=v)),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False).map(lambda v: node(ast.Float, value=v)),
    st.booleans().map(lambda v: node(ast.Bool, value=v)),
    st.text(string.ascii_letters + string.digits + " _-#'\"\\:,[]{}", max_size=8).map(lambda v: node(ast.Str, value=v)),
    names.map(lambda v: node(ast.Name, id=v)),
    st.sampled_from(["c", "h", "w", "shape"]).map(lambda v: node(ast.InShape, attr=v)),
)


def _compound(children):
    keywords = st.builds(lambda k, v: node(ast.Keyword, name=k, value=v), st.sampled_from(KEYWORDS), children)
    return st.one_of(
        st.lists(children, max_size=2).map(lambda items: node(ast.ListExpr, items=items)),
        st.lists(children, max_size=2).map(lambda items: node(ast.TupleExpr, items=items)),
        st.builds(lambda v, i: node(ast.Index, value=v, index=i), children, children),
        st.builds(lambda v, lower, upper, step: node(ast.Slice, value=v, lower=lower, upper=upper, step=step),
                  children, st.none() | children, st.none() | children, st.none() | children),
        st.builds(lambda op, l, r: node(ast.BinOp, op=op, left=l, right=r),
                  st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]), children, children),
        st.builds(lambda op, o: node(ast.UnaryOp, op=op, operand=o), st.sampled_from(["-", "+", "not"]), children),
        st.builds(lambda first, pairs: node(ast.Compare, first=first, ops=[p[0] for p in pairs],
                                            rest=[p[1] for p in pairs]),
                  children, st.lists(st.tuples(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children),
                                     min_size=1, max_size=2)),
        st.builds(lambda op, values: node(ast.BoolOp, op=op, values=values),
                  st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda b, t, o: node(ast.IfExp, body=b, test=t, orelse=o), children, children, children),
        st.builds(lambda name, args, kwargs: node(ast.Call, name=name, name_span=SPAN, args=args, kwargs=kwargs),
                  st.sampled_from(BUILTINS), st.lists(children, max_size=2), st.lists(keywords, max_size=2)),
    )


exprs = st.recursive(atoms, _compound, max_leaves=3)
keywords = st.builds(lambda k, v: node(ast.Keyword, name=k, value=v), st.sampled_from(KEYWORDS), exprs)
# `weight=normal(std=0.01)`: a rule is an expression, a name or a call (of the catalogue, or not: fmt keeps it)
init_rules = st.builds(lambda k, v: node(ast.Keyword, name=k, value=v), st.sampled_from(["weight", "bias", "on"]),
                       exprs | st.builds(lambda n, kwargs: node(ast.Call, name=n, name_span=SPAN, args=[], kwargs=kwargs),
                                         st.sampled_from(["normal", "xavier_uniform", "no"]),
                                         st.lists(keywords, max_size=2)))


# ---------------------------------------------------------------- layers and statements

def modules_calling(ops: list[str]):
    """Random modules whose layers call the ops or blocks named in `ops`."""
    calls = st.one_of(
        st.sampled_from(ops).map(lambda n: node(ast.Call, name=n, name_span=SPAN, bare=True)),
        st.builds(lambda n, args, kwargs: node(ast.Call, name=n, name_span=SPAN, args=args, kwargs=kwargs),
                  st.sampled_from(ops), st.lists(exprs, max_size=2), st.lists(keywords, max_size=2)),
    )
    layers = st.recursive(calls, lambda inner: st.builds(
        lambda b, t, o: node(ast.LayerIf, body=b, test=t, orelse=o), calls, exprs, inner), max_leaves=3)
    chains = st.lists(layers, min_size=1, max_size=3).map(lambda items: node(ast.Chain, items=items))
    simple_statements = st.one_of(
        chains,
        st.builds(lambda n, v: node(ast.Let, name=n, name_span=SPAN, value=v), names, exprs),
        st.lists(exprs, min_size=1, max_size=4).map(lambda dims: node(ast.Input, dims=dims)),
        st.builds(lambda op, kwargs: node(ast.Default, op=op, op_span=SPAN, kwargs=kwargs),
                  st.sampled_from(ops), st.lists(keywords, max_size=2)),
        st.builds(lambda targets, rules: node(ast.Init, ops=targets, op_spans=[SPAN] * len(targets), rules=rules),
                  st.lists(st.sampled_from(ops), min_size=1, max_size=2), st.lists(init_rules, min_size=1, max_size=2)),
        st.builds(lambda layer, rules: node(ast.Init, layer=layer, layer_span=SPAN, rules=rules),
                  names, st.lists(init_rules, min_size=1, max_size=2)),
    )
    statements = st.recursive(simple_statements, lambda inner: _compound_statements(inner, chains), max_leaves=5)
    return st.builds(lambda us, os, bs, ms: node(ast.Module, file="<random>", uses=us, ops=os, blocks=bs, models=ms),
                     st.lists(uses, max_size=2), op_definitions,
                     _definitions(ast.BlockDef, ["block_a", "b2", "on"], 1, statements),
                     _definitions(ast.ModelDef, ["M", "Net"], 2, statements, min_size=1))


# Quoted module names: `-`, digits first, `{expressions}` (torchvision's `block1-0`, `layer{i + 1}`).
module_names = st.builds(lambda head, tail: head + tail, st.sampled_from(["block1-", "layer{i + 1}", "0", "{n}-x"]),
                         st.sampled_from(["", "0", "_a", "{j}"]))


def _compound_statements(inner, chains):
    bodies = st.lists(inner, min_size=1, max_size=2)
    nameable = st.one_of(
        chains,
        st.builds(lambda op, body: node(ast.Combine, op=op, body=body), st.sampled_from(["concat", "add", "mul"]),
                  bodies),
        st.builds(lambda op, parts, body: node(ast.Combine, op=op, parts=parts, body=body),
                  st.sampled_from(["chunk", "split"]), exprs, bodies),
        st.builds(lambda module, body: node(ast.Seq, body=body, module=module), st.booleans(), bodies),
        st.builds(lambda c, body: node(ast.Repeat, count=c, body=body), exprs, bodies),
    )
    branches = st.builds(lambda t, body: node(ast.IfBranch, test=t, body=body), exprs, bodies)
    return st.one_of(
        nameable,
        st.builds(lambda n, s: node(ast.Named, name=n, name_span=SPAN, stmt=s), names | module_names, nameable),
        st.builds(lambda ts, it, body: node(ast.For, targets=ts, target_spans=[SPAN] * len(ts), iter=it, body=body),
                  for_targets, exprs, bodies),
        st.builds(lambda bs, orelse: node(ast.If, branches=bs, orelse=orelse),
                  st.lists(branches, min_size=1, max_size=3), st.none() | bodies),
    )


def _unpack(targets: list):
    return node(ast.Unpack, targets=targets, target_spans=[SPAN] * len(targets))


# The targets of a `for`: names and nested groups (`i, (w, d)`), but never one group of
# several alone, which both front-ends read as its names (`for (a, b) in` is `for a, b in`).
_targets = st.recursive(names, lambda inner: st.lists(inner, min_size=1, max_size=3).map(_unpack), max_leaves=4)
for_targets = st.lists(_targets, min_size=1, max_size=3).filter(
    lambda ts: not (len(ts) == 1 and isinstance(ts[0], ast.Unpack) and len(ts[0].targets) > 1))

params = st.builds(lambda n, d: node(ast.Param, name=n, default=d), names, st.none() | exprs)


@st.composite
def _definitions(draw, cls, names: list[str], max_size: int, statements, min_size: int = 0):
    # Distinct names: a YAML mapping cannot hold one twice (converting such a file is an error).
    chosen = draw(st.lists(st.sampled_from(names), min_size=min_size, max_size=max_size, unique=True))
    out = []
    for name in chosen:
        if cls is ast.ModelDef and draw(st.booleans()):
            out.append(draw(_derived(name, [n for n in names if n != name])))
            continue
        out.append(node(cls, name=name, name_span=SPAN, params=draw(st.lists(params, max_size=2)),
                        body=draw(st.lists(statements, min_size=1, max_size=3))))
    return out


def _derived(name: str, bases: list[str]):
    """`model name = Base(k=v)`: keywords named once each (YAML's `params` is a mapping)."""
    defaults = st.lists(keywords, max_size=2, unique_by=lambda k: k.name)
    return st.builds(lambda base, kws: node(ast.ModelDef, name=name, name_span=SPAN, params=[], body=[],
                                            extends=base, extends_span=SPAN, defaults=kws),
                     st.sampled_from(bases + ["ResNet50"]), defaults)


# `op name(args) = pkg.mod.Class(call): rules`, with kinds and paths that YAML would misread unquoted.
op_args = st.builds(lambda n, t, d: node(ast.OpArg, name=n, type=t, type_span=SPAN if t else None, default=d),
                    names, st.none() | st.sampled_from(["int", "channels", "on", "null"]), st.none() | exprs)


def _op(name: str):
    return st.builds(
        lambda args, target, call_args, call_kwargs, rules: node(
            ast.OpDef, name=name, name_span=SPAN, args=args, target=target, target_span=SPAN, call_args=call_args,
            call_kwargs=call_kwargs, **dict(zip(ast.OP_RULES, rules))),
        st.lists(op_args, max_size=2), st.sampled_from(["pkg.mod.Cls", "on.off.Yes", "a.b"]),
        st.lists(exprs, max_size=2), st.lists(keywords, max_size=2, unique_by=lambda k: k.name),
        st.tuples(*(st.none() | exprs for _ in ast.OP_RULES)))


op_definitions = st.lists(st.sampled_from(["op_a", "centered", "on"]), max_size=2, unique=True).flatmap(
    lambda chosen: st.tuples(*(_op(name) for name in chosen)).map(list))

uses = st.one_of(
    st.sampled_from(["d2l", "mylib"]).map(lambda t: node(ast.Use, target=t, is_path=False)),
    st.sampled_from(["blocks.spec", "lib/x.spec", "plain", "a b.spec"]).map(lambda t: node(ast.Use, target=t, is_path=True)),
)

modules = modules_calling(OPS)


# ---------------------------------------------------------------- decorated text


@st.composite
def decorated(draw, text: str, comment_prefix: str = "#") -> str:
    """`text` with comments (own-line and trailing, each unique) and blank lines sprinkled in."""
    out, count = [], 0
    for line in text.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        for _ in range(draw(st.integers(0, 2))):
            choice = draw(st.sampled_from(["comment", "blank"]))
            if choice == "blank":
                out.append("")
            else:
                out.append(f"{indent}{comment_prefix} own {count}")
                count += 1
        if line.strip() and draw(st.booleans()):
            line = f"{line}  {comment_prefix} trail {count}"
            count += 1
        out.append(line)
    if draw(st.booleans()):
        out.append(f"{comment_prefix} end {count}")
    return "\n".join(out) + "\n"
