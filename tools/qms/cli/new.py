"""`qms new record-type NAME` and `qms new document --type TYPE --title TITLE` (and `qms new record`, qms.cli.record).

A record type starts as a schema skeleton with everything the engine asks of one (clauses, owner, retention,
confidentiality, the id pattern from the company's code). A document starts with the next free id of its kind,
its front matter filled in as a draft, and a file named from the id and the title.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from qms.cli import record
from qms.cli.engine import write_atomically
from qms.config import load_settings
from qms.model.project import load_project
from qms.problems import Problem, QMSError

# Each kind of document: its id prefix, its folder (procedures_dir or docs_dir/manual), its front-matter type.
DOCUMENT_KINDS = {
    "procedure": ("QP", "procedures", "procedure"),
    "work-instruction": ("WI", "procedures", "work instruction"),
    "form": ("F", "procedures", "form"),
    "policy": ("POL", "manual", "policy"),
    "manual": ("QM", "manual", "manual"),
}
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_ROLE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_CLAUSE = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def register(sub: argparse._SubParsersAction) -> None:
    if "record" not in sub.choices:
        record.register(sub)
    new = record._nested(sub, "new", "create a new item of the quality system from its template or schema")
    t = new.add_parser("record-type", help="write a new record type's schema skeleton",
                       description="Write records_schema/NAME.schema.yaml: a record type with an id numbered from "
                                   "the company's code, a date, and x-qms (clauses, owner, retention, "
                                   "confidentiality). Add the fields your records need, then `qms new record NAME`.")
    t.add_argument("name", metavar="NAME", help="record type id in lower case with dashes, e.g. customer-complaint")
    t.add_argument("--title", help="what the records are (default: from NAME)")
    t.add_argument("--prefix", help="id prefix after the company code (default: NAME's initials, e.g. CC)")
    t.add_argument("--clauses", nargs="+", default=[], metavar="CLAUSE", help="ISO 9001 clauses that ask for it")
    t.add_argument("--owner", default="quality-manager", help="role id that owns the records")
    t.set_defaults(func=run_record_type)

    d = new.add_parser("document", help="write a new controlled document with the next free id",
                       description="Write a new procedure, work instruction, form, policy or manual page as a draft: "
                                   "the next free id of its kind, front matter filled in, the file named from the "
                                   "id and the title.")
    d.add_argument("--type", dest="kind", required=True, choices=sorted(DOCUMENT_KINDS), help="kind of document")
    d.add_argument("--title", required=True, help="the document's title, e.g. \"Purchasing\"")
    d.add_argument("--owner", default="quality-manager", help="role id that owns it (default: quality-manager)")
    d.add_argument("--clauses", nargs="+", default=[], metavar="CLAUSE", help="ISO 9001 clauses it addresses")
    d.set_defaults(func=run_document)


def slug(title: str) -> str:
    """A file-name part from a title: lower case words joined by dashes."""
    return "-".join(re.findall(r"[a-z0-9]+", title.lower()))[:60].strip("-") or "document"


def _quoted(items: list[str]) -> str:
    return "[" + ", ".join(f'"{c}"' for c in items) + "]"


def _check_clauses(clauses: list[str]) -> None:
    bad = [c for c in clauses if not _CLAUSE.match(c)]
    if bad:
        raise QMSError(Problem("--clauses", 0, f"'{bad[0]}' is not a clause number: write e.g. 8.5.1",
                               code="usage"))


# --- qms new record-type ---------------------------------------------------------------------------------------

def record_type_text(name: str, title: str, code: str, prefix: str, clauses: list[str], owner: str) -> str:
    ident = f"{code}-{prefix}" if code else prefix
    clause_line = _quoted(clauses) if clauses else '[]  # the ISO 9001 clauses that ask for these records, e.g. ["8.5.1"]'
    return f"""# {title}: records/{name}/{ident}-yyyy-nnn.yaml. Add the fields your records need under properties:,
# list the required ones under required:, and run `qms check`.
$schema: "https://json-schema.org/draft/2020-12/schema"
$id: "https://qms.example/schemas/{name}.schema.yaml"
title: {title}
description: >-
  Say here what one record of this type is evidence of.
type: object
required: [id, date, summary]
additionalProperties: false
properties:
  id:
    type: string
    pattern: "^{ident}-[0-9]{{4}}-[0-9]{{3}}$"
    description: "record id: {ident}-, the year, a dash and three digits, e.g. {ident}-2026-001"
  date:
    type: string
    format: date
    description: "date of the record (YYYY-MM-DD)"
  summary:
    type: string
    minLength: 3
    description: "what happened, in one line"
x-qms:
  clauses: {clause_line}
  owner: {owner}
  retention: "7 years"  # a default: set what your customers, contracts and law ask
  confidential: false  # true when the records hold personal data; then list public_fields
  date_field: date
  title_field: summary
  id_format: "{ident}-{{year}}-{{n:03d}}"
"""


def run_record_type(args: argparse.Namespace) -> int:
    project = load_project(load_settings(args.config_file), with_records=False)
    settings = project.settings
    if not _NAME.match(args.name) or args.name in ("document", "gap-assessment"):
        raise QMSError(Problem(args.name, 0, "a record type id is lower case words joined by dashes, e.g. "
                                             "customer-complaint (not document or gap-assessment)", code="usage"))
    if not _ROLE.match(args.owner) or (project.organization.roles and args.owner not in project.organization.roles):
        known = ", ".join(sorted(project.organization.roles)) or "none"
        raise QMSError(Problem(settings.rel(settings.organization_file), 0,
                               f"--owner: unknown role '{args.owner}' (roles: {known})", code="unknown-role"))
    _check_clauses(args.clauses)
    prefix = (args.prefix or "".join(part[0] for part in args.name.split("-"))).upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9]{0,5}", prefix):
        raise QMSError(Problem("--prefix", 0, f"'{prefix}' is not an id prefix: 1 to 6 capitals or digits",
                               code="usage"))
    title = args.title or args.name.replace("-", " ").capitalize()
    path = settings.schema_dir / f"{args.name}.schema.yaml"
    if path.exists():
        raise QMSError(Problem(settings.rel(path), 0, "already exists: nothing written", code="exists"))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, record_type_text(args.name, title.replace('"', "'"), project.organization.code, prefix,
                                            args.clauses, args.owner))
    print(f"{settings.rel(path)}: created; add the fields your records need, then `qms new record {args.name}`")
    return 0


# --- qms new document ------------------------------------------------------------------------------------------

def next_document_id(prefix: str, existing: set[str]) -> str:
    """The id after the highest existing one of this prefix, two digits at least (QP-01, QP-02 …)."""
    numbers = [int(m.group(1)) for i in existing if (m := re.fullmatch(rf"{prefix}-([0-9]+)[A-Z]?", i))]
    return f"{prefix}-{max(numbers, default=0) + 1:02d}"


def document_text(doc_id: str, title: str, kind: str, owner: str, clauses: list[str]) -> str:
    clause_line = _quoted(clauses) if clauses else "[]  # the ISO 9001 clauses it addresses, quoted, e.g. [\"8.4\"]"
    return f"""---
id: {doc_id}
title: "{title}"
type: {kind}
revision: "1"
status: draft
owner: {owner}
clauses: {clause_line}
review_interval: 12 months
---

## Purpose

Say in a sentence or two why this document exists and what it covers.

## Responsibilities

Who does what, by role (the roles are in organization.yaml).

## What we do

1. Write the steps in the order they are done.
"""


def run_document(args: argparse.Namespace) -> int:
    project = load_project(load_settings(args.config_file), with_records=False)
    settings = project.settings
    prefix, folder, kind = DOCUMENT_KINDS[args.kind]
    if project.organization.roles and args.owner not in project.organization.roles:
        known = ", ".join(sorted(project.organization.roles))
        raise QMSError(Problem(settings.rel(settings.organization_file), 0,
                               f"--owner: unknown role '{args.owner}' (roles: {known})", code="unknown-role"))
    _check_clauses(args.clauses)
    title = " ".join(args.title.split()).replace('"', "'")
    if len(title) < 3:
        raise QMSError(Problem("--title", 0, "a title has at least 3 characters", code="usage"))
    existing = set(project.documents) | _ids_on_disk(settings.procedures_dir) | _ids_on_disk(settings.docs_dir)
    doc_id = next_document_id(prefix, existing)
    where: Path = settings.procedures_dir if folder == "procedures" else settings.docs_dir / folder
    path = where / f"{doc_id}-{slug(title)}.md"
    if path.exists():
        raise QMSError(Problem(settings.rel(path), 0, "already exists: nothing written", code="exists"))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, document_text(doc_id, title, kind, args.owner, args.clauses))
    print(f"{settings.rel(path)}: created {doc_id} as a draft; write it, then run `qms check` and propose it "
          "in a pull request")
    return 0


def _ids_on_disk(folder: Path) -> set[str]:
    """Ids named by the file names in a folder (a document whose front matter is broken still holds its id)."""
    if not folder.is_dir():
        return set()
    return {m.group(1) for p in folder.rglob("*.md") if (m := re.match(r"([A-Z][A-Z0-9]{0,5}-[0-9]{1,4}[A-Z]?)\b", p.name))}
