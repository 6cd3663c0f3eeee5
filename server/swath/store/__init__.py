from swath.store.runs import AuditRow, CacheEntry, RunRow, RunStore, TaskRow, swath_dir

__all__ = ["AuditRow", "CacheEntry", "RunRow", "RunStore", "TaskRow", "swath_dir"]
