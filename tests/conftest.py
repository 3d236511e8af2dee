"""Shared test settings: the hypothesis profiles.

`specc` (the default) keeps property tests quick and free of timing
flakiness; `specc-long` (chosen by `SPECC_LONG=1`) draws about twenty times
more examples for tests that take their count from the profile. Tests that
fix their own `max_examples` scale it with `SPECC_LONG` themselves.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG = os.environ.get("SPECC_LONG") == "1"

settings.register_profile(
    "specc",
    max_examples=100,
    deadline=None,  # timing is asserted by the tests that care, with margins a loaded machine can meet
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("specc-long", parent=settings.get_profile("specc"), max_examples=2000)
settings.load_profile("specc-long" if LONG else "specc")
