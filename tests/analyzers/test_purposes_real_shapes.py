"""Purposes that are no purpose: licence headers, section labels, a header pasted into
many files; and Go's package comment read by go doc's rule (viper, x/tools, tanstack, tRPC)."""

from __future__ import annotations

from pathlib import Path

from swath.analyzers.sgfacts import go_facts, script_facts
from swath.analyzers.sourcetext import is_boilerplate, is_section_label
from tests.workflows.helpers import write
from tests.workflows.test_module_map import facts_of, module_map

GO_LICENCE = (
    "// Copyright 2022 The Go Authors. All rights reserved.\n"
    "// Use of this source code is governed by a BSD-style\n"
    "// license that can be found in the LICENSE file.\n"
)
# viper.go:1-20: a licence, the description, then more paragraphs, a blank line, `package`
VIPER = (
    "// Copyright © 2014 Steve Francia <spf@spf13.com>.\n//\n"
    "// Use of this source code is governed by an MIT-style\n"
    "// license that can be found in the LICENSE file.\n\n"
    "// Viper is an application configuration system.\n"
    "// It believes that applications can be configured a variety of ways\n"
    "// via flags, ENVIRONMENT variables, configuration files retrieved\n\n"
    "// Each item takes precedence over the item below it:\n\n"
    "// overrides\n// flag\n\n"
    "package viper\n\nfunc Get(key string) int { return 0 }\n"
)


def test_go_reads_the_package_comment_as_go_doc_does() -> None:
    # x/tools' go/ssa/subst.go: a copyright right above `package` is no package comment
    # (go/doc.Synopsis gives "" for "Copyright…"); on 772 Go files of x/tools, cobra and
    # viper, whether a file has a package comment agreed with go/parser + doc.Synopsis
    subst = go_facts("go/ssa/subst.go", GO_LICENCE + "package ssa\n")
    assert subst["docstring"] == "" and "doc_detached" not in subst
    attached = go_facts("a.go", GO_LICENCE + "\n// Package a adds things.\npackage a\n")
    assert attached["docstring"] == "Adds things." and "doc_detached" not in attached
    # viper.go: go doc shows no package comment; its description is a weaker purpose
    viper = go_facts("viper.go", VIPER)
    assert viper["docstring"] == "Viper is an application configuration system."
    assert viper["doc_detached"] is True
    # build constraints and a run of TODOs (x/tools' apidiff.go) are no description
    tagged = go_facts(
        "x.go",
        GO_LICENCE + "\n// TODO: test swap\n//\t\tevery exposed type still does.\n\n"
        "//go:build !android\n// +build !android\n\npackage x\n",
    )
    assert tagged["docstring"] == ""


def test_a_package_takes_a_detached_description_only_when_no_file_has_a_package_comment(
    tmp_path: Path,
) -> None:
    files = {
        "go.mod": "module example.com/cfg\n\ngo 1.22\n",
        "viper.go": VIPER,
        # util.go repeats the description with a typo: the file named like the package wins
        "util.go": GO_LICENCE + "\n// Viper is a application configuration system.\n\n"
        "package viper\n",
        "remote/remote.go": "// Package remote integrates the remote features.\npackage remote\n\n"
        "// Note: a description go doc does not read.\n",
        "remote/extra.go": "// Extra is the remote's helper file.\n\npackage remote\n",
    }
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    out = result.output
    packages = {p["folder"]: p for p in out["go_packages"]}
    assert packages["."]["purpose"] == "Viper is an application configuration system."
    assert packages["."]["purpose_detached"] is True
    assert packages["remote"]["purpose"] == "Integrates the remote features."
    assert "purpose_detached" not in packages["remote"]
    assert out["purpose"] == "Viper is an application configuration system."  # no doc.go
    assert "not a package comment: go doc shows none" in out["markdown"]


def test_a_licence_header_or_section_label_is_no_files_purpose() -> None:
    # x/tools' godoc/static/godocs.js: the description follows the licence block
    js = script_facts(
        "godocs.js",
        "// Copyright 2012 The Go Authors. All rights reserved.\n"
        "// Use of this source code is governed by a BSD-style\n\n"
        "/* A little code to ease navigation of these documents.\n */\n\nfunction f() {}\n",
        "javascript",
    )
    assert js["docstring"] == "A little code to ease navigation of these documents."
    spdx = script_facts(
        "a.ts", "// SPDX-License-Identifier: MIT\nexport const a = 1;\n", "typescript"
    )
    assert spdx["docstring"] == ""
    # tanstack's notifyManager.ts:1, hydration.ts:16: a section label opens the file
    label = script_facts(
        "notifyManager.ts",
        "// TYPES\n\nimport { x } from './x'\n\ntype A = () => void\n",
        "typescript",
    )
    assert label["docstring"] == ""
    ruled = script_facts(
        "h.ts", "// ---------- helpers ----------\n\nexport function h() {}\n", "typescript"
    )
    assert ruled["docstring"] == ""
    # a long line between rules is no label (and is matched in linear time: a minified
    # bundle's one-line banner is long)
    long = "// ==== " + "word " * 40 + "====\n\nexport const l = 1;\n"
    assert script_facts("l.ts", long, "typescript")["docstring"].startswith("==== word word")
    # a real one-line purpose stays
    kept = script_facts("k.ts", "// Parses the config.\n\nexport function k() {}\n", "typescript")
    assert kept["docstring"] == "Parses the config."


def test_a_section_heading_over_a_declaration_is_not_its_doc() -> None:
    # preact's src/index.d.ts:260-263: `// Preact render` over a rule, then the interface
    facts = script_facts(
        "index.d.ts",
        "export const a = 1;\n\n//\n// Preact render\n// -----------------------------------\n"
        "export interface ContainerNode {\n  readonly nodeType: number;\n}\n\n"
        "// CLASS\nexport class Query {}\n\n"
        "/** Represents a cached query. */\nexport class Cached {}\n",
        "typescript",
    )
    doc = {s["name"]: s["doc"] for s in facts["symbols"]}
    assert doc["ContainerNode"] == "" and doc["Query"] == ""
    assert doc["Cached"] == "Represents a cached query."


def test_the_words_that_make_a_header_or_a_label() -> None:
    for header in (
        "Copyright 2019 The Go Authors.",
        "Copyright (c) Meta Platforms, Inc.",
        "© 2020 Acme",
        "All rights reserved.",
        'Licensed under the Apache License, Version 2.0 (the "License");',
        "Use of this source code is governed by a BSD-style license.",
        "Code generated by mkstdlib.go.",
        "This file is part of GNU Emacs.",
        "Authors: Ada, Grace",
    ):
        assert is_boilerplate(header), header
    for purpose in ("Copies files.", "Authentication helpers.", "Licence checks for packages."):
        assert not is_boilerplate(purpose), purpose
    assert is_section_label("TYPES") and is_section_label("PUBLIC API")
    assert is_section_label("Preact render", ruled=True)
    assert not is_section_label("Parses the config.")
    assert not is_section_label("Helpers")  # one plain word may be the purpose


def test_a_header_pasted_into_many_files_is_none_of_their_purposes(tmp_path: Path) -> None:
    """tRPC's ten adapters open with the same JSDoc ("If you're making an adapter for tRPC
    and looking at this file for reference…"): it was each one's purpose."""
    header = "/**\n * If you're making an adapter, import types from `@trpc/server`.\n */\n"
    files = {
        f"src/adapters/a{n}.ts": header + f"import x from './x';\nexport const a{n} = 1;\n"
        for n in range(3)
    }
    files["src/adapters/x.ts"] = "export default 1;\n"
    files["src/pair/one.ts"] = "// Shared by two.\n\nexport const one = 1;\n"
    files["src/pair/two.ts"] = "// Shared by two.\n\nexport const two = 2;\n"
    # a Go package comment in three files of one package is the package's (go doc joins them)
    for n in range(3):
        files[f"gopkg/f{n}.go"] = (
            f"// Package gopkg does Go things.\npackage gopkg\n\nfunc F{n}() {{}}\n"
        )
    files["go.mod"] = "module example.com/m\n\ngo 1.22\n"
    files["pkg/__init__.py"] = '"""Copyright 2020 Acme Inc. All rights reserved."""\n'
    write(tmp_path, files)
    mapped, result = module_map(tmp_path)
    purposes = {m["path"]: m["purpose"] for m in result.output["modules"]}
    assert [purposes[f"src/adapters/a{n}.ts"] for n in range(3)] == ["", "", ""]
    assert purposes["src/pair/one.ts"] == "Shared by two."  # two files: kept
    assert purposes["gopkg/f0.go"] == "Does Go things."
    packages = {p["folder"]: p["purpose"] for p in result.output["go_packages"]}
    assert packages["gopkg"] == "Does Go things."
    assert facts_of(mapped, "pkg/__init__.py")["docstring"] == ""  # a licence docstring
