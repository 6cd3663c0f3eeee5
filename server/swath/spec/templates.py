"""The one sandboxed Jinja2 environment: prompt templates and `filter.where` expressions.

Workflow files are shared in repositories and may come from a model (`swath new`), so
templates run in Jinja's immutable sandbox: no attribute access to internals, no
mutation of the records they see. Validation (here and in `checks.py`) and rendering
(`agents/prompts.py`, the engine's filter) use this same environment, so what loads is
what runs.

The policy on undefined values, in one place:
- an unknown *name* (`{{ itme.path }}`) is an error: at load time, where the file's names
  are checked against the names a step provides (`unknown_names`), and again when rendering;
- a missing *field* of a record that exists (`{{ f.history.since }}` when an analyzer left
  it out) reads as empty in text and false in tests, because model outputs and facts have
  optional fields a template cannot know; arithmetic or comparison on it still fails.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from types import CodeType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

# Jinja is imported when a template is first compiled, parsed or checked, not with this
# module (~10-15 ms of a one-shot run's start-up): a run without a model of a built-in
# workflow (its checks stored, `spec.compiled`) renders no template at all.
if TYPE_CHECKING:
    from jinja2 import Template, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

# What a model or analyzer agent's instructions see (built by agents/prompts.py).
AGENT_NAMES = frozenset({"item", "items", "records", "facts", "inputs", "step", "task_key"})
# What a `filter.where` expression sees (built by the engine for each record).
FILTER_NAMES = frozenset({"item", "items", "output", "judgement", "findings", "inputs", "key"})


class PromptError(ValueError):
    """A template or expression that failed while rendering/evaluating, with the reason."""


@lru_cache(maxsize=1)
def _undefined_class() -> type:
    """`NameStrictUndefined`, made when Jinja is first needed."""
    from jinja2 import ChainableUndefined
    from jinja2.exceptions import UndefinedError
    from jinja2.utils import missing

    class NameStrictUndefined(ChainableUndefined):
        """Strict for unknown names, chainable for missing fields of existing values."""

        __slots__ = ()

        def _unknown_name(self) -> bool:
            # The sandbox refusing an attribute (`__class__`) is never a quiet empty string.
            return self._undefined_obj is missing or self._undefined_exception is not UndefinedError

        def _fail_if_unknown_name(self) -> None:
            if self._unknown_name():
                self._fail_with_undefined_error()

        def __getattr__(self, name: str) -> Any:
            if name[:2] == "__":
                raise AttributeError(name)
            self._fail_if_unknown_name()
            return self

        def __getitem__(self, _name: Any) -> Any:
            self._fail_if_unknown_name()
            return self

        def __str__(self) -> str:
            self._fail_if_unknown_name()
            return ""

        def __iter__(self) -> Iterator[Any]:
            self._fail_if_unknown_name()
            return iter(())

        def __bool__(self) -> bool:
            self._fail_if_unknown_name()
            return False

        def __len__(self) -> int:
            self._fail_if_unknown_name()
            return 0

        def __eq__(self, other: object) -> bool:
            self._fail_if_unknown_name()
            return type(self) is type(other)

        def __ne__(self, other: object) -> bool:
            return not self.__eq__(other)

        def __hash__(self) -> int:
            return id(type(self))

    return NameStrictUndefined


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
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        undefined=_undefined_class(),
        autoescape=False,  # prompts are plain text, not HTML
        keep_trailing_newline=True,
    )
    env.policies["json.dumps_function"] = _dumps
    env.policies["json.dumps_kwargs"] = {"sort_keys": True}
    return env


_env_made: ImmutableSandboxedEnvironment | None = None
_env_lock = threading.Lock()


def _env() -> ImmutableSandboxedEnvironment:
    """The one environment (`ENV`), made on first use; every thread gets the same one."""
    global _env_made
    env = _env_made
    if env is None:
        with _env_lock:
            if _env_made is None:
                _env_made = _make_env()
            env = _env_made
    return env


def __getattr__(name: str) -> Any:
    # `templates.ENV` and `templates.NameStrictUndefined`, as when they were made on import.
    if name == "ENV":
        return _env()
    if name == "NameStrictUndefined":
        return _undefined_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# `lru_cache` does not hold back a second caller while the first computes: the tasks of a
# step start side by side on worker threads, and each compiled the same template (a review's
# five pass templates were compiled ~4 times each in a one-shot run, ~25 ms each). Compiling
# is pure Python under the GIL, so one lock for all templates costs no parallelism.
_compile_lock = threading.RLock()


def compile_template(template: str, *, persist: bool = False) -> Template:
    """The compiled template (cached); raises PromptError for a syntax error.

    `persist`: also keep the compiled code on disk for the next process (`_persisted`); for
    the package's own templates, a bounded set, never for a workflow's text being edited."""
    with _compile_lock:
        return _persisted(template) if persist else _compile_template(template)


@lru_cache(maxsize=512)
def _compile_template(template: str) -> Template:
    return _template_of(_code_of(template))  # what ENV.from_string does


def _code_of(template: str) -> CodeType:
    from jinja2 import TemplateSyntaxError

    try:
        return _env().compile(template)
    except TemplateSyntaxError as exc:
        raise PromptError(f"template syntax error on its line {exc.lineno}: {exc.message}") from exc


def _template_of(code: CodeType) -> Template:
    env = _env()
    return env.template_class.from_code(env, code, env.make_globals(None), None)


# Compiling a template is mostly Jinja generating Python source from its syntax tree (~4-10
# ms a pass prompt): a one-shot review compiled its five pass templates at every start
# (~30 ms of CPU). Jinja's own bytecode cache keeps the compiled code in a folder of the
# user's temporary directory that it checks is the user's own (mode 0700), under a file
# named from the key and checked against the source's sha1, Jinja's bytecode format and the
# Python version. The key here says what else shapes the code: this environment's settings,
# Jinja's version and Swath's.
def _cache_key() -> str:
    import jinja2

    from swath import __version__

    env = _env()
    finalize = getattr(env.finalize, "__qualname__", None)
    settings = (
        type(env).__qualname__,
        # What the lexer is made from (jinja2.lexer.get_lexer's key) and what the compiler reads.
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.autoescape,
        env.optimized,
        env.is_async,
        finalize,
        sorted(env.extensions),
    )
    return f"swath-{__version__}-jinja-{jinja2.__version__}-{settings!r}"


@lru_cache(maxsize=1)
def _bytecode_cache() -> Any:
    from jinja2.bccache import FileSystemBytecodeCache

    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no temporary folder that is safely the user's own
        return None


@lru_cache(maxsize=64)
def _persisted(template: str) -> Template:
    cache = _bytecode_cache()
    if cache is None:
        return _compile_template(template)
    # One file per template: Jinja names the file from the key alone.
    key = f"{_cache_key()}-{hashlib.sha256(template.encode('utf-8')).hexdigest()}"
    try:
        bucket = cache.get_bucket(_env(), key, None, template)
    except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
        return _compile_template(template)  # a file cut short or damaged: compile it here
    if bucket.code is None:
        bucket.code = _code_of(template)
        try:
            cache.set_bucket(bucket)  # Jinja writes a temporary file and renames it
        except OSError:  # a full or read-only disk: the next process compiles it again
            pass
    return _template_of(bucket.code)


def _compiled_expression(expr: str) -> Any:
    with _compile_lock:  # as compile_template: one compile per expression, whatever the threads
        return _compiled_expression_cached(expr)


@lru_cache(maxsize=512)
def _compiled_expression_cached(expr: str) -> Any:
    # undefined_to_none=False: the result is checked below so an undefined name fails loudly.
    return _env().compile_expression(expr, undefined_to_none=False)


def template_line(exc: BaseException) -> int | None:
    """The line of the template (1-based) a rendering error was raised on, if Jinja says."""
    line = None
    tb = exc.__traceback__
    while tb is not None:  # Jinja rewrites the traceback so template frames name "<template>"
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_prompt(template: str, context: dict[str, Any], *, persist: bool = False) -> str:
    """Render a prompt template; raises PromptError saying what is wrong and which names exist.

    Any error a template raises while rendering (`1/0`, a sandbox refusal, a bad filter
    argument) is a PromptError naming the template's line: a workflow's mistake, never a
    traceback. `persist`: as for `compile_template`.
    """
    compiled = compile_template(template, persist=persist)
    from jinja2.exceptions import TemplateError

    try:
        return str(compiled.render(**context))
    except Exception as exc:  # noqa: BLE001 - a template can raise anything; it is the user's bug
        line = template_line(exc)
        where = f" on its line {line}" if line else ""
        what = str(exc) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
        raise PromptError(
            f"template failed{where}: {what}; available names: {_names(context)}"
        ) from exc


def compile_expression(expr: str) -> Callable[[dict[str, Any]], Any]:
    """Compile a `filter.where` expression into `f(context) -> value`.

    Raises PromptError at compile time for syntax errors; the returned function raises it
    for undefined names or failing operations.
    """
    from jinja2 import TemplateSyntaxError, Undefined
    from jinja2.exceptions import TemplateError

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
    from jinja2 import TemplateSyntaxError

    try:
        _env().parse(text)
    except TemplateSyntaxError as exc:
        return (exc.lineno or 1), exc.message or "invalid template"
    return None


def check_expression(expr: str) -> tuple[int, str] | None:
    """Like check_template, for a bare expression (`output.score > 3`)."""
    from jinja2 import TemplateSyntaxError

    try:
        _compiled_expression(expr)
    except TemplateSyntaxError as exc:
        return (exc.lineno or 1), exc.message or "invalid expression"
    return None


@lru_cache(maxsize=512)
def template_names(source: str) -> frozenset[str]:
    """Top-level names a template reads from its context (`item`, `records`, ...)."""
    from jinja2 import TemplateSyntaxError, meta

    try:
        return frozenset(meta.find_undeclared_variables(_env().parse(source)))
    except TemplateSyntaxError:
        return frozenset()


def unknown_names(
    text: str, allowed: frozenset[str], inputs: set[str] | None = None, *, expression: bool = False
) -> list[tuple[int, str, str]]:
    """(1-based line, unknown name, what is wrong) for each name the context will not have.

    `inputs`, when given, are the workflow's declared inputs: `inputs.x` for an undeclared
    `x` is reported too. A template that does not parse yields nothing (its syntax error is
    reported on its own).
    """
    from jinja2 import TemplateSyntaxError, meta, nodes

    env = _env()
    try:
        tree = env.parse(f"{{{{ {text} }}}}" if expression else text)
    except TemplateSyntaxError:
        return []
    undeclared = set(meta.find_undeclared_variables(tree))
    free = undeclared - set(env.globals) - set(allowed)
    found: list[tuple[int, str, str]] = []
    reported: set[str] = set()
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name in free and node.name not in reported:
            reported.add(node.name)
            found.append((node.lineno, node.name, "name"))
    if inputs is not None and "inputs" in undeclared and "inputs" in allowed:
        for key, line in _input_keys(tree):
            if key not in inputs and f"inputs.{key}" not in reported:
                reported.add(f"inputs.{key}")
                found.append((line, key, "input"))
    return sorted(found)


def _input_keys(tree: nodes.Template) -> Iterator[tuple[str, int]]:
    from jinja2 import nodes

    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name == "inputs":
            yield node.attr, node.lineno
    for sub in tree.find_all(nodes.Getitem):
        if (
            isinstance(sub.node, nodes.Name)
            and sub.node.name == "inputs"
            and isinstance(sub.arg, nodes.Const)
            and isinstance(sub.arg.value, str)
        ):
            yield sub.arg.value, sub.lineno


def _names(context: dict[str, Any]) -> str:
    return ", ".join(sorted(context)) or "(none)"
