"""The accessibility pass's checks, on the markup an added line opens.

Elements come from the ast-grep tree for JSX/TSX (`<img …/>`, `<div onClick=…>`) and from
the start tags of HTML, Vue and Svelte templates. Three rules, each the common failure
screen-reader and keyboard users hit first (registered below).

An element with spread attributes (`{...props}`) is not judged: what it gets is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ast_grep_py import SgRoot

from swath.analyzers.review_rules import Hit, rule
from swath.analyzers.sgfacts import find_kind
from swath.findings.model import Severity

# An empty `alt=""` is fine: the image is decorative.
IMG_ALT = rule("accessibility", "img-alt", Severity.warning, "An image without alt text.")
# An element that is not interactive (`div`, `span`, …) with neither a `role` nor a
# keyboard handler.
CLICK_WITHOUT_KEY = rule(
    "accessibility",
    "click-without-key",
    Severity.warning,
    "A click handler on a non-interactive element with no role and no keyboard handler.",
)
# No `aria-label`, `aria-labelledby`, `title`, enclosing `<label>` or `<label for>` naming its id.
INPUT_LABEL = rule(
    "accessibility", "input-label", Severity.warning, "A form field without a label."
)

NON_INTERACTIVE = {
    "div",
    "span",
    "li",
    "td",
    "tr",
    "p",
    "section",
    "article",
    "img",
    "label",
    "ul",
    "main",
}
FIELDS = {"input", "select", "textarea"}
NO_LABEL_NEEDED = {"hidden", "submit", "button", "reset", "image"}
START_TAG = re.compile(r"<(?P<tag>[a-zA-Z][\w-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
ATTR = re.compile(
    r"""(?P<name>[^\s=/>"']+)(?:\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+)))?"""
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    line: int
    start: int
    end: int
    spread: bool = False


def _norm(name: str) -> str:
    """`:alt`, `v-bind:alt`, `[alt]`, `[attr.alt]` → `alt`; `@click`, `v-on:click`, `on:click`,
    `(click)` → `onclick`; JSX `onClick` → `onclick`, `htmlFor` → `for`."""
    n = name.strip()
    if n.startswith(("@", "v-on:", "on:", "(")):
        return "on" + re.sub(r"^(?:@|v-on:|on:|\()", "", n).rstrip(")").split(".")[0].lower()
    n = re.sub(r"^(?:v-bind:|:|\[attr\.|\[)", "", n).rstrip("]")
    return {"htmlFor": "for", "className": "class"}.get(n, n).lower()


def _value(m: re.Match[str]) -> str | None:
    return (
        m.group("dq")
        if m.group("dq") is not None
        else m.group("sq")
        if m.group("sq") is not None
        else m.group("bare")
    )


def markup_elements(text: str) -> list[Element]:
    out = []
    for m in START_TAG.finditer(text):
        line = text.count("\n", 0, m.start())
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1)
        attrs = {
            _norm(a.group("name")): _value(a) for a in ATTR.finditer(m.group("attrs").rstrip("/"))
        }
        first = text[
            m.start() : text.find("\n", m.start()) if "\n" in text[m.start() :] else len(text)
        ]
        out.append(
            Element(
                m.group("tag").lower(), attrs, line, col, col + min(len(first), m.end() - m.start())
            )
        )
    return out


def jsx_elements(text: str, language: str) -> list[Element]:
    root = SgRoot(text, language).root()
    out = []
    try:
        for kind in ("jsx_self_closing_element", "jsx_opening_element"):
            for node in find_kind(root, kind):
                name = node.field("name")
                if name is None:
                    continue
                attrs: dict[str, str | None] = {}
                spread = False
                for c in node.children():
                    if c.kind() == "jsx_attribute":
                        parts = c.children()
                        key = parts[0].text() if parts else ""
                        val = parts[-1].text().strip("\"'") if len(parts) >= 3 else None
                        attrs[_norm(key)] = val
                    elif c.kind() == "jsx_expression":
                        spread = True
                r = node.range()
                first = node.text().split("\n", 1)[0]
                out.append(
                    Element(
                        name.text(),
                        attrs,
                        r.start.line,
                        r.start.column,
                        r.start.column + len(first),
                        spread,
                    )
                )
    finally:
        del root
    return out


def _labelled_ids(text: str) -> set[str]:
    return set(re.findall(r"""(?:\bfor|htmlFor)\s*=\s*\{?\s*["']([^"']+)["']""", text))


def _inside_label(text: str, line: int, col: int) -> bool:
    lines = text.split("\n")
    head = "\n".join(lines[:line] + [lines[line][:col] if line < len(lines) else ""])
    return head.count("<label") > head.count("</label")


def a11y_hits(text: str, elements: list[Element]) -> list[Hit]:
    hits = []
    labelled = None
    for el in elements:
        if el.spread:
            continue
        tag = el.tag.lower() if el.tag[:1].islower() else el.tag
        a = el.attrs
        hidden = a.get("aria-hidden") in ("true", "{true}") or a.get("role") in (
            "presentation",
            "none",
        )
        if tag == "img" and "alt" not in a and not hidden:
            hits.append(
                Hit(
                    IMG_ALT.id,
                    el.line,
                    el.start,
                    el.end,
                    "An image without `alt`: screen readers announce the file name. Describe it, or "
                    'use alt="" when it is decorative.',
                )
            )
        if (
            tag in NON_INTERACTIVE
            and "onclick" in a
            and "role" not in a
            and not any(k in a for k in ("onkeydown", "onkeyup", "onkeypress"))
        ):
            hits.append(
                Hit(
                    CLICK_WITHOUT_KEY.id,
                    el.line,
                    el.start,
                    el.end,
                    f"A click handler on a <{tag}> with no role and no keyboard handler: keyboard and "
                    "screen-reader users cannot use it. Use a <button>, or add role and onKeyDown.",
                )
            )
        if tag in FIELDS and (a.get("type") or "").lower() not in NO_LABEL_NEEDED:
            if labelled is None:
                labelled = _labelled_ids(text)
            named = any(k in a for k in ("aria-label", "aria-labelledby", "title")) or (
                a.get("id") in labelled
            )
            if not named and not _inside_label(text, el.line, el.start):
                hits.append(
                    Hit(
                        INPUT_LABEL.id,
                        el.line,
                        el.start,
                        el.end,
                        f"A <{tag}> with no label: screen readers announce only its type. Add a <label "
                        "for> naming its id, wrap it in a <label>, or give it aria-label.",
                    )
                )
    return hits
