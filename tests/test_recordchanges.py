"""Records under change control: `qms diff`, `qms check --base` and `qms audit-trail` on records, flags for an edited
closed record and a retained record deleted early, and loud changes to what record types publish."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import copy_example
from qms.cli import app as cli
from qms.config import load_settings
from qms.model.project import load_project
from qms.model.records import retention_end
from qms.history import changecontrol
from qms.history.revisions import load_history
from qms.render.changes import audit_trail_page

pytestmark = pytest.mark.usefixtures("isolated_git")

CAL = "records/calibration/CAL-2025-002.yaml"
CA_CLOSED = "records/corrective-action/CA-2026-001.yaml"
PERSON_SCHEMA = "records_schema/person.schema.yaml"
# Confidential values of the example's person register (names and HR notes are never published)
SECRETS = ("Imogen Tresilian", "Works Monday to Thursday", "Friday cover")


class Example:
    """The example company's manual in a real git repository: main holds it, the work happens on a branch."""

    def __init__(self, tmp_path: Path):
        self.path = copy_example(tmp_path)
        self.day = 0
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Alice Author")
        self.git("config", "user.email", "alice@example.com")
        self.git("config", "commit.gpgsign", "false")
        self.commit("The manual as it stands")
        self.git("checkout", "-q", "-b", "feature")

    def git(self, *args: str, author: tuple[str, str] | None = None) -> str:
        self.day += args[0] in ("commit", "merge")
        when = f"2026-11-{self.day:02d}T10:00:00+00:00"
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        if author:
            env.update(GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1],
                       GIT_COMMITTER_NAME=author[0], GIT_COMMITTER_EMAIL=author[1])
        return subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, check=True,
                              text=True).stdout.strip()

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.path / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def commit(self, message: str, *extra: str, author: tuple[str, str] | None = None) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, *extra, author=author)

    def merge(self, title: str) -> None:
        self.git("checkout", "-q", "main")
        self.git("merge", "-q", "--no-ff", "feature", "-m", "Merge pull request #7 from acme/feature", "-m", title,
                 author=("Helen Carter", "helen.carter@aldwick-precision.example"))

    def qms(self, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
        code = cli.main(["-f", str(self.path / "mkdocs.yml"), *args])
        out, err = capsys.readouterr()
        return code, out, err

    def widen_person_schema(self) -> None:
        self.edit(PERSON_SCHEMA, "public_fields: [id, role, additional_roles, status]",
                  "public_fields: [id, name, role, additional_roles, status, notes]")
        self.edit(PERSON_SCHEMA, "columns: [id, role, additional_roles, status]",
                  "columns: [id, name, role, additional_roles, status, notes]")


@pytest.fixture
def example(tmp_path: Path) -> Example:
    return Example(tmp_path)


def test_a_calibration_result_changed_on_a_branch_shows_in_qms_diff_and_the_audit_trail(example, capsys):
    example.edit(CAL, "result: pass", "result: fail")
    example.commit("CAL-2025-002: the result was a fail")

    code, out, err = example.qms(capsys, "diff", "--base", "main")
    assert code == 0, err
    assert "### Records changed since `main`" in out
    assert "| CAL-2025-002 | calibration | changed | result: pass → fail | — |" in out

    code, out, _ = example.qms(capsys, "diff", "--base", "main", "--format", "json")
    entry = next(e for e in json.loads(out) if e["kind"] == "record")
    assert (entry["record_id"], entry["status"], entry["fields"]) == (
        "CAL-2025-002", "M", [{"field": "result", "before": "pass", "after": "fail"}])

    example.merge("The result of CAL-2025-002 was a fail")
    code, out, _ = example.qms(capsys, "audit-trail", "--format", "json")
    assert code == 0
    rows = [r for r in json.loads(out) if r["doc_id"] == "CAL-2025-002"]
    assert rows[0]["record_type"] == "calibration" and rows[0]["fields"] == ["result: pass → fail"]
    assert rows[0]["summary"] == "The result of CAL-2025-002 was a fail" and rows[0]["approved_by"] == [
        "Helen Carter"]
    assert rows[0]["via_pr"] and rows[0]["pr"] == "#7"
    code, out, _ = example.qms(capsys, "audit-trail", "--format", "md", "--since", "2026-11-02")
    assert "| CAL-2025-002 | changed | The result of CAL-2025-002 was a fail (calibration record: result: pass → fail)" in out

    # the published audit trail page holds the record change too, with the field and its values (public here)
    project = load_project(load_settings(example.path / "mkdocs.yml"))
    history = load_history(project.settings.root, changecontrol.controlled_folders(project.settings))
    page = audit_trail_page(project, history)
    row = next(line for line in page.splitlines() if "CAL-2025-002 (calibration record)" in line)
    assert "result: pass → fail" in row and "The result of CAL-2025-002 was a fail" in row


def test_an_edited_closed_record_is_flagged_closed_record_edited(example, capsys):
    example.edit(CA_CLOSED, "effectiveness_verified: true", "effectiveness_verified: false")
    example.commit("Reopen the effectiveness check")

    _, out, _ = example.qms(capsys, "diff", "--base", "main")
    assert "| CA-2026-001 | corrective-action | changed | effectiveness\\_verified: true → false | " \
           "`closed-record-edited` |" in out
    assert "- `closed-record-edited` CA-2026-001: a record already closed or released was changed " \
           "(it was status closed before this change)" in out

    code, out, err = example.qms(capsys, "check", "--base", "main")
    assert f"{CA_CLOSED}:1: warning: closed-record-edited: CA-2026-001" in out

    example.merge("Reopen the effectiveness check")
    _, out, _ = example.qms(capsys, "audit-trail", "--format", "csv")
    line = next(line for line in out.splitlines() if ",CA-2026-001," in line and "closed-record-edited" in line)
    assert "effectiveness_verified: true → false" in line and ",corrective-action," in line


def test_an_open_record_may_be_edited_without_a_flag(example, capsys):
    example.edit("records/corrective-action/CA-2026-004.yaml", "\nstatus: open", "\nstatus: closed")
    example.commit("Close CA-2026-004")
    _, out, _ = example.qms(capsys, "diff", "--base", "main", "--format", "json")
    entry = next(e for e in json.loads(out) if e.get("record_id") == "CA-2026-004")
    assert entry["flags"] == [] and {"field": "status", "before": "open", "after": "closed"} in entry["fields"]


def test_a_retained_record_deleted_early_is_flagged_record_deleted_and_an_expired_one_is_not(example, capsys):
    old = (example.path / CAL).read_text(encoding="utf-8").replace("CAL-2025-002", "CAL-2015-001") \
        .replace("date: 2025-01-22", "date: 2015-01-22").replace("next_due: 2027-01-22", "next_due: 2016-01-22")
    (example.path / "records/calibration/CAL-2015-001.yaml").write_text(old, encoding="utf-8")
    example.git("checkout", "-q", "main")
    example.commit("An old calibration")
    example.git("checkout", "-q", "feature")
    example.git("merge", "-q", "main")
    (example.path / CAL).unlink()
    (example.path / "records/calibration/CAL-2015-001.yaml").unlink()
    example.commit("Tidy the calibration records")

    _, out, _ = example.qms(capsys, "diff", "--base", "main")
    assert "| CAL-2025-002 | calibration | deleted | — | `record-deleted` |" in out
    assert "| CAL-2015-001 | calibration | deleted | — | — |" in out  # kept for 7 years from 2015-01-22: may go
    assert "kept until 2032-01-22 (Life of the gauge plus 7 years, from date 2025-01-22)" in out

    code, out, _ = example.qms(capsys, "check", "--base", "main")
    assert f"{CAL}:1: warning: record-deleted: CAL-2025-002" in out and "CAL-2015-001" not in out

    example.merge("Tidy the calibration records")
    _, out, _ = example.qms(capsys, "audit-trail", "--format", "json")
    deleted = {r["doc_id"]: r["flags"] for r in json.loads(out) if r["status"] == "D"}
    assert deleted == {"CAL-2025-002": ["record-deleted"], "CAL-2015-001": []}


def test_a_widened_person_schema_is_a_confidentiality_change_error_until_approved(example, capsys):
    example.widen_person_schema()
    example.commit("Show names in the person register",
                   "--trailer", "Confidentiality-approved-by: Helen Carter <helen.carter@aldwick-precision.example>")

    code, out, err = example.qms(capsys, "check", "--base", "main")
    assert code == 1
    problem = next(line for line in out.splitlines() if "confidentiality-change" in line)
    assert problem.removeprefix("error: ").startswith(f"{PERSON_SCHEMA}:")
    assert "x-qms.public_fields: [id, role, additional_roles, status] → [id, name, role" in problem
    assert "hr-manager or quality-manager" in problem
    assert "not counted: Helen Carter: written in commit" in problem  # the author wrote someone else's name

    code, out, err = example.qms(capsys, "diff", "--base", "main")
    assert code == 0  # a report: the pull request's summary is still written
    assert "**error `confidentiality-change`**" in out and "confidentiality-change" in err
    assert "x-qms.columns: \\[id, role, additional\\_roles, status\\] → \\[id, name, role" in out

    # the author cannot make themselves an approver in the same pull request
    example.edit("records/person/P-001.yaml", "role: managing-director", "role: quality-manager")
    example.commit("Approve", "--trailer", "Confidentiality-approved-by: Gareth Penhaligon <gareth@example.com>",
                   author=("Gareth Penhaligon", "gareth@example.com"))
    code, out, _ = example.qms(capsys, "check", "--base", "main")
    assert code == 1 and "Gareth Penhaligon: holds no role that may approve it" in out

    # the quality manager approves in a commit of her own
    example.commit("Approve showing names", "--trailer",
                   "Confidentiality-approved-by: Helen Carter <helen.carter@aldwick-precision.example>",
                   author=("Helen Carter", "helen.carter@aldwick-precision.example"))
    code, out, err = example.qms(capsys, "check", "--base", "main")
    assert "confidentiality-change" not in out + err
    _, out, _ = example.qms(capsys, "diff", "--base", "main")
    assert "(person): approved by Helen Carter" in out


def test_a_changed_id_pattern_is_a_confidentiality_change(example, capsys):
    example.edit("records_schema/calibration.schema.yaml", 'pattern: "^CAL-[0-9]{4}-[0-9]{3}$"',
                 'pattern: "^CAL-.*$"')
    code, out, _ = example.qms(capsys, "check", "--base", "main")
    assert code == 1 and "records_schema/calibration.schema.yaml:" in out
    assert 'properties.id.pattern: ^CAL-[0-9]{4}-[0-9]{3}$ → ^CAL-.*$' in out
    assert "needs the approval of quality-manager" in out  # the owner is the quality manager too


def test_confidential_values_never_reach_the_diff_the_check_or_the_audit_trail(example, capsys):
    example.widen_person_schema()  # the widening itself must not show what it widens
    example.edit("records/person/P-005.yaml", "name: Imogen Tresilian", "name: Imogen Tresilian-Smith")
    example.edit("records/person/P-005.yaml", "notes: Works Monday to Thursday; Friday cover by the Operations Manager.",
                 "notes: Works Monday to Friday.")
    example.edit("records/person/P-005.yaml", "contract: part-time", "contract: full-time")
    example.commit("P-005 full time")
    outputs = []
    for fmt in ("md", "json", "csv"):
        _, out, err = example.qms(capsys, "diff", "--base", "main", "--format", fmt)
        outputs.append(out + err)
    _, out, err = example.qms(capsys, "check", "--base", "main")
    outputs.append(out + err)
    example.merge("P-005 full time")
    for fmt in ("md", "json", "csv"):
        _, out, err = example.qms(capsys, "audit-trail", "--format", fmt)
        outputs.append(out + err)
    text = "\n".join(outputs)
    for secret in (*SECRETS, "Tresilian-Smith", "Monday to Friday"):
        assert secret not in text
    assert "name: changed (confidential)" in outputs[0] and "notes: changed (confidential)" in outputs[0]
    # a field public before and after is shown, with its values (contract is not public for people: hidden)
    assert "contract: changed (confidential)" in outputs[0]
    md_trail = outputs[-3]
    assert "P-005" in md_trail and "name: changed (confidential)" in md_trail


def test_record_types_know_when_a_record_is_closed_and_how_long_it_is_kept(tmp_path):
    project = load_project(load_settings(copy_example(tmp_path) / "mkdocs.yml"))
    types = project.record_types
    assert types["corrective-action"].closed_statuses == ("closed",)
    assert types["product-release"].closed_statuses == ("released", "released-under-concession")
    assert types["calibration"].closed_statuses == ()  # no status field
    assert types["nonconforming-output"].retention_years == 15  # the longest of '15 years …; 7 years …'
    person = types["person"]
    assert retention_end(person, {"status": "active"})[0] is None  # kept while employed
    assert retention_end(person, {"status": "left", "left": "2020-02-29"})[0].isoformat() == "2026-02-28"


def test_closed_statuses_that_the_status_field_cannot_hold_are_a_schema_problem(tmp_path, capsys):
    project = copy_example(tmp_path)
    schema = project / "records_schema/corrective-action.schema.yaml"
    schema.write_text(schema.read_text(encoding="utf-8").replace(
        "  status_field: status\n", "  status_field: status\n  closed_statuses: [finished]\n"), encoding="utf-8")
    code = cli.main(["-f", str(project / "mkdocs.yml"), "check"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "records_schema/corrective-action.schema.yaml:" in out
    assert "x-qms.closed_statuses: 'finished' is not a value of status (open, closed)" in out


def test_records_are_judged_as_the_branch_net_change_from_the_merge_base_also_in_the_branch_build(
        example, capsys, monkeypatch):
    # the target gets a new calibration record after the branch started; the branch widens a schema
    new = (example.path / CAL).read_text(encoding="utf-8").replace("CAL-2025-002", "CAL-2025-099")
    example.git("checkout", "-q", "main")
    (example.path / "records/calibration/CAL-2025-099.yaml").write_text(new, encoding="utf-8")
    example.commit("CAL-2025-099 recorded on main")
    example.git("checkout", "-q", "feature")
    example.widen_person_schema()
    example.commit("Show names in the person register")

    code, out, err = example.qms(capsys, "diff", "--base", "main", "--format", "json")
    assert "CAL-2025-099" not in out  # the target's own record is not something the branch deleted
    code, out, _ = example.qms(capsys, "check", "--base", "main")
    assert code == 1 and "confidentiality-change" in out and "CAL-2025-099" not in out

    # the branch build names the target in QMS_BASE (the pipelines set it): the same judgement without --base
    monkeypatch.setenv("QMS_BASE", "main")
    code, out, _ = example.qms(capsys, "check")
    assert code == 1 and f"{PERSON_SCHEMA}:" in out and "confidentiality-change" in out
    assert "record-deleted" not in out
