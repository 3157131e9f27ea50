"""Manuals wired before qms was a plugin: a hooks file (`qms_hooks.py`, or this repository's
`tools/qms/adapters/hooks.py`), settings under `extra.qms`, and a macros.py importing the engine's macros.

Those files import names from qms.adapters.hooks, qms.adapters.mkdocs, qms.adapters.published and
qms.adapters.macros; the names still import, and the build stops at once with the one message of
`qms.config.OldWiring` (what to change, or `qms upgrade`), raised as a PluginError so `mkdocs serve` keeps running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

from qms.config import PLUGIN, old_wiring
from qms.problems import QMSError

FALLBACK = ("the qms engine is now a MkDocs plugin: list `- qms` under plugins: in mkdocs.yml (before `- macros`), "
            "move the settings from extra.qms into its options, and delete the qms hooks file from hooks:")


def _stop(config: Any) -> PluginError:
    """The PluginError carrying the one message for this manual's mkdocs.yml."""
    try:
        problem = old_wiring(Path(config.config_file_path)).problem() if config.config_file_path else None
    except (OSError, QMSError):
        problem = None
    return PluginError(str(problem) if problem is not None else FALLBACK)


def require_plugin(config: Any) -> None:
    """Stop the build with the message when mkdocs.yml does not list the qms plugin (old macros.py imports)."""
    if not any(name.split(" #")[0] == PLUGIN for name in config.plugins):
        raise _stop(config)


def on_config(config: Any) -> Any:
    """An old hooks file is listed in mkdocs.yml: stop with the message (the plugin does the work now)."""
    raise _stop(config)


def _unused(*args: Any, **kwargs: Any) -> None:
    """Never runs: on_config stops the build first."""


on_files = on_nav = on_page_markdown = on_page_content = on_serve = on_post_page = on_post_build = _unused
