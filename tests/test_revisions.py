"""Revisions an auditor can rely on: titles of merged changes as GitHub and GitLab write them, revision labels
that only go forward, the content key of the document as published, a pull request judged as one change, and
every past revision readable in full."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from qms.cli import app as cli
from qms.history.revisions import load_history, titled

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("isolated_git")

FOLDERS = ("procedures", "docs")
QP = "procedures/QP-02-nonconforming-output.md"


class Repo:
    """A small quality manual in a real git repository; the N-th commit or merge is dated 2024-01-N."""

    def __init__(self, path: Path, mkdocs_extra: str = ""):
        self.path = path
        self.day = 0
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Alice Author")
        self.git("config", "user.email", "alice@example.com")
        self.git("config", "commit.gpgsign", "false")
        self.write("mkdocs.yml", "site_name: Test manual\nplugins:\n  - search\n  - qms:\n      policy:\n"
                                 "        errors: [no-revision-bump, revision-not-increased]\n" + mkdocs_extra)
        self.write("organization.yaml", "company:\n  name: Testing Widgets Ltd\nroles:\n"
                                        "  - id: quality-manager\n    title: Quality Manager\n")
        (path / "records_schema").mkdir()
        shutil.copy(ROOT / "records_schema" / "document.schema.yaml", path / "records_schema")
        self.write("docs/index.md", "# Home\n")

    def git(self, *args: str, author: str | None = None) -> str:
        self.day += args[0] in ("commit", "merge")
        when = f"2024-01-{self.day:02d}T10:00:00+00:00"
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        if author:
            email = f"{author.split()[0].lower()}@example.com"
            env.update(GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL=email,
                       GIT_COMMITTER_NAME=author, GIT_COMMITTER_EMAIL=email)
        return subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, check=True,
                              text=True).stdout.strip()

    def write(self, rel: str, text: str) -> None:
        (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.path / rel).write_text(text, encoding="utf-8")

    def commit(self, message: str, *extra: str, author: str | None = None) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, *extra, author=author)
        return self.git("rev-parse", "HEAD")

    def merge(self, branch: str, message: str, author: str = "Dan Director") -> str:
        self.git("merge", "-q", "--no-ff", branch, "-m", message, author=author)
        return self.git("rev-parse", "HEAD")

    def squash(self, branch: str, message: str, author: str = "Dan Director") -> str:
        self.git("merge", "-q", "--squash", branch)
        return self.commit(message, author=author)

    def qms(self, *args: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
        code = cli.main(["-f", str(self.path / "mkdocs.yml"), *args])
        out, err = capsys.readouterr()
        return code, out, err


def doc(revision: str, body: str = "Body text.", doc_id: str = "QP-02") -> str:
    return (f"---\nid: {doc_id}\ntitle: Nonconforming output\ntype: procedure\nrevision: \"{revision}\"\n"
            f"status: effective\nowner: quality-manager\nclauses: ['8.7']\nrecords: []\n"
            f"review_interval: 12 months\n---\n\n# Nonconforming output\n\n{body}\n")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "manual")
    r.write(QP, doc("1"))
    r.commit("Add QP-02")
    return r


def branch_with_a_change(repo: Repo, name: str = "ncr-shift") -> None:
    repo.git("checkout", "-q", "-b", name)
    repo.write(QP, doc("2", "An NCR is raised within the shift."))
    repo.commit("Raise NCRs within the shift", author="Bob Builder")
    repo.git("checkout", "-q", "main")


def newest(repo: Repo):
    return load_history(repo.path, FOLDERS).for_path(QP)[0]


# ------------------------------------------------------------------------------------------------ titles


def test_github_merge_commit_title_that_looks_like_a_trailer_is_the_summary(repo: Repo) -> None:
    branch_with_a_change(repo)
    # GitHub's merge commit: "Merge pull request #N from OWNER/BRANCH", a blank line, the pull request's title
    repo.merge("ncr-shift", "Merge pull request #2 from aldwick/ncr-shift\n\nQP-02: NCR raised within the shift")

    change = newest(repo)

    assert (change.summary, change.pr) == ("QP-02: NCR raised within the shift", "#2")
    assert titled(change.summary, change.pr) == "QP-02: NCR raised within the shift (#2)"


def test_github_merge_commit_with_title_and_description(repo: Repo) -> None:
    branch_with_a_change(repo)
    repo.merge("ncr-shift", "Merge pull request #3 from aldwick/ncr-shift\n\nQP-02: NCR raised within the shift\n\n"
                            "The shift leader raises the NCR.\n\nCo-authored-by: Carol Coder <carol@example.com>")

    assert newest(repo).summary == "QP-02: NCR raised within the shift"


def test_github_squash_subject_keeps_one_pull_request_number(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    branch_with_a_change(repo)
    # GitHub's squash commit: the title with " (#N)", the squashed commits as a list, co-authors as trailers
    repo.squash("ncr-shift", "QP-02: NCR raised within the shift (#4)\n\n* Raise NCRs within the shift\n\n"
                             "Co-authored-by: Bob Builder <bob@example.com>")

    change = newest(repo)
    assert (change.summary, change.pr) == ("QP-02: NCR raised within the shift (#4)", "#4")
    assert titled(change.summary, change.pr) == "QP-02: NCR raised within the shift (#4)"
    code, out, _ = repo.qms("history", "QP-02", capsys=capsys)
    assert code == 0 and "(#4) (#4)" not in out and "QP-02: NCR raised within the shift (#4)" in out


def test_github_rebase_merge_keeps_each_commit_subject(repo: Repo) -> None:
    branch_with_a_change(repo)
    repo.git("rebase", "-q", "main", "ncr-shift")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "ncr-shift")

    change = newest(repo)
    assert (change.summary, change.pr) == ("Raise NCRs within the shift", None)


def test_gitlab_merge_commit_title_and_merge_request(repo: Repo) -> None:
    branch_with_a_change(repo)
    # GitLab's merge commit: "Merge branch 'SOURCE' into 'TARGET'", the title, the description, the reference
    repo.merge("ncr-shift", "Merge branch 'ncr-shift' into 'main'\n\nQP-02: NCR raised within the shift\n\n"
                            "Closes #12\n\nSee merge request quality/manual!9")

    change = newest(repo)
    assert (change.summary, change.pr) == ("QP-02: NCR raised within the shift", "!9")
    assert titled(change.summary, change.pr) == "QP-02: NCR raised within the shift (!9)"


def test_gitlab_squash_with_merge_commit(repo: Repo) -> None:
    branch_with_a_change(repo)
    # GitLab squashes the branch into one commit titled like the merge request, then merges that commit
    repo.git("checkout", "-q", "-b", "squashed", "main")
    repo.squash("ncr-shift", "QP-02: NCR raised within the shift", author="Bob Builder")
    repo.git("checkout", "-q", "main")
    repo.merge("squashed", "Merge branch 'ncr-shift' into 'main'\n\nQP-02: NCR raised within the shift\n\n"
                           "See merge request quality/manual!10")

    change = newest(repo)
    assert (change.summary, change.pr, change.authors) == ("QP-02: NCR raised within the shift", "!10",
                                                           ("Bob Builder",))
