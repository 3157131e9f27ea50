"""`qms register NAME --format md|csv|xlsx` and `qms import-records FILE --type TYPE`: registers out to
spreadsheets, records in from them.

Import validates every row against the record type's schema and references before anything is written;
one bad row and no file changes. Problems are `FILE:ROW:COLUMN: message`. An existing record keeps every
line the spreadsheet does not change (ruamel.yaml round-trip); a new one is written as a new YAML file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from qms import clock
from qms.cli import output
from qms.cli.record import coerce
from qms.config import load_settings
from qms.model import yamlio
from qms.model.project import Project, load_project
from qms.model.records import Record, RecordType, check_record_text, reference_problems
from qms.model.schema import validate
from qms.problems import Problem, QMSError
from qms.render import spreadsheet


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("register", help="a register or record type as a table: Markdown, CSV or Excel",
                       description="Print a register (e.g. calibration-status) or the records of one type "
                                   "(e.g. calibration): published fields only. csv gives the register's first "
                                   "record type (or the type named); xlsx a sheet per record type.")
    p.add_argument("name", metavar="NAME", help="a register name or a record type id")
    p.add_argument("--format", choices=spreadsheet.FORMATS, default="md", help="output format (default: md)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="write to FILE (needed for xlsx unless standard output is redirected)")
    p.set_defaults(func=run_register)

    p = sub.add_parser("import-records", help="create or update records from a CSV or Excel file",
                       description="Read rows of records from FILE (.csv or .xlsx, a header row of field paths as "
                                   "written by `qms register`), validate every row, and write the records only "
                                   "when every row is valid. An empty cell leaves a field as it is.")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--type", required=True, metavar="TYPE", help="the record type of the rows, e.g. calibration")
    p.add_argument("--sheet", metavar="NAME", help="the sheet of an Excel file (default: the one named TYPE, "
                                                    "else the first)")
    p.add_argument("--dry-run", action="store_true", help="validate and say what would change; write nothing")
    p.set_defaults(func=run_import)


# --- qms register ----------------------------------------------------------------------------------

def run_register(args: argparse.Namespace) -> int:
    project = load_project(load_settings(args.config_file))
    sheets = spreadsheet.sheets_for(project, args.name)
    if sheets is None:
        raise QMSError(Problem("<command line>", 0, f"no register or record type '{args.name}' (known: "
                                                     f"{', '.join(spreadsheet.known_names(project))})",
                               code="unknown-register"))
    if args.format == "xlsx":
        data: str | bytes = spreadsheet.to_xlsx(sheets, clock.today())
        if args.output is None and sys.stdout.isatty():
            raise QMSError(Problem("<command line>", 0, "an Excel file is not for the terminal: give -o FILE.xlsx",
                                   code="usage"))
    elif args.format == "csv":
        data = spreadsheet.to_csv(sheets[0])
    else:
        data = output.align_tables(spreadsheet.to_markdown(sheets))
    if args.output is None:
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        return 0
    write_atomic(args.output, data.encode("utf-8") if isinstance(data, str) else data)
    output.note(f"{args.output}: {sum(len(s.rows) for s in sheets)} records written")
    return 0


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file whole or not at all (a temporary file beside it, then renamed)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise QMSError(Problem(str(path), 0, f"cannot write: {exc.strerror}", code="cannot-write")) from None


# --- reading rows ----------------------------------------------------------------------------------

def read_rows(path: Path, type_id: str, sheet: str | None) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """(header, [(spreadsheet row number, cells)]) of a CSV or Excel file; blank rows are skipped."""
    display = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise QMSError(Problem(display, 0, "give a .csv or .xlsx file (in Excel: Save as, CSV UTF-8 or Excel "
                                           "Workbook)", code="usage"))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise QMSError(Problem(display, 0, f"cannot be read: {exc.strerror}", code="unreadable")) from None
    if suffix == ".csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = yamlio.decode_error_line(raw, exc)
            raise QMSError(Problem(display, line, f"row {line} is not UTF-8 text: save as 'CSV UTF-8'",
                                   code="not-utf8")) from None
        table = list(csv.reader(io.StringIO(text, newline="")))
    else:
        table = _xlsx_rows(raw, display, type_id, sheet)
    if not table:
        raise QMSError(Problem(display, 1, "empty: the first row names the fields, e.g. id, date, ...",
                               code="empty-file"))
    header = [str(h).strip() if h is not None else "" for h in table[0]]
    rows = [(n, list(r)) for n, r in enumerate(table[1:], start=2)
            if any(c not in (None, "") and str(c).strip() for c in r)]
    return header, rows


def _xlsx_rows(raw: bytes, display: str, type_id: str, sheet: str | None) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise QMSError(Problem(display, 0, f"not an Excel workbook ({type(exc).__name__}): save it as .xlsx",
                               code="not-xlsx")) from None
    name = sheet or (type_id if type_id in book.sheetnames else book.sheetnames[0])
    if name not in book.sheetnames:
        raise QMSError(Problem(display, 0, f"no sheet '{name}' (sheets: {', '.join(book.sheetnames)})",
                               code="unknown-sheet"))
    return [list(r) for r in book[name].iter_rows(values_only=True)]


# --- turning a row into a record ---------------------------------------------------------------------

def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text[1:] if text.startswith("'") else text


def cell_value(schema: dict, value: Any) -> Any:
    """What a cell means for a field of this schema (dates as YYYY-MM-DD text, as records hold them)."""
    raw = _text(value)
    if schema.get("type") == "array":
        items = schema.get("items") or {}
        if items.get("type") == "object" or raw.startswith("["):
            try:
                return json.loads(raw)
            except ValueError:
                return raw  # the schema check says it is not a list
        return [cell_value(items, part) for part in re.split(r"\s*;\s*", raw) if part]
    if schema.get("type") == "object":
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    result = coerce(schema, raw)
    if isinstance(result, dt.date):
        return result.isoformat()
    return str(result) if isinstance(result, str) else result


def row_data(rtype: RecordType, header: list[str], cells: list[Any]) -> tuple[dict, dict[str, str], list[str]]:
    """(fields given, field -> column, unknown columns) of one row; an empty cell gives no field."""
    data: dict = {}
    column_of: dict[str, str] = {}
    unknown = []
    for column, value in zip(header, cells):
        if not column:
            continue
        head, _, sub = column.partition(".")
        schema = rtype.field_schema(column)
        if schema is None:
            unknown.append(column)
            continue
        column_of.setdefault(head, column)
        if value is None or _text(value) == "":
            continue
        parsed = cell_value(schema, value)
        if sub:
            data.setdefault(head, {})[sub] = parsed
        else:
            data[head] = parsed
    return data, column_of, unknown


def _problem(display: str, row: int, column: str, message: str, code: str) -> Problem:
    """A problem at `FILE:ROW:COLUMN` (the column by its header, the field path)."""
    return Problem(f"{display}:{row}:{column}" if column else f"{display}:{row}", 0, message, code=code)


def _column_problems(display: str, row: int, found: list[Problem], column_of: dict[str, str]) -> list[Problem]:
    """Record problems (`field: message`) as `FILE:ROW:COLUMN: message`."""
    out = []
    for p in found:
        field, sep, message = p.message.partition(": ")
        head = re.split(r"[.\[]", field)[0]
        if sep and re.fullmatch(r"[\w.\[\]-]+", field):
            out.append(_problem(display, row, column_of.get(head, field), message, p.code))
        else:
            out.append(_problem(display, row, "", p.message, p.code))
    return out


def plan_import(project: Project, path: Path, type_id: str, sheet: str | None = None,
                progress: output.Progress | None = None) -> tuple[list[tuple[Path, str, str]], list[Problem]]:
    """([(file, old text or '', new text)] for every record that changes, problems); nothing is written."""
    rtype = project.record_types.get(type_id)
    display = str(path)
    if rtype is None:
        raise QMSError(Problem("<command line>", 0, f"--type: unknown record type '{type_id}' (known types: "
                                                     f"{', '.join(sorted(project.record_types))})",
                               code="unknown-record-type"))
    header, rows = read_rows(path, type_id, sheet)
    problems: list[Problem] = []
    if "id" not in header:
        raise QMSError(_problem(display, 1, "", "no 'id' column: the first row names the fields, with id first",
                                "import-no-id"))
    unknown = [c for c in header if c and rtype.field_schema(c) is None]
    for column in unknown:
        problems.append(_problem(display, 1, column, f"not a field of {type_id} records (fields: "
                                                    f"{', '.join(rtype.properties)})", "unknown-field"))
    existing = {r.id: r for r in (*project.record_set.records, *project.record_set.invalid)} if project.record_set else {}
    known = dict(project.record_set.known_ids()) if project.record_set else {}
    seen: dict[str, int] = {}
    changes: list[tuple[Path, str, str]] = []
    progress = progress or output.Progress("import", len(rows))
    for number, cells in rows:
        progress.step()
        data, column_of, _ = row_data(rtype, header, cells)
        rid = data.get("id")
        if not isinstance(rid, str) or not rid:
            problems.append(_problem(display, number, "id", "empty — every row needs the record's id", "import-no-id"))
            continue
        if rid in seen:
            problems.append(_problem(display, number, "id", f"'{rid}' is also on row {seen[rid]}", "duplicate-id"))
            continue
        seen[rid] = number
        old = existing.get(rid)
        if old is not None and old.type != type_id:
            problems.append(_problem(display, number, "id", f"'{rid}' is a {old.type} record, not {type_id}",
                                     "wrong-record-type"))
            continue
        target = project.settings.root / old.path if old else project.settings.records_dir / type_id / f"{rid}.yaml"
        display_target = project.settings.rel(target)
        if old is not None:
            text = target.read_text(encoding="utf-8")
            updates = [([key], value) for key, value in data.items() if old.data.get(key) != value]
            if not updates:
                continue
            try:
                new_text = yamlio.set_values(text, [(path_, _yaml_value(rtype, path_[0], v)) for path_, v in updates])
            except (KeyError, IndexError, TypeError) as exc:
                problems.append(_problem(display, number, "", f"cannot update {display_target}: {exc}", "import-update"))
                continue
        else:
            text = ""
            new_text = new_record_yaml(rtype, data)
        record, found = check_record_text(rtype, new_text, display_target, rid)
        if record is not None and not found:
            known[rid] = type_id
            found = reference_problems(project, rtype, record, known)
        elif record is None:
            found = found or validate(rtype.schema, data, "", display_target)
        problems.extend(_column_problems(display, number, found, column_of))
        if not found:
            changes.append((target, text, new_text))
    progress.finish(f"import: {len(rows)} rows read")
    return changes, problems


def _yaml_value(rtype: RecordType, field: str, value: Any) -> Any:
    """A value for ruamel.yaml: dates as dates (written plain), strings quoted where needed."""
    schema = rtype.field_schema(field) or {}
    if isinstance(value, str):
        return coerce(schema, value)
    return value


def new_record_yaml(rtype: RecordType, data: dict) -> str:
    """YAML for a new record: the schema's field order, a comment naming the type."""
    ordered = {k: data[k] for k in rtype.properties if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    body = yamlio.dump_round_trip(_for_yaml(rtype, ordered))
    return f"# {rtype.title} (imported with qms import-records)\n{body}"


def _for_yaml(rtype: RecordType, data: dict) -> dict:
    return {k: (_yaml_value(rtype, k, v) if isinstance(v, str) else v) for k, v in data.items()}


def run_import(args: argparse.Namespace) -> int:
    project = load_project(load_settings(args.config_file))
    changes, problems = plan_import(project, args.file, args.type, args.sheet)
    if problems:
        output.print_problems(problems, sys.stderr)
        raise QMSError(Problem(str(args.file), 0, f"nothing imported: {len(problems)} "
                                                  f"problem{'s' if len(problems) != 1 else ''} to fix first",
                               code="not-imported"))
    created = sum(1 for _, old, _ in changes if not old)
    if args.dry_run:
        for target, old, _ in changes:
            print(f"{project.settings.rel(target)}: would be {'updated' if old else 'created'}")
        output.note(f"dry run: {created} would be created, {len(changes) - created} updated; nothing written")
        return 0
    for target, old, new_text in changes:
        write_atomic(target, new_text.encode("utf-8"))
        print(f"{project.settings.rel(target)}: {'updated' if old else 'created'}")
    output.note(f"{created} record{'s' if created != 1 else ''} created, {len(changes) - created} updated")
    return 0


__all__ = ["plan_import", "read_rows", "row_data", "run_import", "run_register", "Record"]
