"""Ruby checks (Flipper, GitLab's `Feature`) rewritten with ast-grep; every result parses."""

from __future__ import annotations

import shutil
import subprocess
import textwrap

import pytest
from ast_grep_py import SgRoot

from swath.analyzers.flags.rewrite import rewrite_file

CALLS = {"enabled?", "disabled?"}


def fix(src: str, value: bool, key: str = "new_search", **kw: object) -> str:
    result = rewrite_file(
        textwrap.dedent(src).lstrip("\n"),
        "ruby",
        key,
        value,
        CALLS,
        negated_calls={"disabled?"},
        **kw,
    )
    assert result.error is None, result.error
    out = result.new_text
    assert SgRoot(out, "ruby").root().find(kind="ERROR") is None, out
    ruby = shutil.which("ruby")
    if ruby is not None:  # Ruby's own parser, where it is installed
        proc = subprocess.run([ruby, "-c"], input=out, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr + out
    return out


def test_if_elsif_else_keeps_the_branch_that_survives() -> None:
    src = """
        def index
          if Feature.enabled?(:new_search, current_user)
            render :new
            log "new"
          elsif Flipper.enabled?(:fast_path)
            render :fast
          else
            render :old
          end
        end
        """
    assert fix(src, True) == 'def index\n  render :new\n  log "new"\nend\n'
    # Off: the chain goes on as an `if`.
    assert fix(src, False) == (
        "def index\n  if Flipper.enabled?(:fast_path)\n    render :fast\n  else\n"
        "    render :old\n  end\nend\n"
    )


def test_an_elsif_decided_on_becomes_the_else() -> None:
    src = """
        if ready?
          go
        elsif Feature.enabled?(:new_search)
          search
        else
          legacy
        end
        """
    assert fix(src, True) == "if ready?\n  go\nelse\n  search\nend\n"
    assert fix(src, False) == "if ready?\n  go\nelse\n  legacy\nend\n"


def test_unless_modifiers_negation_and_boolean_operators() -> None:
    src = """
        def show
          return cached if Feature.enabled?(:new_search)
          warn "old" unless Feature.enabled?(:new_search)
          unless Feature.disabled?(:new_search) || admin?
            deny
          end
          if !Feature.enabled?(:new_search) && ready?
            legacy
          end
          total if ready? && Feature.enabled?(:new_search)
        end
        """
    on = fix(src, True)
    assert "return cached\n" in on and "warn" not in on and "legacy" not in on
    # disabled? is false: `false || admin?` is `admin?`; `ready? && true` is `ready?`.
    assert "  unless admin?\n    deny\n  end\n" in on and "  total if ready?\n" in on
    off = fix(src, False)
    assert "cached" not in off and '  warn "old"\n' in off and "deny" not in off
    # `ready?` may be a method call: kept where it runs before the check.
    assert "total if ready? && false" in off


def test_ternaries_values_and_constants_holding_the_key() -> None:
    src = """
        NEW_SEARCH = :new_search
        label = Feature.enabled?(NEW_SEARCH) ? "new" : "old"
        notify(Feature.enabled?("new_search"))
        """
    out = fix(src, True, key_aliases={"NEW_SEARCH"})
    assert 'label = "new"\n' in out and "notify(true)" in out


def test_other_keys_and_other_calls_are_left_alone() -> None:
    src = "if Feature.enabled?(:other)\n  x\nend\nif Feature.enabled_for?(:new_search)\n  y\nend\n"
    result = rewrite_file(src, "ruby", "new_search", True, CALLS)
    assert result.new_text == src and result.error


@pytest.mark.parametrize("value", [True, False])
def test_every_result_parses_on_a_mixed_file(value: bool) -> None:
    src = """
        class SearchController < ApplicationController
          def index
            if Feature.enabled?(:new_search, current_user) && params[:q]
              render :new
            end
            @v = Feature.enabled?(:new_search) ? 1 : 2
            head :ok unless Feature.disabled?(:new_search)
          end
        end
        """
    fix(src, value)
