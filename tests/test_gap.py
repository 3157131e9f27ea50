"""Gap analysis: each clause is covered, partial, gap or not applicable, from documents, records and the assessment."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import strip_starter
from qms.analysis import gap
from qms.cli import app as cli
from qms.cli.init import create
from qms.config import load_settings
from qms.model.project import Project, load_project

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 26)

NCR_SCHEMA = """\
$schema: "https://json-schema.org/draft/2020-12/schema"
title: Nonconforming output
type: object
required: [id, date]
additionalProperties: false
properties:
  id: {type: string, pattern: "^NCR-[0-9]{4}-[0-9]{3}$"}
  date: {type: string, format: date}
x-qms:
  clauses: ["8.7", "8.7.2"]
  owner: quality-manager
  retention: "10 years"
  confidential: false
  date_field: date
"""


CONTEXT = ("Our issues are listed in the context register, reviewed every year by the managing director. Climate "
           "change is a relevant issue: flooding of the site is on the risk register.")
BODY = ("The quality manager keeps this procedure current, trains the people who use it and checks every "
        "month that the steps below are followed and recorded.")


def document(doc_id: str, clauses: list[str], status: str = "effective", extra: str = "", body: str = "") -> str:
    quoted = ", ".join(f'"{c}"' for c in clauses)
    return (f"---\nid: {doc_id}\ntitle: Document {doc_id}\ntype: procedure\nrevision: \"1\"\nstatus: {status}\n"
            f"owner: quality-manager\nclauses: [{quoted}]\nreview_interval: 12 months\n{extra}---\n\n{body or BODY}\n")


def make_project(tmp_path: Path, docs: dict[str, str], schemas: dict[str, str] | None = None,
                 records: dict[str, str] | None = None, assessment: str | None = None) -> Path:
    """A project from `qms init` with only the given documents, record schemas, records and assessment."""
    root = tmp_path / "qms"
    create(root, "Gap Testing Ltd", TODAY)
    strip_starter(root)
    for name, text in docs.items():
        (root / "procedures" / f"{name}.md").write_text(text)
    for type_id, text in (schemas or {}).items():
        (root / "records_schema" / f"{type_id}.schema.yaml").write_text(text)
    for rel, text in (records or {}).items():
        (root / "records" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "records" / rel).write_text(text)
    shutil.copy(ROOT / "records_schema" / gap.ASSESSMENT_SCHEMA, root / "records_schema" / gap.ASSESSMENT_SCHEMA)
    if assessment is not None:
        (root / gap.ASSESSMENT_FILE).write_text(assessment)
    return root


def load(root: Path) -> Project:
    return load_project(load_settings(root / "mkdocs.yml"))


def status(analysis: gap.GapAnalysis, clause: str) -> str:
    row = analysis.get(clause)
    assert row is not None, clause
    return row.status


def test_a_clause_no_document_lists_is_a_gap_and_a_listed_one_is_covered(tmp_path: Path):
    analysis = gap.analyse(load(make_project(tmp_path, {"QP-01": document("QP-01", ["7.4"])})))
    assert status(analysis, "7.4") == "covered"
    assert status(analysis, "7.3") == "gap"
    assert analysis.get("7.3").reasons == ("no document addresses it",)
    assert [d.id for d in analysis.get("7.4").documents] == ["QP-01"]


def test_every_clause_from_4_to_10_is_analysed_in_the_standards_order(tmp_path: Path):
    analysis = gap.analyse(load(make_project(tmp_path, {})))
    ids = [c.clause.id for c in analysis.clauses]
    assert ids[0] == "4" and ids[-1] == "10.3" and "8.7.2" in ids and "3" not in ids
    assert analysis.counts == {"covered": 0, "partial": 0, "gap": len(ids), "not applicable": 0}
    assert analysis.coverage == 0.0


def test_a_required_record_type_without_records_makes_the_clause_partial(tmp_path: Path):
    docs = {"QP-13": document("QP-13", ["8.7", "8.7.1", "8.7.2"])}
    root = make_project(tmp_path, docs, schemas={"nonconforming-output": NCR_SCHEMA})
    row = gap.analyse(load(root)).get("8.7.2")
    assert row.status == "partial"
    assert "retain 8.7.2: record type nonconforming-output has no records yet" in row.reasons
    [info] = row.information
    assert (info.item.kind, info.state, info.record_types) == ("retain", "no records", (("nonconforming-output", 0),))

    (root / "records" / "nonconforming-output").mkdir()
    (root / "records" / "nonconforming-output" / "NCR-2026-001.yaml").write_text("id: NCR-2026-001\ndate: 2026-03-02\n")
    row = gap.analyse(load(root)).get("8.7.2")
    assert row.status == "covered" and row.reasons == ()
    assert row.information[0].record_types == (("nonconforming-output", 1),)


def test_required_information_nobody_keeps_is_named(tmp_path: Path):
    row = gap.analyse(load(make_project(tmp_path, {"QP-12": document("QP-12", ["8.6"])}))).get("8.6")
    assert row.status == "partial"
    # the starter library has the type (qms init ships one for every retained item); nobody has kept a record yet
    assert row.reasons == ("retain 8.6: record type product-release has no records yet",)


def test_a_maintained_document_counts_only_when_effective(tmp_path: Path):
    docs = {"POL-01": document("POL-01", ["5.2", "5.2.1", "5.2.2"], status="draft")}
    analysis = gap.analyse(load(make_project(tmp_path, docs)))
    row = analysis.get("5.2.2")
    assert row.status == "partial"
    assert row.reasons[0] == "only draft documents address it: POL-01"
    assert row.information[0].state == "missing"


def test_a_clause_without_document_is_covered_when_all_its_subclauses_are(tmp_path: Path):
    docs = {"QP-07": document("QP-07", ["7.1.5.1", "7.1.5.2"]), "QP-08": document("QP-08", ["8.4.1"])}
    schemas = {"calibration": NCR_SCHEMA.replace('["8.7", "8.7.2"]', '["7.1.5.1", "7.1.5.2"]')
               .replace("NCR-", "CAL-")}
    records = {"calibration/CAL-2026-001.yaml": "id: CAL-2026-001\ndate: 2026-01-05\n"}
    analysis = gap.analyse(load(make_project(tmp_path, docs, schemas, records)))
    assert status(analysis, "7.1.5") == "covered"
    assert status(analysis, "8.4") == "partial"  # 8.4.2 and 8.4.3 are not addressed
    assert "subclauses 8.4.1, 8.4.2, 8.4.3 are not covered" in analysis.get("8.4").reasons[0]


def test_a_clause_the_scope_excludes_is_not_applicable_with_its_justification(tmp_path: Path):
    why = "We make parts to drawing and do no installation or servicing after delivery."
    scope = document("QM-03", ["4.3"], extra=f"not_applicable:\n  - clause: \"8.5.5\"\n    justification: {why}\n")
    analysis = gap.analyse(load(make_project(tmp_path, {"QM-03": scope, "QP-09": document("QP-09", ["8.5.5"])})))
    row = analysis.get("8.5.5")
    assert row.status == "not applicable"
    assert row.not_applicable[0].id == "QM-03" and row.not_applicable[1] == why
    applicable = len(analysis.clauses) - 1
    assert analysis.coverage == round(100 * 1 / applicable, 1)  # 4.3 covered; 8.5.5 left out of the count


def test_coverage_per_clause_group(tmp_path: Path):
    docs = {"QM-02": document("QM-02", ["4", "4.1", "4.2", "4.3"], body=CONTEXT),
            "QM-04": document("QM-04", ["4.4", "4.4.1"])}
    analysis = gap.analyse(load(make_project(tmp_path, docs)))
    group = next(g for g in analysis.groups() if g.clause.id == "4")
    # 4.4.2 requires a maintained document (4.4.2 a) from QM-04? no: QM-04 does not list 4.4.2) and records.
    assert group.counts == {"covered": 6, "partial": 0, "gap": 1, "not applicable": 0}
    assert group.coverage == round(100 * 6 / 7, 1)
    assert status(analysis, "4.4") == "covered"


def test_own_assessment_lowers_a_status_until_its_action_is_closed(tmp_path: Path):
    assessment = """\
assessed_by: Consultant
date: "2025-09-15"
clauses:
  - clause: "7.4"
    status: gap
    practice: Nobody briefs the shifts.
    action: Start shift briefings.
    owner: quality-manager
    target: "2026-01-31"
  - clause: "7.3"
    status: covered
    practice: Everyone knows the policy.
"""
    root = make_project(tmp_path, {"QP-05": document("QP-05", ["7.4"])}, assessment=assessment)
    analysis = gap.analyse(load(root))
    row = analysis.get("7.4")
    assert (row.status, row.documented_status) == ("gap", "covered")
    assert row.reasons == ("own assessment: gap (Nobody briefs the shifts.)",)
    assert row.assessment.overdue(TODAY) and [c.clause.id for c in analysis.open_actions()] == ["7.4"]
    assert status(analysis, "7.3") == "gap"  # an assessment never raises a status

    closed = assessment.replace('    target: "2026-01-31"\n',
                                '    target: "2026-01-31"\n    closed: "2026-01-20"\n    closure: Briefings held daily.\n')
    (root / gap.ASSESSMENT_FILE).write_text(closed)
    analysis = gap.analyse(load(root))
    assert status(analysis, "7.4") == "covered" and not analysis.open_actions()


@pytest.mark.parametrize("entry,expected", [
    ('  - clause: "7.9"\n    practice: Something.\n', "gap-assessment.yaml:4: clauses[0].clause: unknown clause '7.9'"),
    ('  - clause: 7.4\n    practice: Something.\n', "gap-assessment.yaml:4: clauses[0].clause: put clause numbers in quotes: \"7.4\""),
    ('  - clause: "7.4"\n    status: gap\n    practice: Something.\n',
     "gap-assessment.yaml:4: clauses[0].action: missing (required because status is 'partial' or 'gap')"),
    ('  - clause: "7.4"\n    practice: Something.\n    action: Do it.\n    owner: quality-manager\n    target: \"2026-02-30\"\n',
     "gap-assessment.yaml:8: clauses[0].target: '2026-02-30' is not a real date"),
    ('  - clause: "7.4"\n    practice: Something.\n    action: Do it.\n    owner: cleaner\n    target: "2026-02-03"\n',
     "gap-assessment.yaml:7: clauses[0].owner: unknown role 'cleaner'"),
])
def test_mistakes_in_the_assessment_are_reported_with_file_and_line(tmp_path: Path, entry: str, expected: str):
    text = f"assessed_by: Consultant\ndate: \"2025-09-15\"\nclauses:\n{entry}"
    analysis = gap.analyse(load(make_project(tmp_path, {}, assessment=text)))
    messages = [str(p) for p in analysis.problems]
    assert any(m.startswith(expected) for m in messages), messages


def test_qms_gap_prints_json_csv_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    root = make_project(tmp_path, {"QP-05": document("QP-05", ["7.4"])})
    config = str(root / "mkdocs.yml")
    assert cli.main(["-f", config, "gap", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    row = next(r for r in rows if r["clause"] == "7.4")
    assert {"clause", "title", "status", "documents", "required_information"} <= set(row)
    assert (row["title"], row["status"], row["documents"]) == ("Communication", "covered", ["QP-05"])
    assert {r["status"] for r in rows} <= set(gap.STATUSES)
    assert next(r for r in rows if r["clause"] == "8.7.2")["required_information"][0]["kind"] == "retain"

    assert cli.main(["-f", config, "gap", "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert next(r for r in table if r["clause"] == "7.4")["status"] == "covered"

    assert cli.main(["-f", config, "gap"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("# Gap analysis against ISO 9001:2015")
    assert "Coverage: 1.1 % of applicable clauses covered" in out.err


def test_fail_under_exits_non_zero_when_coverage_is_below(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = str(make_project(tmp_path, {"QP-05": document("QP-05", ["7.4"])}) / "mkdocs.yml")
    assert cli.main(["-f", config, "gap", "--format", "json", "--fail-under", "1"]) == 0
    assert cli.main(["-f", config, "gap", "--format", "json", "--fail-under", "50"]) == 1
    assert "below --fail-under 50 %" in capsys.readouterr().err


def test_export_part_holds_the_rows(tmp_path: Path):
    part = gap.export_part(load(make_project(tmp_path, {"QP-05": document("QP-05", ["7.4"])})))
    assert list(part) == ["gap"]
    assert next(r for r in part["gap"] if r["clause"] == "7.4")["status"] == "covered"
    json.dumps(part)


def test_the_example_company_shows_a_mixture():
    analysis = gap.analyse(load_project(load_settings(ROOT / "mkdocs.yml")))
    assert not [p for p in analysis.problems if p.severity == "error"], analysis.problems
    counts = analysis.counts
    assert counts["covered"] and counts["partial"] and counts["gap"]
    assert counts["not applicable"] == 0  # every requirement applies to the example, 8.5.5 included
    assert [d.id for d in analysis.get("8.5.5").documents] == ["QP-18"]


def test_every_report_page_of_the_example_links_only_to_pages_that_exist():
    import posixpath
    import re

    from qms.render import pages, reports

    project = load_project(load_settings(ROOT / "mkdocs.yml"))
    generated = reports.report_pages(project, TODAY)
    known = {*pages.generated_pages(project), *generated, *(p.src_uri for p in project.pages)}
    known |= {f"records/{t}.md" for t in project.record_types}  # the record type pages of the registers
    assert {"reports/gap-analysis.md", "reports/review-schedule.md", "reports/tasks/index.md",
            "reports/management-review-pack.md"} <= set(generated)
    for uri, text in generated.items():
        if not uri.endswith(".md"):
            continue
        assert text.startswith("---\nrender_macros: false\n---\n# "), uri
        assert text.rstrip().endswith("</p>") and "qms-attribution" in text, uri
        for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text):
            if target.startswith(("http://", "https://")):
                continue
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(uri), target.split("#")[0]))
            assert resolved in known, f"{uri} links to {target}"
