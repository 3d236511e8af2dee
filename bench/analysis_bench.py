"""What do the analyses (receptive fields, FLOPs, memory) add to `specc shapes`? ResNet-152, same run.

    python bench/analysis_bench.py            # the full run (under a minute)
    python bench/analysis_bench.py --quick    # fewer rounds

Two measurements, each a ratio of numbers taken in the same run, the
contestants taking turns (`timing.interleaved`):

1. The command line, which is what `specc shapes` costs a user: the wall
   time of `python -m specc shapes` with the default columns, with the
   default columns and `flops`, `memory`, `rf`, `jump` (which compute the
   analyses), and with `--json` (whose object always holds them).
2. In process, the same work without Python's start and imports: the
   pipeline from the spec text (cold: the parse cache emptied before each
   run) and the table, with and without the four columns; and the analyses
   computed alone, against the `--json` run that includes them.

Target (issue 18): the analyses add under 25% to `specc shapes` (the
command). The in-process ratios say how far the analyses themselves are
from that bar when nothing else is counted. Plain `specc shapes` computes
no analysis: each part is computed when a column or the JSON needs it.
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


def _computed(facts):
    """Every part of the analyses, which `analyse` computes only when asked."""
    return facts.segments, facts.memory, facts.total_flops


def in_process(rounds: int) -> list[float]:
    with_columns = parse_columns(ANALYSIS_COLUMNS)
    graph = shapes(SPEC)
    actions = {
        "shapes, table (default columns)": lambda: report.to_table(shapes(SPEC), columns=DEFAULT),
        "shapes, table with flops, memory, rf, jump": lambda: report.to_table(shapes(SPEC), columns=with_columns),
        "shapes, --json": lambda: json.dumps(report.to_json(shapes(SPEC)), indent=2),
        "the analyses alone (analyse)": lambda: _computed(analyse(graph)),
    }
    times = interleaved({name: (action, parse_cache.clear_memory, 3) for name, action in actions.items()}, rounds)
    table, analysed, as_json, alone = times.values()
    print(f"\nIn process, {SPEC} (seconds, best of runs; cold: the spec parsed every run)")
    for name, seconds in times.items():
        print(f"  {name:45s} {seconds:.4f}")
    ratios = [(analysed - table) / table, alone / (as_json - alone)]
    print(f"  the analysis columns add {ratios[0]:.0%} to the pipeline and table")
    print(f"  the analyses add {ratios[1]:.0%} to --json (computed alone, against the JSON without them)")
    return ratios


def command_line(rounds: int) -> list[float]:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "specc")], check=True, capture_output=True)
    base = [sys.executable, "-m", "specc", "shapes", SPEC]
    commands = {"specc shapes": base, "specc shapes --columns ...": [*base, "--columns", ANALYSIS_COLUMNS],
                "specc shapes --json": [*base, "--json"]}
    times = interleaved({name: (lambda args=args: subprocess.run(args, cwd=ROOT, check=True, capture_output=True),
                                None, 1) for name, args in commands.items()}, rounds)
    plain, columns, as_json = times.values()
    print("Command line (wall time of a fresh process, seconds, best of runs)")
    for name, seconds in times.items():
        print(f"  {name:45s} {seconds:.3f}")
    ratios = [(columns - plain) / plain, (as_json - plain) / plain]
    print(f"  the analysis columns add {ratios[0]:.0%} to the command; --json costs {ratios[1]:.0%} more than "
          "the default table")
    return ratios[:1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    options = parser.parse_args()
    rounds = 3 if options.quick else 9
    command = command_line(max(3, rounds // 2))[0]
    table, as_json = in_process(rounds)
    print(f"\nspecc shapes with the analyses: +{command:.0%} (target: under {TARGET:.0%}): "
          f"{'met' if command < TARGET else 'NOT met'}; in process, +{table:.0%} to the table, "
          f"+{as_json:.0%} to --json")


if __name__ == "__main__":
    main()
