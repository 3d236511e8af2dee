"""A short run of the fuzzing campaign (`bench/fuzz.py`): hostile input ends in a `SpecError`, quickly.

The long campaign is `python bench/fuzz.py --inputs 100000 --seconds 0`; this
run takes a few seconds. Its inputs are fixed (seed 0, 250 inputs) so that the
suite gives the same verdict on every run; `SPECC_LONG=1` runs a minute from
a random seed, and `SPECC_FUZZ_SEED=S` repeats the inputs of seed S (the
failure message prints it). It fails on any exception that is not a
`SpecError`, any input over the slow mark, and any input the hard limit had
to stop.

"Slow" is relative, not a number of seconds: the marks are multiples of the
CPU time this machine takes, in this process, to refuse the most expensive
input the limits allow (a loop running into the steps limit,
`fuzz.reference_seconds`). A shared or slower machine slows both alike.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import fuzz  # bench/fuzz.py (tests/conftest.py puts bench/ on the path)

LONG = os.environ.get("SPECC_LONG") == "1"
SLOW, HARD = 4.0, 15.0  # the marks, in multiples of the reference refusal


def test_a_short_fuzzing_campaign(tmp_path):
    seed = int(os.environ.get("SPECC_FUZZ_SEED", random.randrange(1 << 30) if LONG else 0))
    reference = fuzz.reference_seconds()
    report = fuzz.run(seconds=60.0 if LONG else 0, inputs=0 if LONG else 250, seed=seed, out=tmp_path / "failures",
                      slow=SLOW * reference, hard=HARD * reference)
    assert report.inputs >= 250 and 0 < report.spec_errors < report.inputs  # most mutants are refused, not all
    details = "\n".join([f"reference refusal          {reference:.2f} s of CPU", *report.lines()])
    for path in [*report.failures[:3], *report.slow[:3]]:
        saved = Path(path)
        for shown in sorted(saved.parent.glob(saved.stem + ".*")):  # the note, and the input it is about
            details += f"\n\n{shown.name}:\n" + shown.read_text(encoding="utf-8", errors="replace")[-3000:]
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


def test_the_slow_mark_catches_a_slow_input(tmp_path):
    """An input over the slow mark fails the campaign, and is saved with what it took."""
    report = fuzz.run(seconds=0, inputs=5, seed=2, out=tmp_path / "failures", slow=0.0)
    assert not report.ok and len(report.slow) == 5 and "s of CPU" in Path(report.slow[0]).read_text()


def test_the_slowest_input_is_kept_to_time_again(tmp_path):
    """The report names its slowest input and keeps it, with a note of its time, replacing each earlier record."""
    report = fuzz.run(seconds=0, inputs=20, seed=3, out=tmp_path)
    note = Path(report.slowest_input.rsplit("kept in ", 1)[1])
    assert note == tmp_path / "slowest.txt" and f"took {report.slowest:.2f} s of CPU" in note.read_text()
    kept = [path for path in tmp_path.glob("slowest.*") if path.suffix != ".txt"]
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8", errors="replace").strip()
