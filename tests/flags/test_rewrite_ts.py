"""Removing a flag check from TypeScript / JavaScript / TSX: each shape, both values; the
result parses without ERROR nodes, the right branch survives, the rest is untouched."""

from __future__ import annotations

import textwrap

import pytest

from swath.analyzers.flags.rewrite import rewrite_file
from swath.analyzers.flags.rewrite_ts import has_errors

from .test_rewrite_python import assert_untouched_outside

CALLS = ["getBooleanValue", "isEnabled", "isOff", "variation", "boolVariation"]


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


SHAPES: dict[str, tuple[str, str, str, str]] = {  # name: (lang, source, when on, when off)
    "if_else": (
        "typescript",
        d("""
        function checkout(cart: Cart): string {
          // choose the flow
          if (client.isEnabled("new_checkout")) {
            const total = cart.total();
            if (total > 100) {
              discount(cart); // big baskets
            }
            return newFlow(cart, total);
          } else {
            return oldFlow(cart);
          }
        }
        """),
        d("""
        function checkout(cart: Cart): string {
          // choose the flow
          const total = cart.total();
          if (total > 100) {
            discount(cart); // big baskets
          }
          return newFlow(cart, total);
        }
        """),
        d("""
        function checkout(cart: Cart): string {
          // choose the flow
          return oldFlow(cart);
        }
        """),
    ),
    "if_only": (
        "javascript",
        d("""
        function f() {
          prepare();
          if (client.isEnabled('new_checkout')) {
            banner();
          }
          finish();
        }
        """),
        d("""
        function f() {
          prepare();
          banner();
          finish();
        }
        """),
        d("""
        function f() {
          prepare();
          finish();
        }
        """),
    ),
    "else_if_middle": (
        "typescript",
        d("""
        if (a) {
          one();
        } else if (client.isEnabled("new_checkout")) {
          two();
        } else if (b) {
          three();
        } else {
          four();
        }
        """),
        d("""
        if (a) {
          one();
        } else {
          two();
        }
        """),
        d("""
        if (a) {
          one();
        } else if (b) {
          three();
        } else {
          four();
        }
        """),
    ),
    "else_if_last": (
        "typescript",
        d("""
        if (a) {
          one();
        } else if (client.isEnabled("new_checkout")) {
          two();
        }
        done();
        """),
        d("""
        if (a) {
          one();
        } else {
          two();
        }
        done();
        """),
        d("""
        if (a) {
          one();
        }
        done();
        """),
    ),
    "not": (
        "typescript",
        d("""
        if (!client.isEnabled("new_checkout")) {
          legacy();
        } else {
          modern();
        }
        """),
        d("""
        modern();
        """),
        d("""
        legacy();
        """),
    ),
    "ternary": (
        "typescript",
        d("""
        const label = client.isEnabled("new_checkout") ? "Pay now" : "Checkout";
        """),
        d("""
        const label = "Pay now";
        """),
        d("""
        const label = "Checkout";
        """),
    ),
    "and_or": (
        "typescript",
        d("""
        if (user.beta && client.isEnabled("new_checkout")) {
          go();
        }
        if (client.isEnabled("new_checkout") || user.staff) {
          go2();
        }
        """),
        d("""
        if (user.beta) {
          go();
        }
        go2();
        """),
        d("""
        if (user.staff) {
          go2();
        }
        """),
    ),
    "variable": (
        "typescript",
        d("""
        export async function page(cart: Cart): Promise<string> {
          const useNew = await client.getBooleanValue("new_checkout", false);
          track("checkout", useNew);
          if (useNew) {
            return renderNew(cart);
          }
          return renderOld(cart);
        }
        """),
        d("""
        export async function page(cart: Cart): Promise<string> {
          track("checkout", true);
          return renderNew(cart);
        }
        """),
        d("""
        export async function page(cart: Cart): Promise<string> {
          track("checkout", false);
          return renderOld(cart);
        }
        """),
    ),
    "membership_has": (
        "typescript",
        d("""
        function options(mode: Set<Feature>): string[] {
          const out = ["standard"];
          if (mode.has(Feature.NEW_CHECKOUT)) {
            out.push("express");
          }
          return out;
        }
        """),
        d("""
        function options(mode: Set<Feature>): string[] {
          const out = ["standard"];
          out.push("express");
          return out;
        }
        """),
        d("""
        function options(mode: Set<Feature>): string[] {
          const out = ["standard"];
          return out;
        }
        """),
    ),
    "membership_in": (
        "javascript",
        d("""
        if ("new_checkout" in flags) {
          go();
        }
        done();
        """),
        d("""
        go();
        done();
        """),
        d("""
        done();
        """),
    ),
    "single_statement": (
        "typescript",
        d("""
        function f(): number {
          if (client.isEnabled("new_checkout")) return 1;
          return 2;
        }
        """),
        d("""
        function f(): number {
          return 1;
        }
        """),
        d("""
        function f(): number {
          return 2;
        }
        """),
    ),
    "negated_call": (
        "typescript",
        d("""
        if (gb.isOff("new_checkout")) {
          old();
        } else {
          fresh();
        }
        """),
        d("""
        fresh();
        """),
        d("""
        old();
        """),
    ),
    "optional_chain": (
        "typescript",
        d("""
        const on = ldClient?.variation("new_checkout", false);
        render(on ? newView() : oldView());
        """),
        d("""
        render(newView());
        """),
        d("""
        render(oldView());
        """),
    ),
    "jsx": (
        "tsx",
        d("""
        export function Page(): JSX.Element {
          const showNew = ldClient.variation("new_checkout", false);
          return (
            <div>
              {showNew && <NewCheckout />}
              {!showNew && <OldCheckout />}
              <Footer />
            </div>
          );
        }
        """),
        d("""
        export function Page(): JSX.Element {
          return (
            <div>
              <NewCheckout />
              <Footer />
            </div>
          );
        }
        """),
        d("""
        export function Page(): JSX.Element {
          return (
            <div>
              <OldCheckout />
              <Footer />
            </div>
          );
        }
        """),
    ),
}


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shapes(shape: str, value: bool) -> None:
    lang, src, when_on, when_off = SHAPES[shape]
    result = rewrite_file(
        src,
        lang,
        "new_checkout",
        value,
        CALLS,
        negated_calls=["isOff"],
        key_aliases=["Feature.NEW_CHECKOUT"],
    )
    assert result.error is None
    assert result.new_text == (when_on if value else when_off)
    assert not has_errors(result.new_text, lang)
    assert_untouched_outside(src, result.new_text)
    assert result.checks >= 1


def test_exported_variable_is_kept_and_others_untouched() -> None:
    src = d("""
        export const NEW = client.isEnabled("new_checkout");
        if (client.isEnabled("other")) { a(); }
        """)
    result = rewrite_file(src, "typescript", "new_checkout", True, CALLS)
    assert result.new_text == d("""
        export const NEW = true;
        if (client.isEnabled("other")) { a(); }
        """)


def test_side_effects_are_kept() -> None:
    src = 'if (refresh() && client.isEnabled("new_checkout")) { go(); }\n'
    result = rewrite_file(src, "typescript", "new_checkout", False, CALLS)
    assert "refresh()" in result.new_text and not has_errors(result.new_text, "typescript")


def test_shadowed_variable_is_not_inlined() -> None:
    src = d("""
        function f() {
          let on = client.isEnabled("new_checkout");
          on = on && beta;
          return on;
        }
        """)
    result = rewrite_file(src, "typescript", "new_checkout", True, CALLS)
    assert result.new_text == src.replace('client.isEnabled("new_checkout")', "true")


def test_dead_ranges_and_at() -> None:
    lang, src, _, _ = SHAPES["if_else"]
    result = rewrite_file(src, lang, "new_checkout", True, CALLS, at=(2, 20))
    assert [(r.start.line, r.end.line) for r in result.dead_ranges] == [(8, 10)]
    elsewhere = rewrite_file(src, lang, "new_checkout", True, CALLS, at=(0, 0))
    assert elsewhere.checks == 0 and elsewhere.new_text == src


def test_broken_source_is_not_rewritten() -> None:
    result = rewrite_file(
        "if (client.isEnabled('new_checkout') {\n", "typescript", "new_checkout", True, CALLS
    )
    assert result.error and result.checks == 0
