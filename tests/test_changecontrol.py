"""Change control: flags and policy, the audit trail, `qms history`, `qms diff`, `check --base` and redlines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from gitmanual import GitManual
from qms.config import Policy, load_settings
from qms.history.changecontrol import audit_trail, flags_for, judge, judge_history
from qms.history.pullrequest import base_problems, changes_since
from qms.history.redline import comparisons
from qms.render.redline import compare_page, redline, redline_html
from qms.history.revisions import load_history
from qms.model.project import load_project
from qms.problems import QMSError

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("isolated_git")

FOLDERS = ("procedures", "docs")
NC = ("nonconformity",)


class Repo(GitManual):
    """A small quality manual whose people are Alice, Bob (engineers), Dan and Mary (quality managers)."""

    def __init__(self, path: Path):
        super().__init__(path, "site_name: Test manual\nplugins:\n  - qms:\n      policy:\n"
                               "        errors: [no-revision-bump, no-approval]\n        judge_from: 2024-01-02\n",
                         "company:\n  name: Testing Widgets Ltd\nroles:\n"
                         "  - id: quality-manager\n    title: Quality Manager\n"
                         "  - id: engineer\n    title: Engineer\n"
                         "people:\n"  # who the git identities of the fixture are
                         "  - {id: P-001, roles: [engineer], git: [Alice Author <alice@example.com>]}\n"
                         "  - {id: P-002, roles: [engineer], git: [Bob Builder <bob@example.com>]}\n"
                         "  - {id: P-003, roles: [quality-manager], git: [Dan Director <dan@example.com>]}\n"
                         "  - {id: P-004, roles: [quality-manager], git: [Mary Manager <mary@example.com>]}\n")


def doc(doc_id: str, revision: str, body: str = "Body text.", clauses: tuple[str, ...] = ("8.7",),
        records: tuple[str, ...] = ()) -> str:
    return (f"---\nid: {doc_id}\ntitle: Procedure {doc_id}\ntype: procedure\nrevision: \"{revision}\"\n"
            f"status: effective\nowner: quality-manager\nclauses: [{', '.join(repr(c) for c in clauses)}]\n"
            f"records: [{', '.join(records)}]\nreview_interval: 12 months\n---\n\n# Procedure {doc_id}\n\n{body}\n")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """QP-01 added on day 1 (approved), edited without a bump on day 2, merged as PR #5 with a bump on day 4."""
    r = Repo(tmp_path / "manual")
    r.write("procedures/QP-01-nonconformity.md", doc("QP-01", "1", records=NC))
    r.write("docs/logo.svg", "<svg/>")
    r.commit("Add QP-01", "--trailer", "Approved-by: Mary Manager <mary@example.com>")
    r.write("procedures/QP-01-nonconformity.md", doc("QP-01", "1", "Body text, quietly changed.", records=NC))
    r.commit("Quiet change")
    r.git("checkout", "-q", "-b", "feature")
    r.write("procedures/QP-01-nonconformity.md", doc("QP-01", "2", "Body text, reviewed change.", records=NC))
    r.commit("Reviewed change", author="Bob Builder")
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "feature", "-m",
          "Merge pull request #5 from acme/feature\n\nReviewed change to QP-01", author="Dan Director")
    return r


# ------------------------------------------------------------------------------------------------ flags


def test_flags_name_what_change_control_missed(repo: Repo) -> None:
    merged, quiet, added = load_history(repo.path, FOLDERS).for_path("procedures/QP-01-nonconformity.md")

    assert flags_for(added) == ("unsigned", "direct-change")
    assert flags_for(quiet) == ("no-revision-bump", "no-approval", "unsigned", "direct-change")
    assert flags_for(merged) == ("unsigned",)


def test_policy_makes_some_flags_errors_and_ignores_history_before_judge_from(repo: Repo) -> None:
    history = load_history(repo.path, FOLDERS)
    policy = load_settings(repo.path / "mkdocs.yml").policy

    problems = judge(history.for_path("procedures/QP-01-nonconformity.md"), policy)

    assert {(p.severity, p.message.split(":")[0]) for p in problems} == {
        ("error", "no-revision-bump"), ("error", "no-approval"), ("warning", "unsigned"), ("warning", "direct-change")}
    assert all("2024-01-01" not in p.message for p in problems)  # the first commit is before judge_from
    assert all(p.path == "procedures/QP-01-nonconformity.md" for p in problems)
    assert judge(history.all_changes(), Policy(errors=(), judge_from=dt.date(2030, 1, 1))) == []


def test_judging_the_history_skips_files_that_are_not_controlled_documents(repo: Repo) -> None:
    repo.git("mv", "procedures/QP-01-nonconformity.md", "procedures/QP-01-nc.md")
    repo.write("docs/logo.svg", "<svg></svg>")
    repo.commit("Rename QP-01 and redraw the logo")

    problems = judge_history(load_history(repo.path, FOLDERS), Policy(errors=("no-approval",)))

    assert {p.path for p in problems} == {"procedures/QP-01-nc.md"}
    assert sum("no-approval" in p.message and p.severity == "error" for p in problems) == 2  # quiet change, rename


# ------------------------------------------------------------------------------------------------ audit trail


def test_audit_trail_lists_changes_to_controlled_documents_newest_first(repo: Repo) -> None:
    rows = audit_trail(load_history(repo.path, FOLDERS))

    assert [(r.date, r.doc_id, r.revision) for r in rows] == [
        ("2024-01-04", "QP-01", "2"), ("2024-01-02", "QP-01", "1"), ("2024-01-01", "QP-01", "1")]
    assert rows[0].approved_by == ("Dan Director",) and rows[0].author == "Bob Builder" and rows[0].pr == "#5"
    assert all(not r.path.endswith(".svg") for r in rows)  # not a controlled document


def test_audit_trail_command_filters_by_date_in_csv_json_and_markdown(repo: Repo,
                                                                      capsys: pytest.CaptureFixture) -> None:
    code, out, _ = repo.qms("audit-trail", "--since", "2024-01-02", "--until", "2024-01-03", "--format", "csv",
                            capsys=capsys)
    rows = list(csv.DictReader(io.StringIO(out)))

    assert code == 0 and len(rows) == 1
    assert {"date", "commit", "doc_id", "path", "revision", "author", "approved_by", "flags"} <= set(rows[0])
    assert rows[0]["flags"] == "no-revision-bump; no-approval; unsigned; direct-change"

    code, out, _ = repo.qms("audit-trail", "--format", "json", capsys=capsys)
    data = json.loads(out)
    assert [r["date"] for r in data] == ["2024-01-04", "2024-01-02", "2024-01-01"]
    assert data[0]["approved_by"] == ["Dan Director"] and data[0]["flags"] == ["unsigned"]

    code, out, _ = repo.qms("audit-trail", "--format", "md", capsys=capsys)
    assert out.startswith("| Date | Commit | Document |") and "| QP-01 | 1 → 2 |" in out


def test_audit_trail_rejects_a_bad_date(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        repo.qms("audit-trail", "--since", "01/02/2024", capsys=capsys)
    assert exc.value.code == 2 and "is not a date: use YYYY-MM-DD" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ qms history


def test_history_command_gives_each_revision_newest_first(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    code, out, err = repo.qms("history", "QP-01", "--format", "json", capsys=capsys)
    entries = json.loads(out)

    assert code == 0, err
    assert [e["revision"] for e in entries] == ["2", "1", "1"]
    assert {"commit", "date", "author", "summary", "revision", "approved_by", "path"} <= set(entries[0])
    assert entries[0]["summary"] == "Reviewed change to QP-01" and entries[0]["approved_by"] == ["Dan Director"]
    # Alice's own trailer naming Mary is a claim: Mary neither merged, committed nor signed the change
    assert entries[2]["approved_by"] == [] and entries[2]["path"] == "procedures/QP-01-nonconformity.md"
    claim = next(s for s in entries[2]["signatures"] if s["meaning"] == "approved")
    assert (claim["name"], claim["person"], claim["counts"]) == ("Mary Manager", "P-004", False)
    assert "unverified-approval" in entries[2]["flags"]

    code, out, _ = repo.qms("history", "QP-01", "--format", "csv", capsys=capsys)
    assert [r["revision"] for r in csv.DictReader(io.StringIO(out))] == ["2", "1", "1"]

    repo.write("procedures/QP-01-nonconformity.md", doc("QP-01", "3", "Draft."))
    code, out, _ = repo.qms("history", "QP-01", capsys=capsys)
    assert "draft, not yet approved" in out and "| 2 | 2024-01-04 | Reviewed change to QP-01 (#5) |" in out


def test_history_of_an_unknown_document_suggests_close_ids(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    code, _, err = repo.qms("history", "QP-10", capsys=capsys)

    assert code == 1 and "no document with id 'QP-10'" in err and "QP-01" in err and "Traceback" not in err


def test_history_command_in_a_folder_without_git(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    repo = Repo(tmp_path / "nogit")
    shutil.rmtree(repo.path / ".git")
    repo.write("procedures/QP-01.md", doc("QP-01", "1"))

    code, out, err = repo.qms("history", "QP-01", capsys=capsys)

    assert code == 0 and "not a git repository" in err and "No committed revision yet." in out


# ------------------------------------------------------------------------------------------------ pull requests


def test_content_changed_since_base_without_bump_fails_check_base(repo: Repo) -> None:
    repo.write("procedures/QP-01-nonconformity.md", doc("QP-01", "2", "Edited in the PR.", records=("nonconformity",)))
    project = load_project(load_settings(repo.path / "mkdocs.yml"), with_records=False)

    problems = base_problems(project, "main")

    assert [(p.path, p.line, p.severity) for p in problems] == [("procedures/QP-01-nonconformity.md", 5, "error")]
    assert "the content changed since main but the revision is still 2" in problems[0].message

    repo.write("procedures/QP-01-nonconformity.md", doc("QP-01", "3", "Edited in the PR.", records=("nonconformity",)))
    repo.commit("Bump")
    project = load_project(load_settings(repo.path / "mkdocs.yml"), with_records=False)
    assert base_problems(project, "HEAD~1") == []


def test_changes_since_base_follow_moves_new_and_withdrawn_documents(repo: Repo) -> None:
    repo.write("procedures/QP-02.md", doc("QP-02", "1", clauses=("7.5.3",)))
    repo.write("procedures/QP-03.md", doc("QP-03", "1", clauses=("9.2",), records=("audit",)))
    base = repo.commit("Add QP-02 and QP-03")
    repo.git("mv", "procedures/QP-01-nonconformity.md", "procedures/QP-01-nc.md")  # a staged move
    (repo.path / "procedures/QP-02.md").rename(repo.path / "procedures/QP-02-moved.md")  # a plain move, not staged
    (repo.path / "procedures/QP-03.md").unlink()
    repo.write("procedures/QP-04.md", doc("QP-04", "1", clauses=("8.5.1",)))  # never committed
    project = load_project(load_settings(repo.path / "mkdocs.yml"), with_records=False)

    changes = {c.doc_id: c for c in changes_since(repo.path, base, project)}

    assert {k: (c.status, c.old_path, c.path) for k, c in changes.items()} == {
        "QP-01": ("R", "procedures/QP-01-nonconformity.md", "procedures/QP-01-nc.md"),
        "QP-02": ("R", "procedures/QP-02.md", "procedures/QP-02-moved.md"),
        "QP-03": ("D", None, "procedures/QP-03.md"),
        "QP-04": ("A", None, "procedures/QP-04.md"),
    }
    assert not changes["QP-01"].content_changed and not changes["QP-01"].needs_bump
    withdrawn = changes["QP-03"]
    assert (withdrawn.old_revision, withdrawn.new_revision, withdrawn.records) == ("1", None, ("audit",))
    assert (changes["QP-04"].old_revision, changes["QP-04"].new_revision) == (None, "1")


def test_diff_command_writes_a_summary_for_the_pull_request(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    repo.write("procedures/QP-01-nonconformity.md",
               doc("QP-01", "3", "New text.", clauses=("8.7", "10.2"), records=("nonconformity", "corrective-action")))

    code, out, err = repo.qms("diff", "--base", "main", "--format", "md", capsys=capsys)

    assert code == 0, err
    assert "| QP-01 | Procedure QP-01 | modified | 2 → 3 | 8.7, 10.2 | nonconformity, corrective-action |" in out
    assert "**Clauses affected:** 8.7 Control of nonconforming outputs; 10.2 " in out
    assert "**Record types affected:** corrective-action, nonconformity" in out

    code, out, _ = repo.qms("diff", "--base", "main", "--format", "json", capsys=capsys)
    assert [(c["doc_id"], c["old_revision"], c["new_revision"]) for c in json.loads(out)] == [("QP-01", "2", "3")]


def test_unknown_base_revision_is_a_clear_error(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    code, _, err = repo.qms("diff", "--base", "origin/nowhere", capsys=capsys)

    assert code == 1 and "unknown revision 'origin/nowhere'" in err and "git fetch" in err and "Traceback" not in err


def test_check_base_in_a_shallow_clone_says_what_to_fetch(repo: Repo, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    project = load_project(load_settings(clone / "mkdocs.yml"), with_records=False)

    with pytest.raises(QMSError) as exc:
        changes_since(clone, "HEAD~2", project)

    assert "git fetch --unshallow" in str(exc.value)


# ------------------------------------------------------------------------------------------------ redlines


def test_redline_marks_removed_and_added_words_and_collapses_unchanged_paragraphs() -> None:
    old = "# Title\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n\nCheck monthly <b> & record it."
    new = "# Title\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n\nCheck weekly <b> & record it."

    html, stats = redline(old, new)

    assert "<del>monthly</del><ins>weekly</ins>" in html
    assert "&lt;b&gt; &amp; record" in html and "<b>" not in html
    assert "… 4 unchanged paragraphs …" in html
    assert (stats.paragraphs, stats.removed_words, stats.added_words) == (1, 1, 1)
    assert "No change to the text." in redline_html("Same.", "Same.")


def test_redline_never_lets_a_template_run_old_text() -> None:
    html = redline_html("See {{ doc('QP-01') }}.", "See {{ doc('QP-02') }}.")

    assert "{{" not in html and "&#123;&#123;" in html


def test_compare_page_shows_who_when_why_and_the_redline(repo: Repo) -> None:
    history = load_history(repo.path, FOLDERS)
    merged, quiet, added = comparisons(history, "procedures/QP-01-nonconformity.md")

    page = compare_page("QP-01", "Procedure QP-01", merged.change, merged.old_text, merged.new_text,
                        "https://example.com/commit/x")

    assert added.old_text == "" and "Body text." in added.new_text and quiet.new_text == merged.old_text
    assert merged.old_text == history.blob_text(merged.change.commit + "~1", "procedures/QP-01-nonconformity.md")

    assert page.startswith("# QP-01 Procedure QP-01: revision 2")
    assert "| Revision | Date | Change | Author | Approved by | Commit | Signature |" in page
    assert "| 1 → 2 |" in page and "| Dan Director |" in page
    assert "| <code>revision</code> | 1 | 2 |" in page  # front-matter changes as fields, not as prose
    assert "(https://example.com/commit/x)" in page and "<del>quietly changed</del><ins>reviewed change</ins>" in page
