"""Verdicts an auditor would sign: each rule of the catalogue's `rules:` proved on a small repository built here."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

from qms.analysis import due, gap, training, verdicts
from qms.cli import app as cli
from qms.cli.init import create
from qms.package import INIT_TEMPLATE
from qms.config import load_settings
from qms.model.project import Project, load_project

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 12, 2)
TYPES = ("audit-programme", "audit-report", "corrective-action", "calibration", "equipment", "management-review",
         "person", "training", "design-development", "nonconforming-output")
BODY = ("The quality manager keeps this procedure current, trains the people who use it and checks every month that "
        "the steps below are followed and recorded in the register.")


def document(doc_id: str, clauses: list[str], status: str = "effective", extra: str = "", body: str = BODY,
             owner: str = "quality-manager", revision: str = "1") -> str:
    quoted = ", ".join(f'"{c}"' for c in clauses)
    return (f"---\nid: {doc_id}\ntitle: Document {doc_id}\ntype: procedure\nrevision: \"{revision}\"\n"
            f"status: {status}\nowner: {owner}\nclauses: [{quoted}]\nreview_interval: 12 months\n"
            f"effective: '2026-06-01'\n{extra}---\n\n{body}\n")


def make_project(tmp_path: Path, docs: dict[str, str], records: dict[str, str] | None = None,
                 catalogues: dict[str, str] | None = None, standards: list[str] | None = None) -> Path:
    """A `qms init` project with the showcase's record schemas and roles, and only the documents and records given."""
    root = tmp_path / "qms"
    create(root, "Verdict Testing Ltd", TODAY)
    # Nothing of the starter manual: its documents, its gap assessment and the library's record types go.
    for starter in (*(root / "docs" / "manual").glob("*.md"), *(root / "procedures").glob("*.md"),
                    root / "gap-assessment.yaml"):
        starter.unlink()
    for schema in (root / "records_schema").glob("*.schema.yaml"):
        if not (INIT_TEMPLATE / "records_schema" / schema.name).is_file():
            schema.unlink()
    shutil.copy(ROOT / "organization.yaml", root / "organization.yaml")
    for type_id in TYPES:
        shutil.copy(ROOT / "records_schema" / f"{type_id}.schema.yaml", root / "records_schema")
    for name, text in docs.items():
        (root / "procedures" / f"{name}.md").write_text(text)
    for rel, text in (records or {}).items():
        (root / "records" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "records" / rel).write_text(text)
    for name, text in (catalogues or {}).items():
        (root / "catalogues").mkdir(exist_ok=True)
        (root / "catalogues" / f"{name}.yaml").write_text(text)
    if standards:
        config = root / "mkdocs.yml"
        text = config.read_text()
        assert "      standards: [iso9001-2015]\n" in text
        config.write_text(text.replace("      standards: [iso9001-2015]\n",
                                       "      standards: [" + ", ".join(standards) + "]\n", 1))
    return root


def load(root: Path) -> Project:
    return load_project(load_settings(root / "mkdocs.yml"))


def analyse(root: Path) -> gap.GapAnalysis:
    return gap.analyse(load(root), as_of=TODAY)


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


PEOPLE = {
    "person/P-001.yaml": "id: P-001\nname: Ann Director\nrole: managing-director\nstatus: active\nstarted: 2010-01-01\n",
    "person/P-002.yaml": "id: P-002\nname: Quinn Quality\nrole: quality-manager\nstatus: active\nstarted: 2012-01-01\n",
    "person/P-003.yaml": "id: P-003\nname: Olga Ops\nrole: operations-manager\nadditional_roles: [internal-auditor]\n"
                         "status: active\nstarted: 2015-01-01\n",
    "person/P-004.yaml": "id: P-004\nname: Sam Setter\nrole: cnc-setter\nstatus: active\nstarted: 2018-01-01\n",
}


# ----------------------------------------------------------------------------------------------
# Not applicable only where ISO allows it


def test_9_2_declared_not_applicable_is_an_error_and_is_not_excluded(tmp_path: Path):
    scope = document("QM-03", ["4.3"], extra="not_applicable:\n  - clause: \"9.2\"\n    justification: We are far too "
                                             "small a company to audit ourselves.\n")
    root = make_project(tmp_path, {"QM-03": scope})
    project = load(root)
    [problem] = [p for p in verdicts.not_applicable_problems(project)]
    assert problem.code == "not-applicable-not-allowed" and problem.severity == "error"
    assert "clause 9.2" in problem.message and "not_applicable.allowed" in problem.message
    assert problem.path == "procedures/QM-03.md" and problem.line == 11
    assert gap.analyse(project, as_of=TODAY).get("9.2").status == "gap"
    run = cli.main(["-f", str(root / "mkdocs.yml"), "check"])
    assert run == 1


def test_only_the_effective_scope_document_may_exclude_an_item_of_clause_8(tmp_path: Path):
    na = "not_applicable:\n  - clause: \"8.5.5\"\n    justification: We do no installation or servicing after delivery.\n"
    root = make_project(tmp_path, {"QM-03": document("QM-03", ["4.3"], extra=na),
                                   "QP-09": document("QP-09", ["8.5"], extra=na.replace("8.5.5", "8.3"))})
    project = load(root)
    assert gap.analyse(project, as_of=TODAY).get("8.5.5").status == "not applicable"
    [problem] = verdicts.not_applicable_problems(project)
    assert problem.code == "not-applicable-outside-scope" and problem.path == "procedures/QP-09.md"
    assert gap.analyse(project, as_of=TODAY).get("8.3").status == "gap"  # the declaration counts for nothing

    (root / "procedures" / "QM-03.md").write_text(document("QM-03", ["4.3"], status="draft", extra=na))
    project = load(root)
    assert gap.analyse(project, as_of=TODAY).get("8.5.5").status != "not applicable"
    assert "it is not effective" in verdicts.not_applicable_problems(project)[0].message


# ----------------------------------------------------------------------------------------------
# Substance


def test_an_effective_document_whose_body_is_tbd_does_not_cover_its_clause(tmp_path: Path):
    root = make_project(tmp_path, {"QP-05": document("QP-05", ["5.3"], body="TBD.")})
    row = analyse(root).get("5.3")
    assert row.status != "covered"
    assert row.reasons[0] == "QP-05 is effective but its text is unfinished ('TBD' on line 13)"

    (root / "procedures" / "QP-05.md").write_text(document("QP-05", ["5.3"], body="Roles are set."))
    assert "has no substance" in analyse(root).get("5.3").reasons[0]
    (root / "procedures" / "QP-05.md").write_text(document("QP-05", ["5.3"]))
    assert analyse(root).get("5.3").status == "covered"


# ----------------------------------------------------------------------------------------------
# Evidence rules: 7.2 d), 8.3.4 f), 10.2.2


def test_the_hr_register_is_not_evidence_of_competence(tmp_path: Path):
    root = make_project(tmp_path, {"QP-02": document("QP-02", ["7.2"])}, records=PEOPLE)
    row = analyse(root).get("7.2")
    [info] = [i for i in row.information if i.item.clause == "7.2 d)"]
    assert info.state == "no records" and info.record_types == (("training", 0),)
    assert any("person does not count" in r for r in row.reasons)
    records = {**PEOPLE, "training/TR-2026-001.yaml": "id: TR-2026-001\nperson: P-004\ncourse: CNC setting\n"
                                                       "date: 2026-03-01\nmethod: assessment\nresult: competent\n"}
    root2 = make_project(tmp_path / "b", {"QP-02": document("QP-02", ["7.2"])}, records=records)
    [info] = [i for i in analyse(root2).get("7.2").information if i.item.clause == "7.2 d)"]
    assert info.state == "exists" and info.evidence == ("TR-2026-001",)


DESIGN = "id: {id}\nproject: D-26-001\ntitle: Fixture\nstage: {stage}\ndate: 2026-05-0{n}\nsummary: Design work.\n" \
         "responsible: P-002\n{extra}"


def test_one_design_record_does_not_prove_review_verification_and_validation(tmp_path: Path):
    docs = {"QP-07": document("QP-07", ["8.3", "8.3.4"])}
    records = {**PEOPLE, "design-development/DD-2026-001.yaml": DESIGN.format(
        id="DD-2026-001", stage="review", n=1, extra="results: Fine.\nrequirements_met: true\n")}
    row = analyse(make_project(tmp_path, docs, records)).get("8.3.4")
    assert row.status == "partial"
    assert "retain 8.3.4 f): no record of stage verification, validation (stage)" in row.reasons
    for n, stage in ((2, "verification"), (3, "validation")):
        records[f"design-development/DD-2026-00{n}.yaml"] = DESIGN.format(
            id=f"DD-2026-00{n}", stage=stage, n=n, extra="results: Fine.\nrequirements_met: true\n")
    row = analyse(make_project(tmp_path / "b", docs, records)).get("8.3.4")
    assert row.status == "covered", row.reasons
    assert set(row.information[0].evidence) == {"DD-2026-001", "DD-2026-002", "DD-2026-003"}


CA = """id: {id}
opened: 2026-02-05
source: internal-audit
nonconformity: Gauges used past their calibration date.
owner: quality-manager
due: {due}
status: {status}
{extra}"""


def test_a_corrective_action_closed_without_effectiveness_is_an_error_and_10_2_2_is_partial(tmp_path: Path):
    records = {"corrective-action/CA-2026-001.yaml": CA.format(
        id="CA-2026-001", due="2026-03-31", status="closed", extra="closed: 2026-04-10\nroot_cause: No reminder.\n")}
    root = make_project(tmp_path, {"QP-17": document("QP-17", ["10.2", "10.2.1", "10.2.2"])}, records)
    project = load(root)
    [problem] = verdicts.incomplete_record_problems(project)
    assert problem.code == "record-closed-incomplete" and problem.severity == "error"
    assert problem.path == "records/corrective-action/CA-2026-001.yaml" and problem.line == 7
    assert "effectiveness_verified, effectiveness_date, effectiveness_result" in problem.message
    row = gap.analyse(project, as_of=TODAY).get("10.2.2")
    assert row.status == "partial"
    assert row.information[0].state == "incomplete"
    assert "CA-2026-001 closed without effectiveness_verified" in row.reasons[0]
    assert cli.main(["-f", str(root / "mkdocs.yml"), "check"]) == 1

    (root / "records" / "corrective-action" / "CA-2026-001.yaml").write_text(
        records["corrective-action/CA-2026-001.yaml"] + "effectiveness_verified: true\neffectiveness_date: 2026-07-10\n"
                                                        "effectiveness_result: No gauge used out of date since.\n")
    project = load(root)
    assert verdicts.incomplete_record_problems(project) == []
    assert gap.analyse(project, as_of=TODAY).get("10.2.2").status == "covered"


def test_a_corrective_action_past_its_due_date_lowers_10_2(tmp_path: Path):
    records = {"corrective-action/CA-2026-002.yaml": CA.format(id="CA-2026-002", due="2026-09-30", status="open",
                                                                extra="")}
    row = analyse(make_project(tmp_path, {"QP-17": document("QP-17", ["10.2"])}, records)).get("10.2")
    assert row.status == "partial"
    [finding] = row.findings
    assert finding.check == "overdue-records" and finding.evidence == ("CA-2026-002",)
    assert "overdue since 2026-09-30" in finding.reason


# ----------------------------------------------------------------------------------------------
# Calibration and `qms due`

EQUIPMENT = """id: APE-MIC-0001
description: Micrometer 0-25 mm
kind: micrometer
serial_number: "A1"
location: Inspection
calibration_interval_months: 12
method: external
status: in-use
"""
CALIBRATION = """id: CAL-2025-001
equipment: APE-MIC-0001
date: 2025-11-01
provider: Lab Ltd
traceability: national-standard
as_found: in-tolerance
result: pass
next_due: 2026-11-01
"""


def test_an_overdue_calibration_is_due_and_makes_7_1_5_partial(tmp_path: Path, capsys):
    records = {"equipment/APE-MIC-0001.yaml": EQUIPMENT, "calibration/CAL-2025-001.yaml": CALIBRATION}
    root = make_project(tmp_path, {"QP-04": document("QP-04", ["7.1.5", "7.1.5.1", "7.1.5.2"])}, records)
    row = analyse(root).get("7.1.5")
    assert row.status == "partial"
    assert row.findings[0].reason == "calibration of APE-MIC-0001 (last: CAL-2025-001): overdue since 2026-11-01"
    assert row.findings[0].evidence == ("CAL-2025-001",)

    assert cli.main(["-f", str(root / "mkdocs.yml"), "due", "--as-of", "2026-12-02", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [item] = [i for i in data["items"] if i["kind"] == "calibration"]
    assert (item["id"], item["due"], item["status"], item["days"]) == ("APE-MIC-0001", "2026-11-01", "overdue", -31)
    assert item["path"] == "records/calibration/CAL-2025-001.yaml" and item["line"] == 8
    assert cli.main(["-f", str(root / "mkdocs.yml"), "due", "--as-of", "2026-12-02"]) == 0
    out = capsys.readouterr().out
    assert "APE-MIC-0001" in out and "Overdue" in out

    problems = due.due_problems(load(root), TODAY)
    assert [(p.code, p.severity, p.line) for p in problems] == [("record-overdue", "warning", 8)]
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("      policy:\n", "      policy:\n        overdue_records_is_error: true\n"))
    assert [p.severity for p in due.due_problems(load(root), TODAY)] == ["error"]  # by policy

    from qms.render.reports.tasks import TASKS_INDEX, role_calendar, task_pages

    pages = task_pages(load(root), TODAY)
    assert "Overdue since 2026-11-01: calibration of APE-MIC-0001" in pages[role_calendar(None)].replace("\r\n ", "")
    assert "## Due dates" in pages[TASKS_INDEX] and "APE-MIC-0001" in pages[TASKS_INDEX]
    # a new calibration takes the gauge off the list
    (root / "records" / "calibration" / "CAL-2026-001.yaml").write_text(
        CALIBRATION.replace("CAL-2025-001", "CAL-2026-001").replace("2025-11-01", "2026-11-20")
        .replace("2026-11-01", "2027-11-20"))
    assert analyse(root).get("7.1.5").status == "covered"
    # a withdrawn gauge is not due at all
    (root / "records" / "calibration" / "CAL-2026-001.yaml").unlink()
    (root / "records" / "equipment" / "APE-MIC-0001.yaml").write_text(EQUIPMENT.replace("in-use", "withdrawn"))
    assert [i for i in due.due_items(load(root), TODAY) if i.kind == "calibration"] == []


# ----------------------------------------------------------------------------------------------
# Internal audit programme


def programme(audits: str) -> str:
    return f"id: AP-2026\nyear: 2026\napproved_by: P-001\napproved: 2025-12-15\naudits:\n{audits}"


AUDIT = """  - id: IA-2026-0{n}
    process: {process}
    clauses: [{clauses}]
    planned: "2027-0{n}"
    auditor: {auditor}
    status: planned
"""
ALL_CLAUSES = ", ".join(f'"{c}"' for c in ("4", "5", "6", "7", "8", "9", "10"))


def test_an_audit_programme_missing_a_process_makes_9_2_partial(tmp_path: Path):
    docs = {"QP-15": document("QP-15", ["9.2", "9.2.1", "9.2.2"]),
            "QP-13": document("QP-13", ["8.7"], owner="quality-manager"),
            "QP-09": document("QP-09", ["8.5"], owner="operations-manager")}
    records = {**PEOPLE, "audit-programme/AP-2026.yaml": programme(
        AUDIT.format(n=1, process="QP-13", clauses=ALL_CLAUSES, auditor="P-003"))}
    row = analyse(make_project(tmp_path, docs, records)).get("9.2")
    assert row.status == "partial"
    assert "processes left out of the audit cycle: QP-09, QP-15" in row.reasons
    records["audit-programme/AP-2026.yaml"] = programme(
        AUDIT.format(n=1, process="QP-13", clauses=ALL_CLAUSES, auditor="P-003")
        + AUDIT.format(n=2, process="QP-09", clauses='"8.5"', auditor="P-002")
        + AUDIT.format(n=3, process="QP-15", clauses='"9.2"', auditor="P-003"))
    row = analyse(make_project(tmp_path / "b", docs, records)).get("9.2")
    assert not any("left out" in r for r in row.reasons), row.reasons


def test_a_programme_leaving_clauses_out_names_them(tmp_path: Path):
    docs = {"QP-15": document("QP-15", ["9.2"])}
    records = {**PEOPLE, "audit-programme/AP-2026.yaml": programme(
        AUDIT.format(n=1, process="QP-15", clauses='"8.7", "9"', auditor="P-003"))}
    row = analyse(make_project(tmp_path, docs, records)).get("9.2")
    [reason] = [r for r in row.reasons if r.startswith("clauses left out")]
    assert reason.startswith("clauses left out of the audit cycle: 4.1, 4.2,") and "8.7" not in reason
    assert "9.1" not in reason and "8.1" in reason


def test_an_auditor_assigned_to_her_own_process_is_flagged(tmp_path: Path):
    docs = {"QP-15": document("QP-15", ["9.2"]), "QP-09": document("QP-09", ["8.5"], owner="operations-manager")}
    records = {**PEOPLE, "audit-programme/AP-2026.yaml": programme(
        AUDIT.format(n=1, process="QP-09", clauses=ALL_CLAUSES, auditor="P-003")
        + AUDIT.format(n=2, process="QP-15", clauses='"9.2"', auditor="P-001"))}
    root = make_project(tmp_path, docs, records)
    project = load(root)
    [problem] = [p for p in verdicts.verdict_problems(project, TODAY) if p.code == "auditor-own-work"]
    assert problem.path == "records/audit-programme/AP-2026.yaml" and problem.line == 10
    assert "auditor P-003 holds role operations-manager, the owner of QP-09" in problem.message
    row = gap.analyse(project, as_of=TODAY).get("9.2")
    assert row.status == "partial"
    assert any("auditors must not audit their own work" in r for r in row.reasons)


def test_a_recorded_re_plan_with_date_and_reason_moves_the_audits_due_date(tmp_path: Path, capsys):
    docs = {"QP-15": document("QP-15", ["9.2", "9.2.1", "9.2.2"])}
    postponed = """  - id: IA-2026-01
    process: QP-15
    clauses: [{all}]
    planned: "2026-07"
    auditor: P-003
    status: postponed
    note: Auditee on leave.
""".format(all=ALL_CLAUSES)
    records = {**PEOPLE, "audit-programme/AP-2026.yaml": programme(postponed)}
    root = make_project(tmp_path, docs, records)
    # postponed with only a note: still due at the end of the month first planned
    assert "internal audit IA-2026-01 of QP-15 (postponed) (AP-2026): planned by 2026-07-31, not done" in \
        analyse(root).get("9.2").reasons
    replanned = postponed.replace("    note: Auditee on leave.\n", """    replanned:
      - decided: 2026-07-01
        to: "2026-12"
        by: P-002
        reason: The Sales Manager was on leave in July.
""")
    path = root / "records" / "audit-programme" / "AP-2026.yaml"
    path.write_text(programme(replanned))
    row = analyse(root).get("9.2")
    assert row.status == "covered" and not any("not done" in r for r in row.reasons), row.reasons
    [item] = [i for i in due.due_items(load(root), TODAY) if i.kind == "audit"]
    assert (item.due, item.status) == (dt.date(2026, 12, 31), "due-soon")
    assert item.what == ("internal audit IA-2026-01 of QP-15 (re-planned on 2026-07-01 from 2026-07 to 2026-12: "
                         "The Sales Manager was on leave in July) (AP-2026)")
    assert item.line == 14  # the new month, where the date is kept
    cli.main(["-f", str(root / "mkdocs.yml"), "check"])
    assert "AP-2026" not in capsys.readouterr().out  # the re-plan is valid and nothing about the audit is late
    # on plan is not done: the readiness checklist's audit cycle is complete only when the audit has been made
    from qms.analysis import readiness

    [item] = [i for i in readiness.assess(load(root), TODAY).items if i.key == "internal-audit"]
    assert not item.ok and item.gaps == (
        "internal audit IA-2026-01 of QP-15 (re-planned on 2026-07-01 from 2026-07 to 2026-12: The Sales Manager was "
        "on leave in July) (AP-2026): not done yet, due by 2026-12-31",)
    # a re-plan that is itself past due lowers 9.2 again, saying it was re-planned
    path.write_text(programme(replanned.replace('to: "2026-12"', 'to: "2026-10"')))
    [reason] = [r for r in analyse(root).get("9.2").reasons if "not done" in r]
    assert reason == ("internal audit IA-2026-01 of QP-15 (re-planned on 2026-07-01 from 2026-07 to 2026-10: The Sales "
                      "Manager was on leave in July) (AP-2026): due by 2026-10-31, not done")
    # a re-plan without its reason is refused by the schema, with the line to fix
    path.write_text(programme(replanned.replace("        reason: The Sales Manager was on leave in July.\n", "")))
    assert cli.main(["-f", str(root / "mkdocs.yml"), "check"]) == 1
    [line] = [x for x in capsys.readouterr().out.splitlines() if "AP-2026.yaml" in x and "reason" in x]
    assert line.removeprefix("error: ").startswith("records/audit-programme/AP-2026.yaml:13: "), line
    assert "replanned[0].reason: missing" in line


# ----------------------------------------------------------------------------------------------
# Management review inputs

REVIEW = """id: MRV-2026-01
date: 2026-03-12
chair: managing-director
attendees: [managing-director, quality-manager]
inputs:
{inputs}decisions:
  - about: improvement
    decision: Fund probing.
actions: []
next_review: 2027-03-11
"""
TOPICS = ("previous-actions", "context-changes", "audit-results", "resources", "risks-and-opportunities",
          "improvement-opportunities")


def review(topics: tuple[str, ...]) -> str:
    return REVIEW.format(inputs="".join(f"  - topic: {t}\n    summary: Looked at {t}.\n" for t in topics))


def test_a_review_missing_9_3_2_e_makes_9_3_partial(tmp_path: Path):
    docs = {"QP-16": document("QP-16", ["9.3", "9.3.1", "9.3.2", "9.3.3"])}
    topics = tuple(t for t in TOPICS if t != "risks-and-opportunities")
    row = analyse(make_project(tmp_path, docs, {"management-review/MRV-2026-01.yaml": review(topics)})).get("9.3")
    assert row.status == "partial"
    assert "MRV-2026-01 does not review 9.3.2 e)" in row.reasons
    row = analyse(make_project(tmp_path / "b", docs, {"management-review/MRV-2026-01.yaml": review(TOPICS)})).get("9.3")
    assert row.status == "covered", row.reasons


def test_the_review_pack_has_sections_for_context_changes_and_risk_actions(tmp_path: Path):
    from qms.analysis.reviewpack import Period, compile_pack

    topics = ("context-changes", "risks-and-opportunities")
    records = {"management-review/MRV-2026-01.yaml": review(topics)}
    root = make_project(tmp_path, {"QM-02": document("QM-02", ["4.1"]), "QP-16": document("QP-16", ["9.3"])}, records)
    project = load(root)
    pack = compile_pack(project, Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), TODAY)
    data = pack.as_json()
    assert [(n["source"], n["kind"]) for n in data["context_changes"]] == [("QM-02", "document"),
                                                                           ("MRV-2026-01", "input")]
    assert [n["text"] for n in data["risk_actions"]] == ["Looked at risks-and-opportunities."]
    from qms.render import reports

    text = reports.pack_markdown(project, pack)
    assert "## Changes in external and internal issues" in text
    assert "## Effectiveness of actions on risks and opportunities" in text


# ----------------------------------------------------------------------------------------------
# Several standards


SECOND = """standard:
  id: iso13485-2016
  name: ISO 13485
  year: 2016
  title: "Medical devices — Quality management systems"
  short: "ISO 13485:2016"
  url: "https://www.iso.org/standard/59752.html"
  requirements_from: "4"
clauses:
  - {id: "8", title: "Measurement, analysis and improvement"}
  - {id: "8.5", title: "Improvement"}
  - {id: "8.5.1", title: "General"}
"""


def test_a_second_standards_8_5_1_leaves_iso_9001_8_5_1_unchanged(tmp_path: Path):
    docs = {"QP-30": document("QP-30", ["iso13485-2016:8.5.1"])}
    root = make_project(tmp_path, docs, catalogues={"iso13485-2016": SECOND},
                        standards=["iso9001-2015", "iso13485-2016"])
    project = load(root)
    assert set(project.standards) == {"iso9001-2015", "iso13485-2016"}
    before = analyse(make_project(tmp_path / "one", {}))
    after = gap.analyse(project, as_of=TODAY)
    assert after.get("8.5.1").status == before.get("8.5.1").status == "gap"
    assert after.get("8.5.1").documents == ()
    assert after.counts == before.counts
    assert project.documents_for(project.standards["iso13485-2016"].get("8.5.1"))[0].id == "QP-30"
    from qms.render import pages

    iso9001_page = pages.clause_page(project, project.standard, project.standard.get("8.5.1"))
    assert "QP-30" not in iso9001_page
    other = project.standards["iso13485-2016"]
    assert "QP-30" in pages.clause_page(project, other, other.get("8.5.1"))
    from qms.render.export import export_model

    rows = {(c["standard"], c["id"]): c for c in export_model(project)["clauses"]}
    assert rows[("iso9001-2015", "8.5.1")]["documents"] == [] and rows[("iso13485-2016", "8.5.1")]["documents"] == ["QP-30"]


# ----------------------------------------------------------------------------------------------
# Amendment 1:2024


def test_the_context_document_must_answer_whether_climate_change_is_relevant(tmp_path: Path):
    root = make_project(tmp_path, {"QM-02": document("QM-02", ["4.1", "4.2"])})
    analysis = analyse(root)
    row = analysis.get("4.1")
    assert row.status == "partial"
    assert "whether climate change is a relevant issue" in row.reasons[0]
    assert "climate change" in (row.note or "") and "climate change" in (analysis.get("4.2").note or "")
    (root / "procedures" / "QM-02.md").write_text(document("QM-02", ["4.1", "4.2"], body=BODY + " Climate change is "
                                                  "not a relevant issue for us: we checked flood and heat risk."))
    assert analyse(root).get("4.1").status == "covered"


# ----------------------------------------------------------------------------------------------
# Open major findings, reviews overdue, assessment evidence


def test_an_open_major_finding_lowers_its_clause_and_the_ones_above(tmp_path: Path):
    report = """id: AR-2026-01
programme: AP-2026
audit: IA-2026-01
date: 2026-02-17
auditor: P-003
auditee: quality-manager
process: QP-13
clauses: ["8.7"]
summary: Found one major.
findings:
  - id: F1
    severity: major
    clause: "8.7.1"
    description: Nonconforming parts shipped.
    corrective_action: CA-2026-001
"""
    records = {**PEOPLE, "audit-report/AR-2026-01.yaml": report,
               "corrective-action/CA-2026-001.yaml": CA.format(id="CA-2026-001", due="2027-01-31", status="open",
                                                               extra="")}
    analysis = analyse(make_project(tmp_path, {"QP-13": document("QP-13", ["8.7", "8.7.1"])}, records))
    for clause in ("8.7.1", "8.7"):
        row = analysis.get(clause)
        assert row.status == "partial"
        assert row.findings[0].evidence == ("AR-2026-01", "CA-2026-001")
        assert "open major finding AR-2026-01 F1 against 8.7.1" in row.reasons[0]


def test_gap_assessment_evidence_dated_after_its_closure_is_noticed(tmp_path: Path):
    shutil_schema = ROOT / "records_schema" / gap.ASSESSMENT_SCHEMA
    records = {"corrective-action/CA-2026-001.yaml": CA.format(id="CA-2026-001", due="2027-01-31", status="open",
                                                                extra="").replace("2026-02-05", "2026-05-01")}
    root = make_project(tmp_path, {"QP-17": document("QP-17", ["10.2"])}, records)
    shutil.copy(shutil_schema, root / "records_schema")
    (root / gap.ASSESSMENT_FILE).write_text("""assessed_by: Consultant
date: "2025-09-15"
clauses:
  - clause: "10.2"
    status: partial
    practice: Corrective actions were not recorded.
    action: Record them.
    owner: quality-manager
    evidence: CA-2026-001 shows the new form in use.
    target: "2026-03-31"
    closed: "2026-03-20"
    closure: The new form is in use.
""")
    analysis = analyse(root)
    row = analysis.get("10.2")
    assert row.status == "partial", analysis.problems
    assert "own assessment closed on 2026-03-20 citing CA-2026-001 of 2026-05-01, made after the closure" in row.reasons
    assert codes(analysis.problems) == ["evidence-after-closure"]


# ----------------------------------------------------------------------------------------------
# Who must be briefed (issue 14 item 10)


TASKS = "tasks:\n  - {what: Daily machine check, role: cnc-setter, frequency: daily}\n"
DUTIES = BODY + "\n\n## Responsibilities\n\nThe Operations Manager plans the jobs.\n"


def test_people_whose_roles_must_know_a_new_revision_are_to_train_until_a_record_exists(tmp_path: Path, capsys):
    doc = document("QP-09", ["8.5.1"], owner="quality-manager", extra=TASKS, revision="7", body=DUTIES)
    root = make_project(tmp_path, {"QP-09": doc}, records={
        **PEOPLE, "training/TR-2026-001.yaml": "id: TR-2026-001\nperson: P-004\ndocument: QP-09\nrevision: \"7\"\n"
                                              "date: 2026-06-10\nmethod: read-and-sign\nresult: awareness\n"})
    project = load(root)
    assert training.audience(project, project.documents["QP-09"]) == ("cnc-setter", "operations-manager")
    due_now = training.training_due(project)
    assert [(b.person, b.role, b.document.revision) for b in due_now] == [("P-003", "operations-manager", "7")]
    assert training.summary_line(project.documents["QP-09"], len(due_now)) == \
        "merging this asks 1 person to read QP-09 revision 7"
    assert cli.main(["-f", str(root / "mkdocs.yml"), "training-due", "--format", "json", "--as-of", "2026-12-02"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["person"], r["document"], r["revision"], r["status"]) for r in data["people"]] == \
        [("P-003", "QP-09", "7", "to train")]
    assert data["people"][0]["days_waiting"] == (TODAY - dt.date(2026, 6, 1)).days
    # waiting longer than 30 days makes training stale: 7.2 and 7.3 are partial
    assert any("not yet trained on QP-09 revision 7" in r for r in gap.analyse(project, as_of=TODAY).get("7.2").reasons)

    # a new revision takes effect: everyone must read it again
    (root / "procedures" / "QP-09.md").write_text(doc.replace('revision: "7"', 'revision: "8"'))
    project = load(root)
    assert {b.person for b in training.training_due(project)} == {"P-003", "P-004"}
    # an explicit audience replaces the default
    (root / "procedures" / "QP-09.md").write_text(doc.replace("tasks:", "audience: [cnc-setter]\ntasks:"))
    assert training.audience(load(root), load(root).documents["QP-09"]) == ("cnc-setter",)
    assert [b.person for b in training.training_due(load(root))] == []


def test_a_responsibilities_section_names_the_roles_to_brief(tmp_path: Path):
    body = BODY + "\n\n## Responsibilities\n\nThe CNC Setter proves each program.\n\n## Method\n\nThe Managing Director signs.\n"
    root = make_project(tmp_path, {"QP-09": document("QP-09", ["8.5.1"], body=body)}, records=PEOPLE)
    project = load(root)
    assert training.audience(project, project.documents["QP-09"]) == ("cnc-setter",)  # not the owner, not "Method"


def test_the_pull_request_summary_says_who_must_read_the_new_revision(tmp_path: Path, capsys, isolated_git):
    doc = document("QP-09", ["8.5.1"], extra=TASKS, revision="7", body=DUTIES)
    root = make_project(tmp_path, {"QP-09": doc}, records=PEOPLE)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=Ann", "-c", "user.email=ann@example.com", "commit", "-q", "-m", "Start")
    (root / "procedures" / "QP-09.md").write_text(doc.replace('revision: "7"', 'revision: "8"')
                                                  .replace("plans the jobs", "plans and releases the jobs"))
    assert cli.main(["-f", str(root / "mkdocs.yml"), "diff", "--base", "HEAD"]) == 0
    out = capsys.readouterr().out
    assert "**Who must be briefed:** merging this asks 2 people to read QP-09 revision 8" in out
    assert cli.main(["-f", str(root / "mkdocs.yml"), "diff", "--base", "HEAD", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [(e["doc_id"], e["to_brief"]) for e in entries if e["kind"] == "document"] == [("QP-09", 2)]


def test_the_training_matrix_marks_who_is_to_train(tmp_path: Path):
    from qms.render import registers

    doc = document("QP-09", ["8.5.1"], revision="7", body=DUTIES)
    root = make_project(tmp_path, {"QP-09": doc}, records=PEOPLE)
    text = next(v for k, v in registers.register_pages(load(root), TODAY).items() if "training-matrix" in k)
    assert "1 briefings to do" in text and "to train" in text


def test_readiness_lists_each_item_with_evidence_and_an_overall_verdict(tmp_path: Path, capsys):
    docs = {"QM-03": document("QM-03", ["4.3"]), "QP-04": document("QP-04", ["7.1.5", "7.1.5.1", "7.1.5.2"])}
    records = {"equipment/APE-MIC-0001.yaml": EQUIPMENT, "calibration/CAL-2025-001.yaml": CALIBRATION}
    root = make_project(tmp_path, docs, records)
    assert cli.main(["-f", str(root / "mkdocs.yml"), "readiness", "--format", "json", "--as-of", "2026-12-02"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"] == "not ready" and data["verdict"].startswith("Not ready yet:")
    keys = [i["key"] for i in data["items"]]
    assert keys == ["documented-information", "scope", "internal-audit", "management-review", "objectives",
                    "corrective-actions", "calibration-training"]
    item = data["items"][keys.index("calibration-training")]
    assert not item["ok"] and item["evidence"] == ["CAL-2025-001"]
    assert item["to_do"] == ["calibration of APE-MIC-0001 (last: CAL-2025-001): overdue since 2026-11-01"]
    scope = data["items"][keys.index("scope")]
    assert scope["ok"] and scope["evidence"] == ["QM-03"]
    assert cli.main(["-f", str(root / "mkdocs.yml"), "readiness", "--fail-under", "90"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("# Certification readiness") and "## Calibration and training current" in out


def test_the_clause_pages_of_4_1_and_4_2_say_what_the_amendment_added(tmp_path: Path):
    from qms.render import pages

    project = load(make_project(tmp_path, {}))
    text = pages.clause_page(project, project.standard, project.standard.get("4.1"))
    assert '!!! info "ISO 9001:2015/Amd 1:2024"' in text and "climate change is a relevant issue" in text
    assert "climate change" in pages.clause_page(project, project.standard, project.standard.get("4.2"))
    assert "Amd 1" not in pages.clause_page(project, project.standard, project.standard.get("4.3"))


def test_review_due_still_lists_document_reviews_and_points_to_qms_due(tmp_path: Path, capsys):
    root = make_project(tmp_path, {"QP-05": document("QP-05", ["7.4"])})
    assert cli.main(["-f", str(root / "mkdocs.yml"), "review-due", "--as-of", "2027-07-01"]) == 0
    assert "QP-05" in capsys.readouterr().out
    assert cli.main(["-f", str(root / "mkdocs.yml"), "due", "--as-of", "2027-07-01", "--format", "json"]) == 0
    [item] = json.loads(capsys.readouterr().out)["items"]
    assert (item["kind"], item["id"], item["due"]) == ("document review", "QP-05", "2027-06-01")
