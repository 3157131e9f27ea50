"""A Jinja sandbox for rendering pages written by anyone who can open a pull request.

mkdocs-macros renders pages with a plain Jinja Environment, in which a page can reach Python's
`os` module (`{{ cycler.__init__.__globals__.os.popen('id').read() }}`). The sandbox below refuses
dunder and private attributes (Jinja's SandboxedEnvironment), and additionally any module object
and any method of the build machinery, so that a page can call the macros and read variables,
and nothing else.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any, Callable

from jinja2 import BaseLoader, Environment, FileSystemLoader, Template, TemplateNotFound, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from qms import files

# Objects whose methods a page may not call: the build machinery (MkDocs, its plugins, Jinja itself).
_BLOCKED_MODULE_PREFIXES = ("mkdocs", "material", "jinja2", "mkdocs_macros", "pymdownx", "markdown",
                            "git", "subprocess", "os", "sys", "importlib", "builtins.type")


def _from_build_machinery(obj: Any) -> bool:
    module = getattr(type(obj), "__module__", "") or ""
    return module.startswith(_BLOCKED_MODULE_PREFIXES)


def template_line(exc: BaseException) -> int:
    """Line of the template where `exc` happened (1-based), 0 when unknown."""
    if isinstance(exc, TemplateSyntaxError) and exc.lineno:
        return exc.lineno
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def describe(exc: BaseException) -> str:
    """A one-line reason for a template error, without a traceback."""
    name = type(exc).__name__
    if name == "SecurityError":
        return f"blocked by the page sandbox ({exc}); pages may only use the manual's macros and variables"
    if name == "UndefinedError":
        return f"{exc}: use one of the manual's macros (term, clause, doc, record_type) or a defined variable"
    if isinstance(exc, TemplateSyntaxError):
        return f"template syntax error: {exc.message}"
    return f"{name}: {exc}"


class PageTemplate(Template):
    """A page's template: with the environment's `on_error` set, an error while rendering goes to it, and the
    page's text comes back as it was written (the caller fails the page; see PageSandbox)."""

    source: str = ""

    def render(self, *args: Any, **kwargs: Any) -> str:
        on_error = getattr(self.environment, "on_error", None)
        if on_error is None:
            return super().render(*args, **kwargs)
        try:
            return super().render(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every template error goes to on_error, with its line
            on_error(exc, template_line(exc))
            return self.source


class PageSandbox(SandboxedEnvironment):
    """SandboxedEnvironment that also hides modules and the build machinery's methods.

    `on_error`, when set, receives every template error (syntax or rendering) with its line, instead of the
    caller, which gets the page's text back unrendered. The MkDocs plugin uses it to record `path:line: reason`
    and fail the page once mkdocs-macros is done with it: no traceback, and mkdocs-macros' own handling (which
    exits the process under `on_error_fail`) never sees the error, so `mkdocs serve` keeps running.
    """

    template_class = PageTemplate
    on_error: Callable[[BaseException, int], None] | None = None

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Template:  # noqa: A002
        try:
            template = super().from_string(source, globals, template_class)
        except TemplateSyntaxError as exc:
            if self.on_error is None:
                raise
            self.on_error(exc, template_line(exc))
            return _Unrendered(source if isinstance(source, str) else "")
        if isinstance(template, PageTemplate) and isinstance(source, str):
            template.source = source
        return template

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, types.ModuleType) or isinstance(value, types.ModuleType):
            return False
        if isinstance(obj, type):  # classes: no way back to their functions' globals
            return False
        return super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, (types.MethodType, types.BuiltinMethodType)):
            owner = getattr(obj, "__self__", None)
            if owner is not None and not isinstance(owner, (str, int, float, list, dict, tuple)) \
                    and _from_build_machinery(owner):
                return False
        return super().is_safe_callable(obj)


class NoLinkLoader(BaseLoader):
    """A file-system loader for `{% include %}` that refuses a symlink, or a file outside its folders."""

    def __init__(self, inner: FileSystemLoader):
        self.inner = inner

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        if filename is not None:
            folders = [Path(os.path.abspath(p)) for p in self.inner.searchpath]
            path = Path(os.path.abspath(filename))
            base = next((f for f in folders if path.is_relative_to(f)), None)
            reason = files.unsafe_reason(base, path) if base is not None else "is outside the include folder"
            if reason is not None:
                raise TemplateNotFound(f"{template} {reason}")
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


def sandboxed(env: Environment) -> PageSandbox:
    """A PageSandbox with the same loader, delimiters, globals, filters and tests as `env`."""
    if isinstance(env, PageSandbox):
        return env
    loader = NoLinkLoader(env.loader) if isinstance(env.loader, FileSystemLoader) else env.loader
    box = PageSandbox(
        loader=loader,
        undefined=env.undefined,
        block_start_string=env.block_start_string,
        block_end_string=env.block_end_string,
        variable_start_string=env.variable_start_string,
        variable_end_string=env.variable_end_string,
        comment_start_string=env.comment_start_string,
        comment_end_string=env.comment_end_string,
        autoescape=env.autoescape,
    )
    # keep the sandbox's own safe versions of range() and friends
    box.globals.update({k: v for k, v in env.globals.items() if k not in box.globals})
    box.filters.update(env.filters)
    box.tests.update(env.tests)
    return box


class _Unrendered:
    """What a page whose template does not parse renders to: its text as written (the error is reported)."""

    def __init__(self, source: str):
        self.source = source

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.source
