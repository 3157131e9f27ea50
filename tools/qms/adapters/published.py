"""What the qms plugin does to each published page so it is self-contained (nothing loaded from outside the site)
and accessible where Material's markup falls short of an automated accessibility check.

Material for MkDocs draws ```mermaid diagrams with a script it fetches from a CDN (unpkg.com) unless a
`mermaid` object already exists. On the pages that hold a diagram, the plugin loads the copy of mermaid
shipped with the engine (assets/mermaid.min.js, MIT licence) before Material's own script, and copies it into
the site, so an intranet without internet access shows the diagrams too.

Material's search box is a `role="dialog"` without a name; screen readers announce it as "Search".
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from mkdocs.utils import get_relative_url

from qms import package
from qms.render import forms
from qms.adapters.legacy import on_post_build, on_post_page  # noqa: F401 - names old hooks files import

MERMAID = package.ASSETS / "mermaid.min.js"
MERMAID_URI = "assets/qms/mermaid.min.js"
# Material's offline plugin makes search work from disk with the iframe-worker shim, which it would load from a
# CDN; the engine ships a copy (MIT, assets/iframe-worker.LICENSE.txt) so the site loads nothing from elsewhere.
IFRAME_WORKER = package.ASSETS / "iframe-worker-shim.js"
IFRAME_WORKER_URI = "assets/qms/iframe-worker-shim.js"
OFFLINE_PLUGINS = ("offline", "material/offline")


def local_polyfills(polyfills: list, plugins: object) -> list | None:
    """extra.polyfills with the local iframe-worker shim in place of the CDN's, when the offline plugin is on."""
    if not any(name in plugins for name in OFFLINE_PLUGINS):  # type: ignore[operator]
        return None
    kept = [url for url in polyfills if "iframe-worker" not in str(url)]
    return [*kept, IFRAME_WORKER_URI]


def copy_iframe_worker(site_dir: str | Path) -> None:
    """Put the local iframe-worker shim into the built site."""
    target = Path(site_dir) / IFRAME_WORKER_URI
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(IFRAME_WORKER, target)
_BUNDLE = '<script src="'
_SEARCH_DIALOG = 'data-md-component="search" role="dialog"'


def needs_mermaid(html: str) -> bool:
    """Whether a built page holds a diagram Material would draw with mermaid."""
    return 'class="mermaid"' in html


def with_local_mermaid(html: str, src: str) -> str:
    """The page with a <script> loading mermaid from `src` placed before the first script that has a src."""
    tag = f'<script src="{src}"></script>\n'
    if tag in html:  # already there
        return html
    index = html.find(_BUNDLE)
    if index < 0:
        index = html.find("</body>")
    return html[:index] + tag + html[index:] if index >= 0 else html + tag


def with_named_search(html: str) -> str:
    """The page with Material's search dialog named for assistive technology."""
    named = _SEARCH_DIALOG + ' aria-label="Search"'
    return html if named in html else html.replace(_SEARCH_DIALOG, named, 1)


_FORM = re.compile(r'<div class="qms-form" id="qms-form-([a-z0-9]+(?:-[a-z0-9]+)*)"')


def with_form_scripts(html: str, page_url: str) -> str:
    """A record form's page with its specification and the engine's form script (both files of the site), loaded
    after the page's text: the page sanitizer never lets a script through, so the plugin adds these two here."""
    match = _FORM.search(html)
    if match is None:
        return html
    tags = "".join(f'<script src="{get_relative_url(uri, page_url)}"></script>\n'
                   for uri in (forms.spec_uri(match.group(1)), forms.SCRIPT_URI))
    index = html.rfind("</body>")
    return html[:index] + tags + html[index:] if index >= 0 else html + tags


def finish_page(html: str, page_url: str) -> tuple[str, bool]:
    """A built page made self-contained and accessible, and whether it needs the local mermaid."""
    html = with_form_scripts(with_named_search(html), page_url)
    if not needs_mermaid(html):
        return html, False
    return with_local_mermaid(html, get_relative_url(MERMAID_URI, page_url)), True


def copy_mermaid(site_dir: str | Path) -> None:
    """Put the local mermaid into the built site."""
    target = Path(site_dir) / MERMAID_URI
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MERMAID, target)
