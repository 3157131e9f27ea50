"""`mkdocs build --strict` publishes the manual, and fails on each kind of broken reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT, mkdocs_build, page

QP = "procedures/QP-01-control-of-documented-information.md"
QP_EXAMPLE = next(p.relative_to(ROOT).as_posix() for p in (ROOT / "procedures").glob("QP-13-*.md"))


# --- the example company's manual ------------------------------------------------------------------

def test_home_page_links_the_main_sections(example_site: Path):
    html = page(example_site, "index.md")
    assert "Aldwick Precision" in html
    for target in ("glossary/", "documents/", "iso9001/", "matrix/"):
        assert f'href="{target}"' in html or f'href="./{target}"' in html, target


def test_every_procedure_is_published_with_its_metadata_block(example_site: Path):
    for src in sorted((ROOT / "procedures").glob("*.md")):
        html = page(example_site, f"procedures/{src.name}")
        meta = re.search(r'<div class="qms-docmeta">(.*?)</div>', html, re.S)
        assert meta, src.name
        block = meta.group(1)
        doc_id = src.name.split("-")[0] + "-" + src.name.split("-")[1]
        assert doc_id in block
        for label in ("Revision", "Status", "Owner", "ISO 9001"):
            assert label in block, (src.name, label)
        assert re.search(r'href="\.\./\.\./iso9001/[0-9-]+/"', block), src.name


def test_procedure_title_is_id_and_title(example_site: Path):
    html = page(example_site, QP_EXAMPLE)
    assert re.search(r"<h1[^>]*>QP-13 ", html)
    assert re.search(r"<title>QP-13 ", html)


def test_term_links_go_to_the_glossary_entry_with_our_explanation_as_tooltip(example_site: Path):
    html = page(example_site, QP_EXAMPLE)
    links = re.findall(r'<a class="qms-term" href="([^"]+)" title="([^"]+)">([^<]+)</a>', html)
    assert links, "no term links on the page"
    href, title, text = next(link for link in links if "nonconformit" in link[2].lower())
    assert href == "../../glossary/#nonconformity"
    assert title.startswith("nonconformity (ISO 9000 3.6.9): ")
    glossary = page(example_site, "glossary.md")
    assert 'id="nonconformity"' in glossary


def test_glossary_has_all_terms_with_obp_links_and_the_documents_using_them(example_site: Path):
    html = page(example_site, "glossary.md")
    assert len(re.findall(r'<h3 id="[a-z0-9-]+"', html)) == 138
    assert html.count("https://www.iso.org/obp/ui/#iso:std:iso:9000:ed-4:v1:en:term:") >= 138
    entry = html.split('id="nonconformity"', 1)[1].split("<h3", 1)[0]
    assert "Used in:" in entry and "QP-13" in entry
    assert "are not ISO text" in html  # attribution line


def test_clause_pages_list_the_documents_that_address_them(example_site: Path):
    html = page(example_site, "iso9001/8-7.md")
    assert "Control of nonconforming outputs" in html
    assert "QP-13" in html
    untitled = page(example_site, "iso9001/8-7-2.md")
    assert "gives this item no title" in untitled or "label written for this manual" in untitled
    assert "Retain (records as evidence)" in untitled
    index = page(example_site, "iso9001/index.md")
    assert index.count('href="8-7-2/"') >= 1 and "10.3" in index


def test_post_delivery_clause_applies_and_names_its_procedure(example_site: Path):
    html = page(example_site, "iso9001/8-5-5.md")  # the example declares nothing not applicable
    assert "QP-18" in html and "Post-delivery activities" in html
    assert "Not applicable" not in html


def test_matrix_and_master_list(example_site: Path):
    matrix = page(example_site, "matrix.md")
    assert "●" in matrix and "QP-13" in matrix and "QP-18" in matrix and "n/a" not in matrix  # nothing not applicable
    master = page(example_site, "documents.md")
    for doc_id in ("POL-01", "QM-03", "QP-01", "QP-17", "WI-01", "F-01"):
        assert f">{doc_id}<" in master or f"| {doc_id} |" in master or f"<td>{doc_id}</td>" in master, doc_id


def test_search_index_contains_procedures_and_glossary(example_site: Path):
    index = (example_site / "search" / "search_index.json").read_text()
    assert "procedures/QP-13" in index and "glossary/#nonconformity" in index


# --- a broken reference fails the strict build, naming the file and the reference ------------------

@pytest.mark.parametrize("old,new,expected", [
    ("{{ term('documented information') }}", "{{ term('documented infomation') }}",
     f"{QP}:20: unknown term 'documented infomation'"),
    ("({{ clause('7.5') }})", "({{ clause('7.5.9') }})", f"{QP}:21: unknown clause '7.5.9'"),
    ("(QP-99)", "(QP-99)", None),
    ("related: [QM-01]", "related: [QP-99]", f"{QP}:9: related: unknown document id 'QP-99'"),
    ("status: draft", "status: retired", f"{QP}:6: status: 'retired' is not one of"),
    ("type: procedure", "type: memo", f"{QP}:4: type: 'memo' is not one of"),
])
def test_strict_build_fails_on_each_broken_reference(new_project: Path, old: str, new: str, expected: str | None):
    path = new_project / QP
    text = path.read_text()
    if expected is None:  # a doc() reference to an unknown id in the body
        expected = f"{QP}:{text.count(chr(10)) + 2}: unknown document id 'QP-99'"
        text += "\nSee {{ doc('QP-99') }}.\n"
    else:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text)
    result = mkdocs_build(new_project)
    assert result.returncode == 1, result.output
    assert expected in result.output, result.output[-3000:]
    assert "Traceback" not in result.output


def test_strict_build_fails_on_unknown_record_type_in_a_macro(new_project: Path):
    path = new_project / QP
    text = path.read_text()
    path.write_text(text + "\nKeep a {{ record_type('calibraton') }}.\n")
    result = mkdocs_build(new_project)
    assert result.returncode == 1
    assert f"{QP}:{text.count(chr(10)) + 2}: unknown record type 'calibraton'" in result.output


def test_reference_built_at_render_time_is_still_checked(new_project: Path):
    """A term name computed in the template escapes the static scan but not the build."""
    path = new_project / QP
    path.write_text(path.read_text() + "\n{% set t = 'nonconformty' %}See {{ term(t) }}.\n")
    result = mkdocs_build(new_project)
    assert result.returncode == 1
    assert f"{QP}: unknown term 'nonconformty'" in result.output


# --- records, registers and reports are published ------------------------------------------------

def test_registers_and_reports_are_in_the_manual(example_site: Path):
    for src in ("registers/calibration-status.md", "registers/training-matrix.md", "registers/corrective-actions.md",
                "records/calibration.md", "reports/gap-analysis.md", "reports/review-schedule.md",
                "reports/management-review-pack.md", "reports/tasks/index.md", "changes/index.md"):
        assert "<h1" in page(example_site, src), src
    calendar = (example_site / "reports" / "tasks" / "all-tasks.ics").read_text()
    assert calendar.startswith("BEGIN:VCALENDAR") and "RRULE:" in calendar
    pack = page(example_site, "reports/management-review-pack.md")
    assert "<svg" in pack  # charts rendered at build time, no external service
    # an audit moved to another month shows both months, the day and the reason of the re-plan
    programme = page(example_site, "registers/audit-programme.md")
    assert "2026-07 → 2026-12 (re-planned on 2026-07-01: The Sales Manager, who owns the process" in programme


def test_record_type_page_names_the_clause_that_requires_it(example_site: Path):
    html = page(example_site, "records/calibration.md")
    assert "7.1.5.1" in html and "QP-04" in html
