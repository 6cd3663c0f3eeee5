"""Analyzers that exist only for engine tests: they measure what the engine does to them."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar, Literal

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.analyzers.registry import register_builtin
from swath.findings.model import Evidence, Finding, Range
from swath.findings.report import RuleInfo
from swath.spec.records import Item, Record


class ConcurrencyProbe:
    """Sleeps, and records how many of its calls overlapped (measured, not assumed)."""

    name: ClassVar[str] = "probe-sleep"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = "test probe"
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = []

    lock = threading.Lock()
    running = 0
    peak = 0
    calls: list[list[str]] = []

    @classmethod
    def reset(cls) -> None:
        with cls.lock:
            cls.running = cls.peak = 0
            cls.calls = []

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        cls = type(self)
        with cls.lock:
            cls.running += 1
            cls.peak = max(cls.peak, cls.running)
            cls.calls.append([i.id for i in items])
        try:
            time.sleep(float(ctx.params.get("seconds", 0.01)))
            bad = [i.id for i in items if "bad" in i.id]
            if bad:
                raise RuntimeError(f"cannot analyze {bad[0]}")
            output: dict[str, Any] = {"ids": [i.id for i in items], "n": len(items)}
            if ctx.params.get("pad"):  # an output that is most of its record, like a map's facts
                output["pad"] = "x" * int(ctx.params["pad"])
            return AnalyzerOutput(output=output)
        finally:
            with cls.lock:
                cls.running -= 1


class LineFinder:
    """A finding for every line containing `needle`, citing the line `shift` lines off."""

    name: ClassVar[str] = "probe-find"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = "test probe"
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = [RuleInfo(id="probe/needle", description="a needle")]

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        needle = ctx.params.get("needle", "NEEDLE")
        shift = int(ctx.params.get("shift", 0))
        findings = []
        for item in items:
            assert item.path
            for n, line in enumerate(ctx.workspace.read_text(item.path).splitlines()):
                if needle in line:
                    cited = max(n + shift, 0)
                    findings.append(
                        Finding(
                            rule="probe/needle",
                            path=item.path,
                            range=Range.of_line(cited, 0, len(line)),
                            message=f"needle at {n}",
                            evidence=[Evidence(path=item.path, line=cited, quote=line.strip())],
                        )
                    )
        return AnalyzerOutput(output={"found": len(findings)}, findings=findings)


class Counter:
    name: ClassVar[str] = "probe-count"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = "test probe"
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = []

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        if ctx.params.get("fail"):
            raise RuntimeError("the plan could not be drawn")
        n = sum(len((r.output or {}).get("ids", [])) for r in records)
        return AnalyzerOutput(
            output={"records": len(records), "items": n, "markdown": f"{n} items"}
        )


class Citer:
    """A reduce that cites `path` at line 0 with `quote`, reading no file (its result is
    cached on its records alone, whatever the file says now)."""

    name: ClassVar[str] = "probe-cite"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = "test probe"
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = [RuleInfo(id="probe/cite", description="a citation")]

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        path, quote = str(ctx.params["path"]), str(ctx.params["quote"])
        finding = Finding(
            rule="probe/cite",
            path=path,
            range=Range.of_line(0, 0, len(quote)),
            message=f"{len(records)} records",
            evidence=[Evidence(path=path, line=0, quote=quote)],
        )
        return AnalyzerOutput(output={"records": len(records)}, findings=[finding])


def register() -> None:
    register_builtin("probe-sleep", f"{__name__}:ConcurrencyProbe")
    register_builtin("probe-find", f"{__name__}:LineFinder")
    register_builtin("probe-count", f"{__name__}:Counter")
    register_builtin("probe-cite", f"{__name__}:Citer")


__all__: list[Any] = ["register", "ConcurrencyProbe"]
