"""mkdocs-macros, as the qms plugin uses it: the link macros, the page sandbox, and the harmless old imports.

The qms plugin registers term(), clause(), doc() and record_type() with the mkdocs-macros plugin of the same build
(its `register_macros` API for other plugins), so a company's macros.py holds only macros of its own. Before
mkdocs-macros renders a page, `sandbox()` makes sure the Jinja environment it renders with is the page sandbox
(qms.render.sandbox): this is the one hook point through which every page rendered by mkdocs-macros passes.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from mkdocs.exceptions import PluginError
from mkdocs_macros.plugin import MacrosPlugin

from qms.adapters import legacy
from qms.problems import Problem
from qms.render.links import Linker
from qms.render.sandbox import PageSandbox, sandboxed

log = logging.getLogger("mkdocs.plugins.qms")

LINK_MACROS = ("term", "clause", "doc", "record_type")
SAFE_CONFIG_KEYS = ("site_name", "site_url", "site_description", "site_author", "repo_url", "repo_name",
                    "copyright", "extra")

# What a link macro needs from the build: the linker, the page being rendered (docs uri, path shown in messages),
# and where to report a reference that does not resolve.
Linking = Callable[[], Linker]
CurrentPage = Callable[[], tuple[str, str]]
Report = Callable[[Problem], None]


def find(config: Any) -> MacrosPlugin | None:
    """The mkdocs-macros plugin of this build, if mkdocs.yml lists it."""
    return next((p for p in config.plugins.values() if isinstance(p, MacrosPlugin)), None)


def safe_config(config: Any) -> dict:
    """The few config values a page may show; the full MkDocs config stays out of the pages' reach."""
    return {key: config.get(key) for key in SAFE_CONFIG_KEYS}


def link_macro(kind: str, linker: Linking, page: CurrentPage, report: Report) -> Callable[..., str]:
    """The macro `kind`('id'[, 'text shown']): a link, or a marked broken reference and a reported problem."""

    def render(value: str, text: str | None = None) -> str:
        uri, path = page()
        markdown, problem = getattr(linker(), kind)(value, text, uri, path)
        if problem is not None:
            report(problem)
        return markdown

    render.__name__ = kind
    render.__doc__ = f"Link to a {kind.replace('_', ' ')}: {kind}('id'[, 'text shown'])."
    return render


def register(macros: MacrosPlugin, config: Any, linker: Linking, page: CurrentPage, report: Report) -> None:
    """Give mkdocs-macros the link macros, and hide the raw MkDocs config from pages (after its on_config)."""
    items = {kind: link_macro(kind, linker, page, report) for kind in LINK_MACROS}
    taken = sorted(set(items) & set(macros.macros))
    if taken:
        module = macros.config.get("module_name") or "main"
        raise PluginError(f"{module}.py: defines {', '.join(f'{name}()' for name in taken)}, which the qms plugin "
                          "provides: rename yours (or delete it, if it only imports the engine's)")
    macros.register_macros(items)
    macros.variables["config"] = safe_config(config)


def sandbox(macros: MacrosPlugin, on_error: Callable[[BaseException, int], None]) -> PageSandbox:
    """THE hook point of the page sandbox: the Jinja environment mkdocs-macros renders the next page with becomes
    (or stays) a PageSandbox, whose template errors go to `on_error` (error, line in the page's body)."""
    box = sandboxed(macros.env)
    macros._env = box  # noqa: SLF001 - mkdocs-macros has no public setter for its environment
    box.on_error = on_error
    return box


# ----------------------------------------------------------------------------------------------
# macros.py files written before qms was a plugin import these two names: they keep importing, and do nothing.

def define_env(env: Any) -> None:
    """Old macros.py files import this. With the qms plugin listed, nothing is left to do (the plugin registers
    the macros); without it, the build stops with the message that says how to move to the plugin."""
    legacy.require_plugin(env.conf)
    log.info(f"{env.config.get('module_name') or 'main'}.py: the line "
             "`from qms.adapters.macros import define_env, on_pre_page_macros` is no longer needed: delete it")


def on_pre_page_macros(env: Any) -> None:
    """Old macros.py files import this; the qms plugin now applies the page sandbox itself (see `sandbox`)."""
