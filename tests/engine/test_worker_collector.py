"""The language server's run worker runs its one run with the one-shot collector."""

from __future__ import annotations

import gc

import pytest

from swath.engine import worker
from swath.gcpause import YOUNG, one_shot_collector


def test_the_run_worker_runs_with_a_large_young_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[int, ...]] = []

    async def amain() -> int:  # the run itself is tests/lsp/test_worker.py's
        seen.append(gc.get_threshold())
        return 0

    monkeypatch.setattr(worker, "amain", amain)
    before = gc.get_threshold()
    assert worker.main() == 0
    assert seen[0][0] == YOUNG
    assert gc.get_threshold() == before


def test_the_one_shot_collector_gives_the_thresholds_back_on_errors() -> None:
    before = gc.get_threshold()
    with pytest.raises(KeyError), one_shot_collector():
        assert gc.get_threshold()[0] == YOUNG
        raise KeyError("x")
    assert gc.get_threshold() == before
