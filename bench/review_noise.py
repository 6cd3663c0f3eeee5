"""Benchmark: how noisy review-diff is on real code nobody here wrote.

For each package, the sdists of two releases come from PyPI (`pip download --no-deps
--no-binary :all: PKG==A PKG==B`), are unpacked into a temporary git repository as two
commits, and review-diff runs in-process (offline) against the older one (`base=HEAD~1`).
Prints, per package and in total, the added lines and the findings per pass, and the
findings per 1,000 added lines (target: <= 1 on mature projects' release diffs).
`--list` prints every finding (path:line, rule, message, quoted line) for judging them.

    .venv/bin/python bench/review_noise.py [--quick] [--list] [--cache DIR] [PKG==A..B ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from swath.analyzers.review_passes import PASSES
from swath.engine.catalog import known_names
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.store import RunStore
from swath.workspace import Workspace

# Mature, widely used packages; each pair is two consecutive releases (what a reviewer of
# the release's pull requests would have seen, taken together). docs/review.md has their
# figures and a judged sample. The sdists come straight from the index (see `download`), so a
# package whose metadata takes pip minutes to build (django) costs no more than another.
RELEASES = [
    "requests==2.31.0..2.32.0",
    "click==8.1.7..8.1.8",
    "attrs==24.2.0..24.3.0",
    "flask==3.0.3..3.1.0",
    "jinja2==3.1.4..3.1.5",
    "rich==13.7.1..13.8.0",
    "httpx==0.27.2..0.28.0",
    "packaging==24.1..24.2",
    "werkzeug==3.0.6..3.1.0",
    "urllib3==2.2.3..2.3.0",
    "black==24.8.0..24.10.0",
    "tornado==6.4.1..6.4.2",
    "paramiko==3.4.1..3.5.0",
    "pytest==8.3.3..8.3.4",
    "pydantic==2.9.2..2.10.0",
    "pygments==2.18.0..2.19.0",
    "sphinx==8.0.2..8.1.0",
    "scrapy==2.11.2..2.12.0",
    "ipython==8.29.0..8.30.0",
    "pylint==3.3.1..3.3.2",
    "twisted==24.7.0..24.10.0",
    "fastapi==0.115.5..0.115.6",
    "celery==5.4.0..5.5.0",
    "django==5.1.3..5.1.4",
]
QUICK = ["idna==3.6..3.7"]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout


SDIST_SUFFIXES = (".tar.gz", ".zip")


def _cached(pkg: str, version: str, cache: Path) -> Path | None:
    # sdist names vary in case and separators (Django-5.1.3.tar.gz, jinja2-3.1.5.tar.gz).
    want = {f"{n}-{version}{s}" for n in _spellings(pkg) for s in SDIST_SUFFIXES}
    found = sorted(p for p in cache.iterdir() if p.name.lower() in want)
    return found[0] if found else None


def _spellings(pkg: str) -> set[str]:
    low = pkg.lower()
    return {low, low.replace("-", "_"), low.replace("_", "-"), low.replace("-", ".")}


def _index_url() -> str:
    """The index pip is configured with (PIP_INDEX_URL, pip config), else PyPI's."""
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        got = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            capture_output=True,
            text=True,
        )
        url = got.stdout.strip() if got.returncode == 0 else ""
    return (url or "https://pypi.org/simple").rstrip("/")


def _from_index(pkg: str, version: str, cache: Path) -> Path | None:
    """The sdist's file straight from the index's simple page: `pip download --no-binary`
    builds the package's metadata first, which took over 12 minutes for django."""
    import html
    import re
    import urllib.parse
    import urllib.request

    base = _index_url()
    if not base.startswith(("https://", "http://")):
        return None
    try:
        page = urllib.request.urlopen(f"{base}/{pkg.lower()}/", timeout=60).read().decode()
        names = "|".join(re.escape(n) for n in _spellings(pkg))
        m = re.search(
            rf'href="([^"#]*?/((?i:{names})-{re.escape(version)}(?:\.tar\.gz|\.zip)))[#"]', page
        )
        if m is None:
            return None
        url = urllib.parse.urljoin(f"{base}/{pkg.lower()}/", html.unescape(m.group(1)))
        target = cache / m.group(2)
        target.write_bytes(urllib.request.urlopen(url, timeout=300).read())
        return target
    except (OSError, ValueError):
        return None


def download(pkg: str, version: str, cache: Path) -> Path:
    found = _cached(pkg, version, cache) or _from_index(pkg, version, cache)
    if found:
        return found
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(cache),
            f"{pkg}=={version}",
        ],
        check=True,
        capture_output=True,
    )
    found = _cached(pkg, version, cache)
    if found is None:
        raise FileNotFoundError(f"pip download left no sdist of {pkg}=={version} in {cache}")
    return found


def unpack(archive: Path, into: Path) -> None:
    """The sdist's files, without its top folder, in `into` (emptied first, .git kept)."""
    for child in into.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as z:
                z.extractall(t)
        else:
            with tarfile.open(archive) as tar:
                tar.extractall(t, filter="data")
        [top] = [p for p in t.iterdir()]
        for child in top.iterdir():
            shutil.move(str(child), into / child.name)


def release_repo(spec: str, cache: Path, work: Path) -> Path:
    pkg, versions = spec.split("==")
    old, new = versions.split("..")
    root = work / pkg
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for version in (old, new):
        unpack(download(pkg, version, cache), root)
        git(root, "add", "-A", "-f")
        git(root, "commit", "-q", "--allow-empty", "-m", f"{pkg} {version}")
    return root


async def review(root: Path) -> Any:
    store = RunStore.open(root)
    try:
        wf = load_workflow(builtin_workflows_dir() / "review-diff.yaml", known_names())
        return await Engine(Workspace(root), store).run(
            wf, RunOptions(engine="static", inputs={"base": "HEAD~1", "untracked": False})
        )
    finally:
        await store.aclose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("releases", nargs="*", help="PKG==OLD..NEW (default: a set of mature packages)")
    ap.add_argument("--quick", action="store_true", help="one small package pair")
    ap.add_argument("--list", action="store_true", help="print every finding")
    ap.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "swath-bench-sdists"
    )
    args = ap.parse_args()
    specs = args.releases or (QUICK if args.quick else RELEASES)
    args.cache.mkdir(parents=True, exist_ok=True)
    total_added = 0
    by_pass: Counter[str] = Counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="swath-noise-") as tmp:
        for spec in specs:
            try:
                root = release_repo(spec, args.cache, Path(tmp))
            except subprocess.CalledProcessError as exc:
                err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else str(exc.stderr)
                print(f"{spec}: cannot get the sdists: {err.strip()[-300:]}", file=sys.stderr)
                return 2
            report = asyncio.run(review(root))
            summary = report.outputs["summary"]
            reviewed = [f for f in summary["files"] if not f.get("skipped")]
            added = sum(int(f.get("added_lines") or 0) for f in reviewed)
            counts = Counter(str(f.data.extra("pass")) for f in report.findings)
            total_added += added
            by_pass.update(counts)
            rows.append((spec, added, len(report.findings), counts))
            # Said as each package finishes: a run stopped by a time limit keeps what it measured.
            print(f"{spec}: {added} added lines, {len(report.findings)} findings", flush=True)
            if args.list:
                for f in sorted(report.findings, key=lambda f: (f.path, f.range.start.line)):
                    quote = f.evidence[0].quote if f.evidence else ""
                    print(
                        f"  [{spec}] {f.path}:{f.range.start.line + 1} {f.severity.value} {f.rule} "
                        f"({'+'.join(f.data.extra('passes') or [])}): {f.message}\n      | {quote}",
                        flush=True,
                    )
    print(
        f"{'release diff':32} {'added':>7} {'findings':>8} {'/1k':>6}  "
        + " ".join(f"{p[:5]:>5}" for p in PASSES)
    )
    for spec, added, n, counts in rows:
        per_k = 1000 * n / added if added else 0.0
        print(
            f"{spec:32} {added:7d} {n:8d} {per_k:6.2f}  "
            + " ".join(f"{counts[p]:5d}" for p in PASSES)
        )
    n = sum(by_pass.values())
    per_k = 1000 * n / total_added if total_added else 0.0
    per_pass = ", ".join(
        f"{p} {1000 * by_pass[p] / total_added if total_added else 0:.2f}" for p in PASSES
    )
    print(
        f"findings per 1,000 added lines: {per_k:.2f} ({n} findings / {total_added} added lines; "
        f"target <= 1); per pass: {per_pass}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
