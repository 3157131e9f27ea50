"""Confidential record data never reaches the published site, the search index included."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT
from qms.config import load_settings
from qms.model.project import load_project
from qms.model.records import confidential_values


def xlsx_text(path: Path) -> str:
    """Every cell of every sheet of an Excel workbook, one per line."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
                     if v is not None)


def site_texts(site: Path) -> dict[str, str]:
    out = {}
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".xml", ".txt", ".js", ".css", ".svg", ".ics", ".csv"):
            out[path.relative_to(site).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
        elif path.is_file() and path.suffix == ".xlsx":
            out[path.relative_to(site).as_posix()] = xlsx_text(path)
    return out


def test_no_confidential_value_appears_in_any_file_of_the_site(example_site: Path):
    project = load_project(load_settings(ROOT / "mkdocs.yml"))
    secrets = confidential_values(project.record_set)
    assert len(secrets) >= 20, "the example should exercise confidentiality with many values"
    # A person who signs changes in git is shown by the name she signs with (the revision history and
    # approvals are published on purpose); everything else of hers in the register stays confidential,
    # her emails included.
    signed_names = {identity.split(" <")[0] for r in project.records if r.type == "person"
                    for identity in r.data.get("git", [])}
    emails = {identity.split(" <")[1].rstrip(">") for r in project.records if r.type == "person"
              for identity in r.data.get("git", [])}
    assert signed_names and emails
    secrets = [s for s in secrets if s not in signed_names] + sorted(emails)
    texts = site_texts(example_site)
    assert "search/search_index.json" in texts
    assert "registers/training-matrix.xlsx" in texts and "registers/training-matrix-person.csv" in texts
    leaks = [(secret, name) for secret in secrets for name, text in texts.items() if secret in text]
    assert leaks == []


def test_registers_still_show_what_may_be_shown(example_site: Path):
    """The training matrix lists people by id and role, not by name."""
    html = (example_site / "registers" / "training-matrix" / "index.html").read_text()
    assert "P-001" in html or "P-01" in html
    project = load_project(load_settings(ROOT / "mkdocs.yml"))
    names = {str(r.data.get("name")) for r in project.records if r.type == "person"}
    assert names and not any(name in html for name in names)


def test_register_spreadsheets_from_the_command_line_hold_no_confidential_value(tmp_path: Path):
    """`qms register NAME --format csv|xlsx|md` for every register and record type: public fields only."""
    from qms.cli.app import main as qms
    from qms.render.spreadsheet import known_names

    project = load_project(load_settings(ROOT / "mkdocs.yml"))
    secrets = confidential_values(project.record_set)
    texts = {}
    config = str(ROOT / "mkdocs.yml")
    for name in known_names(project):
        for fmt in ("csv", "xlsx", "md"):
            out = tmp_path / f"{name}.{fmt}"
            assert qms(["-q", "-f", config, "register", name, "--format", fmt, "-o", str(out)]) == 0
            texts[out.name] = xlsx_text(out) if fmt == "xlsx" else out.read_text(encoding="utf-8")
    assert "P-001" in texts["person.csv"] and "P-001" in texts["training-matrix.xlsx"]
    leaks = [(secret, name) for secret in secrets for name, text in texts.items() if secret in text]
    assert leaks == []
