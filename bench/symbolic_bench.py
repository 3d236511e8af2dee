"""How much does describing a symbolic input (`input 3 x H x W`) cost against plain `specc shapes`?

    python bench/symbolic_bench.py            # best of 7 rounds
    python bench/symbolic_bench.py --quick    # best of 3

For ResNet-152, U-Net (both paddings) and AlexNet: `specc.api.shapes(spec)` at
the spec's own input, against `specc.api.shapes(spec, input=("N", C, "H", "W"))`,
which runs the sizes engine (`specc/sizes.py`: trial elaborations at
representative sizes, then the model once at its smallest valid input), in
process, taking turns round by round (`timing.interleaved`), so the ratios
come from the same stretches of time. Also the number of trial elaborations
the engine ran. The static commands' target is to stay interactive: a
description well under a second for the largest bundled model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import interleaved  # noqa: E402
from specc.api import shapes  # noqa: E402

# (label, spec, overrides, input channels)
MODELS = [
    ("ResNet-152", "specs/resnet152.spec", {}, 3),
    ("U-Net, padding=1", "specs/unet.spec", {"padding": 1}, 1),
    ("U-Net, padding=0", "specs/unet.spec", {"padding": 0}, 1),
    ("AlexNet", "specs/alexnet.spec", {}, 1),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    rounds = 3 if parser.parse_args().quick else 7
    print(f"{'model':<18} {'plain':>9} {'symbolic':>9} {'ratio':>7} {'trials':>7}  valid sizes")
    for label, spec, overrides, channels in MODELS:
        path = ROOT / spec
        symbolic = ("N", channels, "H", "W")
        described = shapes(path, overrides=overrides, input=symbolic)  # (parses once: the AST is cached)
        plain_input = described.sizes.smallest_input if overrides.get("padding") == 1 else None
        times = interleaved({
            "plain": (lambda: shapes(path, overrides=overrides, input=plain_input), None, 3),
            "symbolic": (lambda: shapes(path, overrides=overrides, input=symbolic), None, 1),
        }, rounds)
        plain, sym = times["plain"], times["symbolic"]
        print(f"{label:<18} {plain * 1e3:7.1f}ms {sym * 1e3:7.1f}ms {sym / plain:6.0f}x "
              f"{described.sizes.trials:>7}  {'; '.join(described.sizes.constraints())}")


if __name__ == "__main__":
    main()
