"""The flag scan's worker pool is swath.procpool's: a worker that dies is replaced and counted
(before, the replacement served but was missing from `pids`, so `bench/flags.py` and a
shutdown saw one worker fewer), and closing it ends every worker."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from swath.sources.flagdefs.scanpool import ScanPool, WorkerFailed


def test_a_dead_worker_is_replaced_and_counted(tmp_path: Path) -> None:
    pool = ScanPool(2)
    try:
        pool.warm()
        first = pool.pids()
        assert len(first) == 2
        os.kill(first[0], signal.SIGKILL)
        time.sleep(0.2)
        # whichever worker a call lands on, every chunk is answered
        for _ in range(4):
            try:
                list(pool.stream("scan_names", [(str(tmp_path), [], [], 0)] * 2))
                break
            except WorkerFailed:  # the killed worker's one call fails; the pool replaces it
                continue
        assert len(pool.pids()) == 2 and first[0] not in pool.pids()
    finally:
        pool.close()
    assert pool.pids() == []
