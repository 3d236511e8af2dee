"""The two caches are invisible: a reused block body or a cached parse gives what a fresh one would.

- Elaboration shares the body of identical block calls (same block, same
  arguments, same incoming shape, same depth): types, shapes and the limits
  must still tell calls apart.
- The parsed bundled library is pickled into the user's cache directory:
  the CLI gives the same output with and without it, and ignores an entry
  it cannot trust.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from specc import elaborate as elaboration
from specc.api import shapes
from specc.diagnostics import SpecError
from specc.report import to_json

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


# ---------------------------------------------------------------- the parse cache on disk


def cli(cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_the_library_cache_gives_the_same_output(tmp_path):
    cold = cli(tmp_path, "shapes", "specs/densenet.spec", "--json")
    entries = list((tmp_path / "specc").glob("*.pickle"))
    assert len(entries) == 1 and (tmp_path / "specc").stat().st_mode & 0o777 == 0o700
    warm = cli(tmp_path, "shapes", "specs/densenet.spec", "--json")
    assert cold.returncode == warm.returncode == 0, cold.stderr + warm.stderr
    assert json.loads(warm.stdout) == json.loads(cold.stdout)


@pytest.mark.parametrize("damage", ["garbage", "shared directory"])
def test_an_entry_it_cannot_trust_is_ignored(tmp_path, damage):
    reference = cli(tmp_path, "shapes", "specs/resnet18.spec")
    (entry,) = (tmp_path / "specc").glob("*.pickle")
    if damage == "garbage":
        entry.write_bytes(b"not a pickle")
    else:
        # A pickle is code: one in a directory others may write is never loaded.
        entry.write_bytes(b"cos\nsystem\n(S'echo pwned > pwned.txt'\ntR.")
        (tmp_path / "specc").chmod(0o777)
    again = cli(tmp_path, "shapes", "specs/resnet18.spec")
    assert again.returncode == 0, again.stderr
    assert again.stdout == reference.stdout
    assert not (ROOT / "pwned.txt").exists()


def test_an_unwritable_cache_directory_is_no_error(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache directory would go")
    done = cli(blocked, "shapes", "specs/resnet18.spec")
    assert done.returncode == 0, done.stderr
