"""A flag file format is one module in `swath.sources.flagdefs.formats` and nothing else: its
registration names the shape, file globs, sniffing marks and SDK calls, and the audit picks
all of them up. Before, a format also had to be added to a list of module names."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from swath.sources.flagdefs import formats, sdk
from swath.sources.flagdefs.config import default_include

from .conftest import discover, flag_items, make_repo

TOY_FORMAT = """
from swath.items.flags import EnvState, FlagDefinition, ParseResult
from swath.sources.flagdefs.formats import FileFormat, register, sdk_names


def looks_like(data):
    return isinstance(data, dict) and isinstance(data.get("toy"), dict)


def parse(doc, path, env):
    out = ParseResult()
    for key, on in doc.data["toy"].items():
        line = doc.line_of(("toy", key))
        out.definitions.append(
            FlagDefinition(
                key=key, format="toy", path=path, line=line, end_line=line,
                quote=doc.lines[line].strip(),
                environments={env: EnvState(env=env, state="on" if on else "off", value=on)},
            )
        )
    return out


register(
    FileFormat(
        name="toy", looks_like=looks_like, order=5, parse=parse,
        sniff_marks=(b'"toy"',), include=("**/*.toy.json",),
        call_names=sdk_names("toysdk", ("toy_enabled",)),
    )
)
"""


@pytest.fixture
def toy_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The toy module in a folder of its own, seen as part of the formats package."""
    folder = tmp_path / "more_formats"
    folder.mkdir()
    (folder / "toyformat.py").write_text(TOY_FORMAT, encoding="utf-8")
    monkeypatch.setattr(formats, "__path__", [*formats.__path__, str(folder)])
    formats._load_modules.cache_clear()
    yield
    formats._registry.pop("toy", None)
    formats._load_modules.cache_clear()


def test_a_format_module_alone_is_read_by_the_audit(tmp_path: Path, toy_format: None) -> None:
    names = [f.name for f in formats.registered()]
    assert names[0] == "toy" and names[1:] == ["flagd", "launchdarkly", "unleash", "plain"]
    assert "**/*.toy.json" in default_include()
    assert "toy_enabled" in {c.name for c in sdk.default_call_names()}

    ws = make_repo(
        tmp_path / "repo",
        {
            "conf/app.toy.json": '{"toy": {"fast_lane": true}}\n',
            "app/main.py": textwrap.dedent(
                """
                if sdk.toy_enabled("fast_lane"):
                    go()
                """
            ),
        },
    )
    flag = flag_items(discover(ws))["fast_lane"]
    assert flag.data["definitions"][0]["format"] == "toy"
    assert [(r["path"], r["kind"], r["call"]) for r in flag.data["references"]] == [
        ("app/main.py", "call", "toy_enabled")
    ]


def test_the_shipped_formats_are_tried_most_specific_first() -> None:
    assert [f.name for f in formats.registered()] == ["flagd", "launchdarkly", "unleash", "plain"]
