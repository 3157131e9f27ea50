"""Periodic review: last review from git, front matter or records; due dates against a fixed --as-of date."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import strip_starter
from qms.analysis import reviews
from qms.cli import app as cli
from qms.cli.init import create
from qms.config import load_settings
from qms.history.revisions import load_history
from qms.model.project import Project, load_project

pytestmark = pytest.mark.usefixtures("isolated_git")

AS_OF = dt.date(2026, 11, 26)
QP = "procedures/QP-01-control-of-documented-information.md"


def document(doc_id: str, interval: str = "12 months", status: str = "effective", extra: str = "") -> str:
    return (f"---\nid: {doc_id}\ntitle: Document {doc_id}\ntype: procedure\nrevision: \"2\"\nstatus: {status}\n"
            f"owner: quality-manager\nclauses: [\"7.5\"]\nreview_interval: {interval}\n{extra}---\n\nBody.\n")


def make_project(tmp_path: Path, docs: dict[str, str]) -> Path:
    root = tmp_path / "qms"
    create(root, "Review Testing Ltd", AS_OF)
    strip_starter(root)
    for name, text in docs.items():
        (root / "procedures" / f"{name}.md").write_text(text)
    return root


def load(root: Path) -> Project:
    return load_project(load_settings(root / "mkdocs.yml"))


def git(root: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Alice Author", "GIT_AUTHOR_EMAIL": "alice@example.com",
           "GIT_COMMITTER_NAME": "Alice Author", "GIT_COMMITTER_EMAIL": "alice@example.com"}
    if when:
        env.update(GIT_AUTHOR_DATE=f"{when}T10:00:00+00:00", GIT_COMMITTER_DATE=f"{when}T10:00:00+00:00")
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def commit(root: Path, when: str, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, when=when)


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert reviews.add_months(dt.date(2025, 11, 26), 12) == dt.date(2026, 11, 26)
    assert reviews.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert reviews.add_months(dt.date(2024, 11, 30), 24) == dt.date(2026, 11, 30)


def test_due_dates_and_statuses_against_a_fixed_as_of_date(tmp_path: Path):
    docs = {
        "QP-01": document("QP-01", extra='last_review: "2025-10-01"\n'),  # due 2026-10-01: 56 days overdue
        "QP-02": document("QP-02", extra='last_review: "2025-12-20"\n'),  # due 2026-12-20: in 24 days
        "QP-03": document("QP-03", "24 months", extra='last_review: "2025-02-01"\n'),  # due 2027-02-01: later
        "QP-04": document("QP-04", extra='last_review: "2025-11-26"\n'),  # due today: not yet overdue
        "QP-05": document("QP-05", status="draft", extra='last_review: "2020-01-01"\n'),
        "QP-06": document("QP-06"),  # no date and no git history
    }
    project = load(make_project(tmp_path, docs))
    items = {i.document.id: i for i in reviews.review_schedule(project, AS_OF, reviews.last_reviews(project))}
    assert (items["QP-01"].status, items["QP-01"].due, items["QP-01"].days) == ("overdue", dt.date(2026, 10, 1), -56)
    assert (items["QP-02"].status, items["QP-02"].days) == ("due-soon", 24)
    assert (items["QP-03"].status, items["QP-03"].due) == ("later", dt.date(2027, 2, 1))
    assert (items["QP-04"].status, items["QP-04"].days) == ("due-soon", 0)
    assert items["QP-05"].status == items["QP-06"].status == "unscheduled"
    order = [i.document.id for i in reviews.review_schedule(project, AS_OF, reviews.last_reviews(project))]
    assert order == ["QP-01", "QP-04", "QP-02", "QP-03", "QP-05", "QP-06"]


def test_the_latest_recorded_date_wins(tmp_path: Path):
    docs = {"QP-01": document("QP-01", extra='effective: "2026-03-01"\nlast_review: "2025-09-01"\n')}
    last = reviews.last_reviews(load(make_project(tmp_path, docs)))["QP-01"]
    assert (last.date, last.source) == (dt.date(2026, 3, 1), reviews.FROM_EFFECTIVE)


def test_git_gives_the_last_approved_change_and_else_the_first_commit(tmp_path: Path):
    root = make_project(tmp_path, {"QP-01": document("QP-01"), "QP-02": document("QP-02")})
    git(root, "init", "-q", "-b", "main")
    commit(root, "2024-03-04", "Add the procedures")
    (root / "procedures" / "QP-01.md").write_text(document("QP-01").replace("Body.", "New body."))
    commit(root, "2025-05-06", "Revise QP-01\n\nApproved-by: Quinn Manager <quinn@example.com>")
    (root / "procedures" / "QP-01.md").write_text(document("QP-01").replace("Body.", "Typo fixed."))
    commit(root, "2025-08-09", "Unapproved edit of QP-01")
    project = load(root)
    history = load_history(root, ("procedures", "docs"), use_cache=False)
    last = reviews.last_reviews(project, history)
    assert (last["QP-01"].date, last["QP-01"].source) == (dt.date(2025, 5, 6), reviews.FROM_APPROVED_CHANGE)
    assert "approved by Quinn Manager" in last["QP-01"].detail
    assert (last["QP-02"].date, last["QP-02"].source) == (dt.date(2024, 3, 4), reviews.FROM_FIRST_COMMIT)
    items = {i.document.id: i for i in reviews.review_schedule(project, AS_OF, last)}
    assert items["QP-01"].due == dt.date(2026, 5, 6) and items["QP-01"].status == "overdue"


def test_a_recorded_review_after_the_approved_change_restarts_the_clock(tmp_path: Path):
    root = make_project(tmp_path, {"QP-01": document("QP-01")})
    git(root, "init", "-q", "-b", "main")
    commit(root, "2025-01-10", "Add QP-01\n\nApproved-by: Quinn Manager <quinn@example.com>")
    assert cli.main(["-f", str(root / "mkdocs.yml"), "review-done", "QP-01", "--date", "2026-02-02"]) == 0
    last = reviews.last_reviews(load(root), load_history(root, ("procedures",), use_cache=False))["QP-01"]
    assert (last.date, last.source) == (dt.date(2026, 2, 2), reviews.FROM_FRONT_MATTER)


def test_check_warns_on_an_overdue_review_at_the_review_interval_line(tmp_path: Path):
    root = make_project(tmp_path, {"QP-01": document("QP-01", extra='last_review: "2025-10-01"\n')})
    project = load(root)
    [problem] = reviews.review_problems(project, AS_OF, reviews.last_reviews(project))
    assert (problem.path, problem.line, problem.severity) == ("procedures/QP-01.md", 9, "warning")
    assert problem.message.startswith("review overdue: QP-01 was last reviewed on 2025-10-01")
    assert "due on 2026-10-01, 56 days ago" in problem.message

    config = root / "mkdocs.yml"
    config.write_text(re.sub(r"(?m)^( +)judge_from:", r"\1overdue_review_is_error: true\n\1judge_from:", config.read_text()))
    project = load(root)
    [problem] = reviews.review_problems(project, AS_OF, {"QP-01": dt.date(2025, 10, 1)})
    assert problem.severity == "error"
    assert reviews.review_problems(project, dt.date(2026, 9, 30), {"QP-01": dt.date(2025, 10, 1)}) == []


def test_review_done_changes_only_the_last_review_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    text = document("QP-01", extra="# reviewed yearly\nrelated: []   # none yet\n")
    root = make_project(tmp_path, {"QP-01": text})
    path = root / "procedures" / "QP-01.md"
    before = path.read_bytes()
    assert cli.main(["-f", str(root / "mkdocs.yml"), "review-done", "QP-01", "--date", "2026-02-20"]) == 0
    after = path.read_bytes()
    added = after.replace(b"last_review: '2026-02-20'\n", b"", 1)
    assert added == before and after != before
    assert "last_review: 2026-02-20 recorded for QP-01" in capsys.readouterr().out

    assert cli.main(["-f", str(root / "mkdocs.yml"), "review-done", "QP-01", "--date", "2026-02-25"]) == 0
    assert path.read_bytes() == after.replace(b"2026-02-20", b"2026-02-25")
    assert load(root).documents["QP-01"].last_review == "2026-02-25"


@pytest.mark.parametrize("args,expected", [
    (["QP-09"], "unknown document id 'QP-09'"),
    (["QP-01", "--date", "2999-01-01"], "review date 2999-01-01 is in the future"),
    (["QP-02"], "QP-02 is draft: only an effective document is reviewed"),
])
def test_review_done_refuses_what_it_cannot_record(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   args: list[str], expected: str):
    root = make_project(tmp_path, {"QP-01": document("QP-01"), "QP-02": document("QP-02", status="draft")})
    before = {p.name: p.read_bytes() for p in (root / "procedures").iterdir()}
    assert cli.main(["-f", str(root / "mkdocs.yml"), "review-done", *args]) == 1
    assert expected in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (root / "procedures").iterdir()} == before


def test_qms_review_due_json_against_as_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    docs = {"QP-01": document("QP-01", extra='last_review: "2025-10-01"\n'),
            "QP-02": document("QP-02", extra='last_review: "2025-12-20"\n')}
    config = str(make_project(tmp_path, docs) / "mkdocs.yml")
    assert cli.main(["-f", config, "review-due", "--as-of", "2026-11-26", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2026-11-26"
    assert data["counts"] == {"overdue": 1, "due-soon": 1, "later": 0, "unscheduled": 0}
    first = data["documents"][0]
    assert (first["id"], first["status"], first["due"], first["days"], first["last_review_source"]) == \
        ("QP-01", "overdue", "2026-10-01", -56, reviews.FROM_FRONT_MATTER)

    assert cli.main(["-f", config, "review-due", "--as-of", "2026-11-26", "--fail-on-overdue"]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("# Document review schedule") and "## Overdue" in out.out
    assert cli.main(["-f", config, "review-due", "--as-of", "2026-09-01", "--fail-on-overdue"]) == 0


def test_review_schedule_page_links_documents_relatively(tmp_path: Path):
    from qms.render import reports

    root = make_project(tmp_path, {"QP-01": document("QP-01", extra='last_review: "2025-10-01"\n')})
    page = reports.schedule_page(load(root), AS_OF, None)
    assert page.startswith("---\nrender_macros: false\n---\n# Document review schedule")
    assert "[QP-01 Document QP-01](../procedures/QP-01.md)" in page
    assert "qms-attribution" in page


def test_a_document_review_record_counts_as_a_review(tmp_path: Path):
    root = make_project(tmp_path, {"QP-01": document("QP-01", extra='effective: "2025-01-15"\n')})
    (root / "records_schema" / "document-review.schema.yaml").write_text("""\
$schema: "https://json-schema.org/draft/2020-12/schema"
title: Document review
type: object
required: [id, document, date]
additionalProperties: false
properties:
  id: {type: string, pattern: "^DR-[0-9]{4}-[0-9]{3}$"}
  document: {type: string}
  date: {type: string, format: date}
x-qms:
  clauses: ["7.5.2"]
  owner: quality-manager
  retention: "3 years"
  confidential: false
  date_field: date
""")
    (root / "records" / "document-review").mkdir(parents=True)
    (root / "records" / "document-review" / "DR-2026-001.yaml").write_text(
        'id: DR-2026-001\ndocument: QP-01\ndate: "2026-01-20"\n')
    project = load(root)
    assert not project.problems, project.problems
    last = reviews.last_reviews(project)["QP-01"]
    assert (last.date, last.source, last.detail) == (dt.date(2026, 1, 20), reviews.FROM_RECORD, "DR-2026-001")
