"""A work tree half-way between two states (a conflict, a merge or rebase stopped, a shallow clone) never builds."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import run

QP01 = "procedures/QP-01-control-of-documented-information.md"


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Alice Author", "GIT_AUTHOR_EMAIL": "alice@example.com",
           "GIT_COMMITTER_NAME": "Alice Author", "GIT_COMMITTER_EMAIL": "alice@example.com"}
    return subprocess.run(["git", *args], cwd=root, env=env, check=check, capture_output=True, text=True)


@pytest.fixture
def conflicted(new_project: Path, isolated_git: None) -> Path:
    """The new project committed on main, and a branch `other` that changes QP-01's body line differently."""
    git(new_project, "init", "-q", "-b", "main")
    git(new_project, "add", "-A")
    git(new_project, "commit", "-q", "-m", "Initial manual")
    git(new_project, "branch", "-M", "main")
    path = new_project / QP01
    original = path.read_text()
    git(new_project, "checkout", "-q", "-b", "other")
    path.write_text(original + "\nA sentence from the other branch.\n")
    git(new_project, "commit", "-q", "-am", "Other wording")
    git(new_project, "checkout", "-q", "main")
    path.write_text(original + "\nA sentence from main.\n")
    git(new_project, "commit", "-q", "-am", "Main wording")
    return new_project


def assert_stopped(project: Path, *expected: str) -> None:
    for args in (["qms", "check"], ["mkdocs", "build", "--strict"]):
        result = run(args, cwd=project)
        assert result.returncode != 0, (args, result.output)
        for text in expected:
            assert text in result.output, (args, result.output[-2000:])
        assert "Traceback" not in result.output


def test_a_merge_stopped_on_a_conflict_stops_the_build_with_the_fix(conflicted: Path):
    assert git(conflicted, "merge", "other", check=False).returncode != 0
    assert_stopped(conflicted, "a merge is in progress", "git merge --continue", "git merge --abort")
    assert not (conflicted / "site" / "procedures").exists()


def test_committed_conflict_markers_stop_the_build_at_their_line(conflicted: Path):
    git(conflicted, "merge", "other", check=False)
    git(conflicted, "commit", "-q", "-am", "Merge with the markers left in")
    lines = (conflicted / QP01).read_text().splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if text.startswith("<<<<<<< "))
    assert_stopped(conflicted, f"{QP01}:{line}: an unresolved merge conflict", "delete the three marker lines")


def test_conflict_markers_in_a_record_are_named(new_project: Path):
    folder = new_project / "records" / "training"
    folder.mkdir(parents=True)
    (new_project / "records_schema" / "training.schema.yaml").write_text(
        (Path(__file__).parents[1] / "records_schema" / "training.schema.yaml").read_text())
    (folder / "TR-2026-001.yaml").write_text("id: TR-2026-001\n<<<<<<< HEAD\nnotes: a\n=======\nnotes: b\n"
                                             ">>>>>>> other\n")
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 1
    assert "records/training/TR-2026-001.yaml:2: an unresolved merge conflict" in result.output, result.output


def test_a_setext_heading_is_not_a_conflict(new_project: Path):
    (new_project / "docs" / "notes.md").write_text("Notes\n=======\n\nText.\n")
    assert run(["qms", "check"], cwd=new_project).returncode == 0


def test_a_rebase_stopped_half_way_stops_the_build(conflicted: Path):
    assert git(conflicted, "rebase", "other", check=False).returncode != 0
    assert_stopped(conflicted, "a rebase is in progress", "git rebase --continue", "git rebase --abort")


def test_a_cherry_pick_stopped_half_way_stops_the_build(conflicted: Path):
    assert git(conflicted, "cherry-pick", "other", check=False).returncode != 0
    assert_stopped(conflicted, "a cherry-pick is in progress", "git cherry-pick --abort")


def test_a_shallow_clone_stops_the_build_even_after_a_full_build(conflicted: Path, tmp_path: Path):
    warm = run(["qms", "check"], cwd=conflicted)  # a warm cache for this history
    assert "Main wording" in warm.output  # the history was read
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{conflicted}", str(clone)], check=True)
    assert_stopped(clone, "this is a shallow clone", "git fetch --unshallow")
