"""How fast is `specc graph`? ResNet-152 drawn at full depth to SVG, beside `specc shapes` of the same spec.

    python bench/graph_bench.py            # best of 5 rounds
    python bench/graph_bench.py --quick    # best of 2

Two measurements, every ratio taken from numbers of the same run (the
contestants take turns, `timing.interleaved`):

1. The command line, wall time of a fresh process each: `specc shapes
   specs/resnet152.spec` against `specc graph specs/resnet152.spec -o
   OUT.svg` at full depth, with runs of identical blocks drawn once (the
   default) and with every one of the 50 blocks drawn (`--expand-runs`,
   517 boxes: the worst case).
2. In process, where the time goes: the pipeline (`specc.shapes`, its
   in-memory parse cache cleared first), folding and writing DOT
   (`Picture(...).dot`), and the Graphviz program drawing it.

Target (issue 18): ResNet-152 at full depth drawn in under 2 seconds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import interleaved  # noqa: E402
from specc.api import shapes  # noqa: E402
from specc.picture import Picture  # noqa: E402
from specc.picture.render import find_program, render  # noqa: E402
from specc.syntax import cache as parse_cache  # noqa: E402

SPEC = ROOT / "specs" / "resnet152.spec"
TARGET = 2.0  # seconds


def command(*args: str):
    argv = [sys.executable, "-m", "specc", *args]
    return lambda: subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    rounds = 2 if parser.parse_args().quick else 5
    with tempfile.TemporaryDirectory() as scratch:
        out = str(Path(scratch) / "resnet152.svg")
        cli = interleaved({
            "shapes": (command("shapes", str(SPEC)), None, 1),
            "graph": (command("graph", str(SPEC), "-o", out), None, 1),
            "graph --expand-runs": (command("graph", str(SPEC), "--expand-runs", "-o", out), None, 1),
        }, rounds)
    print(f"ResNet-152, full depth, SVG; Graphviz program: {find_program()}")
    print("command line (wall time of a fresh process, best of each):")
    for name, seconds in cli.items():
        verdict = "" if name == "shapes" else f"  {seconds / cli['shapes']:.1f}x shapes, " + (
            "under" if seconds < TARGET else "OVER") + f" the {TARGET:.0f} s target"
        print(f"  specc {name:<22} {seconds:6.3f} s{verdict}")

    graph = shapes(SPEC)
    dots = {runs: Picture(graph, runs=runs).dot for runs in (True, False)}
    inner = interleaved({
        "pipeline (specc.shapes), cold": (lambda: shapes(SPEC), parse_cache.clear_memory, 3),
        "fold + DOT, runs drawn once": (lambda: Picture(graph).dot, None, 3),
        "fold + DOT, every block": (lambda: Picture(graph, runs=False).dot, None, 3),
        "draw SVG, runs drawn once": (lambda: render(dots[True], "svg"), None, 1),
        "draw SVG, every block": (lambda: render(dots[False], "svg"), None, 1),
    }, rounds)
    print("in process (best of each):")
    for name, seconds in inner.items():
        print(f"  {name:<30} {seconds:6.3f} s")


if __name__ == "__main__":
    main()
