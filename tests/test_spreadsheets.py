"""Registers out to spreadsheets and records back in: CSV and Excel, public fields only, every row validated."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import ROOT, copy_example, page, run
from openpyxl import load_workbook
from qms.cli.app import main as qms

CAL_DIR = "records/calibration"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def cal_csv(project: Path, capsys: pytest.CaptureFixture) -> list[list[str]]:
    assert qms(["-q", "-f", str(project / "mkdocs.yml"), "register", "calibration", "--format", "csv"]) == 0
    return list(csv.reader(io.StringIO(capsys.readouterr().out)))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return path


def snapshot(project: Path) -> dict[str, bytes]:
    return {p.relative_to(project).as_posix(): p.read_bytes() for p in (project / "records").rglob("*.yaml")}


def test_a_register_prints_as_a_readable_table_by_default_and_csv_when_asked(capsys: pytest.CaptureFixture):
    assert qms(["-f", str(ROOT / "mkdocs.yml"), "register", "calibration-status"]) == 0
    out = capsys.readouterr().out
    assert "## Calibration and verification" in out and "| CAL-2025-002 " in out and "<span" not in out
    rows = cal_csv(ROOT, capsys)
    assert rows[0][:3] == ["id", "equipment", "date"]
    assert ["CAL-2025-002", "APE-SRG-0004", "2025-01-22"] == rows[1][:3]


def test_the_excel_workbook_has_a_sheet_per_record_type_of_the_register(tmp_path: Path):
    out = tmp_path / "cal.xlsx"
    assert qms(["-f", str(ROOT / "mkdocs.yml"), "register", "calibration-status", "--format", "xlsx",
                "-o", str(out)]) == 0
    book = load_workbook(out)
    assert book.sheetnames == ["equipment", "calibration"]
    header = [c.value for c in book["calibration"][1]]
    assert header[:3] == ["id", "equipment", "date"]
    assert book["calibration"].freeze_panes == "B2"


def test_an_exported_register_imports_back_without_changing_a_byte(example: Path, tmp_path: Path):
    before = snapshot(example)
    sheet = tmp_path / "calibration.xlsx"
    assert run(["qms", "register", "calibration-status", "--format", "xlsx", "-o", str(sheet)], cwd=example).returncode == 0
    result = run(["qms", "import-records", str(sheet), "--type", "calibration"], cwd=example)
    assert result.returncode == 0, result.output
    assert "0 records created, 0 updated" in result.stderr
    assert snapshot(example) == before


def test_an_edited_cell_updates_only_that_line_and_a_new_row_creates_a_record(example: Path, tmp_path: Path,
                                                                               capsys: pytest.CaptureFixture):
    rows = cal_csv(example, capsys)
    header = rows[0]
    rows[1][header.index("next_due")] = "2027-02-28"
    new = list(rows[1])
    new[0], new[header.index("date")], new[header.index("next_due")] = "CAL-2026-099", "2026-11-30", "2028-11-30"
    rows.append(new)
    before = snapshot(example)
    result = run(["qms", "import-records", str(write_csv(tmp_path / "cal.csv", rows)), "--type", "calibration"],
                 cwd=example)
    assert result.returncode == 0, result.output
    assert f"{CAL_DIR}/CAL-2025-002.yaml: updated" in result.stdout
    assert f"{CAL_DIR}/CAL-2026-099.yaml: created" in result.stdout
    after = snapshot(example)
    changed = [k for k in before if before[k] != after[k]]
    assert changed == [f"{CAL_DIR}/CAL-2025-002.yaml"]
    old_lines = before[changed[0]].decode().splitlines()
    new_lines = after[changed[0]].decode().splitlines()
    assert [(a, b) for a, b in zip(old_lines, new_lines) if a != b] == [("next_due: 2027-01-22", "next_due: 2027-02-28")]
    assert old_lines[0].startswith("#") and new_lines[0] == old_lines[0]  # the comment is kept
    check = run(["qms", "check"], cwd=example)
    assert "CAL-2026-099" not in check.stdout and check.returncode == 0, check.output


def test_one_bad_row_writes_nothing_and_each_problem_names_file_row_and_column(example: Path, tmp_path: Path,
                                                                                 capsys: pytest.CaptureFixture):
    rows = cal_csv(example, capsys)
    header = rows[0]
    rows[2][header.index("next_due")] = "2027-02-30"
    rows[3][header.index("result")] = "passed"
    rows[4][header.index("equipment")] = "APE-XXX-9999"
    rows[1][header.index("next_due")] = "2030-01-01"  # a good change, not written either
    before = snapshot(example)
    sheet = write_csv(tmp_path / "cal.csv", rows)
    result = run(["qms", "import-records", str(sheet), "--type", "calibration"], cwd=example)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors[:3] == [
        f"error: {sheet}:3:next_due: '2027-02-30' is not a real date (use YYYY-MM-DD)",
        f"error: {sheet}:4:result: 'passed' is not one of 'pass', 'adjusted', 'fail'",
        f"error: {sheet}:5:equipment: unknown equipment record 'APE-XXX-9999' "
        f"(no records/equipment/APE-XXX-9999.yaml)",
    ]
    assert errors[-1] == f"error: {sheet}: nothing imported: 3 problems to fix first"
    assert snapshot(example) == before
    assert "Traceback" not in result.output


def test_an_unknown_column_and_a_missing_id_are_refused(example: Path, tmp_path: Path):
    sheet = write_csv(tmp_path / "x.csv", [["id", "colour"], ["", "blue"]])
    result = run(["qms", "import-records", str(sheet), "--type", "calibration"], cwd=example)
    assert result.returncode == 1
    assert f"error: {sheet}:1:colour: not a field of calibration records" in result.stderr
    assert f"error: {sheet}:2:id: empty — every row needs the record's id" in result.stderr


def test_register_pages_offer_their_downloads(example_site: Path):
    html = page(example_site, "registers/calibration-status.md")
    assert 'href="../calibration-status.xlsx"' in html and 'href="../calibration-status-calibration.csv"' in html
    book = load_workbook(example_site / "registers" / "calibration-status.xlsx")
    assert book.sheetnames == ["equipment", "calibration"]
    text = (example_site / "registers" / "calibration-status-calibration.csv").read_text(encoding="utf-8")
    assert text.startswith("id,equipment,date,")


def test_two_builds_publish_the_same_workbook_bytes():
    """The workbook's dates are the build's day and its zip entries carry no time: a rebuild changes nothing."""
    import datetime as dt
    import time

    from qms.config import load_settings
    from qms.model.project import load_project
    from qms.render.spreadsheet import spreadsheet_files

    project = load_project(load_settings(ROOT / "mkdocs.yml"))
    first = spreadsheet_files(project, dt.date(2026, 12, 2))
    time.sleep(1.1)
    assert spreadsheet_files(project, dt.date(2026, 12, 2)) == first
    book = load_workbook(io.BytesIO(first["registers/calibration-status.xlsx"]))
    assert book.properties.modified == dt.datetime(2026, 12, 2)
