"""Purposes read from comments the way real TS and Go code writes them (cobra, tRPC, preact)."""

from __future__ import annotations

from swath.analyzers.sgfacts import go_facts, script_facts


def docs(facts: dict) -> dict[str, str]:
    return {s["name"]: s["doc"] for s in facts["symbols"]}


def test_a_wrapped_go_doc_comment_gives_its_first_sentence_not_its_last_line() -> None:
    # cobra's command.go:44-48 and doc/man_docs.go:90-94
    text = (
        "// Package cobra is a commander providing a simple interface.\npackage cobra\n\n"
        "// Command is just that, a command for your application.\n"
        "// E.g.  'go run ...' - 'run' is the command. Cobra requires\n"
        "// you to define the usage and description as part of your command\n"
        "// definition to ensure usability.\n"
        "type Command struct {\n}\n\n"
        "// GenManHeader is a lot like the .TH header at the start of man pages. These\n"
        "// include the title.\n"
        "//\n"
        "//nolint:revive\n"
        "type GenManHeader struct{}\n"
    )
    facts = go_facts("command.go", text)
    assert docs(facts) == {
        "Command": "Command is just that, a command for your application.",
        "GenManHeader": "GenManHeader is a lot like the .TH header at the start of man pages.",
    }
    # "Package cobra is a commander…" reads as a purpose, not "is a commander…"
    assert facts["docstring"] == "A commander providing a simple interface."
    remote = go_facts("remote/remote.go", "// Package remote integrates X.\npackage remote\n")
    assert remote["docstring"] == "Integrates X."


def test_a_file_purpose_is_no_lint_directive_rule_or_first_declarations_jsdoc() -> None:
    # tRPC's adapters/node-http/writeResponse.ts:1
    directive = "// oxlint-disable-next-line no-restricted-imports\nimport { a } from './a';\n"
    assert script_facts("w.ts", directive, "typescript")["docstring"] == ""
    # tRPC's unstable-core-do-not-import/types.ts:1-5
    framed = (
        "/**\n * ================================\n * Useful utility types\n"
        " * ================================\n */\n\n/** @public */\nexport type A = 1;\n"
    )
    assert script_facts("t.ts", framed, "typescript")["docstring"] == "Useful utility types"
    # tRPC's unstable-core-do-not-import/utils.ts:1-5: UnsetMarker's doc, not the file's
    first_decl = (
        "/**\n * Marks a type a builder hasn't set yet.\n * @internal\n */\nexport type U = 1;\n"
        "/** Is it an object? */\nexport function isObject() {}\n"
    )
    facts = script_facts("utils.ts", first_decl, "typescript")
    assert facts["docstring"] == ""
    assert docs(facts) == {
        "U": "Marks a type a builder hasn't set yet.",
        "isObject": "Is it an object?",
    }
    # …but a file named after its opening declaration, or with it as its only export, is
    # about it (tanstack's subscribable.ts, tRPC's pathSeparator.ts)
    namesake = (
        "/**\n * The base class of what you can subscribe to.\n */\nexport class Subscribable {}\n"
    )
    namesake += "export type Listener = () => void;\n"
    assert script_facts("src/subscribable.ts", namesake, "typescript")["docstring"] == (
        "The base class of what you can subscribe to."
    )
    only = (
        "/** The character between a path's segments. */\nexport const SEP = '~';\nconst x = 1;\n"
    )
    assert script_facts("pathSeparator.ts", only, "typescript")["docstring"] == (
        "The character between a path's segments."
    )
    tagged = "/**\n * @fileoverview\n * Helpers for builders.\n */\nexport type U = 1;\n"
    assert script_facts("u.ts", tagged, "typescript")["docstring"] == "Helpers for builders."
    # a header comment over the imports is the file's (tRPC's adapters/express.ts:1-10)
    header = (
        "/**\n * If you're making an adapter, read this.\n */\nimport type * as e from 'express';\n"
    )
    assert script_facts("e.ts", header, "typescript")["docstring"] == (
        "If you're making an adapter, read this."
    )


def test_a_symbols_doc_skips_directives_and_todos() -> None:
    # preact's src/index.d.ts:118-119 and :294-296
    text = (
        "import x from './x';\n\n"
        "// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging\n"
        "export interface Component {}\n\n"
        "// TODO: Revisit what the public type of this is...\n"
        "export const Fragment: number;\n\n"
        "/** Renders a tree. */\n// eslint-disable-next-line no-var\n"
        "export function render() {}\n"
    )
    assert docs(script_facts("index.d.ts", text, "typescript")) == {
        "Component": "",
        "Fragment": "",
        "render": "Renders a tree.",
    }


def test_a_line_comment_over_the_first_statement_is_still_the_files() -> None:
    text = "// Small Express server for health checks.\nconst express = require('express');\n"
    assert script_facts("index.js", text, "javascript")["docstring"] == (
        "Small Express server for health checks."
    )
