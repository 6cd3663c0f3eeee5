"""gc_paused holds the collector off inside and leaves it as it found it, also on errors."""

from __future__ import annotations

import gc

import pytest

from swath.gcpause import gc_paused


def test_the_collector_is_off_inside_and_back_on_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_one_shot_process_freezes_what_a_paused_section_made() -> None:
    """Inside `one_shot_collector` a paused section's data is frozen as the section ends
    (no young collection walks it again); outside, nothing is frozen; the collector's
    `unfreeze` at the end hands all of it back."""
    from swath.gcpause import one_shot_collector

    with gc_paused():
        outside = [[n] for n in range(100)]
    assert gc.get_freeze_count() == 0
    with one_shot_collector():
        with gc_paused():
            inside = [[n] for n in range(100)]
        assert gc.get_freeze_count() >= len(inside)
        assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert len(outside) == len(inside)
