"""The published manual is self-contained: no page, style sheet or script loads anything from another host.

An intranet without internet access must show the manual complete, with its search, fonts and diagrams.
Links to other sites (<a href>, such as ISO's Online Browsing Platform) are fine: they load nothing by themselves.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from conftest import ROOT, mkdocs_build

# tags and attributes that make a browser fetch something as the page loads
RESOURCE_ATTRS = {
    ("script", "src"), ("img", "src"), ("img", "srcset"), ("source", "src"), ("source", "srcset"),
    ("iframe", "src"), ("frame", "src"), ("embed", "src"), ("object", "data"), ("video", "src"),
    ("video", "poster"), ("audio", "src"), ("track", "src"), ("input", "src"), ("image", "href"),
    ("use", "href"), ("image", "xlink:href"), ("use", "xlink:href"),
}
LOADING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "prefetch",
                "preconnect", "dns-prefetch", "manifest", "mask-icon"}
CSS_URL = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')]+)["']?\s*\)""", re.I)
JS_URL = re.compile(r"""["'`]((?:https?:)?//[^"'`\s]+)["'`]""")
RESOURCE_LIKE = re.compile(r"\.(?:m?js|css|woff2?|ttf|otf|eot|json|wasm)(?:[?#]|$)|^(?:https?:)?//(?:unpkg\.com|"
                           r"cdn\.|cdnjs\.|fonts\.googleapis\.com|fonts\.gstatic\.com|ajax\.googleapis\.com|"
                           r"api\.github\.com)|^https?://\$\{", re.I)
# Material for MkDocs' bundle names these, but fetches them only in the case given; each case is checked below.
MATERIAL_GUARDED = {
    "https://unpkg.com/mermaid@": "only when a page has a diagram and no mermaid of its own",
    "https://unpkg.com/resize-observer-polyfill": "only in browsers without ResizeObserver (none current)",
    "https://api.github.com/": "only with repo_url set (the repository widget)",
    "https://${e}/api/v4/projects/": "only with repo_url set (the repository widget)",
}


def is_external(url: str) -> bool:
    """Whether a URL names another host (http, https or protocol-relative), not a file of the site."""
    url = url.strip()
    if url.startswith("//"):
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname not in ("localhost", "127.0.0.1")


class _Resources(HTMLParser):
    """Collects what a page loads: (tag, attribute, URL), inline styles included."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        for name, value in values.items():
            if (tag, name) in RESOURCE_ATTRS:
                for url in (value.split(",") if name.endswith("srcset") else [value]):
                    self.found.append((tag, name, url.strip().split(" ")[0]))
            if name == "style":
                self.found += [(tag, "style", u) for u in css_urls(value)]
        if tag == "link" and set(values.get("rel", "").lower().split()) & LOADING_RELS:
            self.found.append((tag, "href", values.get("href", "")))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += [("style", "css", u) for u in css_urls(data)]


def css_urls(css: str) -> list[str]:
    """URLs that CSS text imports or loads (fonts, images); data: URLs left out."""
    urls = [m.group(1) or m.group(2) for m in CSS_URL.finditer(css)]
    return [u for u in urls if u and not u.startswith("data:")]


def page_resources(html: str) -> list[tuple[str, str, str]]:
    parser = _Resources()
    parser.feed(html)
    return parser.found


def external_loads_of_site(site: Path) -> list[str]:
    """Every resource of another host that the site's HTML or CSS loads, as 'file: what'."""
    found = []
    for path in sorted(site.rglob("*.html")):
        for tag, attr, url in page_resources(path.read_text(encoding="utf-8")):
            if is_external(url):
                found.append(f"{path.relative_to(site)}: <{tag} {attr}={url}>")
    for path in sorted(site.rglob("*.css")):
        for url in css_urls(path.read_text(encoding="utf-8")):
            if is_external(url):
                found.append(f"{path.relative_to(site)}: {url}")
    return found


def script_urls(site: Path) -> dict[str, list[str]]:
    """External, resource-like URLs written in the site's scripts, by file."""
    found: dict[str, list[str]] = {}
    for path in sorted(site.rglob("*.js")):
        urls = [m.group(1) for m in JS_URL.finditer(path.read_text(encoding="utf-8", errors="replace"))]
        urls = [u for u in urls if RESOURCE_LIKE.search(u) and (is_external(u) or u.startswith("https://${"))]
        if urls:
            found[str(path.relative_to(site))] = urls
    return found


# --- the example company's manual ------------------------------------------------------------------------

def test_no_page_or_style_sheet_loads_anything_from_another_host(example_site: Path):
    pages = list(example_site.rglob("*.html"))
    assert len(pages) > 50
    assert external_loads_of_site(example_site) == []


def test_the_theme_loads_no_web_fonts(example_site: Path):
    for path in [*example_site.rglob("*.html"), *example_site.rglob("*.css")]:
        text = path.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, path


def test_scripts_fetch_from_other_hosts_only_in_cases_that_never_arise_here(example_site: Path):
    for file, urls in script_urls(example_site).items():
        for url in urls:
            assert any(url.startswith(prefix) for prefix in MATERIAL_GUARDED), f"{file}: loads {url}"
    # the cases: every page with a diagram loads the engine's own mermaid before the theme's script ...
    diagrams = 0
    for path in example_site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        if 'class="mermaid"' not in html:
            continue
        diagrams += 1
        scripts = [url for tag, _, url in page_resources(html) if tag == "script"]
        local = next((i for i, u in enumerate(scripts) if u.endswith("assets/qms/mermaid.min.js")), None)
        bundle = next(i for i, u in enumerate(scripts) if "assets/javascripts/bundle." in u)
        assert local is not None and local < bundle, f"{path}: a diagram without the local mermaid first"
    assert diagrams >= 1, "the example has diagrams (process map, organisation chart)"
    assert (example_site / "assets/qms/mermaid.min.js").stat().st_size > 1_000_000
    # ... and no page shows the repository widget that calls GitHub's or GitLab's API
    for path in example_site.rglob("*.html"):
        assert 'data-md-component="source"' not in path.read_text(encoding="utf-8"), path


def test_search_runs_from_files_of_the_site(example_site: Path):
    index = json.loads((example_site / "search/search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"] for doc in index["docs"]}
    assert "glossary/#nonconformity" in locations
    assert any(loc.startswith("procedures/QP-13-") for loc in locations)
    home = (example_site / "index.html").read_text(encoding="utf-8")
    config = json.loads(re.search(r'<script id="__config" type="application/json">(.*?)</script>', home, re.S)[1])
    assert not is_external(config["search"]), config["search"]
    assert (example_site / config["search"].lstrip("./")).is_file() or \
        (example_site / re.sub(r"^(\.\./|\./)+", "", config["search"])).is_file()


def test_the_scanner_finds_what_a_cdn_page_would_load():
    html = ('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
            '<script src="//cdn.example.org/x.js"></script><img srcset="a.png 1x, https://x.org/b.png 2x">'
            '<div style="background:url(\'https://x.org/bg.png\')"></div><style>@import "https://x.org/s.css";</style>'
            '<a href="https://www.iso.org/obp/ui/">ISO</a><script src="assets/local.js"></script>')
    external = [url for _, _, url in page_resources(html) if is_external(url)]
    assert external == ["https://fonts.googleapis.com/css?family=Roboto", "//cdn.example.org/x.js",
                        "https://x.org/b.png", "https://x.org/bg.png", "https://x.org/s.css"]


# --- a new company's manual -----------------------------------------------------------------------------------

def test_a_new_company_manual_is_self_contained_too(new_project: Path):
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    assert external_loads_of_site(new_project / "site") == []
    assert (ROOT / "tools/qms/assets/mermaid.min.js").is_file()


def test_the_page_hooks_add_the_local_mermaid_and_the_search_name_once():
    from qms.adapters.published import with_local_mermaid, with_named_search

    html = ('<div class="md-search" data-md-component="search" role="dialog"></div><pre class="mermaid">'
            '<code>flowchart LR</code></pre><script src="../assets/javascripts/bundle.js"></script></body>')
    once = with_named_search(with_local_mermaid(html, "../assets/qms/mermaid.min.js"))
    assert with_named_search(with_local_mermaid(once, "../assets/qms/mermaid.min.js")) == once
    assert once.count('aria-label="Search"') == 1
    assert once.index('src="../assets/qms/mermaid.min.js"') < once.index('src="../assets/javascripts/bundle.js"')
