"""`qms new record TYPE` and `qms record set RECORD-ID FIELD=VALUE ...`: write records without loss.

`new record` writes a file prefilled from the type's schema, each field under a comment saying
what it is. `record set` changes values through ruamel.yaml round-trip (yamlio.set_values), so
comments, key order, quoting and every untouched line stay as they were; a change that would
make the record invalid is refused and the file is left alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from qms import clock, files
from qms.config import load_settings
from qms.model import yamlio
from qms.model.project import Project, load_project
from qms.model.records import Record, RecordType, check_record_text, next_id, reference_problems
from qms.problems import Problem, QMSError

_JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list,
               "object": dict, "null": type(None)}
_PATH_PART = re.compile(r"^(?P<name>[A-Za-z_][\w-]*)(?P<index>(\[\d+\])*)$")


def register(sub: argparse._SubParsersAction) -> None:
    if "record" in sub.choices:  # registered already, with `qms new` (qms.cli.new)
        return
    new = _nested(sub, "new", "create a new item of the quality system from its template or schema")
    p = new.add_parser("record", help="write a new record prefilled from its schema",
                       description="Write records/TYPE/ID.yaml with every required field of the type's schema, "
                                   "each under a comment saying what it holds. Fill in the empty values, then run "
                                   "`qms check`.")
    p.add_argument("type", metavar="TYPE", help="record type, e.g. calibration or corrective-action")
    p.add_argument("--id", dest="record_id", metavar="ID", help="record id (default: the next free id of the type)")
    p.set_defaults(func=run_new)

    rec = _nested(sub, "record", "change existing records")
    s = rec.add_parser("set", help="change fields of a record, keeping everything else byte for byte",
                       description="Set FIELD=VALUE in a record (FIELD may be nested: change.reason, "
                                   "actions[1].status). The record is validated first; an invalid result is "
                                   "refused and the file is not touched.")
    s.add_argument("record_id", metavar="RECORD-ID", help="e.g. CA-2026-004")
    s.add_argument("assignments", nargs="+", metavar="FIELD=VALUE", help="e.g. status=closed closed=2026-11-20")
    s.set_defaults(func=run_set)


def _nested(sub: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    """The subcommands of `qms NAME`, creating `qms NAME` if no other module has yet."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        parser.set_defaults(func=lambda _args, p=parser: p.print_help() or 2)
    for action in parser._actions:  # noqa: SLF001 - argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_what", metavar="WHAT")


# --- qms new record --------------------------------------------------------------------------------

def run_new(args: argparse.Namespace) -> int:
    project = load_project(load_settings(args.config_file))
    path = create_record(project, args.type, args.record_id, clock.today())
    print(f"{project.settings.rel(path)}: created; fill in the empty values, then run `qms check`")
    return 0


def _record_type(project: Project, type_id: str) -> RecordType:
    rtype = project.record_types.get(type_id)
    if rtype is None:
        known = ", ".join(sorted(project.record_types)) or "none"
        raise QMSError(Problem(project.settings.rel(project.settings.schema_dir), 0,
                               f"unknown record type '{type_id}' (known types: {known})", code="unknown-record-type"))
    return rtype


def create_record(project: Project, type_id: str, record_id: str | None, today: dt.date) -> Path:
    """Write a new record file prefilled from the schema; never overwrite one."""
    rtype = _record_type(project, type_id)
    known = project.record_set.known_ids() if project.record_set else {}
    schema_file = project.settings.rel(project.settings.root / rtype.path)
    if record_id is None:
        record_id = next_id(rtype, set(known), today)
        if record_id is None:
            raise QMSError(Problem(schema_file, 0, f"{type_id} ids are chosen by hand: give one with --id "
                                                   f"(pattern {rtype.id_pattern})", code="usage"))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", record_id):
        raise QMSError(Problem(schema_file, 0, f"--id: {record_id!r} is not an id: use letters, digits, '.', '_' "
                                               "and '-' only (no spaces, line breaks or slashes)", code="bad-id"))
    if not re.match(rtype.id_pattern, record_id):
        raise QMSError(Problem(schema_file, 0, f"--id: '{record_id}' is not a {type_id} id: "
                                               f"{rtype.field_description('id') or rtype.id_pattern}",
                               code="bad-id"))
    if record_id in known:
        raise QMSError(Problem(schema_file, 0, f"--id: '{record_id}' is already used by a {known[record_id]} record",
                               code="duplicate-id"))
    path = project.settings.records_dir / type_id / f"{record_id}.yaml"
    if path.exists():
        raise QMSError(Problem(project.settings.rel(path), 0, "already exists: nothing written", code="exists"))
    files.write_atomic(path, new_record_text(project, rtype, record_id, today), project.settings.rel(path),
                       newline=None)
    return path


def new_record_text(project: Project, rtype: RecordType, record_id: str, today: dt.date) -> str:
    """YAML for a new record: required fields with defaults or empty placeholders, optional ones as comments."""
    clauses = ", ".join(rtype.clauses)
    lines = [f"# {rtype.title}: required by {project.standard.short} {clauses}.",
             f"# Owner: {project.organization.role_title(rtype.owner)}. Keep for: {rtype.retention}.",
             f"# Schema: {rtype.path}. Fill in every empty value, then run `qms check`."]
    if rtype.confidential:
        lines.append("# Confidential: only " + ", ".join(rtype.public_fields) + " are ever published.")
    elif rtype.confidential_fields:
        lines.append("# Never published: " + ", ".join(rtype.confidential_fields) + ".")
    lines += _fields(rtype.schema.data, 0, {"id": record_id}, today)
    optional = [name for name in rtype.properties if name not in rtype.required]
    if optional:
        lines += ["", "# Optional fields: remove the '# ' to use one."]
        for name in optional:
            lines.append(f"# {name}: {_placeholder(rtype.properties[name], today)}  # {_describe(rtype.properties[name])}")
    return "\n".join(lines) + "\n"


def _describe(schema: dict) -> str:
    text = " ".join(str(schema.get("description", "")).split())
    if "enum" in schema:
        text += ("; " if text else "") + "one of: " + ", ".join(str(v) for v in schema["enum"])
    return text


def _fields(schema: dict, indent: int, given: dict, today: dt.date) -> list[str]:
    """The required properties of an object schema as YAML lines, each under its description."""
    pad = " " * indent
    lines = []
    for name in schema.get("required") or ():
        prop = (schema.get("properties") or {}).get(name, {})
        if _describe(prop):
            lines.append(f"{pad}# {_describe(prop)}")
        if name in given:
            lines.append(f"{pad}{name}: {_scalar(given[name])}")
        elif prop.get("type") == "object":
            lines.append(f"{pad}{name}:")
            lines += _fields(prop, indent + 2, {}, today)
        elif prop.get("type") == "array" and (prop.get("items") or {}).get("type") == "object" and prop.get("minItems"):
            item = _fields(prop["items"], indent + 4, {}, today)
            first = next(i for i, line in enumerate(item) if not line.lstrip().startswith("#"))
            item[:first + 1] = [f"{pad}  {line.lstrip()}" for line in item[:first]] + [f"{pad}  - {item[first].lstrip()}"]
            lines += [f"{pad}{name}:", *item]
        else:
            lines.append(f"{pad}{name}: {_placeholder(prop, today)}")
    return lines


def _placeholder(schema: dict, today: dt.date) -> str:
    """A default from the schema, today for a date, else an empty value that `qms check` reports until filled."""
    if "default" in schema:
        return _scalar(schema["default"])
    if schema.get("format") == "date":
        return today.isoformat()
    kind = schema.get("type")
    if kind == "array":
        return "[]"
    if kind in ("boolean", "integer", "number", "object"):
        return "null"
    return '""'


def _scalar(value: Any) -> str:
    """A value written as YAML: plain when it reads back as itself, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    try:
        plain = yamlio.load(text) == text and not re.search(r"(: | #|^[\s\[\]{}&*!|>'\"%@`,?-])", text)
    except yamlio.YAMLSyntaxProblem:
        plain = False
    return text if plain and text else json.dumps(text, ensure_ascii=False)


# --- qms record set --------------------------------------------------------------------------------

def run_set(args: argparse.Namespace) -> int:
    project = load_project(load_settings(args.config_file))
    path, changed = set_fields(project, args.record_id, args.assignments)
    rel = project.settings.rel(path)
    print(f"{rel}: set {', '.join(changed)}" if changed else f"{rel}: unchanged (the values were already set)")
    return 0


def parse_field(field: str) -> list[str | int]:
    """['actions', 1, 'status'] from 'actions[1].status'; a QMSError for anything else."""
    path: list[str | int] = []
    for part in field.split("."):
        match = _PATH_PART.match(part)
        if not match:
            raise QMSError(Problem("<command line>", 0, f"'{field}' is not a field name such as status, "
                                                         "change.reason or actions[1].status", code="usage"))
        path.append(match.group("name"))
        path += [int(i) for i in re.findall(r"\[(\d+)\]", match.group("index"))]
    return path


def _field_path(path: list[str | int]) -> str:
    """'actions[].status' (the schema's view) from ['actions', 1, 'status']."""
    out = ""
    for part in path:
        out += "[]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def coerce(schema: dict, raw: str) -> Any:
    """The value `raw` means for a field: a date for a date field, YAML for numbers, booleans and lists,
    else the text itself; quoted when it would not read back as a string."""
    if schema.get("format") == "date":
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            return raw  # the schema check reports it
    allowed = schema.get("type") or sorted({type(v).__name__.replace("str", "string").replace("bool", "boolean")
                                            .replace("int", "integer") for v in schema.get("enum", [])})
    allowed = [allowed] if isinstance(allowed, str) else list(allowed)
    try:
        parsed = yamlio.load(raw) if raw else raw
    except yamlio.YAMLSyntaxProblem:
        parsed = raw
    fits = any(isinstance(parsed, _JSON_TYPES[t]) and not (t in ("integer", "number") and isinstance(parsed, bool))
               for t in allowed if t in _JSON_TYPES)
    value = parsed if fits or "string" not in allowed else raw
    if isinstance(value, str) and _scalar(value).startswith('"'):
        return DoubleQuotedScalarString(value)
    return value


def find_record(project: Project, record_id: str) -> Record:
    """The record with this id, valid or not; a QMSError when there is none."""
    rs = project.record_set
    for record in (*(rs.records if rs else ()), *(rs.invalid if rs else ())):
        if record.id == record_id:
            return record
    raise QMSError(Problem(project.settings.rel(project.settings.records_dir), 0,
                           f"no record '{record_id}': the id is the file name under records/<type>/",
                           code="unknown-record"))


def set_fields(project: Project, record_id: str, assignments: list[str]) -> tuple[Path, list[str]]:
    """Change fields of a record in place; refuse, leaving the file untouched, if the result is invalid.

    Returns the file and the fields changed (empty when every value was already set).
    """
    record = find_record(project, record_id)
    rtype = project.record_types[record.type]
    path = project.settings.root / record.path
    changes = []
    for assignment in assignments:
        field, sep, raw = assignment.partition("=")
        if not sep:
            raise QMSError(Problem(record.path, 0, f"'{assignment}' is not FIELD=VALUE", code="usage"))
        fpath = parse_field(field.strip())
        schema = rtype.field_schema(_field_path(fpath))
        if schema is None:
            raise QMSError(Problem(record.path, 0, f"{field}: not a field of {rtype.id} records "
                                                    f"(fields: {', '.join(rtype.properties)})", code="unknown-field"))
        changes.append((fpath, coerce(schema, raw)))
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            text = stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise QMSError(Problem(record.path, 0, f"cannot read: {getattr(exc, 'strerror', None) or exc}",
                               code="unreadable")) from None
    try:
        new_text = yamlio.set_values(text, changes)
    except yamlio.YAMLSyntaxProblem as exc:
        raise QMSError(Problem(record.path, exc.line, exc.message, code=exc.code)) from None
    except (KeyError, IndexError, TypeError) as exc:
        raise QMSError(Problem(record.path, 0, f"cannot set {exc}: a containing field or list item is missing",
                               code="missing-field")) from None
    if new_text == text:
        return path, []
    updated, problems = check_record_text(rtype, new_text, record.path, path.stem)
    if updated is not None and not problems:
        problems = reference_problems(project, rtype, updated, project.record_set.known_ids())
    if problems:
        raise QMSError([*problems, Problem(record.path, 0, "not changed: the result would be invalid", code="not-changed")])
    files.write_atomic(path, new_text, record.path)
    return path, [field.partition("=")[0].strip() for field in assignments]
