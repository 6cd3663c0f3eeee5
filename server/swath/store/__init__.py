from swath.store.lease import RunLeased
from swath.store.runs import (
    AuditRow,
    CacheEntry,
    RunRow,
    RunStore,
    RunSummary,
    StepBatch,
    TaskRow,
    swath_dir,
)

__all__ = [
    "AuditRow",
    "CacheEntry",
    "RunLeased",
    "RunRow",
    "RunStore",
    "RunSummary",
    "StepBatch",
    "TaskRow",
    "swath_dir",
]
