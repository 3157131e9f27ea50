"""Hostile or broken input fails quickly, with its file and line, and never cascades into false errors elsewhere."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from conftest import ROOT, mkdocs_build, run

QP01 = "procedures/QP-01-control-of-documented-information.md"
BOMB = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
ALIAS_BOMB = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB


def fast(args: list[str], project: Path, limit: float = 30) -> "run":
    started = time.monotonic()
    result = run(args, cwd=project)
    assert time.monotonic() - started < limit, f"{args} took too long"
    assert "Traceback" not in result.output and "MemoryError" not in result.output, result.output[-3000:]
    return result


def front_matter_insert(project: Path, rel: str, text: str) -> int:
    """Insert YAML lines at the top of a file's front matter; returns the line they start on."""
    target = project / rel
    content = target.read_text()
    assert content.startswith("---\n")
    target.write_text("---\n" + text + content[4:])
    return 2


@pytest.mark.parametrize("where", [QP01, "docs/manual/QM-01-quality-manual.md"])
def test_a_yaml_alias_bomb_in_front_matter_fails_within_seconds(new_project: Path, where: str):
    front_matter_insert(new_project, where, ALIAS_BOMB)
    for args in (["qms", "check"], ["mkdocs", "build", "--strict"]):
        result = fast(args, new_project)
        assert result.returncode != 0
        expected = f"{where}:2: front matter: invalid YAML: the value anchored here (&name) is repeated by an alias"
        assert expected in result.output, result.output[-2000:]


def test_a_yaml_alias_bomb_on_a_plain_page_fails_the_build_within_seconds(new_project: Path):
    (new_project / "docs" / "notes.md").write_text("---\n" + ALIAS_BOMB + "---\n\n# Notes\n")
    result = fast(["mkdocs", "build", "--strict"], new_project)
    assert result.returncode != 0
    assert "docs/notes.md:2: front matter: invalid YAML: the value anchored here" in result.output, \
        result.output[-2000:]


def test_a_yaml_alias_bomb_in_a_record_fails_within_seconds(new_project: Path):
    folder = new_project / "records" / "calibration"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "CAL-2026-001.yaml").write_text("id: CAL-2026-001\n" + ALIAS_BOMB)
    shutil.copy(ROOT / "records_schema" / "calibration.schema.yaml", new_project / "records_schema")
    result = fast(["qms", "check"], new_project)
    assert result.returncode == 1
    assert "records/calibration/CAL-2026-001.yaml:2: invalid YAML: the value anchored here" in result.output


def test_a_duplicate_key_in_front_matter_is_an_error_not_the_last_value_published(new_project: Path):
    target = new_project / QP01
    text = target.read_text()
    target.write_text(text.replace("\ntitle:", "\ntitle: Shown first\ntitle:", 1))
    result = fast(["qms", "check"], new_project)
    assert result.returncode == 1
    assert "front matter: invalid YAML: 'title' is given twice" in result.output, result.output
    assert mkdocs_build(new_project).returncode != 0


@pytest.mark.parametrize("body,reason", [
    ("[" * 20000 + "x" + "]" * 20000, "brackets are nested 20000 deep"),
    ("(" * 5000 + "x", "brackets are nested 5000 deep"),
    ("x" * 60_000, "this line is 60,000 characters long"),
    (("word " * 20 + "\n") * 25_000, "more than a page may be"),
])
def test_a_page_markdown_would_stall_on_fails_within_seconds(new_project: Path, body: str, reason: str):
    target = new_project / QP01
    target.write_text(target.read_text() + "\n" + body + "\n")
    for args in (["qms", "check"], ["mkdocs", "build", "--strict"]):
        result = fast(args, new_project)
        assert result.returncode != 0
        assert f"{QP01}:" in result.output and reason in result.output, result.output[-2000:]


def test_front_matter_with_nested_brackets_fails_within_seconds(new_project: Path):
    front_matter_insert(new_project, QP01, "summary: " + "[" * 20000 + "\n")
    result = fast(["mkdocs", "build", "--strict"], new_project)
    assert result.returncode != 0
    assert f"{QP01}:2: brackets are nested 20000 deep" in result.output


def test_a_binary_markdown_file_is_named_without_a_traceback(new_project: Path):
    (new_project / "docs" / "scan.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01")
    (new_project / "docs" / "latin1.md").write_bytes("Caf\xe9 au lait\n".encode("latin-1"))
    for args in (["qms", "check"], ["mkdocs", "build", "--strict"]):
        result = fast(args, new_project)
        assert result.returncode != 0
        assert "docs/scan.md" in result.output and "docs/latin1.md" in result.output, result.output[-2000:]


def test_an_invalid_document_is_present_for_the_pages_that_link_it(new_project: Path):
    target = new_project / QP01
    target.write_text(target.read_text().replace("\nstatus:", "\nstatus:\t[broken", 1))
    (new_project / "docs" / "links.md").write_text("# Links\n\nSee {{ doc('QP-01') }}.\n")
    result = fast(["qms", "check"], new_project)
    assert result.returncode == 1
    assert f"{QP01}:" in result.output
    assert "unknown document id 'QP-01'" not in result.output
    assert "'QP-01' exists but is invalid: see the error reported in " + QP01 in result.output
    errors = [line for line in result.stdout.splitlines() if ": warning:" not in line]
    assert all(line.removeprefix("error: ").startswith(QP01) for line in errors), errors
