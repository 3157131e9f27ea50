"""A Jinja sandbox for rendering pages written by anyone who can open a pull request.

mkdocs-macros renders pages with a plain Jinja Environment, in which a page can reach Python's
`os` module (`{{ cycler.__init__.__globals__.os.popen('id').read() }}`). The sandbox below refuses
dunder and private attributes (Jinja's SandboxedEnvironment), and additionally any module object
and any method of the build machinery, so that a page can call the macros and read variables,
and nothing else.
"""

from __future__ import annotations

import sys
import types
from typing import Any, Callable, NoReturn

from jinja2 import Environment, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

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


class PageSandbox(SandboxedEnvironment):
    """SandboxedEnvironment that also hides modules and the build machinery's methods.

    `on_error`, when set, receives every template error instead of the caller: the MkDocs adapter
    uses it to report `path:line: reason` and stop the build, without a traceback.
    """

    on_error: Callable[[BaseException, int], NoReturn] | None = None

    def handle_exception(self, source: str | None = None) -> NoReturn:
        if self.on_error is None:
            super().handle_exception(source)
        exc = sys.exc_info()[1]
        assert exc is not None
        try:
            super().handle_exception(source)  # rewrites the traceback so template lines are known
        except BaseException as rewritten:  # noqa: BLE001
            self.on_error(rewritten, template_line(rewritten))
        raise AssertionError("unreachable")  # pragma: no cover

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


def sandboxed(env: Environment) -> PageSandbox:
    """A PageSandbox with the same loader, delimiters, globals, filters and tests as `env`."""
    if isinstance(env, PageSandbox):
        return env
    box = PageSandbox(
        loader=env.loader,
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
