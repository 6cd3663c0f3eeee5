"""Where a TypeScript/JavaScript import specifier leads, the way `tsc` and Node resolve it.

In order: a relative path; the `paths` of the nearest tsconfig.json/jsconfig.json (wildcards,
the longest matching prefix first, `extends` chains merged, `baseUrl`); the `imports`
(`#name`) of the nearest package.json; a package of the workspace (npm/yarn/pnpm workspaces
and every package.json above a mapped file) through its `exports`, `types`/`module`/`main`
or the sub-path itself; a bare name is `baseUrl`-relative before it is a package. A
candidate is tried as written, with its TypeScript source for an emitted name (`x.js` is
`x.ts`/`x.tsx`, `x.mjs` is `x.mts`), with each extension, and as a folder's `index`.

What resolves to no file of the map is either an external dependency (a Node built-in;
a package that a package.json declares or node_modules holds) or *unresolved*, with the
reason: never an external package that does not exist.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import json5

from swath.workspace.depmarks import EXISTS

SCRIPT_EXTS = (".ts", ".tsx", ".mts", ".cts", ".d.ts", ".js", ".jsx", ".mjs", ".cjs")
EMITTED = {
    ".js": (".ts", ".tsx", ".d.ts"),
    ".jsx": (".tsx", ".ts"),
    ".mjs": (".mts", ".d.mts"),
    ".cjs": (".cts", ".d.cts"),
}
NODE_BUILTINS = frozenset(
    "assert async_hooks buffer child_process cluster console constants crypto dgram diagnostics_channel "
    "dns domain events fs http http2 https inspector module net os path perf_hooks process punycode "
    "querystring readline repl stream string_decoder sys timers tls trace_events tty url util v8 vm "
    "wasi worker_threads zlib test".split()
)
CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")
CONDITIONS = ("types", "import", "module", "require", "node", "default", "browser")
BUILD_DIRS = ("dist/", "lib/", "build/", "out/", "esm/", "cjs/")
MAX_EXTENDS = 10


@dataclass
class Resolution:
    kind: str  # file | stdlib | package | vendored | project | unresolved
    target: str = ""  # the file (kind file), the dependency's name, or the reason
    via: str = ""  # how: "relative", "paths @/* in web/tsconfig.json", "workspace package @acme/ui"


# Folders that hold other people's code copied in: what the review's roles call vendored
# (`swath.workspace.roles`: vendor/, node_modules/) and Python's `_vendor` convention (pip).
VENDOR_FOLDERS = frozenset({"vendor", "_vendor", "node_modules"})


def vendored_package(path: str) -> str | None:
    """The name of the vendored package a path lies in (`src/vendor/cookie-es/split` is
    `cookie-es`, `node_modules/@scope/x/y` is `@scope/x`), else None."""
    parts = [p for p in path.replace("\\", "/").split("/") if p and p != "."]
    at = next((i for i, p in enumerate(parts) if p in VENDOR_FOLDERS), None)
    if at is None or at + 1 >= len(parts):
        return None
    name = parts[at + 1]
    if name.startswith("@") and at + 2 < len(parts):
        name = f"{name}/{parts[at + 2]}"
    return re.sub(r"\.(?:d\.)?[cm]?[jt]sx?$", "", name)


@dataclass
class TsConfig:
    path: str
    base_url: str | None = None  # workspace-relative folder
    paths: dict[str, list[str]] = field(default_factory=dict)
    paths_base: str = ""  # the folder `paths` substitutions are relative to


@dataclass
class Package:
    folder: str
    name: str
    data: dict[str, Any]


def _posix_join(*parts: str) -> str:
    joined = posixpath.normpath(posixpath.join(*[p for p in parts if p]))
    return "" if joined == "." else joined


def _wildcard(pattern: str, spec: str) -> str | None:
    """What `*` stands for when `spec` matches `pattern` ("" for an exact match), else None."""
    if "*" not in pattern:
        return "" if pattern == spec else None
    head, _, tail = pattern.partition("*")
    if spec.startswith(head) and spec.endswith(tail) and len(spec) >= len(head) + len(tail):
        return spec[len(head) : len(spec) - len(tail)]
    return None


def _best_match(patterns: list[str], spec: str) -> tuple[str, str] | None:
    """The pattern `tsc` picks: an exact one, else the wildcard with the longest prefix."""
    best: tuple[int, str, str] | None = None
    for pattern in patterns:
        star = _wildcard(pattern, spec)
        if star is None:
            continue
        rank = 1 << 30 if "*" not in pattern else len(pattern.partition("*")[0])
        if best is None or rank > best[0]:
            best = (rank, pattern, star)
    return (best[1], best[2]) if best else None


class ScriptResolver:
    """Resolution of one map's specifiers; reads each config once, and says which it read."""

    def __init__(self, root: Path | None, files: set[str]) -> None:
        self.root = root  # None: no configs or manifests to read, only the files themselves
        self.files = files
        self.read: set[str] = set()  # config files read (content deps of the map)
        self.looked: set[str] = set()  # config paths looked for (presence deps)
        self._configs: dict[str, TsConfig | None] = {}
        self._nearest_config: dict[str, TsConfig | None] = {}
        self._packages: dict[str, Package | None] = {}
        self._nearest_package: dict[str, Package | None] = {}
        self._workspace: dict[str, Package] | None = None
        self.problems: list[str] = []

    # -- files ---------------------------------------------------------------------------
    def _is_file(self, rel: str) -> bool:
        return self.root is not None and (self.root / rel).is_file()

    def _is_dir(self, rel: str) -> bool:
        return self.root is not None and (self.root / rel).is_dir()

    def _json(self, rel: str) -> Any:
        self.looked.add(rel)
        if self.root is None or not self._is_file(rel):
            return None
        self.read.add(rel)
        try:
            return json5.loads((self.root / rel).read_text("utf-8", errors="replace"))
        except ValueError as exc:
            self.problems.append(f"{rel}: not valid JSON ({exc})")
            return None

    def candidates(self, base: str) -> list[str]:
        out = [base]
        stem, ext = posixpath.splitext(base)
        out += [stem + e for e in EMITTED.get(ext, ())]
        out += [base + e for e in SCRIPT_EXTS]
        out += [_posix_join(base, "index" + e) for e in SCRIPT_EXTS]
        return out

    def file_at(self, base: str) -> str | None:
        for cand in self.candidates(base):
            if cand in self.files:
                return cand
        return None

    # -- tsconfig ------------------------------------------------------------------------
    def _load_config(self, rel: str, depth: int = 0) -> TsConfig | None:
        if rel in self._configs:
            return self._configs[rel]
        self._configs[rel] = None  # a cycle of `extends` ends here
        data = self._json(rel)
        if not isinstance(data, dict):
            return None
        folder = posixpath.dirname(rel)
        merged = TsConfig(path=rel)
        parents = data.get("extends")
        for parent in [parents] if isinstance(parents, str) else (parents or []):
            target = self._extends_path(folder, str(parent))
            inherited = (
                self._load_config(target, depth + 1) if target and depth < MAX_EXTENDS else None
            )
            if inherited is not None:
                merged.base_url = inherited.base_url
                merged.paths, merged.paths_base = dict(inherited.paths), inherited.paths_base
        options = data.get("compilerOptions") or {}
        if isinstance(options, dict):
            if isinstance(options.get("baseUrl"), str):
                merged.base_url = _posix_join(folder, options["baseUrl"])
            if isinstance(options.get("paths"), dict):
                merged.paths = {
                    str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])]
                    for k, vs in options["paths"].items()
                }
                # substitutions are relative to baseUrl, else to the file that sets `paths`
                merged.paths_base = merged.base_url if merged.base_url is not None else folder
        self._configs[rel] = merged
        return merged

    def _extends_path(self, folder: str, spec: str) -> str | None:
        if spec.startswith("."):
            target = _posix_join(folder, spec)
            return target if target.endswith(".json") else target + ".json"
        # a shared config from a package: node_modules/<spec>(.json | /tsconfig.json)
        for up in self._ancestors(folder):
            base = _posix_join(up, "node_modules", spec)
            for cand in (base, base + ".json", _posix_join(base, "tsconfig.json")):
                if self._is_file(cand):
                    return cand
        return None

    @staticmethod
    def _ancestors(folder: str) -> list[str]:
        out = []
        while True:
            out.append(folder)
            if not folder:
                return out
            folder = posixpath.dirname(folder)

    def config_for(self, path: str) -> TsConfig | None:
        """The nearest tsconfig.json (or jsconfig.json) above a file, as `tsc` finds it."""
        folder = posixpath.dirname(path)
        if folder in self._nearest_config:
            return self._nearest_config[folder]
        found: TsConfig | None = None
        for name in CONFIG_NAMES:
            rel = _posix_join(folder, name)
            self.looked.add(rel)
            if self._is_file(rel):
                found = self._load_config(rel)
                break
        else:
            found = self.config_for(folder) if folder else None
        self._nearest_config[folder] = found
        return found

    # -- package.json --------------------------------------------------------------------
    def _package(self, folder: str) -> Package | None:
        if folder not in self._packages:
            data = self._json(_posix_join(folder, "package.json"))
            self._packages[folder] = (
                Package(folder, str(data.get("name") or ""), data)
                if isinstance(data, dict)
                else None
            )
        return self._packages[folder]

    def package_for(self, path: str) -> Package | None:
        folder = posixpath.dirname(path)
        if folder in self._nearest_package:
            return self._nearest_package[folder]
        found = self._package(folder) or (self.package_for(folder) if folder else None)
        self._nearest_package[folder] = found
        return found

    def workspace_packages(self) -> dict[str, Package]:
        """Packages by name: the root's npm/yarn/pnpm workspaces and those above mapped files."""
        if self._workspace is not None:
            return self._workspace
        found: dict[str, Package] = {}
        root_pkg = self._package("")
        globs: list[str] = []
        if root_pkg is not None:
            ws = root_pkg.data.get("workspaces")
            globs += (
                ws
                if isinstance(ws, list)
                else (ws or {}).get("packages", [])
                if isinstance(ws, dict)
                else []
            )
        if self.root is not None and self._is_file("pnpm-workspace.yaml"):
            pnpm = self.root / "pnpm-workspace.yaml"
            self.read.add("pnpm-workspace.yaml")
            globs += [
                line.split("-", 1)[1].strip().strip("'\"")
                for line in pnpm.read_text("utf-8", errors="replace").splitlines()
                if line.strip().startswith("-")
            ]
        root = self.root
        for pattern in globs if root is not None else []:
            assert root is not None
            for folder in sorted(root.glob(str(pattern).rstrip("/"))):
                rel = folder.relative_to(root).as_posix()
                if "node_modules" not in rel.split("/"):
                    pkg = self._package(rel)
                    if pkg is not None and pkg.name:
                        found.setdefault(pkg.name, pkg)
        for path in sorted(self.files):
            pkg = self.package_for(path)
            if pkg is not None and pkg.name:
                found.setdefault(pkg.name, pkg)
        self._workspace = found
        return found

    def declared(self, name: str, importer: str) -> bool:
        """A dependency some package.json above the importer declares, or node_modules holds.

        A package's types may come alone as `@types/name` (`@types/scope__name` for
        `@scope/name`): tRPC's `import type … from 'aws-lambda'` names a package through
        its declared `@types/aws-lambda`, as tsc resolves it.
        """
        typings = "@types/" + (name[1:].replace("/", "__") if name.startswith("@") else name)
        return any(self._declared(n, importer) for n in (name, typings))

    def _declared(self, name: str, importer: str) -> bool:
        pkg = self.package_for(importer)
        while pkg is not None:
            for key in (
                "dependencies",
                "devDependencies",
                "peerDependencies",
                "optionalDependencies",
            ):
                deps = pkg.data.get(key)
                if isinstance(deps, dict) and name in deps:
                    return True
            pkg = self.package_for(pkg.folder) if pkg.folder else None
        for up in self._ancestors(posixpath.dirname(importer)):
            if self._is_dir(_posix_join(up, "node_modules", name)):
                return True
        return False

    def _exports_target(self, exports: Any, subpath: str) -> list[str]:
        """`exports` (or `imports`) entries for `subpath` ("." or "./x"), conditions in order."""
        if isinstance(exports, (str, list)) or (
            isinstance(exports, dict) and not any(str(k).startswith((".", "#")) for k in exports)
        ):
            exports = {".": exports}
        if not isinstance(exports, dict):
            return []
        match = _best_match([str(k) for k in exports], subpath)
        if match is None:
            return []
        pattern, star = match
        return [t.replace("*", star) for t in self._conditions(exports[pattern])]

    def _conditions(self, value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [t for v in value for t in self._conditions(v)]
        if isinstance(value, dict):
            keys = [c for c in CONDITIONS if c in value] + [k for k in value if k not in CONDITIONS]
            return [t for k in keys for t in self._conditions(value[k])]
        return []

    def _in_package(self, pkg: Package, targets: list[str]) -> str | None:
        for t in targets:
            rel = _posix_join(pkg.folder, t)
            hit = self.file_at(rel)
            if hit is None:  # `exports` name the build output: the source sits in src/
                inner = t.removeprefix("./")
                for build in BUILD_DIRS:
                    if inner.startswith(build):
                        src = _posix_join(pkg.folder, "src", inner[len(build) :])
                        hit = self.file_at(src) or self.file_at(posixpath.splitext(src)[0])
                        break
            if hit is not None:
                return hit
        return None

    def _package_entry(self, pkg: Package, sub: str) -> str | None:
        data = pkg.data
        subpath = "." if not sub else "./" + sub
        if "exports" in data:
            return self._in_package(pkg, self._exports_target(data["exports"], subpath))
        if sub:
            return self._in_package(pkg, [sub])
        fields = [
            str(data[k])
            for k in ("types", "typings", "module", "main", "source")
            if isinstance(data.get(k), str)
        ]
        return self._in_package(pkg, [*fields, "index", "src/index"])

    def _folder_package_entry(self, folder: str) -> str | None:
        """A relative import of a folder that holds a package.json: its `types`, `module`,
        `main` or `source` (what tsc and Node read for a folder; not `exports`), as
        preact's `import * as _hooks from '../../hooks'` and `from '../..'`."""
        if folder.startswith("..") or (folder and not self._is_dir(folder)):
            return None
        pkg = self._package(folder)
        if pkg is None:
            return None
        fields = [
            str(pkg.data[k])
            for k in ("types", "typings", "module", "main", "source")
            if isinstance(pkg.data.get(k), str)
        ]
        return self._in_package(pkg, fields) if fields else None

    def package_entries(self) -> dict[str, str]:
        """Mapped files a package.json names as what its package offers (each `exports`
        target under every condition, `main`, `module`, `types`, `source`, `bin`), with the
        package.json naming them: preact's `compat/client.js` is `./compat/client`'s
        `require` target, imported by no file of the package and no orphan."""
        found: dict[str, str] = {}
        for pkg in self.workspace_packages().values():
            data = pkg.data
            targets = [
                str(data[k])
                for k in ("main", "module", "types", "typings", "source", "browser")
                if isinstance(data.get(k), str)
            ]
            bins = data.get("bin")
            targets += [bins] if isinstance(bins, str) else []
            targets += (
                [v for v in bins.values() if isinstance(v, str)] if isinstance(bins, dict) else []
            )
            exports = data.get("exports")
            if isinstance(exports, dict) and any(str(k).startswith(".") for k in exports):
                values = [v for k, v in exports.items() if "*" not in str(k)]
            else:
                values = [exports]
            targets += [t for v in values for t in self._conditions(v) if "*" not in t]
            for t in targets:
                hit = self._in_package(pkg, [t])
                if hit is not None and hit in self.files:
                    found.setdefault(hit, _posix_join(pkg.folder, "package.json"))
        return found

    # -- the specifier -------------------------------------------------------------------
    def resolve(self, importer: str, spec: str) -> Resolution:  # noqa: C901 - one branch per resolution rule, in the order TypeScript applies them
        if spec.startswith("."):
            base = _posix_join(posixpath.dirname(importer), spec)
            hit = self.file_at(base) or self._folder_package_entry(base)
            if hit is not None:
                return Resolution("file", hit, "relative")
            vendored = vendored_package(base)
            if vendored is not None:  # a copy of someone else's code (the map skips vendor/)
                return Resolution("vendored", vendored, "relative, a vendored copy")
            if self._is_dir(base) or any(self._is_file(c) for c in self.candidates(base)):
                return Resolution("project", base, "relative, outside the mapped folder")
            return Resolution(
                "unresolved", f"no file {base} (with any script extension or index)", "relative"
            )
        if spec.startswith("node:") or spec.split("/")[0] in NODE_BUILTINS:
            return Resolution("stdlib", spec.removeprefix("node:").split("/")[0], "node built-in")
        config = self.config_for(importer)
        if config is not None and config.paths:
            match = _best_match(list(config.paths), spec)
            if match is not None:
                pattern, star = match
                tried = []
                for sub in config.paths[pattern]:
                    base = _posix_join(config.paths_base, sub.replace("*", star))
                    hit = self.file_at(base)
                    if hit is not None:
                        return Resolution("file", hit, f"paths {pattern} in {config.path}")
                    tried.append(base)
                alias_miss = f"paths {pattern} in {config.path}: no file {', '.join(tried)}"
            else:
                alias_miss = ""
        else:
            alias_miss = ""
        if spec.startswith("#"):
            pkg = self.package_for(importer)
            if pkg is not None and isinstance(pkg.data.get("imports"), dict):
                hit = self._in_package(pkg, self._exports_target(pkg.data["imports"], spec))
                if hit is not None:
                    return Resolution("file", hit, f"imports of {pkg.folder or '.'}/package.json")
            return Resolution(
                "unresolved",
                f"{spec}: no such entry in the `imports` of the nearest package.json",
                "imports",
            )
        parts = spec.split("/")
        name = "/".join(parts[:2]) if spec.startswith("@") else parts[0]
        sub = "/".join(parts[2:] if spec.startswith("@") else parts[1:])
        pkg = self.workspace_packages().get(name)
        if pkg is not None:
            hit = self._package_entry(pkg, sub)
            if hit is not None:
                return Resolution("file", hit, f"workspace package {name}")
            return Resolution(
                "unresolved",
                f"workspace package {name} ({pkg.folder or '.'}) has no file for {spec!r}",
                "workspace",
            )
        if config is not None and config.base_url is not None:
            hit = self.file_at(_posix_join(config.base_url, spec))
            if hit is not None:
                return Resolution("file", hit, f"baseUrl of {config.path}")
        if self.declared(name, importer) or self.package_for(importer) is None:
            # declared, or no package.json says what is: a dependency as far as anyone can tell
            return Resolution("package", name, "dependency")
        miss = f" ({alias_miss})" if alias_miss else ""
        reason = f"{spec}: no file of the project{miss}, and {name} is not a dependency any package.json declares"
        return Resolution("unresolved", reason, "bare")

    def deps(self) -> list[str]:
        """Cache dependencies of the resolution: the configs read, and where absence mattered."""
        return sorted(self.read) + sorted(EXISTS + p for p in self.looked - self.read)
