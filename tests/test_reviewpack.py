"""Management review pack and audit checklist: every figure checked against the records it is computed from."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import strip_starter
from qms.analysis import auditprep
from qms.analysis.reviewpack import Period, compile_pack
from qms.cli import app as cli
from qms.cli.init import create
from qms.config import load_settings
from qms.model.project import Project, load_project
from qms.problems import QMSError
from qms.render import reports

ROOT = Path(__file__).resolve().parents[1]
PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
AS_OF = dt.date(2026, 9, 1)
TYPES = ("person", "management-review", "audit-programme", "audit-report", "corrective-action", "nonconforming-output",
         "monitoring-result", "supplier-evaluation")


def document(doc_id: str, clauses: list[str], records: list[str] = ()) -> str:  # type: ignore[assignment]
    quoted = ", ".join(f'"{c}"' for c in clauses)
    return (f"---\nid: {doc_id}\ntitle: Procedure {doc_id}\ntype: procedure\nrevision: \"4\"\nstatus: effective\n"
            f"owner: quality-manager\nclauses: [{quoted}]\nrecords: [{', '.join(records)}]\n"
            f"review_interval: 12 months\n---\n\nBody.\n")


def review(rid: str, date: str, actions: list[tuple[str, str, str, str | None]], extra_inputs: str = "",
           decisions: str = "  - {about: qms-changes, decision: Keep the manual as it is.}\n") -> str:
    lines = [f"id: {rid}", f"date: \"{date}\"", "chair: managing-director", "attendees: [managing-director, quality-manager]",
             "inputs:", "  - {topic: previous-actions, summary: Actions reviewed.}", extra_inputs.rstrip("\n"),
             "decisions:", decisions.rstrip("\n"), "actions:"]
    for what, due, status, done in actions:
        lines.append(f"  - {{what: {what}, owner: quality-manager, due: \"{due}\", status: {status}"
                     + (f", done: \"{done}\"}}" if done else "}"))
    return "\n".join(line for line in lines if line) + "\n"


def ncr(nid: str, date: str, where: str, qty: int, cost: float, status: str, ca: str | None = None) -> str:
    closed = f'closed: "{date}"\ndisposition: scrap\n' if status == "closed" else "disposition: pending\n"
    return (f'id: {nid}\ndate: "{date}"\ndetected_at: {where}\npart_number: 40-1187 rev D\nquantity: {qty}\n'
            f"description: Diameter oversize\ndecided_by: quality-manager\ncost: {cost}\nstatus: {status}\n{closed}"
            + (f"corrective_action: {ca}\n" if ca else ""))


def ca(cid: str, opened: str, source: str, record: str, due: str, status: str, closed: str | None = None,
       verified: bool = False) -> str:
    text = (f'id: {cid}\nopened: "{opened}"\nsource: {source}\nsource_record: {record}\nnonconformity: Problem {cid}\n'
            f'owner: quality-manager\ndue: "{due}"\nstatus: {status}\n')
    if closed:
        text += f'closed: "{closed}"\nroot_cause: Worn tool not replaced.\n'
    if verified:
        text += 'effectiveness_verified: true\neffectiveness_date: "2026-05-01"\neffectiveness_result: No recurrence.\n'
    return text


def kpi(month: str, obj1: float, obj2: float, satisfaction: float | None = None) -> str:
    text = (f"id: KPI-{month}\nperiod: \"{month}\"\ndate: \"{month}-28\"\nprepared_by: P-001\nmeasurements:\n"
            f"  - {{objective: OBJ-01, value: {obj1}, target: 95, unit: '%', direction: at-least}}\n"
            f"  - {{objective: OBJ-02, value: {obj2}, target: 1000, unit: ppm, direction: at-most}}\n")
    if satisfaction is not None:
        text += f"customer_satisfaction: {{source: survey, score: {satisfaction}, scale: mean of 1-5}}\n"
    return text


def supplier(sid: str, name: str, date: str, grade: str, decision: str) -> str:
    return (f'id: {sid}\nsupplier: {name}\nsupplies: Bar stock\nkind: periodic\ndate: "{date}"\nevaluated_by: P-001\n'
            f"scores: {{quality: 90, delivery: 80, responsiveness: 70}}\ngrade: {grade}\ndecision: {decision}\n"
            f'next_evaluation: "2027-01-01"\n')


RECORDS = {
    "person/P-001.yaml": 'id: P-001\nname: Pat Auditor\nrole: quality-manager\nstatus: active\nstarted: "2020-01-06"\n',
    "management-review/MRV-2024-01.yaml": review("MRV-2024-01", "2024-03-10", [
        ("Old action done", "2024-06-30", "done", "2024-06-01"), ("Old action still open", "2026-09-30", "open", None)]),
    "management-review/MRV-2025-01.yaml": review("MRV-2025-01", "2025-03-10", [
        ("Last year's first action", "2025-06-30", "done", "2025-05-01"),
        ("Last year's late action", "2025-12-31", "open", None),
        ("Last year's third action", "2025-09-30", "done", "2025-09-01")]),
    "management-review/MRV-2026-01.yaml": review(
        "MRV-2026-01", "2026-03-12", [("This year's action", "2026-06-30", "open", None),
                                      ("This year's quick win", "2026-04-30", "done", "2026-04-02")],
        extra_inputs="  - {topic: resources, summary: The CMM is booked solid on Mondays.}\n"
                     "  - {topic: improvement-opportunities, summary: Probing could halve first-off time.}\n",
        decisions="  - {about: resources, decision: Recruit a second inspector.}\n"
                  "  - {about: improvement, decision: Fund in-machine probing.}\n"),
    "audit-programme/AP-2026.yaml": """\
id: AP-2026
year: 2026
approved_by: P-001
approved: "2026-01-10"
audits:
  - {id: IA-2026-01, process: QP-13, clauses: ["8.7"], planned: "2026-02", auditor: P-001, status: done, done: "2026-02-17", report: AR-2026-01}
  - {id: IA-2026-02, process: QP-09, clauses: ["8.5.1"], planned: "2026-05", auditor: P-001, status: done, done: "2026-05-20", report: AR-2026-02}
  - {id: IA-2026-03, process: QP-15, clauses: ["9.2"], planned: "2026-06", auditor: P-001, status: postponed, note: Auditor ill}
  - {id: IA-2026-04, process: QP-09, clauses: ["8.1"], planned: "2026-09", auditor: P-001, status: planned}
""",
    "audit-report/AR-2026-01.yaml": """\
id: AR-2026-01
programme: AP-2026
audit: IA-2026-01
date: "2026-02-17"
auditor: P-001
auditee: quality-manager
process: QP-13
clauses: ["8.7", "8.7.2"]
summary: NCR process effective.
findings:
  - {id: F1, severity: minor, clause: "8.7.2", description: Two NCRs without the deciding authority., corrective_action: CA-2026-002}
  - {id: F2, severity: observation, clause: "8.7.1", description: Photograph the rejected parts.}
""",
    "audit-report/AR-2026-02.yaml": """\
id: AR-2026-02
programme: AP-2026
audit: IA-2026-02
date: "2026-05-20"
auditor: P-001
auditee: quality-manager
process: QP-09
clauses: ["8.5.1"]
summary: Production runs to the job card.
findings:
  - {id: F1, severity: observation, clause: "8.5.1", description: One set-up sheet was faded.}
""",
    "nonconforming-output/NCR-2025-020.yaml": ncr("NCR-2025-020", "2025-12-30", "goods-in", 7, 99, "closed"),
    "nonconforming-output/NCR-2026-001.yaml": ncr("NCR-2026-001", "2026-01-15", "in-process", 10, 120.5, "closed",
                                                  "CA-2026-001"),
    "nonconforming-output/NCR-2026-002.yaml": ncr("NCR-2026-002", "2026-01-28", "goods-in", 50, 0, "open"),
    "nonconforming-output/NCR-2026-003.yaml": ncr("NCR-2026-003", "2026-03-03", "customer", 5, 300, "closed"),
    "nonconforming-output/NCR-2026-004.yaml": ncr("NCR-2026-004", "2026-07-02", "in-process", 1, 10, "open"),
    "corrective-action/CA-2025-009.yaml": ca("CA-2025-009", "2025-11-12", "kpi", "KPI-2025-12", "2026-01-31", "closed",
                                             "2026-02-01", verified=True),
    "corrective-action/CA-2026-001.yaml": ca("CA-2026-001", "2026-01-20", "nonconforming-output", "NCR-2026-001",
                                             "2026-03-31", "open"),
    "corrective-action/CA-2026-002.yaml": ca("CA-2026-002", "2026-02-20", "internal-audit", "AR-2026-01",
                                             "2026-10-31", "open"),
    "corrective-action/CA-2026-003.yaml": ca("CA-2026-003", "2026-04-01", "customer-complaint", "NCR-2026-003",
                                             "2026-07-31", "closed", "2026-08-01"),
    "monitoring-result/KPI-2025-12.yaml": kpi("2025-12", 80, 5000),
    "monitoring-result/KPI-2026-01.yaml": kpi("2026-01", 93, 1200),
    "monitoring-result/KPI-2026-02.yaml": kpi("2026-02", 96, 900),
    "monitoring-result/KPI-2026-03.yaml": kpi("2026-03", 97, 1100, satisfaction=4.2),
    "supplier-evaluation/SE-2025-010.yaml": supplier("SE-2025-010", "Old Co", "2025-10-01", "D", "removed"),
    "supplier-evaluation/SE-2026-001.yaml": supplier("SE-2026-001", "Acme Bar", "2026-02-01", "B", "approved"),
    "supplier-evaluation/SE-2026-002.yaml": supplier("SE-2026-002", "Bolt Anodising", "2026-03-01", "C", "on-probation"),
    "supplier-evaluation/SE-2026-004.yaml": supplier("SE-2026-004", "Acme Bar", "2026-05-01", "A", "approved"),
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project with a year of records, shared by the tests (they only read it)."""
    root = tmp_path_factory.mktemp("pack") / "qms"
    create(root, "Pack Testing Ltd", AS_OF)
    shutil.copy(ROOT / "organization.yaml", root / "organization.yaml")
    strip_starter(root)
    docs = {"QP-13": document("QP-13", ["8.7", "8.7.1", "8.7.2"], ["nonconforming-output"]),
            "QP-09": document("QP-09", ["8.5", "8.5.1"]), "QP-15": document("QP-15", ["9.2"]),
            "QP-17": document("QP-17", ["10.2", "10.2.2"], ["corrective-action"])}
    for name, text in docs.items():
        (root / "procedures" / f"{name}.md").write_text(text)
    for type_id in TYPES:
        shutil.copy(ROOT / "records_schema" / f"{type_id}.schema.yaml", root / "records_schema")
    for rel, text in RECORDS.items():
        (root / "records" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "records" / rel).write_text(text)
    return root


@pytest.fixture(scope="module")
def project(root: Path) -> Project:
    project = load_project(load_settings(root / "mkdocs.yml"))
    assert not project.problems, [str(p) for p in project.problems]
    return project


def test_period_parsing():
    assert Period.parse("2026-01-01..2026-12-31") == Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert Period.year_to(dt.date(2026, 11, 26)) == Period(dt.date(2025, 11, 27), dt.date(2026, 11, 26))
    assert PERIOD.months() == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    for bad in ("2026", "2026-12-31..2026-01-01", "2026-02-30..2026-03-01"):
        with pytest.raises(ValueError, match="is not a period"):
            Period.parse(bad)


def test_actions_from_previous_reviews(project: Project):
    pack = compile_pack(project, PERIOD, AS_OF)
    assert [r.id for r in pack.reviews] == ["MRV-2024-01", "MRV-2025-01", "MRV-2026-01"]
    assert [a.what for a in pack.actions] == [
        "Old action still open",  # earlier reviews: only what is still open
        "Last year's first action", "Last year's late action", "Last year's third action",  # the last review before
        "This year's action", "This year's quick win"]  # reviews in the period
    assert pack.action_counts == {"total": 6, "done": 3, "open": 3, "overdue": 2}
    assert [a.what for a in pack.actions if a.overdue] == ["Last year's late action", "This year's action"]


def test_audit_results(project: Project):
    audits = compile_pack(project, PERIOD, AS_OF).audits
    assert audits.planned == {"planned": 0, "done": 2, "postponed": 1, "cancelled": 0}
    assert [r.id for r in audits.reports] == ["AR-2026-01", "AR-2026-02"]
    assert audits.findings_by_severity == {"major": 0, "minor": 1, "observation": 2}
    [nc] = [f for f in audits.findings if f.is_nonconformity]
    assert (nc.report, nc.corrective_action, nc.action_status, nc.is_open) == ("AR-2026-01", "CA-2026-002", "open", True)


def test_nonconformities_and_corrective_actions(project: Project):
    pack = compile_pack(project, PERIOD, AS_OF)
    nc = pack.nonconformities
    assert [r.id for r in nc.records] == ["NCR-2026-001", "NCR-2026-002", "NCR-2026-003"]
    assert nc.per_month == (("2026-01", 2), ("2026-02", 0), ("2026-03", 1), ("2026-04", 0), ("2026-05", 0),
                            ("2026-06", 0))
    assert (nc.total, nc.open, nc.parts, nc.cost) == (3, 1, 65, 420.5)
    assert nc.by("detected_at") == {"customer": 1, "goods-in": 1, "in-process": 1}
    ca = pack.corrective
    assert [c.id for c in ca.opened] == ["CA-2026-001", "CA-2026-002", "CA-2026-003"]
    assert [c.id for c in ca.closed] == ["CA-2025-009"] and ca.verified == 1
    assert [c.id for c in ca.open_at_end] == ["CA-2026-001", "CA-2026-002", "CA-2026-003"]  # 003 closed after June
    assert [c.id for c in ca.overdue] == ["CA-2026-001"]


def test_objectives_against_targets_and_customer_satisfaction(project: Project):
    pack = compile_pack(project, PERIOD, AS_OF)
    assert [m.id for m in pack.monitoring] == ["KPI-2026-01", "KPI-2026-02", "KPI-2026-03"]
    obj1, obj2 = pack.objectives
    assert (obj1.id, obj1.points, obj1.latest, obj1.met, obj1.months_met) == \
        ("OBJ-01", (("2026-01", 93.0), ("2026-02", 96.0), ("2026-03", 97.0)), 97.0, True, 2)
    assert (obj2.id, obj2.direction, obj2.latest, obj2.met, obj2.months_met) == ("OBJ-02", "at-most", 1100.0, False, 1)
    [sat] = pack.satisfaction
    assert (sat.month, sat.score, sat.scale) == ("2026-03", 4.2, "mean of 1-5")


def test_external_providers_resources_and_improvement(project: Project):
    pack = compile_pack(project, PERIOD, AS_OF)
    assert [(s.supplier, s.grade, s.evaluation) for s in pack.suppliers] == [
        ("Acme Bar", "A", "SE-2026-004"), ("Bolt Anodising", "C", "SE-2026-002")]
    assert pack.grade_counts == {"A": 1, "B": 0, "C": 1, "D": 0}
    assert [(n.kind, n.text) for n in pack.resources] == [
        ("input", "The CMM is booked solid on Mondays."), ("decision", "Recruit a second inspector.")]
    assert [(n.source, n.text) for n in pack.improvements] == [
        ("AR-2026-01 F2", "Photograph the rejected parts."), ("AR-2026-02 F1", "One set-up sheet was faded."),
        ("MRV-2026-01", "Probing could halve first-off time."), ("MRV-2026-01", "Fund in-machine probing.")]


def test_qms_review_pack_json_matches_the_records(root: Path, capsys: pytest.CaptureFixture[str]):
    args = ["-f", str(root / "mkdocs.yml"), "review-pack", "--period", "2026-01-01..2026-06-30",
            "--as-of", "2026-09-01", "--format", "json"]
    assert cli.main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["period"] == {"start": "2026-01-01", "end": "2026-06-30"}
    assert (data["previous_actions"]["total"], data["previous_actions"]["overdue"]) == (6, 2)
    assert data["nonconformities"]["per_month"][0] == {"month": "2026-01", "count": 2}
    assert data["corrective_actions"]["opened"] == 3 and data["corrective_actions"]["overdue"] == 1
    assert data["audit_results"]["findings_by_severity"] == {"major": 0, "minor": 1, "observation": 2}
    assert data["quality_objectives"][0]["latest"] == 97.0
    assert data["external_providers"]["grades"]["C"] == 1
    assert data["missing_record_types"] == []
    with pytest.raises(SystemExit) as exit_:  # argparse: a usage error
        cli.main(["-f", str(root / "mkdocs.yml"), "review-pack", "--period", "2026-13-01..2026-12-31"])
    assert exit_.value.code == 2 and "is not a period: month must be in 1..12" in capsys.readouterr().err


def test_the_pack_page_draws_accessible_charts(project: Project):
    page = reports.pack_markdown(project, compile_pack(project, PERIOD, AS_OF), reports.PACK_PAGE)
    svgs = re.findall(r"<svg .*?</svg>", page)
    assert len(svgs) == 3  # NCRs per month and one per objective (one satisfaction score is not a trend)
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        assert "<script" not in svg and "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    ncr_chart = next(s for s in svgs if "Nonconforming outputs per month" in s)
    assert ">month found</text>" in ncr_chart and ">NCRs</text>" in ncr_chart and ">Jan 26</text>" in ncr_chart
    assert "<title>Jan 26: 2</title>" in ncr_chart
    assert "OBJ-01 by month against a target of at least 95 %: Jan 26: 93; Feb 26: 96; Mar 26: 97" in page
    assert "**6** actions, 3 done, 3 open, 2 overdue" in page
    assert "[9.3.2 Management review inputs](../iso9001/9-3-2.md)" in page


def test_audit_checklist_for_a_clause(project: Project):
    cl = auditprep.checklist(project, clause_id="8.7", as_of=AS_OF, sample_size=3)
    assert [c.id for c in cl.clauses] == ["8.7", "8.7.1", "8.7.2"]
    assert [(r.document.id, r.document.revision) for r in cl.documents] == [("QP-13", "4")]
    [records] = cl.records
    assert (records.type_id, records.total) == ("nonconforming-output", 5)
    assert records.sample == (("NCR-2026-004", "2026-07-02"), ("NCR-2026-003", "2026-03-03"),
                              ("NCR-2026-002", "2026-01-28"))
    assert [(f.report, f.id) for f in cl.open_findings] == [("AR-2026-01", "F1")]
    assert [(f.report, f.id) for f in cl.recent_observations] == [("AR-2026-01", "F2")]
    assert [c.id for c in cl.corrective_actions] == ["CA-2026-002", "CA-2026-001"]
    assert [c.id for c in cl.corrective_actions if c.overdue(AS_OF)] == ["CA-2026-001"]
    assert [a.id for a in cl.past_audits] == ["AR-2026-01"]


def test_audit_checklist_for_a_process(project: Project):
    cl = auditprep.checklist(project, process_id="QP-09", as_of=AS_OF)
    assert cl.scope == "process QP-09 Procedure QP-09"
    assert [c.id for c in cl.clauses] == ["8.5", "8.5.1"]
    assert [a.id for a in cl.past_audits] == ["AR-2026-02"]
    assert [(f.id, f.severity) for f in cl.recent_observations] == [("F1", "observation")]
    assert cl.open_findings == () and cl.corrective_actions == ()


def test_audit_checklist_command(root: Path, capsys: pytest.CaptureFixture[str]):
    config = str(root / "mkdocs.yml")
    assert cli.main(["-f", config, "audit-checklist", "--clause", "8.7", "--as-of", "2026-09-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"][0]["revision"] == "4" and data["records"][0]["records"] == 5
    assert [c["id"] for c in data["corrective_actions"]] == ["CA-2026-002", "CA-2026-001"]
    assert cli.main(["-f", config, "audit-checklist", "--clause", "8.7", "--as-of", "2026-09-01"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Internal audit checklist: clause 8.7 Control of nonconforming outputs")
    assert "- [ ] 8.7.2 " in text and "    - [ ] records are retained (8.7.2)" in text
    assert cli.main(["-f", config, "audit-checklist", "--clause", "8.77"]) == 1
    assert "unknown clause '8.77'" in capsys.readouterr().err
    with pytest.raises(QMSError):
        auditprep.checklist(load_project(load_settings(root / "mkdocs.yml")), process_id="QP-99", as_of=AS_OF)
