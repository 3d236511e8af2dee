"""What hostile input costs: each row the work of a hostile file against a clean file of the same size.

    python bench/hostile_bench.py            # the sizes of issue 14 (a few minutes on a busy machine)
    python bench/hostile_bench.py --quick    # a fifth of them, fewer rounds

Each algorithm that was quadratic in the input has a row, its ratio taken
against a baseline of the same size measured in the same run (the
contestants take turns, `timing.interleaved`), so the ratio holds on a
machine whose speed drifts:

- Syntax recovery: a 50,000-line spec with one mistake near its end, and
  with twenty mistakes spread through it, against the same spec without
  them. Recovery used to parse the whole file again after each mistake
  (26 s for the late one); it resumes where the mistake was.
- "Did you mean": 4,000 calls of misspelt blocks among 4,000 blocks
  (`check`, then the diagnostics rendered as the command line prints
  them), against the same calls spelt right. It used to compare every
  name with every block.
- YAML keys: 9,000 models, each with two misspelt keys, against the same
  models spelt right (parse and render). The errors used to be located and
  grouped by scanning every key and every pair of errors.
- Scopes: 20,000 layers two a line against the same layers six a line
  (`shapes`). Each statement of a body used to open a scope inside the one
  before, and every name lookup walked them all.
- Generated code: EfficientNetV2-S with 1,000 blocks in its last stage
  (one class, each instance with sizes of its own), against 100 blocks,
  per layer (`specc build`'s source). Each instance used to be found by
  comparing it with the instances before it.
- Unpacking: `as (...)` with 100,000 names, the first named again at the
  end, against the same names all different (`check`, then rendered). The
  repeated name used to be found by comparing each name with all before it.

- The caller's depth: a loop of `repeat` steps (`shapes`), called from 80
  depths of the caller's stack (20 KiB of it), the slowest depth against the
  fastest. Where the end of one of CPython's 16 KiB chunks of frames fell
  inside the loop, each call mapped and unmapped a chunk: ten times slower
  at seven depths in forty (`limits.with_room`).

Linear means a ratio that stays put as the sizes grow (try `--quick`
against the full run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import interleaved  # noqa: E402
from specc import sources  # noqa: E402
from specc.api import check, shapes  # noqa: E402
from specc.backends.python_source import emit  # noqa: E402
from specc.diagnostics import SpecError, render  # noqa: E402
from specc.ir import walk  # noqa: E402
from specc.syntax import cache as parse_cache  # noqa: E402
from specc.syntax.parse import parse_text  # noqa: E402
from specc.syntax.yaml import parse_yaml  # noqa: E402

LINE = "    conv(64, k=3, p=1) -> batchnorm -> relu"
MISTAKE = "    conv(6,, k=3)"


def spec_lines(lines: int, mistakes: list[int]) -> str:
    body = [LINE] * lines
    for index in mistakes:
        body[index] = MISTAKE
    return "model Big:\n    input 3 x 32 x 32\n" + "\n".join(body) + "\n"


def reported(action) -> None:
    """Run `action`; a `SpecError` is rendered as the command line would print it (rendering is part of the cost)."""
    try:
        action()
    except SpecError as error:
        render(error, sources.text_of)


def recovery(lines: int, rounds: int) -> None:
    clean = spec_lines(lines, [])
    late = spec_lines(lines, [lines - 10])
    spread = spec_lines(lines, list(range(0, lines, lines // 20)))
    times = interleaved({
        "clean": (lambda: parse_text(clean, "clean.spec"), None, 1),
        "late": (lambda: reported(lambda: parse_text(late, "late.spec")), None, 1),
        "spread": (lambda: reported(lambda: parse_text(spread, "spread.spec")), None, 1),
    }, rounds)
    print(f"Syntax recovery, a {lines:,}-line spec (best of {rounds})")
    print(f"  clean parse                    {times['clean']:8.3f} s")
    print(f"  one mistake near the end       {times['late']:8.3f} s   {times['late'] / times['clean']:5.2f}x the clean parse")
    print(f"  twenty mistakes spread through {times['spread']:8.3f} s   {times['spread'] / times['clean']:5.2f}x the clean parse")


def suggestions(blocks: int, rounds: int) -> None:
    definitions = "".join(f"block blk{i}(c):\n    conv(c, k=1)\n" for i in range(blocks))
    head = definitions + "model M:\n    input 8 x 8 x 8\n"
    right = head + "".join(f"    blk{i}(8)\n" for i in range(blocks))
    wrong = head + "".join(f"    blkx{i}(8)\n" for i in range(blocks))
    times = interleaved({
        "right": (lambda: check(right), None, 1),
        "wrong": (lambda: reported(lambda: check(wrong)), None, 1),
    }, rounds)
    print(f"\n\"Did you mean\": {blocks:,} misspelt calls among {blocks:,} blocks (best of {rounds})")
    print(f"  spelt right                    {times['right']:8.3f} s")
    print(f"  misspelt, reported             {times['wrong']:8.3f} s   {times['wrong'] / times['right']:5.2f}x spelt right")


def yaml_keys(models: int, rounds: int) -> None:
    right = "models:\n" + "".join(f"  M{i}:\n    input: [1, 28, 28]\n    layers: [relu]\n" for i in range(models))
    wrong = "models:\n" + "".join(f"  M{i}:\n    inptu: [1, 28, 28]\n    layerz: [relu]\n" for i in range(models))
    times = interleaved({
        "right": (lambda: parse_yaml(right, "right.yaml"), None, 1),
        "wrong": (lambda: reported(lambda: parse_yaml(wrong, "wrong.yaml")), None, 1),
    }, rounds)
    print(f"\nYAML keys: {models:,} models, each with two misspelt keys (best of {rounds})")
    print(f"  spelt right                    {times['right']:8.3f} s")
    print(f"  misspelt, reported             {times['wrong']:8.3f} s   {times['wrong'] / times['right']:5.2f}x spelt right")


def scopes(layers: int, rounds: int) -> None:
    head = "model M:\n    input 8\n    let width = 8\n"
    one = head + "    linear(width) -> relu\n" * (layers // 2)
    three = head + "    linear(width) -> relu -> linear(width) -> relu -> linear(width) -> relu\n" * (layers // 6)
    times = interleaved({
        "three": (lambda: shapes(three), parse_cache.clear_memory, 1),
        "one": (lambda: shapes(one), parse_cache.clear_memory, 1),
    }, rounds)
    print(f"\nScopes: {layers:,} layers in one body (best of {rounds})")
    print(f"  six a line                     {times['three']:8.3f} s")
    print(f"  two a line                     {times['one']:8.3f} s   {times['one'] / times['three']:5.2f}x six a line")


def generated_code(blocks: int, rounds: int) -> None:
    spec = ROOT / "specs" / "torchvision" / "efficientnet_v2_s.spec"
    graphs = {n: shapes(spec, overrides={"depths": [2, 4, 4, 6, 9, n]}) for n in (blocks // 10, blocks)}
    layers = {n: sum(1 for _ in walk(graph.body)) for n, graph in graphs.items()}
    times = interleaved({n: (lambda g=graph: emit(g, spec=spec.name), None, 1) for n, graph in graphs.items()},
                        rounds)
    small, large = blocks // 10, blocks
    per = {n: times[n] / layers[n] * 1e6 for n in times}
    print(f"\nGenerated code: EfficientNetV2-S, its last stage of {large:,} blocks (best of {rounds})")
    print(f"  {small:,} blocks, {layers[small]:,} layers     {times[small]:8.3f} s   {per[small]:6.1f} us a layer")
    print(f"  {large:,} blocks, {layers[large]:,} layers    {times[large]:8.3f} s   {per[large]:6.1f} us a layer   "
          f"{per[large] / per[small]:5.2f}x")


def unpacking(names: int, rounds: int) -> None:
    head = "block pair(c):\n    conv(c, k=1) as lo\n    output (lo, lo)\n\nmodel M:\n    input 3 x 8 x 8\n"
    listed = ", ".join(f"a{i}" for i in range(names))
    distinct = head + f"    pair(4) as ({listed})\n    output a0\n"
    repeated = head + f"    pair(4) as ({listed}, a0)\n    output a0\n"
    times = interleaved({
        "distinct": (lambda: reported(lambda: check(distinct)), parse_cache.clear_memory, 1),
        "repeated": (lambda: reported(lambda: check(repeated)), parse_cache.clear_memory, 1),
    }, rounds)
    print(f"\nUnpacking: `as (...)` with {names:,} names (best of {rounds})")
    print(f"  all different                  {times['distinct']:8.3f} s")
    print(f"  the first again at the end     {times['repeated']:8.3f} s   "
          f"{times['repeated'] / times['distinct']:5.2f}x all different")


def at_depth(depth: int, work):
    """`work()`, called `depth` frames of about 256 bytes of CPython's data stack deeper (the test suite uses it too)."""
    return work() if depth == 0 else at_depth(depth - 1, work)


at_depth.__code__ = at_depth.__code__.replace(co_stacksize=24)


def callers_depth(steps: int, rounds: int) -> None:
    loop = f"model M:\n    input 8\n    repeat {steps // 200}:\n        repeat 100:\n            let z = 1\n    relu\n"
    shapes(loop)  # parsed once: the rows time the elaboration
    times = interleaved({depth: (lambda d=depth: at_depth(d, lambda: shapes(loop)), None, 1)
                         for depth in range(80)}, rounds)
    slowest, fastest = max(times, key=times.get), min(times, key=times.get)
    print(f"\nThe caller's depth: a loop of {steps:,} steps, at 80 depths of the caller's stack (best of {rounds})")
    print(f"  fastest depth ({fastest:2})             {times[fastest]:8.3f} s")
    print(f"  slowest depth ({slowest:2})             {times[slowest]:8.3f} s   "
          f"{times[slowest] / times[fastest]:5.2f}x the fastest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the sizes, fewer rounds")
    args = parser.parse_args()
    scale, rounds = (5, 2) if args.quick else (1, 3)
    recovery(50_000 // scale, rounds)
    suggestions(4_000 // scale, rounds)
    yaml_keys(9_000 // scale, rounds)
    scopes(20_000 // scale, rounds)
    generated_code(1_000 // scale, rounds)
    unpacking(100_000 // scale, rounds)
    callers_depth(40_000 // scale, rounds)


if __name__ == "__main__":
    main()
