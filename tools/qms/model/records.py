"""Records: YAML files under records/<type>/, validated against records_schema/<type>.schema.yaml.

A record type is a JSON Schema (2020-12, written in YAML) whose top-level `x-qms:` mapping holds
what the quality system needs to know about the type: the ISO clauses that require it, the
owner role, the retention period, what is confidential, and which fields refer to documents,
roles, clauses or other records. Records are read into plain data; everything that publishes
them goes through `public_view`, which keeps only the fields the schema marks as public.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from jsonschema import Draft202012Validator

from qms.cache import Cache
from qms.model import yamlio
from qms.model.catalogue import RequiredInformation, Standard
from qms.model.schema import Schema, field_name, load_schema, validate
from qms.problems import Problem, QMSError, problems_from_json, problems_to_json

if TYPE_CHECKING:  # pragma: no cover
    from qms.model.project import Project

log = logging.getLogger(__name__)

SCHEMA_SUFFIX = ".schema.yaml"
RECORDS_CACHE = "records"  # namespace of qms.cache: each record file parsed and validated, by content and schema
NOT_RECORD_SCHEMAS = ("document.schema.yaml",)  # the front-matter schema lives beside the record schemas
RECORD_SUFFIXES = (".yaml", ".yml")
REFERENCE_ALIASES = {"person": "record:person", "equipment": "record:equipment"}
_TYPE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Status values that end a record's life, when the schema does not list its own `x-qms.closed_statuses`.
DEFAULT_CLOSED = frozenset(("closed", "done", "released", "implemented", "rejected", "declined", "cancelled",
                            "returned", "withdrawn", "left", "completed", "verified", "removed"))
_TEXT_KEYWORDS = ("format", "pattern", "enum", "const")  # a string with one of these is not free text

# What a record schema's `x-qms:` mapping may hold; checked when the schema is loaded.
X_QMS_SCHEMA: dict = {
    "type": "object",
    "required": ["x-qms"],
    "properties": {
        "x-qms": {
            "type": "object",
            "required": ["clauses", "owner", "retention", "confidential"],
            "additionalProperties": False,
            "properties": {
                "clauses": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "owner": {"type": "string"},
                "retention": {"type": "string", "minLength": 2},
                "confidential": {"type": "boolean"},
                "confidential_fields": {"type": "array", "items": {"type": "string"}},
                "public_fields": {"type": "array", "items": {"type": "string"}},
                "references": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "string",
                        "pattern": "^(document|role|clause|person|equipment|record(:[a-z0-9]+(-[a-z0-9]+)*)?)$",
                        "description": "document, role, clause, person, equipment, record or record:<type>",
                    },
                },
                "revisions": {"type": "object", "additionalProperties": {"type": "string"}},
                "title_field": {"type": "string"},
                "date_field": {"type": "string"},
                "due_field": {"type": "string"},
                "status_field": {"type": "string"},
                "id_format": {"type": "string"},
                "columns": {"type": "array", "items": {"type": "string"}},
                "closed_statuses": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                "retention_years": {"type": "integer", "minimum": 0},
                "retention_from": {"type": "string"},
            },
            "if": {"properties": {"confidential": {"const": True}}},
            "then": {"required": ["public_fields"]},
        }
    },
}
_X_QMS = Schema("x-qms", X_QMS_SCHEMA, Draft202012Validator(X_QMS_SCHEMA))


@dataclass(frozen=True)
class RecordType:
    """A kind of record, from its schema: what requires it, who owns it, what may be published."""

    id: str
    title: str
    description: str
    clauses: tuple[str, ...]
    owner: str
    retention: str
    confidential: bool
    confidential_fields: tuple[str, ...]
    public_fields: tuple[str, ...]  # top-level fields a published page may show
    id_pattern: str
    id_format: str
    references: tuple[tuple[str, str], ...]  # (field path, target) e.g. ("findings[].clause", "clause")
    revisions: tuple[tuple[str, str], ...]  # (revision field, document field)
    title_field: str | None
    date_field: str | None
    due_field: str | None
    status_field: str | None
    columns: tuple[str, ...]
    schema: Schema
    path: str
    # A record whose status field holds one of these is closed (or released): changing it is flagged.
    closed_statuses: tuple[str, ...] = ()
    retention_years: int | None = None  # how long a record is kept, from `retention_from` (see retention_end)
    retention_from: str | None = None  # the date field the retention period runs from (default: date_field)

    @property
    def properties(self) -> dict:
        return self.schema.data.get("properties") or {}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.schema.data.get("required") or ())

    def field_schema(self, path: str) -> dict | None:
        """The schema of a field path such as 'findings[].clause', None when not declared."""
        return _schema_at(self.schema.data, path)

    def field_description(self, path: str) -> str:
        return str((self.field_schema(path) or {}).get("description", ""))

    def reference_target(self, path: str) -> str | None:
        """'document', 'role', 'clause', 'record' or 'record:<type>' for a referring field, else None."""
        for fpath, target in self.references:
            if fpath == path:
                return REFERENCE_ALIASES.get(target, target)
        return None


@dataclass(frozen=True)
class Record:
    """One record: its id, type id, file (as shown to users) and data (dates as strings)."""

    id: str
    type: str
    path: str
    data: dict = field(compare=False)
    text: str = field(default="", compare=False, repr=False)  # the YAML, for line numbers
    source: Path | None = field(default=None, compare=False, repr=False)  # read for line numbers when text is ""

    def line_of(self, path: list[str | int]) -> int:
        text = self.text
        if not text and self.source is not None:
            try:
                text = yamlio.read_text(self.source)
            except (OSError, UnicodeDecodeError):
                return 0
        return yamlio.line_of(text, path) if text else 0


@dataclass
class RecordSet:
    """Every record type and valid record of a project, and the problems found reading them.

    `invalid` holds records that failed their schema: they are known (references to them are
    not reported twice) but never published.
    """

    types: dict[str, RecordType] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    invalid: list[Record] = field(default_factory=list)

    def of_type(self, type_id: str) -> list[Record]:
        """The valid records of one type, by id."""
        return [r for r in self.records if r.type == type_id]

    def get(self, record_id: str) -> Record | None:
        return next((r for r in self.records if r.id == record_id), None)

    def known_ids(self) -> dict[str, str]:
        """Record id -> type id for every record read, valid or not."""
        return {r.id: r.type for r in (*self.invalid, *self.records)}


# --- field paths: 'name', 'change.authorized_by', 'findings[].clause' -------------------------

def split_field(path: str) -> list[str]:
    """['findings', '[]', 'clause'] from 'findings[].clause'."""
    parts: list[str] = []
    for part in path.split("."):
        while part.endswith("[]"):
            part = part[:-2]
            parts.extend([part, "[]"] if part else ["[]"])
            part = ""
        if part:
            parts.append(part)
    return parts


def _schema_at(schema: dict, path: str) -> dict | None:
    node: Any = schema
    for part in split_field(path):
        if not isinstance(node, dict):
            return None
        node = node.get("items") if part == "[]" else (node.get("properties") or {}).get(part)
        if node is None:
            return None
    return node if isinstance(node, dict) else None


def values_at(data: Any, path: str, expand_lists: bool = True) -> Iterator[tuple[list[str | int], Any]]:
    """(location, value) of every value at a field path; a list at the end yields its items."""
    def walk(node: Any, parts: list[str], where: list[str | int]) -> Iterator[tuple[list[str | int], Any]]:
        if not parts:
            if isinstance(node, list) and expand_lists:
                for i, item in enumerate(node):
                    yield [*where, i], item
            elif node is not None:
                yield where, node
            return
        head, rest = parts[0], parts[1:]
        if head == "[]":
            if isinstance(node, list):
                for i, item in enumerate(node):
                    yield from walk(item, rest, [*where, i])
        elif isinstance(node, dict) and head in node:
            yield from walk(node[head], rest, [*where, head])

    yield from walk(data, split_field(path), [])


def _remove(node: Any, parts: list[str]) -> None:
    """Delete the field at `parts` (with '[]' for every list item) from nested data, in place."""
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "[]":
        for item in node if isinstance(node, list) else ():
            _remove(item, rest)
    elif isinstance(node, dict) and head in node:
        if rest:
            _remove(node[head], rest)
        else:
            del node[head]


# --- record types --------------------------------------------------------------------------------

def load_record_types(project: Project) -> tuple[dict[str, RecordType], list[Problem], set[str]]:
    """Every record type in the schema folder, the problems with their schemas, and the broken type ids.

    A record type is a `<type>.schema.yaml` with an `x-qms:` section; other schemas in the folder
    (the document front matter, the gap assessment) are skipped.
    """
    settings = project.settings
    types: dict[str, RecordType] = {}
    problems: list[Problem] = []
    broken: set[str] = set()
    texts: dict[str, str] = {}
    if not settings.schema_dir.is_dir():
        return types, problems, broken
    for path in sorted(settings.schema_dir.glob("*" + SCHEMA_SUFFIX)):
        if path.name in NOT_RECORD_SCHEMAS:
            continue
        type_id = path.name[: -len(SCHEMA_SUFFIX)]
        display = settings.rel(path)
        if not _TYPE_ID.match(type_id):
            problems.append(Problem(display, 0, f"record type '{type_id}' must be lower-case words joined by dashes",
                                    code="record-type-name"))
            broken.add(type_id)
            continue
        try:
            schema = load_schema(path, display)
        except QMSError as exc:
            problems.extend(exc.problems)
            broken.add(type_id)
            continue
        if "x-qms" not in schema.data:  # another schema (front matter, gap assessment): not a record type
            if (settings.records_dir / type_id).is_dir():
                problems.append(Problem(display, 1, f"x-qms: missing, so '{type_id}' is not a record type although "
                                                     f"{settings.rel(settings.records_dir / type_id)}/ holds records: "
                                                     "add an x-qms section (see calibration.schema.yaml)",
                                    code="record-schema"))
                broken.add(type_id)
            continue
        texts[type_id] = yamlio.read_text(path)
        rtype, found = _record_type(project, type_id, schema, texts[type_id])
        problems.extend(found)
        if rtype is None:
            broken.add(type_id)
        else:
            types[type_id] = rtype
    for rtype in types.values():
        problems.extend(_check_reference_targets(rtype, types, texts[rtype.id]))
    return types, problems, broken


def record_type_from_text(project: Project, type_id: str, text: str, display: str) -> RecordType | None:
    """The record type a schema text defines (e.g. as it stood at a git revision); None when it defines none."""
    try:
        data = yamlio.load(text)
    except yamlio.YAMLSyntaxProblem:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("x-qms"), dict):
        return None
    try:
        schema = Schema(display, data, Draft202012Validator(data), hashlib.sha1(text.encode()).hexdigest())
        return _record_type(project, type_id, schema, text)[0]
    except (AttributeError, TypeError, ValueError, KeyError):  # a schema of another shape defines no type
        return None


def _record_type(project: Project, type_id: str, schema: Schema, text: str) -> tuple[RecordType | None, list[Problem]]:
    """A RecordType from a loaded schema, or None and the problems with its `x-qms:` section."""
    problems = validate(_X_QMS, schema.data, text, schema.path)
    if problems:
        return None, problems
    meta = schema.data["x-qms"]
    id_schema = (schema.data.get("properties") or {}).get("id") or {}
    if "id" not in (schema.data.get("required") or ()) or not id_schema.get("pattern"):
        return None, [Problem(schema.path, yamlio.line_of(text, ["properties", "id"]),
                              "properties.id: a record schema needs a required 'id' field with a pattern",
                              code="record-schema")]
    confidential = bool(meta["confidential"])
    confidential_fields = tuple(meta.get("confidential_fields") or ())
    declared = tuple(schema.data.get("properties") or ())
    if confidential:
        public = tuple(meta.get("public_fields") or ())
    else:
        public = tuple(f for f in declared if f not in confidential_fields)
    rtype = RecordType(
        id=type_id,
        title=str(schema.data.get("title") or type_id),
        description=" ".join(str(schema.data.get("description", "")).split()),
        clauses=tuple(str(c) for c in meta["clauses"]),
        owner=str(meta["owner"]),
        retention=str(meta["retention"]),
        confidential=confidential,
        confidential_fields=confidential_fields,
        public_fields=public,
        id_pattern=str(id_schema["pattern"]),
        id_format=str(meta.get("id_format") or ""),
        references=tuple((str(k), str(v)) for k, v in (meta.get("references") or {}).items()),
        revisions=tuple((str(k), str(v)) for k, v in (meta.get("revisions") or {}).items()),
        title_field=meta.get("title_field"),
        date_field=meta.get("date_field"),
        due_field=meta.get("due_field"),
        status_field=meta.get("status_field"),
        columns=tuple(meta.get("columns") or ("id",)),
        schema=schema,
        path=schema.path,
        closed_statuses=_closed_statuses(schema.data, meta),
        retention_years=meta.get("retention_years", _retention_years(str(meta["retention"]))),
        retention_from=meta.get("retention_from") or meta.get("date_field"),
    )
    return rtype, _check_type_meta(project, rtype, text)


def _check_type_meta(project: Project, rtype: RecordType, text: str) -> list[Problem]:
    """Problems with the names an `x-qms:` section uses: clauses, owner role and field paths."""
    problems: list[Problem] = []

    def at(key: str, *more: str | int) -> int:
        return yamlio.line_of(text, ["x-qms", key, *more])

    for i, cid in enumerate(rtype.clauses):
        if project.find_clause(cid) is None:
            problems.append(Problem(rtype.path, at("clauses", i), f"x-qms.clauses: unknown clause '{cid}'",
                                    code="unknown-clause"))
    roles = project.organization.roles
    if roles and rtype.owner not in roles:
        problems.append(Problem(rtype.path, at("owner"),
                                f"x-qms.owner: unknown role '{rtype.owner}'{_did_you_mean(rtype.owner, roles)}",
                                code="unknown-role"))
    named = [("confidential_fields", f) for f in rtype.confidential_fields]
    named += [("public_fields", f) for f in (rtype.public_fields if rtype.confidential else ())]
    named += [("references", f) for f, _ in rtype.references]
    named += [("revisions", f) for pair in rtype.revisions for f in pair]
    named += [(key, getattr(rtype, key)) for key in ("title_field", "date_field", "due_field", "status_field",
                                                     "retention_from") if getattr(rtype, key)]
    named += [("columns", f) for f in rtype.columns]
    for key, fpath in named:
        if rtype.field_schema(fpath) is None:
            problems.append(Problem(rtype.path, at(key), f"x-qms.{key}: '{fpath}' is not a field of the schema",
                                    code="record-schema"))
    if "id" not in rtype.public_fields:
        problems.append(Problem(rtype.path, at("public_fields"), "x-qms.public_fields: must include 'id'",
                                code="record-schema"))
    for column in rtype.columns:
        if split_field(column)[0] not in rtype.public_fields:
            problems.append(Problem(rtype.path, at("columns"), f"x-qms.columns: '{column}' is not a public field",
                                    code="record-schema"))
    problems.extend(_closed_status_problems(rtype, text))
    for where in _open_objects(rtype.schema.data, []):
        problems.append(Problem(rtype.path, yamlio.line_of(text, where),
                                f"{field_name(where) or 'schema'}: an object in a record schema must set "
                                "'additionalProperties: false', so undeclared (possibly confidential) data is refused",
                                code="record-schema"))
    return problems


def _closed_status_problems(rtype: RecordType, text: str) -> list[Problem]:
    meta = rtype.schema.data["x-qms"]
    if "closed_statuses" not in meta:
        return []
    line = yamlio.line_of(text, ["x-qms", "closed_statuses"])
    if not rtype.status_field:
        return [Problem(rtype.path, line, "x-qms.closed_statuses: needs a status_field whose values they are",
                        code="record-schema")]
    allowed = _status_values(rtype.schema.data, rtype.status_field)
    return [Problem(rtype.path, line, f"x-qms.closed_statuses: '{value}' is not a value of "
                                      f"{rtype.status_field} ({', '.join(map(str, allowed))})", code="record-schema")
            for value in rtype.closed_statuses if allowed and value not in allowed]


def _status_values(schema: dict, status_field: str) -> tuple:
    node = _schema_at(schema, status_field) or {}
    return tuple(node.get("enum") or ())


def _closed_statuses(schema: dict, meta: dict) -> tuple[str, ...]:
    """`x-qms.closed_statuses`, else the values of the status field's enum that name an end (DEFAULT_CLOSED)."""
    if "closed_statuses" in meta:
        return tuple(str(v) for v in meta["closed_statuses"])
    status_field = meta.get("status_field")
    if not status_field:
        return ()
    return tuple(str(v) for v in _status_values(schema, status_field)
                 if str(v) in DEFAULT_CLOSED or str(v).startswith(("closed", "released")))


def _retention_years(retention: str) -> int | None:
    """The longest number of years a retention text names ('15 years for medical parts; 7 years for others': 15)."""
    years = [int(n) for n in re.findall(r"(\d{1,3})\s*(?:years?|yrs?)\b", retention, re.I)]
    return max(years) if years else None


def retention_end(rtype: RecordType, data: dict) -> tuple[dt.date | None, str]:
    """The last day a record must be kept, and why; None when it cannot be told (so it is still kept)."""
    if rtype.retention_years is None:
        return None, f"its retention ('{rtype.retention}') names no number of years"
    if not rtype.retention_from:
        return None, f"its retention ('{rtype.retention}') has no date to run from (set x-qms.retention_from)"
    value = data.get(rtype.retention_from)
    try:
        start = dt.date.fromisoformat(str(value)) if value is not None else None
    except ValueError:
        start = None
    if start is None:
        return None, f"its retention period ({rtype.retention}) runs from {rtype.retention_from}, which is not set"
    try:
        end = start.replace(year=start.year + rtype.retention_years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + rtype.retention_years, day=28)
    except OverflowError:
        end = dt.date.max
    return end, f"kept until {end.isoformat()} ({rtype.retention}, from {rtype.retention_from} {start.isoformat()})"


def is_closed(rtype: RecordType, data: dict) -> bool:
    """True when the record's status field holds one of the type's closed statuses."""
    return bool(rtype.status_field) and str(data.get(rtype.status_field)) in rtype.closed_statuses


def _open_objects(node: dict, where: list[str | int]) -> Iterator[list[str | int]]:
    """Locations of object schemas (top level, properties, items) that allow undeclared fields."""
    if node.get("type") == "object" or "properties" in node:
        if node.get("additionalProperties") is not False:
            yield where
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict):
                yield from _open_objects(sub, [*where, "properties", name])
    if isinstance(node.get("items"), dict):
        yield from _open_objects(node["items"], [*where, "items"])


def _check_reference_targets(rtype: RecordType, types: dict[str, RecordType], text: str) -> list[Problem]:
    """Problems with `record:<type>` references to types that do not exist."""
    problems = []
    for fpath, target in rtype.references:
        target = REFERENCE_ALIASES.get(target, target)
        if target.startswith("record:") and target[7:] not in types:
            problems.append(Problem(rtype.path, yamlio.line_of(text, ["x-qms", "references", fpath]),
                                    f"x-qms.references: '{fpath}' refers to unknown record type '{target[7:]}'",
                                    code="unknown-record-type"))
    return problems


# --- records -------------------------------------------------------------------------------------

def check_record_text(rtype: RecordType, text: str, display: str, stem: str) -> tuple[Record | None, list[Problem]]:
    """Parse and validate one record's YAML against its schema and its file name.

    Returns the record (None when the text is not a YAML mapping) and its problems; a record with
    problems must not be published.
    """
    try:
        data = yamlio.load(text)
    except yamlio.YAMLSyntaxProblem as exc:
        return None, [Problem(display, exc.line, exc.message, code=exc.code)]
    if not isinstance(data, dict):
        return None, [Problem(display, 1, "a record must be a YAML mapping of 'field: value' lines", code="not-a-mapping")]
    problems = validate(rtype.schema, data, text, display)
    rid = data.get("id")
    record = Record(_record_id(data, stem), rtype.id, display, data, text)
    if isinstance(rid, (str, int)) and str(rid) != stem:
        problems.append(Problem(display, record.line_of(["id"]),
                                f"id: '{rid}' must equal the file name '{stem}' (rename the file or fix the id)",
                                code="id-not-file-name"))
    return record, problems


def _record_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(YAML files, other files) below a type folder, sorted, skipping hidden files and folders."""
    found, other = [], []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith("."):
                (found if os.path.splitext(name)[1] in RECORD_SUFFIXES else other).append(Path(dirpath, name))
    return sorted(found), sorted(other)


def not_read_problem(display: str, name: str, wanted: str) -> Problem:
    """The warning for a file in a records or procedures folder that is not read (e.g. `X.yaml.txt`)."""
    if wanted + "." in name:
        fix = f"rename it to {name[:name.index(wanted + '.') + len(wanted)]}"
    else:
        fix = f"save it as {name.partition('.')[0]}{wanted}"
    return Problem(display, 0, f"not read: only {wanted} files are read here; {fix}", "warning", code="not-read")


def read_records(project: Project, types: dict[str, RecordType], broken: set[str]) -> tuple[list[Record], list[Record], list[Problem]]:
    """(valid records, invalid records, problems) from the records folder, one folder per type."""
    settings = project.settings
    valid: list[Record] = []
    invalid: list[Record] = []
    problems: list[Problem] = []
    folder = settings.records_dir
    if not folder.is_dir():
        return valid, invalid, problems
    seen: dict[str, Record] = {}
    cache = Cache(settings.root)  # parse + schema result per file, see qms.cache
    cache.preload(RECORDS_CACHE)
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            if entry.suffix in RECORD_SUFFIXES:
                problems.append(Problem(settings.rel(entry), 0, "a record must be in the folder of its type, "
                                                                "e.g. records/calibration/CAL-2026-001.yaml",
                                        code="misplaced-record"))
            continue
        if entry.name in broken:
            continue
        rtype = types.get(entry.name)
        if rtype is None:
            problems.append(Problem(settings.rel(entry), 0, f"unknown record type '{entry.name}'"
                                    f"{_did_you_mean(entry.name, types)}: there is no "
                                    f"{settings.rel(settings.schema_dir)}/{entry.name}{SCHEMA_SUFFIX}",
                                    code="unknown-record-type"))
            continue
        digest = rtype.schema.digest
        record_files, other_files = _record_files(entry)
        problems.extend(not_read_problem(settings.rel(p), p.name, ".yaml") for p in other_files)
        for path in record_files:
            display = settings.rel(path)
            try:
                raw = path.read_bytes()
            except OSError as exc:
                problems.append(Problem(display, 0, f"cannot be read: {exc.strerror}", code="unreadable"))
                continue
            # by content, not modification time: a fresh clone (CI restoring the cache) still finds its entries
            key = [hashlib.sha1(raw).hexdigest(), digest]
            hit = cache.get(RECORDS_CACHE, display, key, lambda value: _record_from_json(value, rtype, display, path))
            if hit is not None:
                record, found = hit
            else:
                try:
                    text = raw.decode("utf-8-sig")
                except UnicodeDecodeError as exc:
                    line = yamlio.decode_error_line(raw, exc)
                    problems.append(Problem(display, line, f"line {line} is not UTF-8 text (byte "
                                                           f"0x{raw[exc.start]:02X}, {exc.reason}): save the file "
                                                           "as UTF-8 (in Excel or Notepad: Save as, encoding UTF-8)",
                                            code="not-utf8"))
                    invalid.append(Record(path.stem, rtype.id, display, {}, source=path))  # it exists: no cascade
                    continue
                record, found = check_record_text(rtype, text, display, path.stem)
                cache.put(RECORDS_CACHE, display, key, {"data": None if record is None else record.data,
                                                        "problems": problems_to_json(found)})
            if record is not None and record.id in seen:
                found.append(Problem(display, record.line_of(["id"]),
                                     f"id: '{record.id}' is already used by {seen[record.id].path}",
                                     code="duplicate-id"))
            problems.extend(found)
            if record is None:  # unreadable, yet it exists: references to it are not reported as missing
                invalid.append(Record(path.stem, rtype.id, display, {}, source=path))
                continue
            seen.setdefault(record.id, record)
            (invalid if found else valid).append(record)
    cache.save()
    return valid, invalid, problems


def _record_from_json(value: dict, rtype: RecordType, display: str, path: Path) -> tuple[Record | None, list[Problem]]:
    """A cached (record, problems) pair; ValueError when the entry has another shape."""
    data = value["data"]
    if data is not None and not isinstance(data, dict):
        raise ValueError("data: not a mapping")
    found = problems_from_json(display, value["problems"])
    return (None if data is None else Record(_record_id(data, path.stem), rtype.id, display, data, source=path)), found


def _record_id(data: dict, stem: str) -> str:
    rid = data.get("id")
    return str(rid) if isinstance(rid, (str, int)) else stem


def next_id(rtype: RecordType, existing: set[str], today: dt.date) -> str | None:
    """The id after the highest existing one of this year, from the type's `x-qms.id_format`."""
    if not rtype.id_format:
        return None
    if "{n" not in rtype.id_format:
        candidate = rtype.id_format.format(year=today.year, month=today.month)
        return None if candidate in existing else candidate
    highest = 0
    for n in range(1, 10_000):
        if rtype.id_format.format(year=today.year, month=today.month, n=n) in existing:
            highest = n
    return rtype.id_format.format(year=today.year, month=today.month, n=highest + 1)


def revision_key(revision: str) -> tuple:
    """A sort key under which '2' < '10' and 'A' < 'B' < 'AA'."""
    return tuple((0, int(p), "") if p.isdigit() else (1, len(p), p)
                 for p in re.findall(r"\d+|[A-Za-z]+", str(revision)))


def is_older_revision(revision: str, current: str) -> bool:
    return revision_key(revision) < revision_key(current)


def _did_you_mean(value: str, names: object) -> str:
    options = difflib.get_close_matches(value, list(names), n=3, cutoff=0.6)  # type: ignore[call-overload]
    return f" (did you mean {' or '.join(repr(o) for o in options)}?)" if options else ""


def _reference_message(project: Project, known: dict[str, str], target: str, value: str) -> tuple[str, str] | None:
    """(problem code, message) saying why `value` does not resolve as a `target` reference; None when it does."""
    if target == "document":
        if value not in project.documents:
            return "unknown-document", f"unknown document '{value}'{_did_you_mean(value, project.documents)}"
    elif target == "role":
        roles = project.organization.roles
        if roles and value not in roles:
            return "unknown-role", f"unknown role '{value}'{_did_you_mean(value, roles)}"
    elif target == "clause":
        if project.find_clause(value) is None:
            return "unknown-clause", f"unknown clause '{value}' of {project.standard.short}"
    elif target == "record":
        if value not in known:
            return "unknown-record", f"unknown record '{value}'{_did_you_mean(value, known)}"
    elif target.startswith("record:"):
        wanted = target[7:]
        if value not in known:
            hint = f" (no {project.settings.rel(project.settings.records_dir)}/{wanted}/{value}.yaml)"
            return "unknown-record", f"unknown {wanted} record '{value}'{hint}"
        if known[value] != wanted:
            return "wrong-record-type", f"'{value}' is a {known[value]} record, not a {wanted} record"
    return None


def reference_problems(project: Project, rtype: RecordType, record: Record, known: dict[str, str]) -> list[Problem]:
    """Problems with a record's references to documents, roles, clauses, people and records."""
    problems = []
    for fpath, target in rtype.references:
        target = REFERENCE_ALIASES.get(target, target)
        for where, value in values_at(record.data, fpath):
            if not isinstance(value, str):
                continue  # the schema reports the wrong type
            found = _reference_message(project, known, target, value)
            if found:
                code, message = found
                problems.append(Problem(record.path, record.line_of(where), f"{field_name(where)}: {message}", code=code))
    for rev_field, doc_field in rtype.revisions:
        revision, doc_id = record.data.get(rev_field), record.data.get(doc_field)
        doc = project.documents.get(doc_id) if isinstance(doc_id, str) else None
        if doc is not None and revision is not None and revision_key(doc.revision) < revision_key(str(revision)):
            problems.append(Problem(record.path, record.line_of([rev_field]),
                                    f"{rev_field}: {doc.id} is at revision {doc.revision}; "
                                    f"revision '{revision}' does not exist yet", code="unknown-revision"))
    return problems


def load_record_set(project: Project) -> RecordSet:
    """Every record type and record of the project, checked against schemas and references."""
    types, problems, broken = load_record_types(project)
    valid, invalid, found = read_records(project, types, broken)
    record_set = RecordSet(types, valid, [*problems, *found], invalid)
    known = record_set.known_ids()
    for record in valid:
        record_set.problems.extend(reference_problems(project, types[record.type], record, known))
    log.debug("read %d records of %d types", len(valid) + len(invalid), len(types))
    return record_set


# --- what may be published -----------------------------------------------------------------------

def public_view(record_type: RecordType, record: Record) -> dict:
    """A copy of the record holding only what may be published.

    Only the type's public fields are copied (for a confidential type, the fields its schema
    lists under `x-qms.public_fields`), then any confidential sub-field is removed. Renderers
    read records only through this function.
    """
    view = {name: copy.deepcopy(record.data[name]) for name in record_type.public_fields if name in record.data}
    for fpath in record_type.confidential_fields:
        _remove(view, split_field(fpath))
    return view


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _free_text(schema: dict | None, value: Any) -> Iterator[str]:
    """The free-text strings of `value` (no ids, dates or enum values), walking its schema."""
    if schema is None:
        return
    if isinstance(value, str):
        if not any(k in schema for k in _TEXT_KEYWORDS):
            yield value
    elif isinstance(value, dict):
        props = schema.get("properties") or {}
        for k, v in value.items():
            yield from _free_text(props.get(k), v)
    elif isinstance(value, list):
        items = schema.get("items")
        for v in value:
            yield from _free_text(items if isinstance(items, dict) else None, v)


def confidential_values(record_set: RecordSet) -> set[str]:
    """Every confidential free-text value (4 characters or more) of the valid records.

    A published site must contain none of them; strings that a public field also holds are left
    out, since they are published legitimately.
    """
    public: set[str] = set()
    secret: set[str] = set()
    for record in record_set.records:
        rtype = record_set.types[record.type]
        view = public_view(rtype, record)
        public.update(_strings(view))
        for name, value in record.data.items():
            if name not in view:
                secret.update(_free_text(rtype.field_schema(name), value))
        for fpath in rtype.confidential_fields:
            for _, value in values_at(record.data, fpath, expand_lists=False):
                secret.update(_free_text(rtype.field_schema(fpath), value))
    return {s for s in secret - public if len(s.strip()) >= 4}


def retain_coverage(standard: Standard, types: dict[str, RecordType]) -> list[tuple[RequiredInformation, tuple[str, ...]]]:
    """Each documented information the standard requires to retain, with the record types naming its clause."""
    out = []
    for item in standard.documented_information:
        if item.kind != "retain":
            continue
        out.append((item, tuple(t.id for t in types.values() if item.clause_id in t.clauses)))
    return out
