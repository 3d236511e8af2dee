"""How specc treats CPython's cycle collector while it builds big acyclic structures.

    with collector.paused():
        module = build_the_ast()

Parsing a 10,000-line spec allocates a few hundred thousand nodes, spans and
lists, none of them in a cycle. With the collector running, every 700
allocations it would rescan the young objects, and the growing older
generations again and again (through Lark: 12 s with it, 5 s without). With
it paused, the first collection afterwards still walks every new object once
to move it to an older generation: a third of a fast parse.

What the block built and kept is long-lived by construction (the caller holds
the AST), so on a normal exit `paused` files it straight into the oldest
generation, where it would end up anyway: `gc.freeze()` followed by
`gc.unfreeze()` does that in constant time, by splicing the collector's lists.
Nothing is frozen or leaked; cyclic garbage made in the block is found by
the next full collection instead of the next young one. The young
generations are collected before the block starts, so that only what the
block made is filed away: garbage filed with it would wait for a full
collection that CPython, counting only what it promoted itself, might not
schedule for a long time (bench/fuzz.py's process grew by a gigabyte in
30,000 specs). It stands aside when someone else has frozen objects (a
server that freezes before forking would find them thawed), when the
collector was off already (its owner decides), and when the block raised (a
traceback holds frames in cycles: let the young collection have them).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused():
    """Run the block with the cycle collector off; file what it kept into the oldest generation."""
    if not gc.isenabled():
        yield
        return
    # The young generations first: what the block files away should be what it built, not the
    # cyclic garbage left since the last collection (an exception's traceback, a YAML emitter).
    # Filed into the oldest generation, garbage waits for a full collection, which CPython
    # schedules by objects it promoted itself: a long-running process (a server, the fuzzer)
    # grew by a gigabyte in 30,000 specs. The young generations are small: a millisecond at most.
    gc.collect(1)
    gc.disable()
    try:
        yield
    except BaseException:
        gc.enable()
        raise
    # (The count walks the frozen objects: free when there are none, the case that matters.)
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
    gc.enable()
