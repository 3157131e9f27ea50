"""MkDocs hooks that finish each published page: self-contained (nothing loaded from outside the site) and
accessible where Material's markup falls short of an automated accessibility check.

Material for MkDocs draws ```mermaid diagrams with a script it fetches from a CDN (unpkg.com) unless a
`mermaid` object already exists. On the pages that hold a diagram, these hooks load the copy of mermaid
shipped with the engine (assets/mermaid.min.js, MIT licence) before Material's own script, and copy it into
the site, so an intranet without internet access shows the diagrams too.

Material's search box is a `role="dialog"` without a name; screen readers announce it as "Search".

Register with `hooks:` in mkdocs.yml (this file's path), or import both functions into the hooks shim.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mkdocs.utils import get_relative_url

from qms import package

ASSETS = package.ASSETS
MERMAID = ASSETS / "mermaid.min.js"
MERMAID_URI = "assets/qms/mermaid.min.js"
_BUNDLE = '<script src="'
_SEARCH_DIALOG = 'data-md-component="search" role="dialog"'

_used = {"mermaid": False}


def needs_mermaid(html: str) -> bool:
    """Whether a built page holds a diagram Material would draw with mermaid."""
    return 'class="mermaid"' in html


def with_local_mermaid(html: str, src: str) -> str:
    """The page with a <script> loading mermaid from `src` placed before the first script that has a src."""
    tag = f'<script src="{src}"></script>\n'
    if tag in html:  # already there: the hooks may be registered twice
        return html
    index = html.find(_BUNDLE)
    if index < 0:
        index = html.find("</body>")
    return html[:index] + tag + html[index:] if index >= 0 else html + tag


def with_named_search(html: str) -> str:
    """The page with Material's search dialog named for assistive technology."""
    named = _SEARCH_DIALOG + ' aria-label="Search"'
    return html if named in html else html.replace(_SEARCH_DIALOG, named, 1)


def on_post_page(output: str, page: Any, config: Any) -> str:
    output = with_named_search(output)
    if not needs_mermaid(output):
        return output
    _used["mermaid"] = True
    return with_local_mermaid(output, get_relative_url(MERMAID_URI, page.url))


def on_post_build(config: Any) -> None:
    if _used["mermaid"]:
        target = Path(config.site_dir) / MERMAID_URI
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MERMAID, target)
