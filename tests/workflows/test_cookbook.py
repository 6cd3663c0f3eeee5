"""docs/cookbook.md stays true: every shell block on the page runs, in order, in one shell
from the root of the checkout, and prints exactly the output block under it; every YAML
snippet said to come from an example is in that example."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COOKBOOK = REPO / "docs" / "cookbook.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
MARK = "@@@ cookbook block {} @@@"


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(COOKBOOK.read_text("utf-8"))]


def commands_and_outputs() -> list[tuple[str, str | None]]:
    """Each shell block with the text block right after it, if any."""
    found = blocks()
    pairs: list[tuple[str, str | None]] = []
    for i, (lang, body) in enumerate(found):
        if lang == "sh":
            after = found[i + 1] if i + 1 < len(found) else None
            pairs.append((body, after[1] if after and after[0] == "text" else None))
    return pairs


def test_every_command_on_the_page_prints_what_the_page_says(tmp_path: Path) -> None:
    pairs = commands_and_outputs()
    assert len(pairs) >= 8 and sum(out is not None for _, out in pairs) >= 7
    script = "".join(f"echo '{MARK.format(i)}'\n{body}" for i, (body, _) in enumerate(pairs))
    env = {
        **os.environ,
        # `swath` on the page is this checkout's; mktemp -d lands in the test's folder.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TMPDIR": str(tmp_path),
        "ANTHROPIC_API_KEY": "",
        "NO_COLOR": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    printed = re.split(r"^@@@ cookbook block \d+ @@@\n", proc.stdout, flags=re.MULTILINE)[1:]
    assert len(printed) == len(pairs), proc.stdout
    for (body, expected), got in zip(pairs, printed, strict=True):
        if expected is None:
            assert got == "", f"{body!r} printed {got!r} but the page shows no output"
        else:
            assert got.rstrip() == expected.rstrip(), f"after:\n{body}"


@pytest.mark.parametrize(
    "snippet",
    [body for lang, body in blocks() if lang == "yaml" and body.startswith("# from examples/")],
)
def test_snippets_are_taken_from_the_examples(snippet: str) -> None:
    head, *lines = snippet.splitlines()
    source = (REPO / head.removeprefix("# from ")).read_text("utf-8").splitlines()
    want = [line.strip() for line in lines]
    have = [line.strip() for line in source]
    assert any(have[i : i + len(want)] == want for i in range(len(have))), snippet


def test_the_readme_links_the_cookbook() -> None:
    assert "(docs/cookbook.md)" in (REPO / "README.md").read_text("utf-8")
