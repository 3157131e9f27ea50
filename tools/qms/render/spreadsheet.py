"""Registers as spreadsheets: one sheet per record type a register reads, its public fields only.

A sheet's columns are field paths (`id`, `date`, `scores.quality`): a scalar field is one column, a mapping of
scalars one column per sub-field, a list of scalars one cell joined with "; ", and a list of mappings one cell
of JSON. `qms import-records` reads the same layout back, so a register exported, edited in Excel and imported
changes exactly the cells that were edited. Every value comes from `records.public_view`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from qms.model.project import Project
from qms.model.records import RecordType, public_view
from qms.render.registers import REGISTERS, Register, available_registers

LIST_SEPARATOR = "; "
FORMATS = ("md", "csv", "xlsx")


@dataclass(frozen=True)
class Sheet:
    """One table of a spreadsheet: its name (the record type), column headers (field paths) and rows."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def _scalar_object(schema: dict) -> bool:
    props = schema.get("properties") or {}
    return schema.get("type") == "object" and bool(props) and all(
        (p.get("type") not in ("object", "array")) for p in props.values() if isinstance(p, dict))


def columns_of(rtype: RecordType) -> list[str]:
    """The spreadsheet columns of a record type: its published fields, mappings of scalars split by sub-field."""
    out = []
    for name in rtype.properties:
        if name not in rtype.public_fields or name in rtype.confidential_fields:
            continue
        schema = rtype.properties[name] or {}
        if _scalar_object(schema):
            out += [f"{name}.{sub}" for sub in schema["properties"] if f"{name}.{sub}" not in rtype.confidential_fields]
        else:
            out.append(name)
    return out


def cell(value: Any) -> Any:
    """A field value as a spreadsheet cell: numbers stay numbers, lists of scalars are joined, mappings are JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return LIST_SEPARATOR.join(str(cell(v)) for v in value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def record_sheet(project: Project, rtype: RecordType) -> Sheet:
    """The published records of one type, by id."""
    columns = columns_of(rtype)
    rows = []
    for record in sorted(project.record_set.of_type(rtype.id) if project.record_set else [], key=lambda r: r.id):
        view = public_view(rtype, record)
        row = []
        for column in columns:
            head, _, sub = column.partition(".")
            value = view.get(head)
            if sub:
                value = value.get(sub) if isinstance(value, dict) else None
            row.append(cell(value))
        rows.append(tuple(row))
    return Sheet(rtype.id, rtype.title, tuple(columns), tuple(rows))


def find_register(project: Project, name: str) -> Register | None:
    return next((r for r in available_registers(project) if r.name == name), None)


def sheets_for(project: Project, name: str) -> list[Sheet] | None:
    """The sheets of a register (by its name) or of one record type (by its id); None when neither exists."""
    register = find_register(project, name)
    if register is not None:
        return [record_sheet(project, project.record_types[t]) for t in register.types]
    if name in project.record_types:
        return [record_sheet(project, project.record_types[name])]
    return None


def known_names(project: Project) -> list[str]:
    return [r.name for r in available_registers(project)] + sorted(project.record_types)


def to_csv(sheet: Sheet) -> str:
    """One sheet as CSV (UTF-8, a header row of field paths)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sheet.columns)
    writer.writerows(sheet.rows)
    return out.getvalue()


def to_xlsx(sheets: list[Sheet], made: dt.date | None = None) -> bytes:
    """The sheets as one Excel workbook: bold frozen header row, widths to fit, an autofilter. The same sheets
    give the same bytes (the workbook's dates are `made`, its zip entries carry no time), so two builds of one
    commit publish identical files."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.name[:31])
        ws.append(list(sheet.columns))
        for row in sheet.rows:
            ws.append([_safe_cell(v) for v in row])
        for cell_ in ws[1]:
            cell_.font = Font(bold=True)
        ws.freeze_panes = "B2"
        if sheet.columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(sheet.rows) + 1}"
        for i, column in enumerate(sheet.columns, start=1):
            width = max([len(column), *(len(str(r[i - 1])) for r in sheet.rows)]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(width, 60)
    stamp = dt.datetime.combine(made or dt.date(2000, 1, 1), dt.time())
    book.properties.created = book.properties.modified = stamp
    out = io.BytesIO()
    book.save(out)
    return _without_times(out.getvalue(), stamp)


def _without_times(data: bytes, stamp: dt.datetime) -> bytes:
    """The zip archive again with every entry dated 1980-01-01, in the same order, and the workbook's modified
    date (which openpyxl sets to the moment of saving) set to `stamp`."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
                                 .encode(), content)
            target.writestr(entry, content)
    return out.getvalue()


def _safe_cell(value: Any) -> Any:
    """A text starting with '=' is stored as text, never as a formula (no formula injection from a record)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _number_like(value):
        return "'" + value
    return value


def _number_like(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def to_markdown(sheets: list[Sheet]) -> str:
    """The sheets as plain Markdown tables (for the terminal: no HTML)."""
    from qms.render.writer import PLAIN

    parts = []
    for sheet in sheets:
        parts.append(PLAIN.heading(2, f"{sheet.title} ({len(sheet.rows)})"))
        parts.append(PLAIN.table(list(sheet.columns), [list(r) for r in sheet.rows]))
    return "".join(parts)


def spreadsheet_files(project: Project, today: dt.date | None = None) -> dict[str, str | bytes]:
    """Every register as `registers/NAME.xlsx` (a sheet per record type) and `registers/NAME-TYPE.csv`."""
    out: dict[str, str | bytes] = {}
    for register in available_registers(project):
        sheets = sheets_for(project, register.name) or []
        out[register.xlsx_uri] = to_xlsx(sheets, today)
        for sheet in sheets:
            out[register.csv_uri(sheet.name)] = to_csv(sheet)
    return out


__all__ = ["FORMATS", "REGISTERS", "Sheet", "columns_of", "record_sheet", "sheets_for", "spreadsheet_files",
           "to_csv", "to_xlsx", "to_markdown", "known_names"]
