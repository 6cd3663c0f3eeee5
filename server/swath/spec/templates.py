"""Sandboxed Jinja2 for prompt templates and `filter.where` expressions.

Workflow files are shared in repositories and may come from a model (`swath new`), so
templates run in Jinja's immutable sandbox: no attribute access to internals, no
mutation of the records they see. StrictUndefined turns a typo such as `{{ itme.path }}`
into an error instead of an empty string silently sent to the model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel


class PromptError(ValueError):
    """A template or expression that failed while rendering/evaluating, with the reason."""


def _json_default(obj: Any) -> Any:
    # Records, items and findings are pydantic models; `{{ item | tojson }}` should just work.
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    return str(obj)


def _dumps(obj: Any, **kwargs: Any) -> str:
    kwargs.setdefault("default", _json_default)
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(obj, **kwargs)


def _make_env() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # prompts are plain text, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["json.dumps_function"] = _dumps
    env.policies["json.dumps_kwargs"] = {"sort_keys": True}
    return env


ENV = _make_env()


@lru_cache(maxsize=512)
def _compiled_template(template: str) -> Any:
    return ENV.from_string(template)


@lru_cache(maxsize=512)
def _compiled_expression(expr: str) -> Any:
    # undefined_to_none=False: the result is checked below so an undefined name fails loudly.
    return ENV.compile_expression(expr, undefined_to_none=False)


def render_prompt(template: str, context: dict[str, Any]) -> str:
    """Render a prompt template; raises PromptError saying what is wrong and which names exist."""
    try:
        return str(_compiled_template(template).render(**context))
    except TemplateSyntaxError as exc:
        raise PromptError(f"template syntax error on its line {exc.lineno}: {exc.message}") from exc
    except TemplateError as exc:
        raise PromptError(f"template failed: {exc}; available names: {_names(context)}") from exc


def compile_expression(expr: str) -> Callable[[dict[str, Any]], Any]:
    """Compile a `filter.where` expression into `f(context) -> value`.

    Raises PromptError at compile time for syntax errors; the returned function raises it
    for undefined names or failing operations.
    """
    try:
        compiled = _compiled_expression(expr)
    except TemplateSyntaxError as exc:
        raise PromptError(f"expression syntax error: {exc.message}") from exc

    def evaluate(context: dict[str, Any]) -> Any:
        try:
            value = compiled(**context)
            if isinstance(value, Undefined):
                value._fail_with_undefined_error()
            return value
        except TemplateError as exc:
            raise PromptError(
                f"expression `{expr}` failed: {exc}; available names: {_names(context)}"
            ) from exc

    return evaluate


def check_template(text: str) -> tuple[int, str] | None:
    """(1-based line within the template, message) for a syntax error, else None."""
    try:
        ENV.parse(text)
    except TemplateSyntaxError as exc:
        return (exc.lineno or 1), exc.message or "invalid template"
    return None


def check_expression(expr: str) -> tuple[int, str] | None:
    """Like check_template, for a bare expression (`output.score > 3`)."""
    try:
        _compiled_expression(expr)
    except TemplateSyntaxError as exc:
        return (exc.lineno or 1), exc.message or "invalid expression"
    return None


def _names(context: dict[str, Any]) -> str:
    return ", ".join(sorted(context)) or "(none)"
