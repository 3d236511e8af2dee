"""The shortcuts are invisible: a shared block body, a cached parse, a fast IR constructor change nothing.

- Elaboration shares the body of identical block calls (same block, same
  arguments, same incoming shape, same depth): types, shapes and the limits
  must still tell calls apart.
- A parsed text is remembered in the process, per file name and text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from specc import elaborate as elaboration
from specc.api import shapes
from specc.diagnostics import SpecError
from specc.report import to_json
from specc.syntax.frontend import parse_source

ROOT = Path(__file__).resolve().parent.parent


def test_equal_calls_with_different_input_shapes_keep_their_own_shapes():
    graph = shapes("block b(c):\n    conv(c, k=3)\n\nmodel M:\n    input 2 x 9 x 9\n    b(4)\n    b(4)\n    b(4)\n")
    assert [node.out_shape for node in graph.body] == [("N", 4, 7, 7), ("N", 4, 5, 5), ("N", 4, 3, 3)]


def test_true_and_1_are_different_arguments():
    text = "block b(x):\n    conv(4, k=1, bias=x)\n\nmodel M:\n    input 2 x 8 x 8\n    b(true)\n    b(1)\n"
    with pytest.raises(SpecError) as caught:
        shapes(text)
    assert caught.value.code == "E0401" and "found `1`" in caught.value.message


def test_the_key_keeps_types_apart():
    frozen = elaboration._frozen  # noqa: SLF001
    assert frozen([1, 3]) != frozen((1, 3))
    assert frozen(True) != frozen(1) and frozen(1.0) != frozen(1)
    assert frozen([(1, 2), "a"]) == frozen([(1, 2), "a"])


def test_reused_bodies_count_towards_the_layer_limit(monkeypatch):
    monkeypatch.setitem(elaboration.LIMITS, "layers", 10)
    text = "block b():\n    conv(4, k=1) -> relu -> conv(4, k=1)\n\nmodel M:\n    input 4 x 8 x 8\n" + "    b\n" * 4
    with pytest.raises(SpecError) as caught:
        shapes(text)
    assert caught.value.code == "E0405" and caught.value.span.line == 9  # the fourth call: 12 layers > 10


def test_reused_bodies_get_their_own_paths():
    graph = shapes(ROOT / "specs" / "resnet152.spec")
    paths = [row["path"] for row in to_json(graph)["layers"] if row["module"]]
    assert len(paths) == len(set(paths))


# ---------------------------------------------------------------- the parse cache


def test_a_text_is_parsed_once_per_name():
    text = "model M:\n    relu\n"
    first, again = parse_source(text, "cache_a.spec"), parse_source(text, "cache_a.spec")
    assert first is again
    assert parse_source(text, "cache_b.spec").span.file == "cache_b.spec"  # spans name their file
    assert parse_source(text + "    relu\n", "cache_a.spec") is not first


def test_the_command_line_writes_no_cache(tmp_path):
    """Parsing is fast enough that nothing is kept between processes (no pickles to trust)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "specc", "shapes", "specs/resnet18.spec"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_ir_builders_make_what_the_classes_make():
    """Naming builds IR nodes with `ir.builder`'s constructors: equal nodes, still frozen."""
    import dataclasses

    from specc import ir
    from specc.diagnostics import Span

    span = Span("f", 1, 1, 1, 2)
    layer = ir.make_layer("conv", {"c": 3}, "conv", "b.conv", ("N", 1, 8, 8), ("N", 3, 6, 6), 30, 30, span)
    assert layer == ir.Layer("conv", {"c": 3}, "conv", "b.conv", ("N", 1, 8, 8), ("N", 3, 6, 6), 30, 30, span)
    module = ir.make_module("b", "b", "Block", "block", {}, (layer,), True, ("N", 1, 8, 8), ("N", 3, 6, 6), span,
                            params=30)
    assert module == ir.Module("b", "b", "Block", "block", {}, (layer,), True, ("N", 1, 8, 8), ("N", 3, 6, 6),
                               span, params=30)
    assert ir.make_combine("add", (), "", (), (), span) == ir.Combine("add", (), "", (), (), span)
    assert (type(layer), type(module)) == (ir.Layer, ir.Module)
    assert repr(layer) == repr(ir.Layer("conv", {"c": 3}, "conv", "b.conv", ("N", 1, 8, 8), ("N", 3, 6, 6), 30, 30,
                                        span))
    with pytest.raises(dataclasses.FrozenInstanceError):
        layer.op = "relu"
    with pytest.raises(dataclasses.FrozenInstanceError):
        module.body = ()
