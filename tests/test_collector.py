"""The cycle collector around parsing: paused, then what was built filed as old, and nobody else's state touched."""

from __future__ import annotations

import gc

import pytest

from specc import collector
from specc.syntax.parse import parse_text

SPEC = "model M:\n    input 1 x 28 x 28\n    conv(6, k=5) -> relu\n"


def in_generation(obj, generation: int) -> bool:
    return any(candidate is obj for candidate in gc.get_objects(generation=generation))


@pytest.fixture
def collector_on():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


def test_a_parsed_module_goes_straight_to_the_oldest_generation(collector_on):
    module = parse_text(SPEC, "fresh_1.spec")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert in_generation(module, 2)
    assert in_generation(module.models[0].body[1], 2)


def test_objects_someone_else_froze_stay_frozen(collector_on):
    kept = [object() for _ in range(3)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        module = parse_text(SPEC, "fresh_2.spec")
        assert gc.get_freeze_count() == frozen
        assert not in_generation(module, 2)  # left to the collector's usual course
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    del kept


def test_a_collector_switched_off_by_its_owner_stays_off(collector_on):
    gc.disable()
    parse_text(SPEC, "fresh_3.spec")
    assert not gc.isenabled()


def test_a_failing_block_turns_the_collector_back_on_and_promotes_nothing(collector_on):
    made = []
    with pytest.raises(ValueError):
        with collector.paused():
            made.append([])
            assert not gc.isenabled()
            raise ValueError
    assert gc.isenabled()
    assert not in_generation(made[0], 2)


def test_garbage_made_before_a_block_is_not_filed_away_with_it(collector_on):
    """A cycle dropped before the block is collected, not promoted to wait for a full collection."""
    import weakref

    class Node:
        pass

    cycle = Node()
    cycle.self = cycle
    alive = weakref.ref(cycle)
    del cycle
    with collector.paused():
        pass
    assert alive() is None
