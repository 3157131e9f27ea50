"""The published manual works in a real browser: Debian's Chromium, driven by Playwright, on the example site.

One browser for the session; the site is served by Python's http.server on 127.0.0.1. Every test checks that
the page logged no console error and that no request left localhost (requests elsewhere are blocked and
recorded). Screenshots go to test-output/browser/ for review. axe-core (tests/vendor/axe.min.js, MPL-2.0) checks
the key page types for serious or critical accessibility violations.
"""

from __future__ import annotations

import re

import pytest

from browserkit import AXE, Tab

PROCEDURE = "procedures/QP-09-production-planning-and-control/"
NONCONFORMING = "procedures/QP-13-control-of-nonconforming-outputs/"
CLAUSE = "iso9001/8-7/"
GAP_ANALYSIS = "reports/gap-analysis/"
PROCESS_MAP = "manual/QM-04-process-map/"


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
    assert "Revision" in header and "Signatures" in header, header
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
