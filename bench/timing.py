"""The one timing rule every benchmark here uses: the best of several runs.

The minimum is the run least disturbed by the rest of a shared machine;
ratios between minima of the same run are what the benchmarks report.
"""

from __future__ import annotations

import time
from typing import Callable, Optional


def best(action: Callable[[], object], repeat: int, setup: Optional[Callable[[], object]] = None) -> float:
    """The best wall time of `repeat` runs of `action`, in seconds; `setup` runs before each, untimed."""
    fastest = float("inf")
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        result = action()
        fastest = min(fastest, time.perf_counter() - start)
        del result  # freeing what the run built is not part of the run (a big AST takes a while)
    return fastest
