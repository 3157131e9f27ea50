"""The published manual works in a real browser: Debian's Chromium, driven by Playwright, on the example site.

One browser for the session; the site is served by Python's http.server on 127.0.0.1. Every test checks that
the page logged no console error and that no request left localhost (requests elsewhere are blocked and
recorded). Screenshots go to test-output/browser/ for review. axe-core (tests/vendor/axe.min.js, MPL-2.0) checks
the key page types for serious or critical accessibility violations.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest
from conftest import ROOT

OUT = ROOT / "test-output" / "browser"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 15_000

PROCEDURE = "procedures/QP-09-production-planning-and-control/"
NONCONFORMING = "procedures/QP-13-control-of-nonconforming-outputs/"
CLAUSE = "iso9001/8-7/"
GAP_ANALYSIS = "reports/gap-analysis/"
PROCESS_MAP = "manual/QM-04-process-map/"


def find_chromium() -> str | None:
    """Chromium's executable: $QMS_CHROMIUM, else the first of the usual names on PATH."""
    if os.environ.get("QMS_CHROMIUM"):
        return os.environ["QMS_CHROMIUM"]
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def site_url(example_site: Path) -> Iterator[str]:
    """The example site served on a free port of 127.0.0.1."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(example_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201 - playwright's Browser
    """One headless Chromium for the session; skipped with the reason when none can be had."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright's Python package is not installed (pip install -e '.[test]')")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium package (apt-get install chromium), "
                    "as .ci/run does, or set QMS_CHROMIUM to a Chromium executable")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, temporary user-data-dir of its own.
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A browser page on the served site that records console errors and requests leaving localhost."""

    page: object
    base: str
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        """Open a page of the site; fails at once when the site has no such page."""
        response = self.page.goto(self.base + path, wait_until="load")  # type: ignore[attr-defined]
        assert response is not None and response.status == 200, f"{path or '/'}: not in the built site"

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        path = OUT / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
        return path

    def assert_clean(self) -> None:
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.external_requests, f"requests that left localhost: {self.external_requests}"


@pytest.fixture
def tab(browser, site_url: str) -> Iterator[Tab]:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    result = Tab(page, site_url)
    local_host = urlsplit(site_url).netloc

    def route(route, request) -> None:  # noqa: ANN001
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != local_host:
            result.external_requests.append(request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    page.on("console", lambda msg: msg.type == "error" and result.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: result.console_errors.append(f"uncaught: {exc}"))
    yield result
    context.close()


def article_text(tab: Tab) -> str:
    return tab.page.inner_text("article")  # type: ignore[attr-defined]


# --- what a reader does ------------------------------------------------------------------------------------

def test_home_page_renders_with_navigation_and_search(tab: Tab):
    tab.goto("")
    page = tab.page
    assert "Quality Manual" in page.title()
    assert page.locator("article h1").first.is_visible()
    assert "Aldwick Precision" in article_text(tab)
    nav = page.locator("nav.md-nav--primary")
    assert nav.get_by_role("link", name=re.compile("Glossary")).count() >= 1
    assert page.locator("input.md-search__input").is_visible()
    tab.screenshot("home")
    tab.assert_clean()


def test_search_for_an_iso_term_finds_its_glossary_entry_and_the_procedures_using_it(tab: Tab):
    tab.goto("")
    page = tab.page
    page.locator("input.md-search__input").fill("nonconformity")
    page.locator(".md-search-result__item").first.wait_for()
    hrefs = page.eval_on_selector_all(".md-search-result__item a", "links => links.map(a => a.href)")
    assert any(re.search(r"/glossary/[^#]*#nonconformity$", h) for h in hrefs), hrefs
    assert any("/procedures/QP-13-" in h for h in hrefs), hrefs
    tab.screenshot("search-nonconformity")
    page.locator(".md-search-result__item a[href*='glossary/'][href$='#nonconformity']").first.click()
    page.wait_for_url(re.compile(r"/glossary/.*#nonconformity$"))
    assert page.locator("#nonconformity").is_visible()
    tab.assert_clean()


def test_term_link_shows_its_explanation_as_a_tooltip(tab: Tab):
    tab.goto(PROCEDURE)
    page = tab.page
    term = page.locator("article a.qms-term").first
    term.scroll_into_view_if_needed()
    term.hover()
    tooltip = page.get_by_role("tooltip").filter(has_text="ISO 9000 3.")
    tooltip.first.wait_for(state="visible")
    assert len(tooltip.first.inner_text()) > 40  # our explanation, not just the term
    tab.screenshot("term-tooltip")
    tab.assert_clean()


def test_procedure_page_shows_its_metadata_block_and_revision_history(tab: Tab):
    tab.goto(PROCEDURE)
    page = tab.page
    meta = page.locator(".qms-docmeta")
    assert meta.is_visible()
    text = meta.inner_text()
    for expected in ("QP-09", "Revision", "Status", "Owner", "ISO 9001"):
        assert expected in text, expected
    history = page.locator(".qms-history table")
    assert history.count() >= 1, "no revision history table (.qms-history) on the procedure page"
    header = history.first.locator("thead").inner_text()
    assert "Revision" in header and "Approved by" in header, header
    assert history.first.locator("tbody tr").count() >= 1
    tab.screenshot("procedure", full_page=True)
    tab.assert_clean()


def test_clause_page_and_procedure_link_both_ways(tab: Tab):
    tab.goto(CLAUSE)
    page = tab.page
    assert "Control of nonconforming outputs" in page.locator("article h1").inner_text()
    tab.screenshot("clause-8-7")
    page.locator(f"article table a[href*='{NONCONFORMING.split('/')[1]}']").first.click()
    page.wait_for_url(re.compile(re.escape(NONCONFORMING) + "$"))
    back = page.locator(".qms-docmeta a[href$='iso9001/8-7/']")
    assert back.count() == 1
    back.click()
    page.wait_for_url(re.compile(re.escape(CLAUSE) + "$"))
    tab.assert_clean()


def test_glossary_shows_every_term_with_its_explanation(tab: Tab):
    tab.goto("glossary/")
    page = tab.page
    assert page.locator("article h3[id]").count() == 138
    entry = page.locator("#nonconformity")
    entry.scroll_into_view_if_needed()
    assert entry.is_visible()
    tab.screenshot("glossary")
    tab.assert_clean()


def test_gap_analysis_report_renders(tab: Tab):
    tab.goto(GAP_ANALYSIS)
    page = tab.page
    assert re.search("gap", page.locator("article h1").inner_text(), re.I)
    assert page.locator("article table").count() >= 1
    tab.screenshot("gap-analysis", full_page=True)
    tab.assert_clean()


def test_authoring_guide_explains_changes_approvals_records_and_the_audit_trail(tab: Tab):
    tab.goto("authoring-guide/")
    page = tab.page
    assert "Authoring guide" in page.locator("article h1").inner_text()
    text = article_text(tab)
    for expected in ("Raise the revision", "revision:", "pull request", "Approved-by:", "Reviewed-by:",
                     "qms new record calibration", "qms record set ID", "qms new document", "Reading the audit trail"):
        assert expected in text, expected
    codes = page.locator("article table code").all_inner_texts()
    assert "{{ term('nonconformity') }}" in codes  # the macro shown as written, beside what it produces
    assert page.locator("article table a.qms-term").count() >= 1
    tab.screenshot("authoring-guide")
    tab.assert_clean()


def test_diagrams_draw_without_internet_access(tab: Tab):
    tab.goto(PROCESS_MAP)
    page = tab.page
    diagram = page.locator("article div.mermaid").first
    diagram.wait_for()
    page.wait_for_function("() => { const d = document.querySelector('article div.mermaid');"
                           " return d && d.getBoundingClientRect().height > 40; }")
    diagram.scroll_into_view_if_needed()
    tab.screenshot("process-map")
    tab.assert_clean()


# --- accessibility -------------------------------------------------------------------------------------------

A11Y_PAGES = {
    "home": "",
    "procedure": PROCEDURE,
    "glossary": "glossary/",
    "clause": CLAUSE,
    "master-list": "documents/",
    "gap-analysis": GAP_ANALYSIS,
}


@pytest.mark.parametrize("name", list(A11Y_PAGES))
def test_key_pages_have_no_serious_accessibility_violations(tab: Tab, name: str):
    tab.goto(A11Y_PAGES[name])
    page = tab.page
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    assert not violations, "\n".join(f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}" for v in violations)
    tab.assert_clean()
