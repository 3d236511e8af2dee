"""Shared test settings: the hypothesis profiles, and `bench/` on the import path.

`specc` (the default) keeps property tests quick and free of timing
flakiness; `specc-long` (chosen by `SPECC_LONG=1`) draws about twenty times
more examples for tests that take their count from the profile. Tests that
fix their own `max_examples` scale it with `SPECC_LONG` themselves.

The benchmarks' scripts are importable (`import fuzz`, `import hostile_bench`):
the fuzzing test runs a short campaign, and a test of the stack's depth
calls from the depths the benchmark's row uses.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

LONG = os.environ.get("SPECC_LONG") == "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

settings.register_profile(
    "specc",
    max_examples=100,
    deadline=None,  # timing is asserted by the tests that care, with margins a loaded machine can meet
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("specc-long", parent=settings.get_profile("specc"), max_examples=2000)
settings.load_profile("specc-long" if LONG else "specc")
