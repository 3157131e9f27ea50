"""What `qms` writes is written whole or not at all, and a file it edits keeps every line it did not change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ENV, ROOT, run

from qms import files
from qms.model import yamlio
from qms.problems import QMSError

PROCEDURE = "procedures/QP-01-control-of-documented-information.md"


@pytest.fixture
def effective(new_project: Path) -> Path:
    """The new project with QP-01 effective, so `review-done` applies."""
    path = new_project / PROCEDURE
    path.write_text(path.read_text().replace("status: draft", "status: effective"))
    return new_project


# -- atomic writes --------------------------------------------------------------------------------------------------

def test_an_interrupted_write_leaves_the_original_whole(tmp_path: Path):
    target = tmp_path / "CA-2026-001.yaml"
    target.write_text("id: CA-2026-001\nstatus: open\n")
    script = ("import resource, sys\nfrom pathlib import Path\nfrom qms import files\n"
              "resource.setrlimit(resource.RLIMIT_FSIZE, (10, 10))\n"
              f"files.write_atomic(Path({str(target)!r}), 'id: CA-2026-001\\nstatus: closed\\n' * 100, 'rec.yaml')\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV)
    assert target.read_text() == "id: CA-2026-001\nstatus: open\n"
    assert "rec.yaml: cannot write: File too large" in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["CA-2026-001.yaml"]  # no temporary file left


def test_a_write_into_a_read_only_folder_says_cannot_write(tmp_path: Path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "a.txt").write_text("old")
    folder.chmod(0o500)
    with pytest.raises(QMSError, match="ro/a.txt: cannot write: Permission denied"):
        files.write_atomic(folder / "a.txt", "new", "ro/a.txt")
    assert (folder / "a.txt").read_text() == "old"


def test_review_done_under_a_file_size_limit_leaves_the_procedure_intact(effective: Path):
    before = (effective / PROCEDURE).read_bytes()
    script = ("import resource, sys\nfrom qms.cli.app import main\n"
              f"resource.setrlimit(resource.RLIMIT_FSIZE, ({len(before) // 2}, {len(before) // 2}))\n"
              "sys.exit(main(['review-done', 'QP-01', '--date', '2026-12-01']))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=effective, env=ENV)
    assert proc.returncode == 1
    assert f"{PROCEDURE}: cannot write: File too large" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (effective / PROCEDURE).read_bytes() == before


def test_writing_through_a_symlink_is_refused(tmp_path: Path):
    (tmp_path / "real.yaml").write_text("a: 1\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real.yaml")
    with pytest.raises(QMSError, match="link.yaml: cannot write: is a symlink"):
        files.write_atomic(tmp_path / "link.yaml", "a: 2\n", "link.yaml")
    assert (tmp_path / "real.yaml").read_text() == "a: 1\n"


# -- faithful round-trip --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,change,expected", [
    ('id: A\nname: "Caf\\u00e9"\nstatus: open\n', "closed", 'id: A\nname: "Caf\\u00e9"\nstatus: closed\n'),
    ("id: A\r\nname: x\r\nstatus: open\r\n", "closed", "id: A\r\nname: x\r\nstatus: closed\r\n"),
    ("\ufeffid: A\nstatus: open\n", "closed", "\ufeffid: A\nstatus: closed\n"),
    ("id: A\nlimits: {low: 1, high: 2}\nstatus: open\n", "closed",
     "id: A\nlimits: {low: 1, high: 2}\nstatus: closed\n"),
    ("id: A\nsteps: [cut, drill]   # in order\nstatus: open # now\n", "closed",
     "id: A\nsteps: [cut, drill]   # in order\nstatus: closed # now\n"),
    ("id: A\nnote: 'it''s'\nstatus: 'open'\n", "closed", "id: A\nnote: 'it''s'\nstatus: 'closed'\n"),
])
def test_a_changed_value_leaves_every_other_line_byte_identical(text: str, change: str, expected: str):
    assert yamlio.set_values(text, [(["status"], change)]) == expected


@pytest.mark.parametrize("text,reason", [
    ("id: A\nx: &a 1\ny: *a\nstatus: open\n", "alias"),
    ("id: A\nx: &a 1\nstatus: open\n", "anchor"),
    ("id: A\nstatus: open\nstatus: b\n", "is given twice"),
    ("id: A\r\nname: x\nstatus: open\r\n", "mixes line endings"),
    ("id: A\nlimits: {low: 1,\n  high: 2}\nstatus: open\n", "would also rewrite this line"),
    ("id: A\nstatus: [open\n", "invalid YAML"),
])
def test_a_file_the_writer_cannot_keep_is_refused_not_rewritten(text: str, reason: str):
    with pytest.raises(yamlio.YAMLSyntaxProblem, match=reason):
        yamlio.set_values(text, [(["status"], "closed")])


def test_review_done_keeps_a_crlf_document_crlf(effective: Path):
    path = effective / PROCEDURE
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes().split(b"\r\n")
    assert run(["qms", "review-done", "QP-01", "--date", "2026-12-01"], cwd=effective).returncode == 0
    after = path.read_bytes().split(b"\r\n")
    assert b"\n" not in b"".join(after)
    assert [line for line in after if line not in before] == [b"last_review: '2026-12-01'"]


def test_review_done_on_a_duplicate_key_says_so_and_changes_nothing(effective: Path):
    path = effective / PROCEDURE
    path.write_text(path.read_text().replace("\nowner:", "\nowner: someone\nowner:", 1))
    before = path.read_bytes()
    result = run(["qms", "review-done", "QP-01", "--date", "2026-12-01"], cwd=effective)
    assert result.returncode == 1
    assert "'owner' is given twice" in result.output and "Traceback" not in result.output
    assert path.read_bytes() == before


def test_record_set_on_a_duplicate_key_says_so_and_changes_nothing(new_project: Path):
    shutil.copy(ROOT / "records_schema" / "corrective-action.schema.yaml", new_project / "records_schema")
    folder = new_project / "records" / "corrective-action"
    folder.mkdir(parents=True)
    record = folder / "CA-2026-001.yaml"
    record.write_text("id: CA-2026-001\nstatus: open\nstatus: open\n")
    result = run(["qms", "record", "set", "CA-2026-001", "status=closed"], cwd=new_project)
    assert result.returncode == 1
    assert "records/corrective-action/CA-2026-001.yaml:3: invalid YAML: 'status' is given twice" in result.output
    assert "Traceback" not in result.output
    assert record.read_text() == "id: CA-2026-001\nstatus: open\nstatus: open\n"
