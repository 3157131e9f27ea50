"""The site plan is data in the core: every page the manual adds, the navigation and the document pages' decorations,
without MkDocs; the MkDocs plugin only translates it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import BIN, ROOT, SUITE_TODAY, copy_example, page, run

from qms.config import load_settings
from qms.site import plan

TODAY = dt.date.fromisoformat(SUITE_TODAY)


@pytest.fixture(scope="module")
def showcase() -> plan.Plan:
    settings = load_settings(ROOT / "mkdocs.yml")
    return plan.build(plan.load(settings, TODAY), TODAY)


def test_the_plan_is_made_without_mkdocs():
    script = ("import sys, datetime as dt\n"
              "from qms.config import load_settings\n"
              "from qms.site import plan\n"
              f"today = dt.date.fromisoformat({SUITE_TODAY!r})\n"
              f"built = plan.build(plan.load(load_settings(), today), today)\n"
              "assert built.pages and built.documents\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mkdocs', 'mkdocs_macros', 'material')))\n")
    result = run([str(BIN / "python"), "-c", script], cwd=ROOT)
    assert result.returncode == 0, result.output
    assert result.stdout.strip() == "[]", result.stdout


def test_every_planned_page_and_source_is_a_page_of_the_mkdocs_build(showcase: plan.Plan, example_site: Path):
    for planned in [*showcase.pages, *showcase.sources]:
        assert page(example_site, planned.uri), planned.uri
    for extra in showcase.files:
        assert (example_site / extra.uri).is_file(), extra.uri
    assert {s.uri for s in showcase.sources} == {p.src_uri for p in showcase.project.pages
                                                 if p.path.startswith("procedures/")}


def test_which_pages_the_navigation_lists_and_how_search_weighs_them(showcase: plan.Plan):
    pages = {p.uri: p for p in showcase.pages}
    assert pages["glossary.md"].in_nav and pages["glossary.md"].search_boost == 0.5
    assert pages["iso9001/index.md"].in_nav and not pages["iso9001/8-7.md"].in_nav  # a page per clause: by links
    assert pages["changes/index.md"].in_nav
    compare = next(p for uri, p in pages.items() if uri.startswith("changes/QP-01/"))
    assert not compare.in_nav and compare.search_exclude and compare.template == "qms-lite.html"
    assert any(f.uri.endswith(".ics") for f in showcase.files) and plan.CSS_URI in {f.uri for f in showcase.files}


def test_the_navigation_order_and_titles_are_data(showcase: plan.Plan):
    nav = showcase.navigation
    tops = sorted([("procedures/QP-01-control-of-documented-information.md", True), ("glossary.md", False),
                   ("index.md", False), ("manual/POL-01-quality-policy.md", True)], key=lambda t: nav.top_key(*t))
    assert [uri for uri, _ in tops] == ["index.md", "manual/POL-01-quality-policy.md",
                                        "procedures/QP-01-control-of-documented-information.md", "glossary.md"]
    assert nav.section_title("procedures/QP-01-control-of-documented-information.md", "Procedures dir") == "Procedures"
    assert nav.section_title("elsewhere/page.md", "Elsewhere") == "Elsewhere"
    manual = sorted(["manual/index.md", "manual/QM-01-introduction.md", "manual/POL-01-quality-policy.md"],
                    key=nav.child_key)
    # the policy first, then the manual's pages, pages that are not documents last
    assert manual == ["manual/POL-01-quality-policy.md", "manual/QM-01-introduction.md", "manual/index.md"]


def test_a_document_page_is_decorated_with_its_control_block_notices_and_history(showcase: plan.Plan):
    qp01 = showcase.documents["procedures/QP-01-control-of-documented-information.md"]
    assert qp01.title == "QP-01 Control of documented information" and qp01.nav_status is None
    decorated = qp01.decorate("BODY\n")
    assert decorated.startswith("# QP-01 Control of documented information\n")
    before, after = decorated.split("BODY\n")
    assert 'class="qms-docmeta"' in before and "| Approved by |" in before
    assert "## Cross-references" in after and "## Revision history" in after


def test_a_file_in_docs_with_the_path_of_a_generated_page_is_a_problem_not_a_silent_replacement(tmp_path: Path):
    project = copy_example(tmp_path)
    (project / "docs/glossary.md").write_text("# My own glossary\n")
    settings = load_settings(project / "mkdocs.yml")
    built = plan.build(plan.load(settings, TODAY), TODAY)
    assert "glossary.md" not in {p.uri for p in built.pages}
    assert any(p.path == "docs/glossary.md" and "has the path of a page the manual generates" in p.message
               for p in built.problems)
