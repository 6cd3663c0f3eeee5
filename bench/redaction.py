"""Benchmark: secret redaction throughput, with the line filter and without, in one run.

Everything sent to a model passes through `Redactor.redact`: the prompts (a 100K-token
prompt is ~400 KB) and every file a tool reads. The corpus is the source of an installed
package nobody here wrote (sympy by default), joined into one text, plus a few planted
secrets. Both redactors run alternately on the same text; the outputs must be identical
(the prefilter may only save time, never change what is redacted).

    .venv/bin/python bench/redaction.py [--package sympy] [--megabytes 5] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

from swath.agents.redaction import Redactor
from swath.linefilter import LineFilters

PLANTED = [
    'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7ABCDEFG"',
    "ANTHROPIC_API_KEY=sk-ant-api03-PLANTEDsecretVALUEthatMUSTneverLEAVE0123456789",
    "token: ghp_" + "a1B2" * 9,
]


def corpus(package: str, megabytes: float) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"bench/redaction.py: package {package!r} is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    parts: list[str] = []
    size = 0
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        parts.append(text)
        size += len(text)
        if size >= megabytes * 1e6:
            break
    step = max(1, len(parts) // len(PLANTED))
    for i, secret in enumerate(PLANTED):
        parts.insert(min(len(parts), (i + 1) * step), secret)
    return "\n".join(parts)


def unfiltered() -> Redactor:
    """The same detectors with every family tried on every line (the old behaviour)."""
    r = Redactor()
    r._filters = LineFilters(r._filters.names, [None] * r._filters.size)
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--package", default="sympy")
    ap.add_argument("--megabytes", type=float, default=5.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="0.3 MB, one round")
    args = ap.parse_args()
    megabytes, repeat = (0.3, 1) if args.quick else (args.megabytes, args.repeat)
    text = corpus(args.package, megabytes)
    mb = len(text.encode()) / 1e6
    times: dict[str, list[float]] = {"prefiltered": [], "unfiltered": []}
    outputs: dict[str, str] = {}
    for _ in range(repeat):
        # Fresh redactors each round: their per-line memo would make a second round free.
        for name, make in (("prefiltered", Redactor), ("unfiltered", unfiltered)):
            redactor = make()
            start = time.perf_counter()
            outputs[name] = redactor._redact(text, "corpus.py")
            times[name].append(time.perf_counter() - start)
    if outputs["prefiltered"] != outputs["unfiltered"]:
        print("the line filter changed what is redacted", file=sys.stderr)
        return 1
    found = outputs["prefiltered"].count("[REDACTED:")
    print(
        f"corpus: {args.package}, {mb:.2f} MB, {text.count(chr(10)) + 1:,} lines; {found} redacted"
    )
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, t in med.items():
        print(f"  {name:<12} {t:6.2f} s  {mb / t:6.2f} MB/s")
    print(f"ratio unfiltered/prefiltered: {med['unfiltered'] / med['prefiltered']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
