"""Removing a flag check from Python: each shape, both values; the result parses, the
right branch survives, and everything else is byte for byte what it was."""

from __future__ import annotations

import ast
import textwrap

import pytest

from swath.analyzers.flags.rewrite import minimal_edit, rewrite_file, unified_diff

CALLS = ["get_boolean_value", "is_enabled", "is_off", "variation"]
NEG = ["is_off"]


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def rewrite(src: str, value: bool, **kw):
    return rewrite_file(src, "python", "new_checkout", value, CALLS, negated_calls=NEG, **kw)


def assert_untouched_outside(old: str, new: str) -> None:
    """Lines before the first and after the last change are identical, byte for byte."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    assert a[:i] == b[:i] and a[len(a) - j :] == b[len(b) - j :]


SHAPES = {
    "if_else": (
        d("""
        def checkout(cart):
            # choose the flow
            if client.get_boolean_value("new_checkout", False):
                total = cart.total()
                if total > 100:
                    discount(cart)  # big baskets
                return new_flow(cart, total)
            else:
                return old_flow(cart)
        """),
        d("""
        def checkout(cart):
            # choose the flow
            total = cart.total()
            if total > 100:
                discount(cart)  # big baskets
            return new_flow(cart, total)
        """),
        d("""
        def checkout(cart):
            # choose the flow
            return old_flow(cart)
        """),
    ),
    "if_only": (
        d("""
        def f():
            prepare()
            if client.is_enabled("new_checkout"):
                banner()
            finish()
        """),
        d("""
        def f():
            prepare()
            banner()
            finish()
        """),
        d("""
        def f():
            prepare()
            finish()
        """),
    ),
    "elif_middle": (
        d("""
        if a:
            one()
        elif client.is_enabled("new_checkout"):
            two()
        elif b:
            three()
        else:
            four()
        """),
        d("""
        if a:
            one()
        else:
            two()
        """),
        d("""
        if a:
            one()
        elif b:
            three()
        else:
            four()
        """),
    ),
    "elif_head": (
        d("""
        if client.is_enabled("new_checkout"):
            one()
        elif b:
            two()
        """),
        d("""
        one()
        """),
        d("""
        if b:
            two()
        """),
    ),
    "not": (
        d("""
        if not client.is_enabled("new_checkout"):
            legacy()
        else:
            modern()
        """),
        d("""
        modern()
        """),
        d("""
        legacy()
        """),
    ),
    "ternary": (
        d("""
        label = "Pay now" if client.is_enabled("new_checkout") else "Checkout"
        """),
        d("""
        label = "Pay now"
        """),
        d("""
        label = "Checkout"
        """),
    ),
    "and": (
        d("""
        if user.beta and client.is_enabled("new_checkout"):
            go()
        done()
        """),
        d("""
        if user.beta:
            go()
        done()
        """),
        d("""
        done()
        """),
    ),
    "or": (
        d("""
        if client.is_enabled("new_checkout") or user.is_staff:
            go()
        """),
        d("""
        go()
        """),
        d("""
        if user.is_staff:
            go()
        """),
    ),
    "variable": (
        d("""
        def view(user):
            enabled = client.get_boolean_value("new_checkout", False)
            if enabled:
                page = new_page()
            else:
                page = old_page()
            log("checkout", enabled=enabled)
            return page
        """),
        d("""
        def view(user):
            page = new_page()
            log("checkout", enabled=True)
            return page
        """),
        d("""
        def view(user):
            page = old_page()
            log("checkout", enabled=False)
            return page
        """),
    ),
    "membership": (
        d("""
        def options(mode):
            out = ["standard"]
            if Feature.NEW_CHECKOUT in mode:
                out.append("express")
            return out
        """),
        d("""
        def options(mode):
            out = ["standard"]
            out.append("express")
            return out
        """),
        d("""
        def options(mode):
            out = ["standard"]
            return out
        """),
    ),
    "not_in": (  # membership means "on": `key in enabled_flags`
        d("""
        if "new_checkout" not in enabled_flags:
            legacy()
        done()
        """),
        d("""
        done()
        """),
        d("""
        legacy()
        done()
        """),
    ),
    "await": (
        d("""
        async def page():
            if await client.get_boolean_value("new_checkout", False):
                return await new()
            return await old()
        """),
        d("""
        async def page():
            return await new()
        """),
        d("""
        async def page():
            return await old()
        """),
    ),
    "early_return": (
        d("""
        def price(cart):
            if not client.is_enabled("new_checkout"):
                return cart.legacy_price()
            total = cart.price()
            return total
        """),
        d("""
        def price(cart):
            total = cart.price()
            return total
        """),
        d("""
        def price(cart):
            return cart.legacy_price()
        """),
    ),
    "negated_call": (
        d("""
        if gb.is_off("new_checkout"):
            old()
        else:
            new()
        """),
        d("""
        new()
        """),
        d("""
        old()
        """),
    ),
    "only_statement": (
        d("""
        class View:
            def render(self):
                if client.is_enabled("new_checkout"):
                    self.new()
        """),
        d("""
        class View:
            def render(self):
                self.new()
        """),
        d("""
        class View:
            def render(self):
                pass
        """),
    ),
    "one_liner": (
        d("""
        def f():
            if client.is_enabled("new_checkout"): return 1
            return 2
        """),
        d("""
        def f():
            return 1
        """),
        d("""
        def f():
            return 2
        """),
    ),
}


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shapes(shape: str, value: bool) -> None:
    src, when_on, when_off = SHAPES[shape]
    result = rewrite(src, value, key_aliases=["Feature.NEW_CHECKOUT"])
    assert result.error is None
    expected = when_on if value else when_off
    assert result.new_text == expected
    ast.parse(result.new_text)
    assert_untouched_outside(src, result.new_text)
    assert result.checks >= 1
    assert result.changed_ranges


def test_dead_ranges_point_at_the_branch_that_dies() -> None:
    src, _, _ = SHAPES["if_else"]
    on = rewrite(src, True)
    assert [(r.start.line, r.end.line) for r in on.dead_ranges] == [(7, 8)]  # the else
    off = rewrite(src, False)
    assert off.dead_ranges[0].start.line == 3  # the if body


def test_other_code_and_other_flags_are_left_alone() -> None:
    src = d("""
        if client.is_enabled("other_flag"):
            a()
        if True and x:
            b()
        if client.is_enabled("new_checkout"):
            c()
        """)
    result = rewrite(src, True)
    assert result.new_text == d("""
        if client.is_enabled("other_flag"):
            a()
        if True and x:
            b()
        c()
        """)


def test_side_effects_are_not_dropped() -> None:
    src = 'if refresh() and client.is_enabled("new_checkout"):\n    go()\n'
    result = rewrite(src, False)
    assert "refresh()" in result.new_text
    ast.parse(result.new_text)


def test_reassigned_variable_is_not_inlined() -> None:
    src = d("""
        def f():
            on = client.is_enabled("new_checkout")
            on = on and user.beta
            return on
        """)
    result = rewrite(src, True)
    assert result.new_text == d("""
        def f():
            on = True
            on = on and user.beta
            return on
        """)


def test_at_limits_the_rewrite_to_one_check() -> None:
    src = 'if client.is_enabled("new_checkout"):\n    a()\nif client.is_enabled("new_checkout"):\n    b()\n'
    result = rewrite(src, True, at=(2, 25))
    assert result.new_text == 'if client.is_enabled("new_checkout"):\n    a()\nb()\n'
    edit = minimal_edit(src, result.new_text)
    assert edit is not None
    rng, text = edit
    assert (rng.start.line, rng.start.character, rng.end.line) == (2, 0, 3) and text == "b()"


def test_check_texts_of_a_homegrown_system() -> None:
    src = "if features.enabled(Feature.NEW_CHECKOUT):\n    a()\nelse:\n    b()\n"
    result = rewrite_file(
        src,
        "python",
        "NEW_CHECKOUT",
        False,
        [],
        check_texts=["features.enabled(Feature.NEW_CHECKOUT)"],
    )
    assert result.new_text == "b()\n"


def test_syntax_errors_are_reported_not_rewritten() -> None:
    result = rewrite("if client.is_enabled('new_checkout'):\n  x(\n", True)
    assert result.error and result.new_text.startswith("if client")


def test_unified_diff_applies_with_git(tmp_path) -> None:
    import subprocess

    src, on, _ = SHAPES["if_else"]
    (tmp_path / "a.py").write_text(src)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    patch = unified_diff("a.py", src, on)
    assert patch.startswith("--- a/a.py\n+++ b/a.py\n")
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=patch, text=True, check=True)
    assert (tmp_path / "a.py").read_text() == on
