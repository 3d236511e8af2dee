"""The timing rules every benchmark here uses: the best of several runs, contestants taking turns.

The minimum is the run least disturbed by the rest of a shared machine;
ratios between minima of the same run are what the benchmarks report, and
`interleaved` takes those minima from the same stretches of time.
"""

from __future__ import annotations

import time
from typing import Callable, Hashable, Optional


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


def interleaved(actions: dict[Hashable, tuple[Callable, Optional[Callable], int]],
                rounds: int) -> dict[Hashable, float]:
    """The best time of each action, taking turns round by round.

    This machine's speed drifts by up to 2x over seconds; timing one contestant
    after the other would put the drift into the ratio. Each round runs every
    action (`runs` times, with `setup` before each), so each best comes from
    the same stretches of time.
    """
    fastest = dict.fromkeys(actions, float("inf"))
    for _ in range(rounds):
        for name, (action, setup, runs) in actions.items():
            fastest[name] = min(fastest[name], best(action, runs, setup))
    return fastest
