"""Messages in plain words: the common mistakes in YAML and schemas are reported as the fix, at their line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, copy_example, run
from qms.config import load_settings
from qms.clock import today
from qms.site import plan

QP = "procedures/QP-01-control-of-documented-information.md"
NCR = "records/nonconforming-output/NCR-2025-011.yaml"
CAL = "records/calibration/CAL-2025-002.yaml"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("messages"))


@pytest.fixture
def edited(example: Path):
    """Edit a file of the example for one test and put it back afterwards."""
    saved: dict[Path, bytes | None] = {}

    def edit(rel: str, old: str | None = None, new: str | bytes = "") -> None:
        path = example / rel
        saved.setdefault(path, path.read_bytes() if path.exists() else None)
        if old is None:
            path.write_bytes(new if isinstance(new, bytes) else new.encode())
            return
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    yield edit
    for path, data in saved.items():
        if data is None:
            path.unlink()
        else:
            path.write_bytes(data)


def clauses_line() -> int:
    """The line of QP-01's `clauses:` in the example (its front matter grows as the example does)."""
    lines = (ROOT / QP).read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, 1) if line.startswith("clauses:"))


def problems(project_dir: Path) -> list[str]:
    """Every problem `qms check` and the site report, as `path:line: message`."""
    return [str(p) for p in plan.load(load_settings(project_dir / "mkdocs.yml"), today()).problems]


def test_a_missing_owner_names_the_field_and_lists_the_roles(example: Path, edited):
    edited(QP, "owner: quality-manager\n", "")
    found = [p for p in problems(example) if p.startswith(QP)]
    assert len(found) == 1, found
    assert found[0].startswith(f"{QP}:1: owner: missing — add `owner: ")
    assert "(roles: " in found[0] and "quality-manager" in found[0] and "managing-director" in found[0]


def test_an_unquoted_clause_number_asks_for_quotes(example: Path, edited):
    edited(QP, 'clauses: ["7.5", "7.5.1", "7.5.2", "7.5.3", "7.5.3.1", "7.5.3.2"]', 'clauses: [8.7, "7.5.2"]')
    assert f'{QP}:{clauses_line()}: clauses[0]: put clause numbers in quotes: "8.7"' in problems(example)


def test_clause_7_10_read_as_the_number_7_1_is_caught(example: Path, edited):
    edited(QP, 'clauses: ["7.5", "7.5.1", "7.5.2", "7.5.3", "7.5.3.1", "7.5.3.2"]', 'clauses: ["7.5", 7.10]')
    assert (f'{QP}:{clauses_line()}: clauses[1]: put clause numbers in quotes: "7.10" '
            "(without quotes 7.10 is read as the number 7.1)") in problems(example)


def test_a_tab_gives_its_line_and_says_use_spaces(example: Path, edited):
    edited(NCR, "quantity: 1\n", "quantity: 1\nextra:\n\t- x\n")
    found = [p for p in problems(example) if p.startswith(NCR)]
    assert found == [f"{NCR}:7: line 7 starts with a tab: indent with spaces (YAML does not allow tabs for "
                     "indentation)"]


def test_an_empty_quantity_asks_for_a_whole_number(example: Path, edited):
    edited(NCR, "quantity: 1\n", "quantity:\n")
    assert f"{NCR}:5: quantity: empty — enter a whole number" in problems(example)


def test_a_conditional_requirement_says_its_condition(example: Path, edited):
    edited(CAL, "traceability: national-standard", "traceability: other-basis")
    assert (f"{CAL}:1: basis: missing (required because traceability is 'other-basis') — add `basis: ...`"
            in problems(example))


def test_an_encoding_error_names_its_line(example: Path, edited):
    text = (example / NCR).read_bytes()
    edited(NCR, None, text.replace(b"Plain plug gauge", b"Plain plug \xa3gauge"))
    found = [p for p in problems(example) if p.startswith(NCR)]
    assert found == [f"{NCR}:7: line 7 is not UTF-8 text (byte 0xA3, invalid start byte): save the file as UTF-8 "
                     "(in Excel or Notepad: Save as, encoding UTF-8)"]


def test_a_record_saved_with_another_extension_is_warned_about(example: Path, edited):
    edited("records/calibration/CAL-2026-077.yaml.txt", None, "id: CAL-2026-077\n")
    assert ("records/calibration/CAL-2026-077.yaml.txt: warning: not read: only .yaml files are read here; "
            "rename it to CAL-2026-077.yaml") in problems(example)


def test_a_procedure_saved_as_text_is_warned_about_and_pictures_are_not(example: Path, edited):
    edited("procedures/QP-99-notes.txt", None, "notes")
    edited("procedures/layout.png", None, b"\x89PNG")
    found = [p for p in problems(example) if "QP-99" in p or "layout" in p]
    assert found == ["procedures/QP-99-notes.txt: warning: not read: only .md files are read here; "
                     "save it as QP-99-notes.md"]


@pytest.mark.parametrize("misspelled, suggestion", [
    ("nonconfromity", "nonconformity"),
    ("qualty objectiv", "quality objective"),
    ("corrective actoin", "corrective action"),
    ("top managment", "top management"),
])
def test_a_misspelled_term_always_gets_a_suggestion(example: Path, edited, misspelled: str, suggestion: str):
    edited(QP, "## Purpose", f"## Purpose\n\nSee {{{{ term('{misspelled}') }}}}.")
    found = [p for p in problems(example) if f"'{misspelled}'" in p]
    assert len(found) == 1 and f"(did you mean '{suggestion}'" in found[0], found


def test_qms_check_prints_the_plain_message_with_an_error_label(example: Path, edited):
    edited(NCR, "quantity: 1\n", "quantity:\n")
    result = run(["qms", "check"], cwd=example, env={"NO_COLOR": "1"})
    assert result.returncode == 1
    assert f"error: {NCR}:5: quantity: empty — enter a whole number" in result.stdout
    assert "Traceback" not in result.output
