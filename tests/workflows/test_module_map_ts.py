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
