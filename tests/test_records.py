"""Records: schemas, validation with file and line, references, round-trip editing, confidentiality, registers."""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import shutil
from pathlib import Path

import pytest
from qms.cli.app import main as qms
from qms.cli.record import create_record, new_record_text
from qms.config import load_settings
from qms.model import yamlio
from qms.model.catalogue import find_catalogue, load_standard
from qms.model.project import Project, load_project
from qms.model.records import confidential_values, public_view
from qms.render import paths
from qms.render.registers import register_pages
from qms.render.spreadsheet import spreadsheet_files

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 26)


# --- fixtures ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def example() -> Project:
    """The example company, with its real records, loaded once."""
    return load_project(load_settings(ROOT / "mkdocs.yml"))


PROCEDURE = """\
---
id: QP-04
title: Calibration of measuring equipment
type: procedure
revision: "3"
status: effective
owner: quality-manager
clauses: ["7.1.5"]
records: [equipment, calibration, person, training]
review_interval: 12 months
---

How we calibrate.
"""

RECORDS = {
    "equipment/APE-MIC-0001.yaml": """\
id: APE-MIC-0001
description: Outside micrometer 0-25 mm
kind: micrometer
serial_number: "61043187"
location: Cell 1 gauge board
calibration_interval_months: 6
method: in-house
status: in-use
""",
    "calibration/CAL-2026-001.yaml": """\
# Calibration of APE-MIC-0001.
id: CAL-2026-001
equipment: APE-MIC-0001
date: 2026-05-20
provider: in-house
performed_by: P-001
traceability: national-standard
as_found: in-tolerance
result: pass
next_due: 2026-11-20
""",
    "person/P-001.yaml": """\
id: P-001
name: Hortensia Vandermeer-Quist
role: quality-inspector
status: active
started: 2020-01-06
notes: Hortensia prefers the early shift.
""",
    "training/TR-2026-001.yaml": """\
id: TR-2026-001
person: P-001
date: 2026-03-01
document: QP-04
revision: "2"
method: read-and-sign
result: awareness
notes: Hortensia asked sharp questions about the gauge recall.
""",
    "corrective-action/CA-2026-001.yaml": """\
# Corrective action raised at the Monday NCR meeting.
id: CA-2026-001
opened: 2026-10-01   # the day it was raised
source: kpi
nonconformity: "Scrap cost above target: two months running"
root_cause: 'Tool life not monitored on lathe 2'
actions:
  - what: Add a tool-life counter
    owner: production-supervisor   # day shift
    due: 2026-10-31
    status: done
owner: quality-manager
due: 2026-11-15
status: open
""",
    "customer-property/CP-2026-001.yaml": """\
id: CP-2026-001
customer: Zebulon Orthotics GmbH
description: Customer titanium master gauge TX-99 for knee hinge bores
received: 2026-02-02
status: held
""",
}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A small real project: the repository's record schemas (a copy: a symlink is refused) and roles, one
    procedure, a few records."""
    shutil.copytree(ROOT / "records_schema", tmp_path / "schemas-in-place")
    (tmp_path / "mkdocs.yml").write_text("site_name: Tiny\nplugins:\n  - qms:\n      schema_dir: schemas-in-place\n",
                                         encoding="utf-8")
    shutil.copy(ROOT / "organization.yaml", tmp_path / "organization.yaml")
    write(tmp_path, "procedures/QP-04-calibration.md", PROCEDURE)
    (tmp_path / "docs").mkdir()
    for rel, text in RECORDS.items():
        write(tmp_path, f"records/{rel}", text)
    return tmp_path


def own_schemas(root: Path) -> None:
    """Give a tiny project its own copy of the record schemas, to break them on purpose."""
    shutil.copytree(ROOT / "records_schema", root / "records_schema")
    (root / "mkdocs.yml").write_text("site_name: Tiny\n", encoding="utf-8")


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(root: Path) -> Project:
    return load_project(load_settings(root / "mkdocs.yml"))


def record_problems(root: Path) -> list[str]:
    """Every problem reported for records and record schemas, as printed."""
    return [str(p) for p in sorted(load(root).problems) if p.path.startswith(("records", "records_schema", str(ROOT)))]


def replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def qms_run(root: Path, *args: str) -> int:
    return qms(["-f", str(root / "mkdocs.yml"), *args])


# --- schemas and the example records -------------------------------------------------------------------

def test_every_example_record_is_valid_against_its_schema(example: Project):
    assert [str(p) for p in example.problems if p.path.startswith(("records", "records_schema"))] == []
    assert example.record_set.invalid == []
    counts = {t: len(example.record_set.of_type(t)) for t in example.record_types}
    assert counts["equipment"] >= 12 and counts["calibration"] >= 12
    assert counts["person"] >= 12 and counts["training"] >= 25
    assert counts["supplier-evaluation"] >= 6 and counts["nonconforming-output"] >= 8
    assert counts["corrective-action"] >= 6 and counts["audit-report"] >= 4
    assert counts["management-review"] >= 2 and counts["monitoring-result"] >= 12
    assert all(n >= 1 for n in counts.values()), counts


def test_each_record_type_names_clauses_owner_retention_and_confidentiality(example: Project):
    expected = {"equipment", "calibration", "person", "training", "requirements-review", "design-development",
                "supplier-evaluation", "traceability", "customer-property", "production-change", "product-release",
                "nonconforming-output", "monitoring-result", "audit-programme", "audit-report", "management-review",
                "corrective-action", "process-record"}
    assert set(example.record_types) == expected
    for rtype in example.record_types.values():
        assert rtype.schema.data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert rtype.clauses and all(example.find_clause(c) for c in rtype.clauses)
        assert rtype.owner in example.organization.roles
        assert rtype.retention
        assert "id" in rtype.public_fields
    assert example.record_types["person"].confidential and example.record_types["training"].confidential
    assert "description" in example.record_types["customer-property"].confidential_fields
    stage = example.record_types["design-development"].field_schema("stage")
    assert stage["enum"] == ["planning", "input", "review", "verification", "validation", "output", "change"]


def uncovered_retain_items(standard_name: str, record_types: dict) -> list[str]:
    """Retain items of the standard's catalogue whose clause no record type names."""
    standard = load_standard(find_catalogue(standard_name))
    kept = {clause for rtype in record_types.values() for clause in rtype.clauses}
    retain = [item for item in standard.documented_information if item.kind == "retain"]
    assert len(retain) == 21
    return [f"{item.clause}: {item.what}" for item in retain if item.clause_id not in kept]


def test_every_record_iso9001_requires_to_retain_is_kept_by_a_record_type(example: Project):
    assert uncovered_retain_items("iso9001-2015", example.record_types) == []


# --- validation: path:line: field: message -------------------------------------------------------------

def test_the_small_project_is_clean(tiny: Path):
    assert record_problems(tiny) == []


CAL = "records/calibration/CAL-2026-001.yaml"


@pytest.mark.parametrize("old, new, expected", [
    ("date: 2026-05-20", "date: 2026-5-20", f"{CAL}:4: date: '2026-5-20' is not a real date (use YYYY-MM-DD)"),
    ("date: 2026-05-20", "date: 2026-02-30", f"{CAL}:4: date: '2026-02-30' is not a real date (use YYYY-MM-DD)"),
    ("result: pass", "result: passed", f"{CAL}:9: result: 'passed' is not one of 'pass', 'adjusted', 'fail'"),
    ("equipment: APE-MIC-0001", "equipment: MIC-1",
     f"{CAL}:3: equipment: 'MIC-1' does not match: gauge number of the equipment calibrated, e.g. APE-MIC-0142"),
    ("performed_by: P-001\n", "", f"{CAL}:1: performed_by: missing (required because provider is 'in-house') — add `performed_by: ...` "
     "(person id (P-nnn) who did an in-house calibration)"),
    ("traceability: national-standard", "traceability: other-basis", f"{CAL}:1: basis: missing (required because traceability is 'other-basis') — add `basis: ...`"),
    ("next_due: 2026-11-20", "next_due: 2026-11-20\ncolour: blue", f"{CAL}:11: unknown field(s) 'colour'"),
    ("id: CAL-2026-001", "id: CAL-2026-002",
     f"{CAL}:2: id: 'CAL-2026-002' must equal the file name 'CAL-2026-001' (rename the file or fix the id)"),
    ("result: pass", "result: [pass",
     f"{CAL}:10: invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'"),
])
def test_a_broken_record_is_reported_with_path_line_field_and_message(tiny: Path, old: str, new: str, expected: str):
    replace(tiny, CAL, old, new)
    assert record_problems(tiny) == [expected]


def test_a_record_fixed_without_changing_its_size_or_time_is_checked_again(tiny: Path):
    """Validation results are reused by content: an edit is never hidden by a cached result, and a fresh clone
    (new modification times) still finds them."""
    path = tiny / CAL
    replace(tiny, CAL, "result: pass", "result: pazz")
    stamp = path.stat()
    assert record_problems(tiny) == [f"{CAL}:9: result: 'pazz' is not one of 'pass', 'adjusted', 'fail'"]
    replace(tiny, CAL, "result: pazz", "result: pass")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size
    assert record_problems(tiny) == []


def test_an_invalid_record_is_not_published_but_references_to_it_still_resolve(tiny: Path):
    replace(tiny, "records/person/P-001.yaml", "status: active", "status: retired")
    project = load(tiny)
    assert [r.id for r in project.record_set.invalid] == ["P-001"]
    assert project.record_set.get("P-001") is None
    assert [str(p) for p in project.problems if "records/" in p.path] == [
        "records/person/P-001.yaml:4: status: 'retired' is not one of 'active', 'left'"]


def test_unknown_references_are_errors_at_their_line(tiny: Path):
    replace(tiny, CAL, "equipment: APE-MIC-0001", "equipment: APE-MIC-0999")
    replace(tiny, CAL, "performed_by: P-001", "performed_by: P-099")
    replace(tiny, "records/training/TR-2026-001.yaml", "document: QP-04", "document: QP-40")
    replace(tiny, "records/corrective-action/CA-2026-001.yaml", "owner: production-supervisor", "owner: shift-boss")
    replace(tiny, "records/corrective-action/CA-2026-001.yaml", "owner: quality-manager", "owner: quality-manger")
    assert record_problems(tiny) == [
        f"{CAL}:3: equipment: unknown equipment record 'APE-MIC-0999' (no records/equipment/APE-MIC-0999.yaml)",
        f"{CAL}:6: performed_by: unknown person record 'P-099' (no records/person/P-099.yaml)",
        "records/corrective-action/CA-2026-001.yaml:9: actions[0].owner: unknown role 'shift-boss'",
        "records/corrective-action/CA-2026-001.yaml:12: owner: unknown role 'quality-manger' "
        "(did you mean 'quality-manager' or 'quality-engineer' or 'quality-inspector'?)",
        "records/training/TR-2026-001.yaml:4: document: unknown document 'QP-40' (did you mean 'QP-04'?)",
    ]


def test_references_to_clauses_and_records_of_a_type_are_checked(tiny: Path):
    write(tiny, "records/audit-report/AR-2026-01.yaml", """\
id: AR-2026-01
programme: AP-2026
audit: IA-2026-01
date: 2026-02-17
auditor: P-001
auditee: quality-manager
process: QP-04
clauses: ["7.1.5", "7.9"]
summary: Calibration under control.
findings:
  - id: F1
    severity: minor
    clause: "7.1.5.1"
    description: One overdue gauge in use.
    corrective_action: CA-2026-009
""")
    assert record_problems(tiny) == [
        "records/audit-report/AR-2026-01.yaml:2: programme: unknown audit-programme record 'AP-2026' "
        "(no records/audit-programme/AP-2026.yaml)",
        "records/audit-report/AR-2026-01.yaml:8: clauses[1]: unknown clause '7.9' of ISO 9001:2015",
        "records/audit-report/AR-2026-01.yaml:15: findings[0].corrective_action: unknown corrective-action record "
        "'CA-2026-009' (no records/corrective-action/CA-2026-009.yaml)",
    ]


def test_training_on_a_revision_newer_than_the_document_is_an_error(tiny: Path):
    replace(tiny, "records/training/TR-2026-001.yaml", 'revision: "2"', 'revision: "4"')
    assert record_problems(tiny) == [
        "records/training/TR-2026-001.yaml:5: revision: QP-04 is at revision 3; revision '4' does not exist yet"]


def test_a_folder_without_a_schema_is_an_unknown_record_type(tiny: Path):
    write(tiny, "records/gauge/G-1.yaml", "id: G-1\n")
    write(tiny, "records/loose.yaml", "id: X-1\n")
    assert record_problems(tiny) == [
        "records/gauge: unknown record type 'gauge': there is no schemas-in-place/gauge.schema.yaml",
        "records/loose.yaml: a record must be in the folder of its type, e.g. records/calibration/CAL-2026-001.yaml",
    ]


def test_record_ids_are_unique_across_types(tiny: Path):
    write(tiny, "records/process-record/CA-2026-001.yaml", "id: CA-2026-001\n")
    problems = record_problems(tiny)
    assert "records/process-record/CA-2026-001.yaml:1: id: 'CA-2026-001' is already used by " \
           "records/corrective-action/CA-2026-001.yaml" in problems


def test_a_schema_without_qms_metadata_is_not_a_record_type_unless_records_use_it(tiny: Path):
    own_schemas(tiny)
    write(tiny, "records_schema/checklist.schema.yaml", "$schema: https://json-schema.org/draft/2020-12/schema\ntype: object\n")
    assert record_problems(tiny) == []
    write(tiny, "records/checklist/C-1.yaml", "id: C-1\n")
    assert record_problems(tiny) == [
        "records_schema/checklist.schema.yaml:1: x-qms: missing, so 'checklist' is not a record type although "
        "records/checklist/ holds records: add an x-qms section (see calibration.schema.yaml)"]


def test_mistakes_in_a_schemas_qms_metadata_are_reported(tiny: Path):
    own_schemas(tiny)
    path = "records_schema/equipment.schema.yaml"
    replace(tiny, path, "  owner: quality-manager", "  owner: gauge-keeper")
    replace(tiny, path, "  confidential: false", "  confidential: false\n  confidential_fields: [serial]")
    replace(tiny, path, "additionalProperties: false\nproperties:", "properties:")
    text = (tiny / path).read_text(encoding="utf-8").splitlines()
    line = {key: text.index(f"  {key}" + (": gauge-keeper" if key == "owner" else ": [serial]")) + 1
            for key in ("owner", "confidential_fields")}
    assert record_problems(tiny) == [
        f"{path}:1: schema: an object in a record schema must set 'additionalProperties: false', so undeclared "
        "(possibly confidential) data is refused",
        f"{path}:{line['owner']}: x-qms.owner: unknown role 'gauge-keeper'",
        f"{path}:{line['confidential_fields']}: x-qms.confidential_fields: 'serial' is not a field of the schema",
    ]


# --- authoring: qms record set and qms new record --------------------------------------------------------

CA = "records/corrective-action/CA-2026-001.yaml"


def test_record_set_changes_only_the_lines_it_sets_and_keeps_comments(tiny: Path, capsys: pytest.CaptureFixture):
    before = (tiny / CA).read_text(encoding="utf-8").splitlines()
    assert qms_run(tiny, "record", "set", "CA-2026-001", "status=closed", "closed=2026-11-20",
                   "actions[0].due=2026-11-02") == 0
    assert capsys.readouterr().out == f"{CA}: set status, closed, actions[0].due\n"
    after = (tiny / CA).read_text(encoding="utf-8").splitlines()
    assert after[-1] == "closed: 2026-11-20"
    assert len(after) == len(before) + 1
    changed = [i + 1 for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed == [10, 14]
    assert after[9] == "    due: 2026-11-02"
    assert after[13] == "status: closed"
    assert after[2] == "opened: 2026-10-01   # the day it was raised"
    assert after[8] == "    owner: production-supervisor   # day shift"
    assert after[4] == 'nonconformity: "Scrap cost above target: two months running"'
    assert after[5] == "root_cause: 'Tool life not monitored on lathe 2'"
    assert record_problems(tiny) == []


def test_record_set_refuses_an_invalid_result_and_leaves_the_file_untouched(tiny: Path, capsys: pytest.CaptureFixture):
    before = (tiny / CA).read_bytes()
    assert qms_run(tiny, "record", "set", "CA-2026-001", "status=closed") == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: {CA}:1: closed: missing (required because status is 'closed') — add `closed: YYYY-MM-DD`",
        f"error: {CA}: not changed: the result would be invalid",
    ]
    assert qms_run(tiny, "record", "set", "CA-2026-001", "owner=nobody") == 1
    assert f"{CA}:12: owner: unknown role 'nobody'" in capsys.readouterr().err
    assert qms_run(tiny, "record", "set", "CA-2026-001", "colour=red") == 1
    assert "colour: not a field of corrective-action records" in capsys.readouterr().err
    assert (tiny / CA).read_bytes() == before


def test_record_set_writes_values_in_the_type_the_schema_asks_for(tiny: Path):
    assert qms_run(tiny, "record", "set", "TR-2026-001", "revision=3", "notes=Read: twice") == 0
    text = (tiny / "records/training/TR-2026-001.yaml").read_text(encoding="utf-8")
    assert 'revision: "3"\n' in text and 'notes: "Read: twice"\n' in text
    assert qms_run(tiny, "record", "set", "APE-MIC-0001", "calibration_interval_months=12") == 0
    assert "calibration_interval_months: 12\n" in (tiny / "records/equipment/APE-MIC-0001.yaml").read_text()
    assert record_problems(tiny) == []


def test_a_new_record_is_prefilled_from_its_schema_and_valid_once_filled(tiny: Path, capsys: pytest.CaptureFixture):
    path = create_record(load(tiny), "calibration", None, TODAY)
    assert path == tiny / "records/calibration/CAL-2026-002.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "id: CAL-2026-002" in lines and "date: 2026-11-26" in lines and 'equipment: ""' in lines
    for name in ("id", "equipment", "date", "provider", "traceability", "as_found", "result", "next_due"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
        assert lines[at - 1].startswith("# ") and len(lines[at - 1]) > 10, name
    assert "# certificate: \"\"  # certificate or in-house report number" in lines
    equipment_line = lines.index('equipment: ""') + 1
    assert f"records/calibration/CAL-2026-002.yaml:{equipment_line}: equipment: '' does not match: gauge number of " \
           "the equipment calibrated, e.g. APE-MIC-0142" in record_problems(tiny)
    assert qms_run(tiny, "record", "set", "CAL-2026-002", "equipment=APE-MIC-0001", "provider=in-house",
                   "performed_by=P-001", "traceability=national-standard", "as_found=in-tolerance", "result=pass") == 0
    assert record_problems(tiny) == []
    capsys.readouterr()
    assert qms_run(tiny, "new", "record", "corrective-action", "--id", "CA-2026-007") == 0
    assert capsys.readouterr().out.startswith("records/corrective-action/CA-2026-007.yaml: created")
    assert qms_run(tiny, "new", "record", "corrective-action", "--id", "CA-2026-007") == 1
    assert qms_run(tiny, "new", "record", "equipment") == 1
    assert "equipment ids are chosen by hand: give one with --id" in capsys.readouterr().err


def test_every_record_type_can_start_a_new_record(example: Project):
    for rtype in example.record_types.values():
        data = yamlio.load(new_record_text(example, rtype, "X-1", TODAY))
        assert set(rtype.required) <= set(data), rtype.id


# --- confidentiality ------------------------------------------------------------------------------------

def test_public_views_never_hold_a_confidential_value(example: Project):
    secrets = confidential_values(example.record_set)
    names = {r.data["name"] for r in example.record_set.of_type("person")}
    assert names <= secrets
    assert {r.data["description"] for r in example.record_set.of_type("customer-property")} <= secrets
    assert any("Aoife" in s for s in secrets)  # training notes
    for record in example.records:
        rtype = example.record_types[record.type]
        view = public_view(rtype, record)
        assert set(view) <= set(rtype.public_fields) - set(rtype.confidential_fields)
        shown = repr(view)
        assert not [s for s in secrets if s in shown], record.id
    person = example.record_set.get("P-008")
    assert set(public_view(example.record_types["person"], person)) == {"id", "role", "status"}


def test_confidential_values_are_long_free_text_only(tiny: Path):
    assert confidential_values(load(tiny).record_set) == {
        "Hortensia Vandermeer-Quist", "Hortensia prefers the early shift.",
        "Hortensia asked sharp questions about the gauge recall.",
        "Zebulon Orthotics GmbH", "Customer titanium master gauge TX-99 for knee hinge bores"}


# --- registers ------------------------------------------------------------------------------------------

LINK = re.compile(r'\]\(([^)\s]+)(?: "[^"]*")?\)')


def test_register_pages_link_only_to_pages_that_exist_and_show_nothing_confidential(example: Project):
    pages = register_pages(example, TODAY)
    assert {"records/index.md", "records/calibration.md", "records/person.md", "registers/calibration-status.md",
            "registers/training-matrix.md", "registers/audit-programme.md", "registers/audit-findings.md",
            "registers/nonconforming-outputs.md", "registers/corrective-actions.md", "registers/supplier-evaluations.md",
            "registers/management-reviews.md"} <= set(pages)
    targets = set(pages) | {d.src_uri for d in example.documents.values()}
    targets |= {paths.clause_page(example.standard, c) for c in example.standard.clauses}
    targets |= set(spreadsheet_files(example))  # the registers' CSV and Excel downloads
    targets |= {f"records/new/{t}.md" for t in example.record_types}  # the record forms
    secrets = confidential_values(example.record_set)
    for uri, text in pages.items():
        assert "{{" not in text and "{%" not in text, uri
        assert text.startswith("---\nrender_macros: false\n")
        assert text.rstrip().splitlines()[-1] == "*Generated from records/ on 2026-11-26.*", uri
        assert not [s for s in secrets if s in text], uri
        for link in LINK.findall(text):
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(uri), link.split("#")[0]))
            assert resolved in targets, (uri, link)


def test_calibration_status_flags_overdue_and_due_soon(example: Project):
    page = register_pages(example, TODAY)["registers/calibration-status.md"]
    rows = {line.split("]")[0][3:]: line for line in page.split("## All equipment")[1].splitlines()
            if line.startswith("| [APE-")}
    assert "qms-badge-bad\">overdue" in rows["APE-MIC-0142"]
    assert "due soon" in rows["APE-MIC-0157"]
    assert "qms-badge-ok\">calibrated" in rows["APE-CMM-0001"]
    assert "[QP-04 Control and calibration" in page and "(../iso9001/7-1-5-2.md)" in page


def test_training_matrix_shows_people_by_id_and_role_and_flags_old_revisions(tiny: Path):
    page = register_pages(load(tiny), TODAY)["registers/training-matrix.md"]
    row = next(line for line in page.splitlines() if line.startswith("| [P-001]"))
    assert "Quality Inspector" in row and 'qms-badge-warn">rev 2' in row
    assert "Hortensia" not in page
    assert "**1 trainings on an older revision**" in page


def test_corrective_action_register_separates_open_overdue_and_verified(example: Project):
    page = register_pages(example, TODAY)["registers/corrective-actions.md"]
    open_part = page.split("## Open")[1].split("## Closed")[0]
    assert "CA-2026-004" in open_part and "overdue" in open_part.split("CA-2026-004")[1].splitlines()[0]
    assert "CA-2026-001" in page.split("## Verified effective")[1]
