"""Every file and symbol a model's module narrative names must exist in the map.

A model that writes "`PaymentGateway` in `shop/pay.py` calls the bank" may have made up
either name. Each `code span` of its Markdown that looks like a path or an identifier is
looked up among the mapped files (full path, path below the mapped root, or a unique file
name) and the names the analyzer found (symbols and their qualified names, module names and
their packages, public API, imported modules). What is not there is marked where it stands
and listed at the end: never silently kept.
"""

from __future__ import annotations

import builtins
import keyword
import posixpath
import re
from collections.abc import Iterable
from typing import Any

CODE_SPAN = re.compile(r"(?<!`)`([^`\n]{1,200})`(?!`)")
IDENT = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
PATHLIKE = re.compile(
    r"[\w.@$-]+(?:/[\w.@$\[\]()-]+)+/?|[\w@$-]+\.(?:py|pyi|ts|tsx|js|jsx|mjs|cjs|mts|cts|go)"
)
MARK = " ⚠ *(not in the map)*"
# Names a narrative may use that no map defines: the languages' own.
COMMON = (
    set(dir(builtins))
    | set(keyword.kwlist)
    | {"self", "cls", "this", "undefined", "null", "true", "false", "nil", "err", "error"}
    | {"string", "number", "boolean", "any", "void", "never", "unknown", "Promise", "Array"}
    | {"console", "window", "document", "require", "module", "exports", "func", "main", "init"}
    | {"__init__", "__main__", "__all__", "TYPE_CHECKING", "import", "export", "default"}
)


class KnownNames:
    def __init__(self, files: Iterable[dict[str, Any]], root: str, external: Iterable[str]) -> None:
        self.paths: set[str] = set()
        self.basenames: dict[str, int] = {}
        self.names: set[str] = set(external)
        self.root = root
        for f in files:
            path = f["path"]
            self.paths.add(path)
            self.paths.add(posixpath.dirname(path))
            base = posixpath.basename(path)
            self.basenames[base] = self.basenames.get(base, 0) + 1
            module = f.get("module") or ""
            if module and module != path:
                parts = module.split(".")
                self.names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
            if f.get("package"):
                self.names.add(f["package"])
            for s in f.get("symbols") or []:
                self.names.add(s.get("name", ""))
                self.names.add(s.get("qualname", ""))
            self.names.update(f.get("exports") or [])
            for imp in f.get("imports") or []:
                self.names.add(str(imp.get("module") or ""))
                self.names.update(imp.get("names") or [])
        self.names.discard("")

    def path_known(self, token: str) -> bool:
        t = token.rstrip("/").removeprefix("./")
        if t in self.paths:
            return True
        if self.root and posixpath.join(self.root, t) in self.paths:
            return True
        if "/" not in t:
            return self.basenames.get(t, 0) > 0
        return any(p.endswith("/" + t) for p in self.paths)

    def name_known(self, token: str) -> bool:
        name = token.removesuffix("()")
        if name in self.names or name in COMMON:
            return True
        parts = name.split(".")
        # `pkg.mod.Symbol`, `Class.method`, `module.attr`: a known head and a known tail
        return (
            len(parts) > 1
            and parts[-1] in self.names
            and (".".join(parts[:-1]) in self.names or parts[0] in self.names)
        )


def _candidate(span: str) -> tuple[str, str] | None:
    """("path" | "name", token) for a code span that names something, else None."""
    s = span.strip()
    if PATHLIKE.fullmatch(s):
        return "path", s
    head = re.sub(r"\(.*\)$", "", s)  # `run(x)` names `run`
    if len(head) >= 3 and IDENT.fullmatch(head):
        return "name", head
    return None


def check_markdown(markdown: str, known: KnownNames) -> tuple[str, list[str], int]:
    """(the Markdown with unknown names marked, the unknown names, how many names were checked)."""
    unknown: dict[str, None] = {}
    checked = 0

    def mark(m: re.Match[str]) -> str:
        nonlocal checked
        cand = _candidate(m.group(1))
        if cand is None:
            return m.group(0)
        kind, token = cand
        checked += 1
        ok = known.path_known(token) if kind == "path" else known.name_known(token)
        if ok:
            return m.group(0)
        unknown[token] = None
        return m.group(0) + MARK

    # code fences are code, not claims about names
    parts = re.split(r"(```.*?```)", markdown, flags=re.S)
    out = "".join(p if p.startswith("```") else CODE_SPAN.sub(mark, p) for p in parts)
    if unknown:
        out = out.rstrip("\n") + (
            "\n\n### Names not found in the map\n\n"
            "The narrative names these, but no mapped file or symbol has that name; "
            "read them as the model's guesses:\n\n" + "\n".join(f"- `{n}`" for n in unknown) + "\n"
        )
    return out, list(unknown), checked


def check_judgement(
    judgement: Any, files: Iterable[dict[str, Any]], root: str, external: Iterable[str]
) -> Any:
    """The model's reduce answer with its names checked (`unknown_names`, `names_checked`)."""
    if not isinstance(judgement, dict) or not isinstance(judgement.get("markdown"), str):
        return judgement
    known = KnownNames(files, root, external)
    markdown, unknown, checked = check_markdown(judgement["markdown"], known)
    return {**judgement, "markdown": markdown, "unknown_names": unknown, "names_checked": checked}
