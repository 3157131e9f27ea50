"""The benchmark generator makes a real quality system: it checks clean, has the history asked for, and builds strictly."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT, mkdocs_build, run

sys.path.insert(0, str(ROOT))  # the bench package lives beside tests/, outside the installed engine
from bench.generate import generate  # noqa: E402

DOCS, COMMITS, RECORDS = 20, 60, 40


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny synthetic company: 20 documents, 60 first-parent commits, 40 records."""
    root = tmp_path_factory.mktemp("bench") / "company"
    summary = generate(root, DOCS, COMMITS, RECORDS, seed=7)
    assert summary.documents == DOCS and summary.records == RECORDS
    return root


def git(company: Path, *args: str) -> str:
    result = run(["git", *args], cwd=company)
    assert result.returncode == 0, result.output
    return result.stdout


def test_generated_company_has_the_files_asked_for(company: Path):
    controlled = list((company / "procedures").rglob("*.md")) + list((company / "docs/manual").glob("*.md"))
    assert len(controlled) == DOCS
    assert len(list((company / "records").rglob("*.yaml"))) == RECORDS
    for rel in ("mkdocs.yml", "macros.py", "organization.yaml", "docs/index.md",
                "records_schema/document.schema.yaml"):
        assert (company / rel).is_file(), rel
    config = (company / "mkdocs.yml").read_text()
    assert "  - qms:" in config and "hooks:" not in config  # the installed engine, as a plugin
    assert git(company, "status", "--porcelain") == ""


def test_generated_company_passes_qms_check(company: Path):
    result = run(["qms", "check"], cwd=company)
    assert result.returncode == 0, result.output
    problems = [line for line in result.stdout.splitlines() if line.strip()]
    assert all(": warning: " in line for line in problems), result.output  # a review overdue happens in life


def test_procedures_use_every_kind_of_macro(company: Path):
    text = "".join(p.read_text() for p in (company / "procedures").rglob("*.md"))
    for kind in ("term", "clause", "doc", "record_type"):
        assert f"{{{{ {kind}('" in text, kind
    words = len(re.sub(r"\A---.*?---", "", next((company / "procedures").rglob("*.md")).read_text(), flags=re.S).split())
    assert 300 <= words <= 900


def test_history_has_merges_renames_trailers_and_revision_bumps(company: Path):
    assert int(git(company, "rev-list", "--count", "--first-parent", "HEAD")) == COMMITS
    merges = git(company, "log", "--merges", "--first-parent", "--format=%s%n%b%x00").split("\0")
    merges = [m.strip() for m in merges if m.strip()]
    assert len(merges) >= COMMITS // 10
    assert all(re.match(r"Merge pull request #\d+ from ", m) for m in merges)
    assert all("\nApproved-by: " in m for m in merges)
    log = git(company, "log", "--first-parent", "-M", "--name-status", "--format=%x00%H", "--", "procedures", "docs")
    assert re.search(r"^R\d+\tprocedures/", log, re.M), "no procedure renamed or moved"
    revisions = git(company, "log", "-p", "--first-parent", "--format=", "--", "procedures")
    assert re.search(r'^\+revision: "[2-9]', revisions, re.M), "no revision bump"
    dates = git(company, "log", "--format=%cs").split()
    assert int(max(dates)[:4]) - int(min(dates)[:4]) >= 3


def test_generated_company_builds_strictly(company: Path, tmp_path: Path):
    result = mkdocs_build(company, tmp_path / "site")
    assert result.returncode == 0, result.output[-5000:]
    assert (tmp_path / "site/glossary/index.html").is_file()


def test_same_seed_same_repository(tmp_path: Path):
    heads = []
    for name in ("a", "b"):
        generate(tmp_path / name, 6, 12, 8, seed=3)
        heads.append(git(tmp_path / name, "rev-parse", "HEAD").strip())
    assert heads[0] == heads[1]
