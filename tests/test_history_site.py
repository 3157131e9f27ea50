"""The published manual shows change control from git: revision tables, compare views, audit trail."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import mkdocs_build, page, run

QP = "procedures/QP-01-control-of-documented-information.md"


def git(repo: Path, *args: str, date: str = "2026-03-01T10:00:00", who: str = "Dana Author") -> str:
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    email = f"{who.split()[0].lower()}@example.com"
    return run(["git", "-c", f"user.name={who}", "-c", f"user.email={email}", *args], cwd=repo,
               env=env).stdout


def map_people(repo: Path) -> None:
    """Dana (who writes) and Sam (the quality manager, who merges) in organization.yaml's people."""
    org = repo / "organization.yaml"
    org.write_text(org.read_text() + "people:\n"
                   "  - {id: P-001, roles: [quality-manager], git: [Dana Author <dana@example.com>]}\n"
                   "  - {id: P-002, roles: [quality-manager], git: [Sam Quality <sam@example.com>]}\n")


def commit_all(repo: Path, message: str, date: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)


def judge_from(repo: Path, day: str) -> None:
    """Set the change-control policy's judge_from in the project's mkdocs.yml (qms init writes its own day)."""
    config = repo / "mkdocs.yml"
    text, n = re.subn(r"judge_from: .*", f"judge_from: {day}", config.read_text())
    assert n == 1
    config.write_text(text)


def bump(repo: Path, old: str, new: str, text: str) -> None:
    path = repo / QP
    path.write_text(path.read_text().replace(f'revision: "{old}"', f'revision: "{new}"') + text)


def test_merged_pull_request_appears_as_one_revision_with_its_approver(new_project: Path):
    repo = new_project
    map_people(repo)
    commit_all(repo, "Import the quality manual", "2026-01-05T09:00:00")
    git(repo, "checkout", "-q", "-b", "feature/qp01-rev2")
    bump(repo, "1", "2", "\n4. Obsolete copies are removed from the shop floor within one working day.\n")
    commit_all(repo, "QP-01: remove obsolete copies within a day", "2026-02-10T09:00:00")
    git(repo, "checkout", "-q", "-")
    git(repo, "merge", "-q", "--no-ff", "feature/qp01-rev2", "-m", "Merge pull request #7 from feature/qp01-rev2",
        "-m", "Tighten the removal of obsolete copies", "-m", "Approved-by: Sam Quality <sam@example.com>",
        date="2026-02-11T15:00:00", who="Sam Quality")
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.output
    html = page(repo / "site", QP)
    history = re.search(r'<div class="qms-history">(.*?)</div>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", history, re.S)[1:]
    assert len(rows) == 2  # the merged pull request is one change, plus the import
    assert "<strong>2</strong>" in rows[0] and "2026-02-11" in rows[0]
    assert "Tighten the removal of obsolete copies (#7)" in rows[0] and "Sam Quality" in rows[0]
    assert "<strong>1</strong>" in rows[1] and "Import the quality manual" in rows[1]
    meta = re.search(r'<div class="qms-docmeta">(.*?)</div>', html, re.S).group(1)
    assert "2026-02-11" in meta and "Sam Quality" in meta
    # the compare view shows the added sentence as an insertion
    href = re.search(r'href="([^"]+)" title="What changed">Tighten', history).group(1)
    compare = (repo / "site" / "procedures" / Path(QP).stem / href / "index.html").resolve().read_text()
    assert re.search(r"<ins[^>]*>[^<]*Obsolete copies", compare) or "<ins" in compare and "Obsolete copies" in compare
    trail = page(repo / "site", "changes/index.md")
    assert "Tighten the removal of obsolete copies" in trail and "1 → 2" in trail


def test_uncommitted_edit_is_shown_as_a_draft_not_a_revision(new_project: Path):
    repo = new_project
    commit_all(repo, "Import the quality manual", "2026-01-05T09:00:00")
    path = repo / QP
    path.write_text(path.read_text() + "\nA sentence nobody approved yet.\n")
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.output
    html = page(repo / "site", QP)
    assert "Draft, not yet approved" in html
    history = re.search(r'<div class="qms-history">(.*?)</div>', html, re.S).group(1)
    assert len(re.findall(r"<tr>", history)) == 2  # header + the one committed revision


def test_content_change_without_revision_bump_fails_the_build_under_the_policy(new_project: Path):
    repo = new_project
    judge_from(repo, "2026-01-06")  # the import is not judged; the change after it is
    commit_all(repo, "Import the quality manual", "2026-01-05T09:00:00")
    path = repo / QP
    path.write_text(path.read_text() + "\nChanged without raising the revision.\n")
    commit_all(repo, "Quietly change QP-01", "2026-11-28T09:00:00")
    result = mkdocs_build(repo)
    assert result.returncode == 1
    assert f"{QP}: no-revision-bump: content changed without a revision bump (revision stays 1)" in result.output


def test_shallow_clone_fails_with_the_fix(new_project: Path, tmp_path: Path):
    repo = new_project
    commit_all(repo, "Import the quality manual", "2026-01-05T09:00:00")
    bump(repo, "1", "2", "\nMore.\n")
    commit_all(repo, "Second revision", "2026-02-05T09:00:00")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow)], check=True)
    result = mkdocs_build(shallow)
    assert result.returncode == 1
    assert "git fetch --unshallow" in result.output
    assert "Traceback" not in result.output
    check = run(["qms", "check"], cwd=shallow)
    assert check.returncode == 1 and "git fetch --unshallow" in check.output


def test_manual_outside_git_builds_and_says_there_is_no_history(new_project: Path, tmp_path: Path):
    plain = tmp_path / "plain"
    subprocess.run(["cp", "-r", str(new_project), str(plain)], check=True)
    subprocess.run(["rm", "-rf", str(plain / ".git")], check=True)
    result = mkdocs_build(plain)
    assert result.returncode == 0, result.output
    assert "not in a git repository" in page(plain / "site", QP)


def test_build_writes_nothing_into_the_repository_but_the_site(new_project: Path):
    """Caches live outside the work tree, so a pull request cannot plant cache entries the build would trust."""
    repo = new_project
    commit_all(repo, "Import the quality manual", "2026-01-05T09:00:00")
    bump(repo, "1", "2", "\nMore.\n")
    commit_all(repo, "Second revision", "2026-02-05T09:00:00")
    before = set(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
    for _ in range(2):  # cold, then warm from the caches
        assert mkdocs_build(repo).returncode == 0
    assert run(["qms", "check"], cwd=repo).returncode == 0
    after = set(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts and "site" not in p.parts)
    assert after - before == set()
