"""A short run of the fuzzing campaign (`bench/fuzz.py`): hostile input ends in a `SpecError`, quickly.

The long campaign is `python bench/fuzz.py --inputs 100000 --seconds 0`; this
run takes a few seconds, with a seed of its own each time the suite runs
(printed on failure, so the run can be repeated), and fails on any exception
that is not a `SpecError`, any input over the slow mark, and any input the
hard limit had to stop.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import fuzz  # noqa: E402

SECONDS = 60.0 if os.environ.get("SPECC_LONG") == "1" else 6.0


def test_a_short_fuzzing_campaign(tmp_path):
    seed = int(os.environ.get("SPECC_FUZZ_SEED", random.randrange(1 << 30)))
    report = fuzz.run(seconds=SECONDS, seed=seed, out=tmp_path / "failures", slow=5.0, hard=20.0)
    assert report.inputs > 20 and 0 < report.spec_errors < report.inputs  # most mutants are refused, not all
    details = "\n".join(report.lines())
    for path in report.failures[:3]:
        details += "\n\n" + Path(path).read_text(encoding="utf-8")[-3000:]
    assert report.ok, f"seed {seed} (SPECC_FUZZ_SEED={seed} repeats it)\n{details}"


def test_the_fuzzer_finds_what_it_is_meant_to(tmp_path, monkeypatch):
    """A planted bug (a TypeError inside elaboration) is reported as a failure, with its input saved."""
    from specc import elaborate

    def broken(*args, **kwargs):
        raise TypeError("planted")

    monkeypatch.setattr(elaborate, "elaborate", broken)
    import specc.pipeline

    monkeypatch.setattr(specc.pipeline, "elaborate", broken)
    report = fuzz.run(seconds=0, inputs=30, seed=1, out=tmp_path / "failures")
    assert report.failures and Path(report.failures[0]).read_text().count("planted")
