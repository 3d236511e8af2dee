"""What do the analyses (receptive fields, FLOPs, memory) add to `specc shapes`? ResNet-152, same run.

    python bench/analysis_bench.py            # the full run (under a minute)
    python bench/analysis_bench.py --quick    # fewer rounds

Two measurements, each a ratio of numbers taken in the same run, the
contestants taking turns (`timing.interleaved`):

1. In process, what `specc shapes` does for a table: the pipeline from the
   spec text (cold: the parse cache emptied before each run) and the table,
   with the default columns against the default columns and `flops`,
   `memory`, `rf`, `jump` (which compute the analyses); and for `--json`,
   whose object always holds the analyses' fields, the JSON against the same
   run with the analyses taken out (`analyse` timed alone and subtracted
   would double-count nothing: it is timed as the JSON calls it).
2. The command line: wall time of `python -m specc shapes` with and without
   the columns, and with `--json`.

Target (issue 18): the analyses add under 25% to `specc shapes`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import interleaved  # noqa: E402
from specc import report  # noqa: E402
from specc.analysis import analyse  # noqa: E402
from specc.api import shapes  # noqa: E402
from specc.columns import DEFAULT, parse_columns  # noqa: E402
from specc.syntax import cache as parse_cache  # noqa: E402

SPEC = "specs/resnet152.spec"
ANALYSIS_COLUMNS = "path,op,args,output,params,macs,flops,memory,rf,jump"
TARGET = 0.25


def in_process(rounds: int) -> list[float]:
    with_columns = parse_columns(ANALYSIS_COLUMNS)
    graph = shapes(SPEC)
    actions = {
        "shapes, table (default columns)": lambda: report.to_table(shapes(SPEC), columns=DEFAULT),
        "shapes, table with flops, memory, rf, jump": lambda: report.to_table(shapes(SPEC), columns=with_columns),
        "shapes, --json": lambda: json.dumps(report.to_json(shapes(SPEC)), indent=2),
        "the analyses alone (analyse)": lambda: analyse(graph),
    }
    times = interleaved({name: (action, parse_cache.clear_memory, 3) for name, action in actions.items()}, rounds)
    table, analysed, as_json, alone = times.values()
    print(f"In process, {SPEC} (seconds, best of runs; cold: the spec parsed every run)")
    for name, seconds in times.items():
        print(f"  {name:45s} {seconds:.4f}")
    ratios = [(analysed - table) / table, alone / (as_json - alone)]
    print(f"  the analysis columns add {ratios[0]:.0%} to the table")
    print(f"  the analyses add {ratios[1]:.0%} to --json (analyse alone, against the JSON without it)")
    return ratios


def command_line(rounds: int) -> list[float]:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "specc")], check=True, capture_output=True)
    base = [sys.executable, "-m", "specc", "shapes", SPEC]
    commands = {"specc shapes": base, "specc shapes --columns ...": [*base, "--columns", ANALYSIS_COLUMNS],
                "specc shapes --json": [*base, "--json"]}
    times = interleaved({name: (lambda args=args: subprocess.run(args, cwd=ROOT, check=True, capture_output=True),
                                None, 1) for name, args in commands.items()}, rounds)
    plain, columns, as_json = times.values()
    print(f"\nCommand line (wall time of a fresh process, seconds, best of runs)")
    for name, seconds in times.items():
        print(f"  {name:45s} {seconds:.3f}")
    ratio = (columns - plain) / plain
    print(f"  the analysis columns add {ratio:.0%} to the command")
    return [ratio]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    options = parser.parse_args()
    rounds = 3 if options.quick else 9
    ratios = in_process(rounds) + command_line(max(3, rounds // 2))
    worst = max(ratios)
    print(f"\nworst: +{worst:.0%} (target: under {TARGET:.0%}): {'met' if worst < TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
