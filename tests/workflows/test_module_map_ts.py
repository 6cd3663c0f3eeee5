"""map-module on a TypeScript monorepo: tsconfig paths, extends, wildcards, workspace packages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.workflows.helpers import write
from tests.workflows.test_module_map import module_map

APP = """// The web app's root component.
import { Button } from '@ui/button';
import { useThing } from 'hooks/useThing';
import { fmt } from 'utils';
import Legacy from './Legacy.jsx';
import { api } from '@acme/api';
import { helper } from '@acme/api/helpers';
import React from 'react';
import missing from 'nothere';
import { x } from './gone';
export function App() { return fmt(useThing(), api, helper, Button, Legacy, React, missing, x); }
"""

MONOREPO: dict[str, str] = {
    "package.json": json.dumps(
        {
            "name": "mono",
            "private": True,
            "workspaces": ["packages/*"],
            "dependencies": {"react": "18"},
        }
    ),
    # JSON with comments and trailing commas, as tsconfig files are written
    "tsconfig.base.json": '{\n  // shared\n  "compilerOptions": {"baseUrl": ".", "paths": {"@ui/*": ["packages/ui/src/*"],},},\n}\n',
    "apps/web/tsconfig.json": json.dumps(
        {
            "extends": "../../tsconfig.base.json",
            "compilerOptions": {
                "baseUrl": ".",
                "paths": {"*": ["./src/*"], "@ui/*": ["../../packages/ui/src/*"]},
            },
        }
    ),
    "apps/admin/tsconfig.json": json.dumps({"extends": "../../tsconfig.base.json"}),
    "apps/web/src/App.tsx": APP,
    "apps/web/src/Legacy.tsx": "export default function Legacy() {}\n",
    "apps/web/src/hooks/useThing.ts": "export const useThing = () => 1;\n",
    "apps/web/src/utils/index.ts": "export const fmt = (...a: unknown[]) => a;\n",
    "apps/admin/src/main.ts": "import { Button } from '@ui/button';\nexport const admin = Button;\n",
    "packages/ui/package.json": json.dumps({"name": "@acme/ui"}),
    "packages/ui/src/button.tsx": "export const Button = 1;\n",
    "packages/api/package.json": json.dumps(
        {
            "name": "@acme/api",
            "exports": {
                ".": {"types": "./dist/index.d.ts", "import": "./dist/index.js"},
                "./helpers": "./dist/helpers.js",
            },
            "imports": {"#internal/*": "./src/internal/*.ts"},
        }
    ),
    "packages/api/src/index.ts": "import { secret } from '#internal/secret';\nexport const api = secret;\n",
    "packages/api/src/helpers.ts": "export const helper = 2;\n",
    "packages/api/src/internal/secret.ts": "export const secret = 3;\n",
}


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    write(tmp_path, MONOREPO)
    return tmp_path


def test_aliases_extends_wildcards_and_workspace_packages_resolve(mono: Path) -> None:
    _, result = module_map(mono)
    out = result.output
    edges = {(e["from"], e["to"]) for e in out["edges"]}
    app = "apps/web/src/App.tsx"
    assert edges == {
        (app, "packages/ui/src/button.tsx"),  # `@ui/*` beats `*`: the longer prefix
        (app, "apps/web/src/hooks/useThing.ts"),  # `*` -> ./src/*
        (app, "apps/web/src/utils/index.ts"),  # a folder's index
        (app, "apps/web/src/Legacy.tsx"),  # './Legacy.jsx' names the .tsx source
        (app, "packages/api/src/index.ts"),  # exports "." -> ./dist/index.js -> src/index.ts
        (app, "packages/api/src/helpers.ts"),  # exports "./helpers"
        ("apps/admin/src/main.ts", "packages/ui/src/button.tsx"),  # paths inherited by extends
        (
            "packages/api/src/index.ts",
            "packages/api/src/internal/secret.ts",
        ),  # `imports` #internal/*
    }
    assert {(e["name"], e["kind"]) for e in out["external"]} == {("react", "package")}
    unresolved = {u["import"]: u["reason"] for u in out["unresolved"]}
    assert set(unresolved) == {"import missing from 'nothere';", "import { x } from './gone';"}
    assert "apps/web/src/nothere" in unresolved["import missing from 'nothere';"]
    assert "not a dependency" in unresolved["import missing from 'nothere';"]
    assert "no file apps/web/src/gone" in unresolved["import { x } from './gone';"]
    # the alias-imported files are not orphans, and the ranking counts their real users
    assert "packages/ui/src/button.tsx" not in out["orphans"]
    ranked = {m["path"]: m["used_by"] for m in out["most_depended_on"]}
    assert ranked["packages/ui/src/button.tsx"] == 2


def test_resolution_reads_configs_into_the_cache_key(mono: Path) -> None:
    _, result = module_map(mono)
    assert {"apps/web/tsconfig.json", "tsconfig.base.json", "packages/api/package.json"} <= set(
        result.files_read
    )
    # where a config could have been but is not, its absence is a dependency too
    assert "exists:apps/web/src/tsconfig.json" in result.files_read


def test_a_broken_tsconfig_is_named_not_fatal(mono: Path) -> None:
    (mono / "apps/admin/tsconfig.json").write_text('{"extends": ', encoding="utf-8")
    _, result = module_map(mono)
    edges = {(e["from"], e["to"]) for e in result.output["edges"]}
    assert ("apps/admin/src/main.ts", "packages/ui/src/button.tsx") not in edges
    [u] = [u for u in result.output["unresolved"] if u["path"] == "apps/admin/src/main.ts"]
    assert "@ui" in u["reason"]
    assert any("apps/admin/tsconfig.json" in p for p in result.output["config_problems"])


def test_types_only_packages_and_declaration_file_cycles(tmp_path: Path) -> None:
    """In the shape of tRPC's aws-lambda adapter and preact's src/dom.d.ts ⇄ src/index.d.ts."""
    files = {
        "package.json": json.dumps(
            {"name": "srv", "devDependencies": {"@types/aws-lambda": "8", "@types/scope__lib": "1"}}
        ),
        "src/lambda.ts": "import type { Context } from 'aws-lambda';\nimport {\n  gone,\n} from './gone';\n"
        "import type { L } from '@scope/lib';\nexport type C = Context | L;\n",
        "src/dom.d.ts": "import { Component } from './index';\nexport interface DOMAttributes {}\n",
        "src/index.d.ts": "import { DOMAttributes } from './dom';\nexport interface Component {}\n",
        "src/a.js": "import { b } from './b';\nexport const a = () => b;\n",
        "src/b.js": "import { a } from './a';\nexport const b = () => a;\n",
    }
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    out = result.output
    [gone] = out["unresolved"]  # a multi-line import names its specifier
    assert gone["import"] == "import { … './gone'"
    kinds = {e["name"]: e["kind"] for e in out["external"]}
    assert kinds == {"aws-lambda": "package", "@scope/lib": "package"}
    cycles = {tuple(c["cycle"]): c["eager"] for c in out["cycles"]}
    assert cycles == {("src/a.js", "src/b.js"): True, ("src/dom.d.ts", "src/index.d.ts"): False}
    messages = [f.message for f in result.findings if f.rule == "map/import-cycle"]
    assert any("type-only" in m and "cannot fail at import time" in m for m in messages)


def test_files_a_package_json_offers_are_no_orphans(tmp_path: Path) -> None:
    """preact's root package.json exports `./compat/client` as compat/client.{mjs,js};
    tRPC's exports `./rpc` as dist/rpc.mjs, built from src/rpc.ts."""
    exports = {
        ".": {"types": "./src/index.d.ts", "import": "./dist/index.mjs"},
        "./compat/client": {"import": "./compat/client.mjs", "require": "./compat/client.js"},
        "./rpc": {"import": "./dist/rpc.mjs"},
        "./package.json": "./package.json",
    }
    files = {
        "package.json": json.dumps({"name": "p", "exports": exports, "bin": {"p": "./cli.js"}}),
        "src/index.d.ts": "export interface A {}\n",
        "src/index.ts": "export const a = 1;\n",
        "src/rpc.ts": "export const r = 1;\n",
        "src/lost.ts": "export const l = 1;\n",
        "compat/client.mjs": "export const c = 1;\n",
        "compat/client.js": "module.exports = {};\n",
        "cli.js": "console.log(1);\n",
    }
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    out = result.output
    assert out["orphans"] == ["src/lost.ts"]
    mods = {m["path"]: m for m in out["modules"]}
    assert mods["compat/client.js"]["loaded_by_name"] == ["package.json"]
    assert "package.json" in result.files_read


def test_a_relative_import_of_a_folder_reads_its_package_json(tmp_path: Path) -> None:
    """preact's compat/src/index.d.ts: `import * as _hooks from '../../hooks'`, and
    compat/src/internal.d.ts: `export { ComponentChildren } from '../..'`."""
    files = {
        "package.json": json.dumps({"name": "preact", "types": "src/index.d.ts"}),
        "src/index.d.ts": "export type ComponentChildren = 1;\n",
        "hooks/package.json": json.dumps({"name": "hooks", "main": "dist/hooks.mjs"}),
        "hooks/src/hooks.js": "export const useState = 1;\n",
        "compat/src/index.d.ts": "import * as _hooks from '../../hooks';\n"
        "export { ComponentChildren } from '../..';\n",
    }
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    edges = {(e["from"], e["to"]) for e in result.output["edges"]}
    assert ("compat/src/index.d.ts", "hooks/src/hooks.js") in edges  # dist/ maps to src/
    assert ("compat/src/index.d.ts", "src/index.d.ts") in edges
    assert result.output["external"] == [] and result.output["unresolved"] == []
