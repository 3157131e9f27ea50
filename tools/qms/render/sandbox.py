"""A Jinja sandbox for rendering pages written by anyone who can open a pull request.

mkdocs-macros renders pages with a plain Jinja Environment, in which a page can reach Python's
`os` module (`{{ cycler.__init__.__globals__.os.popen('id').read() }}`). The sandbox below refuses
dunder and private attributes and any change to a list, dict or set (Jinja's
ImmutableSandboxedEnvironment), and additionally any module object and any method of the build
machinery, so that a page can call the macros and read variables, and nothing else.

What a page sees is read-only and its own: mkdocs-macros' `navigation`, `files`, `plugin`, `git`,
`environment` and `context()` are not there at all (one page could otherwise retitle or empty the
navigation of every page), `page` is a read-only summary of the page itself, and every other variable
is a read-only copy. A page's work is bounded (see Budget): `**` and `*` that would make huge numbers,
strings or lists, format widths, output size and time; each fails the page with its line instead of
hanging or exhausting the CI machine.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import re
import threading
import types
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable

from jinja2 import (BaseLoader, Environment, FileSystemLoader, Template, TemplateNotFound,
                    TemplateSyntaxError)
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from qms import files
from qms.model.codespans import LITERAL_HINT

# Objects whose methods a page may not call: the build machinery (MkDocs, its plugins, Jinja itself).
_BLOCKED_MODULE_PREFIXES = ("mkdocs", "material", "jinja2", "mkdocs_macros", "pymdownx", "markdown",
                            "git", "subprocess", "os", "sys", "importlib", "builtins.type")


# mkdocs-macros' variables and macros a page never sees: the live build objects and the dump of all of them.
HIDDEN = frozenset({"navigation", "files", "plugin", "git", "environment", "context", "macros_info", "macros",
                    "filters", "filters_builtin", "render_file"})
# What one page may cost (the sizes are far above what a manual's page needs).
TIME_LIMIT = 5.0  # seconds of rendering per page
MAX_OUTPUT = 5_000_000  # characters a page's template may produce
MAX_ITEMS = 1_000_000  # characters of a string, or items of a list, that `*` may make
MAX_BITS = 100_000  # bits of an integer that `**` or `*` may make (about 30 000 digits)
MAX_WIDTH = 100_000  # width in a format (`'%9999999d'`, `'{:9999999}'`, center(), indent()...)
_WIDE_FORMAT = re.compile(r"\d{%d,}|%%[^a-zA-Z%%]*\*" % len(str(MAX_WIDTH)))
_NESTED_SPEC = re.compile(r"\{[^{}]*:[^{}]*\{")
_SIZED_FILTERS = ("center", "indent", "wordwrap", "truncate", "format", "batch", "slice")


class BudgetExceeded(SecurityError):
    """A page asked for more work than a page may do (see the limits above)."""


def _from_build_machinery(obj: Any) -> bool:
    module = getattr(type(obj), "__module__", "") or ""
    return module.startswith(_BLOCKED_MODULE_PREFIXES)


def template_line(exc: BaseException) -> int:
    """Line of the template where `exc` happened (1-based), 0 when unknown."""
    if isinstance(exc, TemplateSyntaxError) and exc.lineno:
        return exc.lineno
    if getattr(exc, "lineno", 0):
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
    if isinstance(exc, BudgetExceeded):
        return f"the page does too much work: {exc}; a page's template may only make small values quickly"
    if isinstance(exc, MemoryError):
        return "the page does too much work: its template ran out of memory"
    if isinstance(exc, RecursionError):
        return "the page does too much work: its template nests too deeply"
    if name == "SecurityError":
        if any(f"of '{kind}' object is unsafe" in str(exc) for kind in ("list", "dict", "set", "deque")):
            return (f"blocked by the page sandbox ({exc}); pages may read values but not change them "
                    "(a change would reach every other page)")
        return f"blocked by the page sandbox ({exc}); pages may only use the manual's macros and variables"
    if name == "UndefinedError":
        return (f"{exc}: use one of the manual's macros (term, clause, doc, record_type) or a defined variable; "
                f"{LITERAL_HINT}")
    if isinstance(exc, TemplateSyntaxError):
        return f"template syntax error: {exc.message}: {LITERAL_HINT}"
    return f"{name}: {exc}"


class PageTemplate(Template):
    """A page's template: with the environment's `on_error` set, an error while rendering goes to it, and the
    page's text comes back as it was written (the caller fails the page; see PageSandbox)."""

    source: str = ""

    def render(self, *args: Any, **kwargs: Any) -> str:
        given = dict(*args, **kwargs)
        on_error = getattr(self.environment, "on_error", None)
        if on_error is None:
            return self._bounded(given)
        try:
            return self._bounded(given)
        except Exception as exc:  # noqa: BLE001 - every template error (and MemoryError) goes to on_error
            on_error(exc, template_line(exc))
            return self.source

    def _bounded(self, given: dict) -> str:
        """The rendered text, within the page's time and output budget, from read-only copies of `given`."""
        budget = [MAX_ITEMS]
        ctx = self.new_context({k: read_only(v, budget) for k, v in given.items() if k not in HIDDEN})
        out: list[str] = []
        size = 0
        try:
            with Budget(TIME_LIMIT):
                chunks = self.root_render_func(ctx)
                for chunk in chunks:
                    size += len(chunk)
                    if size > MAX_OUTPUT:
                        frame = getattr(chunks, "gi_frame", None)
                        too_much = BudgetExceeded(f"it would produce more than {MAX_OUTPUT:,} characters")
                        too_much.lineno = self.get_corresponding_lineno(frame.f_lineno) if frame else 0
                        raise too_much
                    out.append(chunk)
        except Exception:
            self.environment.handle_exception()  # raises it again, with the page's own line numbers
        return "".join(out)


class PageSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment that also hides modules and the build machinery's methods, and bounds work.

    `on_error`, when set, receives every template error (syntax or rendering) with its line, instead of the
    caller, which gets the page's text back unrendered. The MkDocs plugin uses it to record `path:line: reason`
    and fail the page once mkdocs-macros is done with it: no traceback, and mkdocs-macros' own handling (which
    exits the process under `on_error_fail`) never sees the error, so `mkdocs serve` keeps running.
    """

    template_class = PageTemplate
    on_error: Callable[[BaseException, int], None] | None = None
    intercepted_binops = frozenset({"**", "*", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
            return left ** right
        if operator == "*":
            _check_product(left, right)
            return left * right
        if isinstance(left, str):
            _check_format(left)
        return left % right

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            _check_format(owner)
            if _NESTED_SPEC.search(owner):
                raise BudgetExceeded(f"the format {_short(owner)!r} takes its width from a value")
        return super().wrap_str_format(value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_sizes(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

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
    box.globals.update({k: v for k, v in env.globals.items() if k not in box.globals and k not in HIDDEN})
    box.filters.update(env.filters)
    for name in _SIZED_FILTERS:
        if name in box.filters:
            box.filters[name] = _sized(box.filters[name])
    box.tests.update(env.tests)
    return box


class _Unrendered:
    """What a page whose template does not parse renders to: its text as written (the error is reported)."""

    def __init__(self, source: str):
        self.source = source

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.source


# -- what a page sees ----------------------------------------------------------------------------------------------

def read_only(value: Any, budget: list[int] | None = None) -> Any:
    """A read-only copy of plain data (dicts, lists, sets), a summary of a page, other values as they are.

    At most MAX_ITEMS values are copied (a YAML alias bomb in front matter is small text and a huge tree)."""
    budget = [MAX_ITEMS] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise BudgetExceeded(f"the page's variables hold more than {MAX_ITEMS:,} values")
    if isinstance(value, (str, int, float, bool, type(None), dt.date)):
        return value
    if isinstance(value, MappingProxyType):
        return value
    if isinstance(value, Mapping):  # a dict, or MkDocs' config sections (UserDicts)
        return MappingProxyType({k: read_only(v, budget) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(read_only(v, budget) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(read_only(v, budget) for v in value if isinstance(v, (str, int, float, tuple)))
    if type(value).__name__ == "Page" and type(value).__module__.startswith("mkdocs"):
        return page_summary(value, budget)
    if _from_build_machinery(value) and not callable(value):
        return None  # a live object of the build (a Config, Navigation, File): never shared with a page
    return value


def page_summary(page: Any, budget: list[int] | None = None) -> MappingProxyType:
    """What a page may know about itself: its title, url, source path and front matter (read-only)."""
    file = getattr(page, "file", None)
    return MappingProxyType({
        "title": str(getattr(page, "title", "") or ""),
        "url": str(getattr(page, "url", "") or ""),
        "meta": read_only(dict(getattr(page, "meta", {}) or {}), budget),
        "file": MappingProxyType({"src_uri": getattr(file, "src_uri", None),
                                  "src_path": getattr(file, "src_path", None)}),
        "is_homepage": bool(getattr(page, "is_homepage", False)),
    })


# -- what a page may cost ------------------------------------------------------------------------------------------

def _check_power(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool) and right > 0:
        if abs(left) > 1 and right * max(abs(left).bit_length() - 1, 1) > MAX_BITS:
            raise BudgetExceeded(f"{_short(left)} ** {_short(right)} is too large a number")


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_BITS:
            raise BudgetExceeded("the product is too large a number")
        return
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_ITEMS:
            raise BudgetExceeded(f"repeating a {type(seq).__name__} {_short(times)} times makes more than "
                                 f"{MAX_ITEMS:,} items")


def _check_format(fmt: str) -> None:
    if _WIDE_FORMAT.search(fmt):
        raise BudgetExceeded(f"the format {_short(fmt)!r} asks for a width of more than {MAX_WIDTH:,}")


def _check_sizes(args: tuple, kwargs: dict) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_BITS:
            raise BudgetExceeded("a number passed to a call is too large")


def _sized(func: Callable) -> Callable:
    """A filter whose width, count or size arguments (after the value) may not exceed MAX_WIDTH."""
    passes_context = getattr(func, "jinja_pass_arg", None) is not None

    def bounded(*args: Any, **kwargs: Any) -> Any:
        given = args[1:] if passes_context else args
        value, params = (given[0], given[1:]) if given else (None, ())
        for param in (*params, *kwargs.values()):
            if isinstance(param, int) and not isinstance(param, bool) and abs(param) > MAX_WIDTH:
                raise BudgetExceeded(f"{func.__name__.removeprefix('do_')}() with {_short(param)} is too wide")
        if func.__name__ == "do_format" and isinstance(value, str):
            _check_format(value)
        return func(*args, **kwargs)

    for attr in ("jinja_pass_arg", "__name__", "__doc__"):
        if hasattr(func, attr):
            setattr(bounded, attr, getattr(func, attr))
    return bounded


def _short(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 128:
        return f"a number of {value.bit_length():,} bits"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Budget:
    """A time limit on the current thread: past it, BudgetExceeded is raised inside the rendering (between two
    Python steps, so also in a loop that produces nothing)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.thread = threading.get_ident()
        self.lock = threading.Lock()
        self.done = False
        self.fired = False
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True

    def _expire(self) -> None:
        with self.lock:
            if not self.done:
                self.fired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread),
                                                           ctypes.py_object(_TimeUp))

    def __enter__(self) -> "Budget":
        self.timer.start()
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        self.timer.cancel()
        with self.lock:
            self.done = True
            if self.fired and kind is None:  # fired just as the page finished: take the exception back
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread), None)
        if kind is not None and issubclass(kind, _TimeUp):
            raise BudgetExceeded(f"rendering took more than {self.seconds:g} seconds").with_traceback(tb)
        return False


class _TimeUp(BaseException):  # not an Exception: no `except Exception` inside a template's code swallows it
    """Raised asynchronously in the rendering thread when its Budget runs out."""
