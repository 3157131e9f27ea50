"""A new company's site opens from disk: `site/index.html` from a file share, with working links and search.

`qms init` writes `use_directory_urls: false` and Material's offline plugin into mkdocs.yml, so every link names
an .html file and the search index is a script the page loads without a web server. Tested in Chromium from a
file:// URL, the way a reader opens it from a shared drive.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import mkdocs_build, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def offline_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("offline")
    project = base / "manual"
    result = run(["qms", "init", str(project), "--company", "Bramwell Lighting Ltd", "--code", "BWL"], cwd=base)
    assert result.returncode == 0, result.output
    result = mkdocs_build(project)
    assert result.returncode == 0, result.output
    return project / "site"


def test_links_from_disk_open_pages_not_folder_listings(offline_site: Path):
    html = (offline_site / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"#:]+)"', html)
    internal = [h for h in hrefs if not h.startswith(("http", "mailto", "/"))]
    assert internal, "the home page links to the manual's pages"
    pages = [h for h in internal if not h.endswith((".css", ".js", ".ico", ".png", ".svg", ".xml"))]
    assert all(h.endswith(".html") for h in pages), [h for h in pages if not h.endswith(".html")]
    assert all((offline_site / h).is_file() for h in pages), [h for h in pages if not (offline_site / h).is_file()]
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert "assets/qms/iframe-worker-shim.js" in scripts and (offline_site / "assets/qms/iframe-worker-shim.js").is_file()
    assert not [s for s in scripts if "//" in s], scripts  # search from disk loads nothing from the internet


def test_site_opened_from_a_file_url_navigates_and_searches(offline_site: Path, browser):  # noqa: ANN001 - the session's Chromium (conftest.py)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    context.route("http*://**/*", lambda route, request: (errors.append(f"left the disk: {request.url}"),
                                                          route.abort()))
    page.goto((offline_site / "index.html").as_uri(), wait_until="load")
    assert "Bramwell Lighting Ltd" in page.inner_text("article")
    page.locator("article a", has_text="Quality manual").first.click()
    page.wait_for_load_state("load")
    assert page.url.startswith("file://") and page.url.endswith("QM-01-quality-manual.html")
    assert "QM-01" in page.inner_text("article h1")
    page.locator("input.md-search__input").fill("documented information")
    page.locator(".md-search-result__item").first.wait_for()
    hrefs = page.eval_on_selector_all(".md-search-result__item a", "links => links.map(a => a.href)")
    assert any("QP-01-control-of-documented-information.html" in h for h in hrefs), hrefs
    page.locator(".md-search-result__item a[href*='QP-01-']").first.click()
    page.wait_for_load_state("load")
    assert "Control of documented information" in page.inner_text("article h1")
    assert not errors, errors
    context.close()
