"""Records under change control (ISO 9001 7.5.3): what a change did to the retained records, and to what they publish.

`record_diff` compares a base revision with the working tree (`qms diff`, `qms check --base`): records added,
changed field by field (before and after) and deleted, each flagged `closed-record-edited` when the record was
already closed or released, or `record-deleted` when it was deleted before its retention period ended; and every
change to what a record type publishes (`confidential`, `public_fields`, `confidential_fields`, `columns`, the id
pattern), a `confidentiality-change` error unless the policy's approver gave a `Confidentiality-approved-by:`
trailer in a commit they made. `record_audit_rows` gives the same for every commit of the first-parent line, for
the audit trail.

Values of fields that are not public are never shown, here or anywhere these outputs go (a pull-request comment,
the published audit trail): a field is shown only when the record type's schema makes it public at the base and
now, so a pull request that widens a schema cannot publish what it widened.

git is read with few calls: one `git diff --raw` (or the history's one `git log`), one `git cat-file --batch` for
every version of every record and schema, one `git log` for the approvals.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from qms import clock
from qms.jsondata import jsondata
from qms.history.changecontrol import AuditRow, csv_text
from qms.history.git import GitRepo, open_repo
from qms.history.pullrequest import format_diff as documents_diff
from qms.history.pullrequest import merge_base
from qms.history.revisions import FileChange, load_history, parse_raw, person
from qms.model import yamlio
from qms.model.records import (
    RECORD_SUFFIXES,
    SCHEMA_SUFFIX,
    RecordType,
    is_closed,
    record_type_from_text,
    retention_end,
    split_field,
)
from qms.problems import Problem, QMSError

if TYPE_CHECKING:  # pragma: no cover
    from qms.model.project import Project

CLOSED_RECORD_EDITED = "closed-record-edited"
RECORD_DELETED = "record-deleted"
CONFIDENTIALITY_CHANGE = "confidentiality-change"
RECORD_FLAG_TEXT = {
    CLOSED_RECORD_EDITED: "a record already closed or released was changed",
    RECORD_DELETED: "a retained record was deleted before its retention period ended",
}
CONFIDENTIAL = "(confidential)"
APPROVAL_TRAILER = "Confidentiality-approved-by"
PERSON_TYPE = "person"  # the person register: name, role, additional_roles, status (see records_schema/person)
# What a record type publishes: a change to any of these is a confidentiality change.
PUBLICATION_KEYS = (("x-qms", "confidential"), ("x-qms", "public_fields"), ("x-qms", "confidential_fields"),
                    ("x-qms", "columns"), ("x-qms", "id_format"), ("properties", "id", "pattern"))
_SHOWN = 120  # characters of a value shown before it is cut


# ----------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class FieldChange:
    """One field of a record that differs: its value before and after (None: absent; CONFIDENTIAL: not shown)."""

    field: str  # 'result', 'findings[0].clause'
    before: str | None
    after: str | None

    @property
    def text(self) -> str:
        if self.before == CONFIDENTIAL or self.after == CONFIDENTIAL:
            return f"{self.field}: changed {CONFIDENTIAL}"
        return f"{self.field}: {_or_dash(self.before)} → {_or_dash(self.after)}"


@dataclass(frozen=True)
class RecordChange:
    """A record that differs between two versions of the repository."""

    record_id: str
    record_type: str
    path: str
    old_path: str | None
    status: str  # 'A' added, 'M' changed, 'R' moved (maybe changed too), 'D' deleted
    fields: tuple[FieldChange, ...]
    flags: tuple[str, ...]
    reasons: tuple[str, ...]  # why each flag, in the order of flags

    @property
    def changes_text(self) -> tuple[str, ...]:
        return tuple(f.text for f in self.fields)


@dataclass(frozen=True)
class SchemaChange:
    """A change to what a record type publishes."""

    record_type: str
    path: str
    line: int
    changes: tuple[str, ...]  # 'x-qms.public_fields: [id, role] → [id, role, name]'
    approved_by: tuple[str, ...]  # approvals that count
    refused: tuple[str, ...]  # approvals given that do not count, each with why
    roles: tuple[str, ...] = ()  # the roles that may approve it

    @property
    def approved(self) -> bool:
        return bool(self.approved_by)


@dataclass(frozen=True)
class RecordDiff:
    """What a pull request changes in the records and in what the record types publish."""

    records: tuple[RecordChange, ...]
    schemas: tuple[SchemaChange, ...]


# ----------------------------------------------------------------------------------------------
# Fields, confidentiality, flags


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every scalar of nested data by its field path: {'findings[0].clause': '8.7', ...}."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(leaves(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, item in enumerate(value):
            out.update(leaves(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value} if prefix else {}


def is_public(types: Sequence[RecordType], path: str) -> bool:
    """True when every one of `types` (the type at the base and now) publishes the field at `path`."""
    if not types:
        return False
    pattern = re.sub(r"\[\d+\]", "[]", path)
    top = split_field(pattern)[0] if pattern else ""
    for rtype in types:
        if top not in rtype.public_fields:
            return False
        for hidden in rtype.confidential_fields:
            if pattern == hidden or pattern.startswith((hidden + ".", hidden + "[")):
                return False
    return True


def field_changes(old: dict, new: dict, types: Sequence[RecordType]) -> tuple[FieldChange, ...]:
    """The fields that differ between two versions of a record, values of non-public fields hidden."""
    before, after = leaves(old), leaves(new)
    out = []
    for path in dict.fromkeys([*before, *after]):
        if path in before and path in after and before[path] == after[path]:
            continue
        if is_public(types, path):
            out.append(FieldChange(path, _shown(before, path), _shown(after, path)))
        else:
            out.append(FieldChange(path, CONFIDENTIAL if path in before else None,
                                   CONFIDENTIAL if path in after else None))
    return tuple(out)


def _shown(values: dict[str, Any], path: str) -> str | None:
    if path not in values:
        return None
    value = values[path]
    if isinstance(value, bool) or value is None:
        text = {True: "true", False: "false", None: "null"}[value]
    elif value == [] or value == {}:
        text = "[]" if value == [] else "{}"
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"


def _or_dash(value: str | None) -> str:
    return "—" if value is None else value


def record_flags(status: str, old: dict | None, new: dict | None, fields: Sequence[FieldChange],
                 types: Sequence[RecordType], day: dt.date) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(flags, reasons) of one record change on `day`. The record's types at the base and now both judge it, so a
    change cannot escape a flag by changing the schema in the same pull request."""
    flags, reasons = [], []
    if status in ("M", "R") and old is not None and fields:
        closing = next((t for t in types if is_closed(t, old)), None)
        if closing is not None:
            flags.append(CLOSED_RECORD_EDITED)
            reasons.append(f"it was {closing.status_field} {old.get(closing.status_field)} before this change")
    if status == "D" and old is not None:
        for rtype in types:
            end, why = retention_end(rtype, old)
            if end is None or day <= end:
                flags.append(RECORD_DELETED)
                reasons.append(f"deleted on {day.isoformat()}: {why}" if end else f"deleted: {why}")
                break
    return tuple(flags), tuple(reasons)


def _data(text: str | None) -> dict | None:
    if text is None:
        return None
    try:
        data = yamlio.load(text)
    except (yamlio.YAMLSyntaxProblem, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _type_of(path: str, records_rel: str) -> str | None:
    """The record type of a file under the records folder ('records/calibration/CAL-1.yaml': 'calibration')."""
    parts = PurePosixPath(path).parts
    base = PurePosixPath(records_rel).parts if records_rel not in ("", ".") else ()
    if len(parts) < len(base) + 2 or tuple(parts[:len(base)]) != base:
        return None
    return parts[len(base)]


def _record_change(entry: FileChange, old_text: str | None, new_text: str | None, records_rel: str,
                   types_of: Any, day: dt.date) -> RecordChange | None:
    type_id = _type_of(entry.path, records_rel) or (_type_of(entry.old_path, records_rel) if entry.old_path else None)
    if type_id is None:
        return None
    old, new = _data(old_text), _data(new_text)
    types = types_of(type_id)
    status = entry.status
    fields = field_changes(old or {}, new or {}, types) if status in ("M", "R") else ()
    if status == "M" and not fields:
        return None  # comments or layout only: no field changed
    flags, reasons = record_flags(status, old, new, fields, types, day)
    data = new if status != "D" else old
    rid = (data or {}).get("id")
    record_id = str(rid) if isinstance(rid, (str, int)) else PurePosixPath(entry.path).stem
    return RecordChange(record_id, type_id, entry.path, entry.old_path if status == "R" else None, status,
                        fields, flags, reasons)


# ----------------------------------------------------------------------------------------------
# A base revision and the working tree


def record_diff(project: "Project", base_rev: str) -> RecordDiff:
    """Records and record schemas that differ between the merge base of `base_rev` and HEAD, and the working tree
    (committed or not): the branch's net change, as for the documents (pullrequest.changes_since)."""
    settings = project.settings
    repo = open_repo(settings.root)
    if repo is None or repo.head() is None:
        raise QMSError(Problem(settings.root.as_posix(), 0, f"--base {base_rev}: not a git repository with commits, "
                                                            "so there is nothing to compare with",
                               code="not-a-repository"))
    base = merge_base(repo, base_rev)
    records_rel, schema_rel = settings.rel(settings.records_dir), settings.rel(settings.schema_dir)
    specs = repo.pathspecs([records_rel, schema_rel])
    entries = parse_raw(repo.run("diff", "-M", "--raw", "-z", "--no-abbrev", "--no-ext-diff", base, "--", *specs))
    untracked = repo.run("ls-files", "-z", "--others", "--exclude-standard", "--", *specs)
    entries += [FileChange("A", p, None, None, None) for p in untracked.decode("utf-8", "replace").split("\0") if p]
    entries = [_to_root(repo, e) for e in entries if e.path.endswith(RECORD_SUFFIXES)]
    entries = [e for e in entries if e is not None]
    schema_of = {t.id: repo.to_git(f"{schema_rel}/{t.id}{SCHEMA_SUFFIX}") for t in project.record_types.values()}
    for e in entries:
        for path in (e.path, e.old_path):
            type_id = _type_of(path, records_rel) if path else None
            if type_id:
                schema_of.setdefault(type_id, repo.to_git(f"{schema_rel}/{type_id}{SCHEMA_SUFFIX}"))
    base_refs = {type_id: f"{base}:{git_path}" for type_id, git_path in schema_of.items()}
    blobs = repo.read_blobs([*(e.old_blob for e in entries if e.old_blob), *base_refs.values()])
    base_types: dict[str, RecordType | None] = {}
    for type_id, ref in base_refs.items():
        data = blobs.get(ref)
        base_types[type_id] = None if data is None else record_type_from_text(
            project, type_id, data.decode("utf-8-sig", "replace"), f"{schema_rel}/{type_id}{SCHEMA_SUFFIX} at {base_rev}")

    def types_of(type_id: str) -> tuple[RecordType, ...]:
        return tuple(t for t in (base_types.get(type_id), project.record_types.get(type_id)) if t is not None)

    def old_text(e: FileChange) -> str | None:
        data = blobs.get(e.old_blob) if e.old_blob else None
        return None if data is None else data.decode("utf-8-sig", "replace")

    today = clock.today()
    records, schemas = [], []
    for e in entries:
        new = _work_text(repo, e.path) if e.status != "D" else None
        if e.path.startswith(f"{schema_rel}/") and e.path.endswith(SCHEMA_SUFFIX):
            found = _schema_change(e, old_text(e), new, schema_rel)
            if found is not None:
                schemas.append(found)
        else:
            change = _record_change(e, old_text(e), new, records_rel, types_of, today)
            if change is not None:
                records.append(change)
    if schemas:
        schemas = _with_approvals(project, repo, base, schemas, base_types)
    return RecordDiff(tuple(sorted(records, key=lambda c: (c.record_type, c.record_id, c.path))),
                      tuple(sorted(schemas, key=lambda s: s.path)))


def _to_root(repo: GitRepo, entry: FileChange) -> FileChange | None:
    path = repo.to_root(entry.path)
    if path is None:
        return None
    old_path = repo.to_root(entry.old_path) if entry.old_path else None
    return FileChange(entry.status, path, old_path, entry.old_blob, entry.new_blob)


def _work_text(repo: GitRepo, path: str) -> str | None:
    try:
        return (repo.toplevel / repo.to_git(path)).read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return None


# ----------------------------------------------------------------------------------------------
# What a record type publishes, and who may change it


def _schema_change(entry: FileChange, old_text: str | None, new_text: str | None,
                   schema_rel: str) -> SchemaChange | None:
    """The publication keys a schema change touches; None when it touches none (or defines no record type now)."""
    old, new = _data(old_text) or {}, _data(new_text)
    if not new or not isinstance(new.get("x-qms"), dict):
        return None  # withdrawn, broken or not a record type: its own checks report it
    new_type = not isinstance(old.get("x-qms"), dict)
    changes = []
    line = 0
    for key in PUBLICATION_KEYS:
        before, after = _at(old, key), _at(new, key)
        if before != after or (new_type and after is not None):
            changes.append(f"{'.'.join(key)}: {_yaml_text(before)} → {_yaml_text(after)}")
            line = line or yamlio.line_of(new_text or "", list(key))
    if not changes:
        return None
    if new_type:
        changes.insert(0, "a new record type: what its records publish")
    type_id = PurePosixPath(entry.path).name[: -len(SCHEMA_SUFFIX)]
    return SchemaChange(type_id, entry.path, line or 1, tuple(changes), (), ())


def _at(data: Any, key: Sequence[str]) -> Any:
    for part in key:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _yaml_text(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


@dataclass(frozen=True)
class _Approval:
    commit: str
    value: str  # the trailer's value: 'Helen Carter <helen@example.com>'
    author: tuple[str, str]  # name, email
    committer: tuple[str, str]


def approvals_since(repo: GitRepo, base: str) -> list[_Approval]:
    """Every `Confidentiality-approved-by:` trailer of the commits after `base`, with who made its commit."""
    fmt = "%H%x00%an%x00%ae%x00%cn%x00%ce%x00" \
          f"%(trailers:key={APPROVAL_TRAILER},valueonly,unfold,separator=%x1f)%x00%x1e"
    out = repo.run("log", "--no-show-signature", "--no-color", f"--format={fmt}", f"{base}..HEAD", "--")
    found = []
    for item in out.decode("utf-8", "replace").split("\x1e"):
        parts = item.strip("\n").split("\0")
        if len(parts) < 6:
            continue
        sha, an, ae, cn, ce, values = parts[:6]
        for value in values.split("\x1f"):
            if value.strip():
                found.append(_Approval(sha, value.strip(), (an, ae), (cn, ce)))
    return found


def _norm(name: object) -> str:
    return " ".join(str(name or "").split()).casefold()


def _email(value: str) -> str:
    match = re.search(r"<([^>]*)>", value)
    return match.group(1).strip().casefold() if match else ""


def _judge_approval(approval: _Approval, roles: Sequence[str], people: Sequence[dict]) -> str | None:
    """None when the approval counts, else why not. It counts when the person it names made its commit (an
    approval the author writes for someone else is a claim) and the person register gives them a role the
    policy names."""
    name, email = _norm(person(approval.value)), _email(approval.value)
    acted = any(_norm(n) == name and (not email or e.casefold() == email)
                for n, e in (approval.author, approval.committer))
    if not acted:
        return (f"written in commit {approval.commit[:8]} by {approval.author[0]}, not by the approver: an approval "
                "counts only in a commit its approver made")
    matches = [p for p in people if p.get("status", "active") == "active" and _is(p, name, email)]
    if not matches:
        return "no active person of that name or git identity in the person register"
    held = {str(r) for p in matches for r in [p.get("role"), *(p.get("additional_roles") or [])] if r}
    if not held & set(roles):
        return f"holds no role that may approve it ({', '.join(roles)})"
    return None


def _is(entry: dict, name: str, email: str) -> bool:
    """Whether a person register entry is the person named: by one of the git identities it maps to them
    (qms.model.people's `git:`), or, for an approval without an email, by name."""
    identities = [str(i) for i in entry.get("git") or [] if isinstance(i, str)]
    if email and any(_email(i) == email for i in identities):
        return True
    return _norm(entry.get("name")) == name or any(_norm(person(i)) == name for i in identities if not email)


def _people_at(repo: GitRepo, base: str, records_rel: str) -> list[dict]:
    """The person register as the base has it: a pull request cannot give its author the role that approves it."""
    folder = repo.to_git(f"{records_rel}/{PERSON_TYPE}")
    listing = repo.run("ls-tree", "-r", "-z", "--full-tree", base, "--", folder).decode("utf-8", "replace")
    blobs = [line.split()[2] for line in listing.split("\0") if line and line.split()[1:2] == ["blob"]
             and line.endswith(RECORD_SUFFIXES)]
    texts = repo.read_blobs(blobs)
    return [d for d in (_data(None if t is None else t.decode("utf-8-sig", "replace")) for t in texts.values()) if d]


def _with_approvals(project: "Project", repo: GitRepo, base: str, schemas: list[SchemaChange],
                    base_types: dict[str, RecordType | None]) -> list[SchemaChange]:
    approvals = approvals_since(repo, base)
    people = _people_at(repo, base, project.settings.rel(project.settings.records_dir)) if approvals else []
    out = []
    for change in schemas:
        # the owner as the base had it: a pull request cannot make its own author's role the owner
        owner = base_types.get(change.record_type) or project.record_types.get(change.record_type)
        roles = approval_roles(project, owner)
        counted, refused = [], []
        for approval in approvals:
            why = _judge_approval(approval, roles, people)
            if why:
                refused.append(f"{person(approval.value)}: {why}")
            else:
                counted.append(person(approval.value))
        out.append(SchemaChange(change.record_type, change.path, change.line, change.changes,
                                tuple(dict.fromkeys(counted)), tuple(dict.fromkeys(refused)), roles))
    return out


def approval_roles(project: "Project", rtype: RecordType | None) -> tuple[str, ...]:
    """The roles the policy lets approve a change to what a record type publishes ('owner': its owner role)."""
    roles = [(rtype.owner if rtype else "") if r == "owner" else r for r in project.settings.policy.confidentiality_approvers]
    return tuple(dict.fromkeys(r for r in roles if r))


def base_problems(project: "Project", base_rev: str, diff: RecordDiff | None = None) -> list[Problem]:
    """For `qms check --base REV`: a `confidentiality-change` error per schema change not approved; a warning per
    record change flagged `closed-record-edited` or `record-deleted`."""
    diff = diff if diff is not None else record_diff(project, base_rev)
    problems = []
    for s in diff.schemas:
        if s.approved:
            continue
        refused = f" (not counted: {'; '.join(s.refused)})" if s.refused else ""
        problems.append(Problem(s.path, s.line, f"{CONFIDENTIALITY_CHANGE}: {'; '.join(s.changes)} since {base_rev}: "
                                f"this changes what {s.record_type} records publish. It needs the approval of "
                                f"{' or '.join(s.roles) or 'a role the policy names'}: a "
                                f"commit by them with the trailer '{APPROVAL_TRAILER}: Name <email>'{refused}",
                                code=CONFIDENTIALITY_CHANGE))
    for c in diff.records:
        for flag, reason in zip(c.flags, c.reasons):
            problems.append(Problem(c.path, 1, f"{flag}: {c.record_id}: {RECORD_FLAG_TEXT[flag]} since {base_rev} "
                                               f"({reason})", "warning", code=flag))
    return problems


# ----------------------------------------------------------------------------------------------
# The history: every record change on the first-parent line, for the audit trail


def record_audit_rows(project: "Project", since: dt.date | None = None,
                      until: dt.date | None = None) -> list[AuditRow]:
    """Every change to a record that reached the branch, newest first, with its fields and flags (values of
    non-public fields hidden). One `git log` for the history (cached by HEAD) and one `git cat-file --batch` for
    every version read."""
    settings = project.settings
    records_rel = settings.rel(settings.records_dir)
    history = load_history(settings.root, [records_rel])
    if not history.tracked:
        return []
    changes = [c for c in history.all_changes() if c.path.endswith(RECORD_SUFFIXES)
               and (not since or c.datetime.date() >= since) and (not until or c.datetime.date() <= until)]
    # each change is judged by its record type before the change, after it and now (as `record_diff` is): a field
    # shows only when all three publish it, so a merged widening never shows what it widened
    schema_rel = settings.rel(settings.schema_dir)
    schema_refs = {}
    for c in changes:
        type_id = _type_of(c.path, records_rel)
        if type_id:
            git_path = f"{history.git_prefix}{schema_rel}/{type_id}{SCHEMA_SUFFIX}"
            schema_refs[(c.commit, type_id)] = (f"{c.commit}^:{git_path}", f"{c.commit}:{git_path}")
    texts = history.texts([*(b for c in changes for b in (c.blob, c.previous_blob) if b),
                           *(ref for pair in schema_refs.values() for ref in pair)])
    parsed: dict[tuple[str, str], RecordType | None] = {}

    def type_from(ref: str, type_id: str) -> RecordType | None:
        text = texts.get(ref)
        if text is None:
            return None
        if (type_id, text) not in parsed:
            parsed[(type_id, text)] = record_type_from_text(project, type_id, text,
                                                            f"{schema_rel}/{type_id}{SCHEMA_SUFFIX}")
        return parsed[(type_id, text)]

    rows = []
    for c in changes:
        def types_of(type_id: str, commit: str = c.commit) -> tuple[RecordType, ...]:
            then = [type_from(ref, type_id) for ref in schema_refs.get((commit, type_id), ())]
            return tuple(t for t in (*then, project.record_types.get(type_id)) if t is not None)

        entry = FileChange(c.status, c.path, c.old_path, c.previous_blob, c.blob)
        found = _record_change(entry, texts.get(c.previous_blob or ""), texts.get(c.blob or ""), records_rel,
                               types_of, c.datetime.date())
        if found is None:
            continue
        rows.append(AuditRow(
            date=c.date, commit=c.commit, doc_id=found.record_id, path=c.path, revision=None, previous_revision=None,
            status=c.status, author=c.author, approved_by=c.approved_by, summary=c.summary, pr=c.pr,
            signature=c.signature, via_pr=c.via_pr, flags=found.flags, url=history.commit_url(c.commit),
            record_type=found.record_type, fields=found.changes_text, reasons=found.reasons,
            datetime=c.datetime.isoformat()))
    return rows


def merged(*row_lists: Iterable[AuditRow]) -> list[AuditRow]:
    """Audit rows of documents and records in one list, newest first (each list's own order kept within a day)."""
    def when(row: AuditRow) -> dt.datetime:
        try:
            moment = dt.datetime.fromisoformat(row.datetime or row.date)
        except ValueError:
            return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)

    return sorted((r for rows in row_lists for r in rows), key=when, reverse=True)


RECORD_COLUMNS = ("kind", "record_id", "record_type", "status", "path", "old_path", "fields", "flags", "reasons")
SCHEMA_COLUMNS = ("kind", "record_type", "path", "changes", "approved", "approved_by", "refused", "roles")


def format_diff(documents: Sequence[Any], diff: RecordDiff, fmt: str,
                to_brief: Mapping[str, int] | None = None) -> str:
    """`qms diff` as JSON (one list: each entry's `kind` is document, record or record-type; a document's
    `to_brief` says how many people must read its new revision, from `to_brief`) or CSV (the documents' table,
    then the records' and the record types' when there are any)."""
    records = [{"kind": "record", **jsondata(c), "fields": [dict(field=f.field, before=f.before, after=f.after)
                                                             for f in c.fields]} for c in diff.records]
    schemas = [{"kind": "record-type", **jsondata(s)} for s in diff.schemas]
    if fmt == "json":
        docs = [{"kind": "document", **d, "to_brief": (to_brief or {}).get(d["doc_id"], 0)}
                for d in json.loads(documents_diff(documents, "json"))]
        return json.dumps([*docs, *records, *schemas], indent=2, ensure_ascii=False) + "\n"
    text = documents_diff(documents, "csv")
    if records:
        text += "\n" + csv_text(RECORD_COLUMNS, [{**r, "fields": [FieldChange(**f).text for f in r["fields"]]}
                                                 for r in records])
    if schemas:
        text += "\n" + csv_text(SCHEMA_COLUMNS, schemas)
    return text
