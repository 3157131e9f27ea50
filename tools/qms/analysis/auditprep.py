"""Internal audit preparation: a checklist for one clause (with its subclauses) or one process.

The checklist gathers what an auditor needs before going to the area: the clauses in scope, the
documents that address them at their current revisions, the record types to sample with the most
recent record ids, the findings of earlier audits that are still open, and the open corrective
actions that touch the scope. Records are read through `public_view` only.

The record types used here follow the example schemas: `audit-report` (with `findings[]` that name
a clause and a `corrective_action`), `corrective-action` (with `status`, `due`, `source_record`)
and any type whose records name a `corrective_action` (such as `nonconforming-output`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from qms.clock import as_date
from qms.jsondata import jsondata
from qms.model.catalogue import Clause
from qms.model.documents import Document
from qms.problems import Problem, QMSError

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History
    from qms.model.project import Project
    from qms.model.records import Record, RecordType

AUDIT_REPORT = "audit-report"
AUDIT_PROGRAMME = "audit-programme"
CORRECTIVE_ACTION = "corrective-action"
NONCONFORMING_OUTPUT = "nonconforming-output"
MANAGEMENT_REVIEW = "management-review"
MONITORING_RESULT = "monitoring-result"
SUPPLIER_EVALUATION = "supplier-evaluation"
NONCONFORMITY_SEVERITIES = ("major", "minor")
DEFAULT_SAMPLE = 5
RECENT_DAYS = 365


# ----------------------------------------------------------------------------------------------
# Reading records (public fields only)


@dataclass(frozen=True)
class Entry:
    """A record with its public data and its date (from the type's date field)."""

    id: str
    type: str
    data: dict
    date: dt.date | None
    path: str = ""


def entries(project: Project, type_id: str) -> list[Entry]:
    """The valid records of one type as public data, newest first (undated last), then by id."""
    rtype = project.record_types.get(type_id)
    if rtype is None or project.record_set is None:
        return []
    return _entries(rtype, project.record_set.of_type(type_id))


def _entries(rtype: RecordType, records: Iterable[Record]) -> list[Entry]:
    from qms.model.records import public_view

    out = []
    for record in records:
        data = public_view(rtype, record)
        out.append(Entry(record.id, rtype.id, data, as_date(data.get(rtype.date_field)) if rtype.date_field else None,
                         record.path))
    return sorted(out, key=lambda e: (e.date or dt.date.min, e.id), reverse=True)


# ----------------------------------------------------------------------------------------------
# Findings and corrective actions


@dataclass(frozen=True)
class Finding:
    """One finding of an internal audit report."""

    report: str
    date: dt.date | None
    id: str
    severity: str
    clause: str
    description: str
    corrective_action: str | None
    action_status: str | None  # the corrective action's status, None when there is no (readable) record

    @property
    def is_nonconformity(self) -> bool:
        return self.severity in NONCONFORMITY_SEVERITIES

    @property
    def is_open(self) -> bool:
        """A nonconformity is open until its corrective action is closed."""
        return self.is_nonconformity and self.action_status != "closed"

    JSON_EXTRA = {"open": "is_open"}  # see qms.jsondata


@dataclass(frozen=True)
class CorrectiveAction:
    """A corrective action with the clauses it touches."""

    id: str
    opened: dt.date | None
    due: dt.date | None
    closed: dt.date | None
    status: str
    source: str
    source_record: str | None
    nonconformity: str
    clauses: tuple[str, ...]
    effectiveness_verified: bool = False

    @property
    def is_open(self) -> bool:
        return self.status != "closed"

    def overdue(self, as_of: dt.date) -> bool:
        return self.is_open and self.due is not None and self.due < as_of


def findings(project: Project) -> list[Finding]:
    """Every finding of every audit report, newest report first."""
    status = {e.id: str(e.data.get("status", "")) for e in entries(project, CORRECTIVE_ACTION)}
    out = []
    for report in entries(project, AUDIT_REPORT):
        for raw in report.data.get("findings") or []:
            if not isinstance(raw, dict):
                continue
            ca = raw.get("corrective_action")
            out.append(Finding(report.id, report.date, str(raw.get("id", "")), str(raw.get("severity", "")),
                               str(raw.get("clause", "")), " ".join(str(raw.get("description", "")).split()),
                               ca, status.get(ca) if ca else None))
    return out


def corrective_actions(project: Project) -> list[CorrectiveAction]:
    """Every corrective action with the clauses it touches, newest first.

    A corrective action touches the clause of each audit finding that names it, and the clauses of the
    record type of the record it came from (or of any record naming it, such as a nonconforming output),
    audit reports excepted (their findings say which clause).
    """
    touched: dict[str, set[str]] = {}
    for finding in findings(project):
        if finding.corrective_action:
            touched.setdefault(finding.corrective_action, set()).add(finding.clause)
    record_types = project.record_types
    known = project.record_set.known_ids() if project.record_set else {}
    for type_id, rtype in record_types.items():
        if type_id in (AUDIT_REPORT, CORRECTIVE_ACTION) or "corrective_action" not in rtype.properties:
            continue
        for entry in entries(project, type_id):
            ca = entry.data.get("corrective_action")
            if isinstance(ca, str):
                touched.setdefault(ca, set()).update(rtype.clauses)
    out = []
    for entry in entries(project, CORRECTIVE_ACTION):
        data = entry.data
        clauses = set(touched.get(entry.id, ()))
        source = data.get("source_record")
        source_type = known.get(source) if isinstance(source, str) else None
        if source_type and source_type not in (AUDIT_REPORT, CORRECTIVE_ACTION) and source_type in record_types:
            clauses.update(record_types[source_type].clauses)
        out.append(CorrectiveAction(
            id=entry.id, opened=entry.date, due=as_date(data.get("due")), closed=as_date(data.get("closed")),
            status=str(data.get("status", "")), source=str(data.get("source", "")),
            source_record=source if isinstance(source, str) else None,
            nonconformity=" ".join(str(data.get("nonconformity", "")).split()),
            clauses=tuple(sorted(clauses, key=_clause_key)), effectiveness_verified=bool(data.get("effectiveness_verified")),
        ))
    return out


def _clause_key(cid: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in cid.split("."))


# ----------------------------------------------------------------------------------------------
# The checklist


@dataclass(frozen=True)
class DocumentRow:
    """A document in scope at its current revision, with its last change in git when known."""

    document: Document
    last_changed: str | None = None
    commit: str | None = None
    uncommitted: bool = False

    def as_json(self) -> dict:
        d = self.document
        return {"id": d.id, "title": d.title, "type": d.type, "revision": d.revision, "status": d.status,
                "owner": d.owner, "path": d.path, "clauses": list(d.clauses), "last_changed": self.last_changed,
                "commit": self.commit, "uncommitted": self.uncommitted}


@dataclass(frozen=True)
class RecordSample:
    """A record type to sample: how many records it holds and the most recent ones."""

    type_id: str
    title: str
    clauses: tuple[str, ...]
    total: int
    sample: tuple[tuple[str, str | None], ...]  # (record id, date)

    def as_json(self) -> dict:
        return {"type": self.type_id, "title": self.title, "clauses": list(self.clauses), "records": self.total,
                "sample": [{"id": i, "date": d} for i, d in self.sample]}


@dataclass(frozen=True)
class PastAudit:
    """An earlier audit report that covered the scope."""

    id: str
    date: dt.date | None
    process: str
    summary: str
    findings: int


@dataclass(frozen=True)
class Checklist:
    """What an auditor takes to an audit of one clause or one process."""

    scope: str  # "clause 8.7 Control of nonconforming outputs" or "process QP-13 Control of ..."
    clause: Clause | None
    process: Document | None
    clauses: tuple[Clause, ...]
    documents: tuple[DocumentRow, ...]
    records: tuple[RecordSample, ...]
    open_findings: tuple[Finding, ...]
    recent_observations: tuple[Finding, ...]
    corrective_actions: tuple[CorrectiveAction, ...]
    past_audits: tuple[PastAudit, ...]
    as_of: dt.date

    def as_json(self) -> dict:
        return {
            "scope": self.scope, "as_of": self.as_of.isoformat(),
            "clause": self.clause.id if self.clause else None,
            "process": self.process.id if self.process else None,
            "clauses": [{"id": c.id, "title": c.title, "label": None if c.title else c.label} for c in self.clauses],
            "documents": [d.as_json() for d in self.documents],
            "records": [r.as_json() for r in self.records],
            "open_findings": jsondata(self.open_findings),
            "recent_observations": jsondata(self.recent_observations),
            "corrective_actions": [{**jsondata(c), "overdue": c.overdue(self.as_of)} for c in self.corrective_actions],
            "past_audits": jsondata(self.past_audits),
        }


def clause_scope(project: Project, clause_id: str) -> tuple[Clause, list[Clause]]:
    """The clause and its subclauses, in the standard's order; an unknown clause is a QMSError."""
    clause = project.standard.get(clause_id)
    if clause is None:
        hint = project.standard.suggest(clause_id)
        raise QMSError(Problem("--clause", 0, f"unknown clause '{clause_id}' of {project.standard.short}"
                                              + (f" (did you mean {' or '.join(repr(h) for h in hint)}?)" if hint else ""),
                               code="unknown-clause"))
    return clause, [c for c in project.standard.clauses if c.id == clause.id or c.id.startswith(clause.id + ".")]


def _in_scope(cid: str, ids: set[str], ancestors: set[str]) -> bool:
    return cid in ids or cid in ancestors


def checklist(project: Project, *, as_of: dt.date, clause_id: str | None = None, process_id: str | None = None,
              history: History | None = None,
              sample_size: int = DEFAULT_SAMPLE) -> Checklist:
    """The audit checklist for a clause (with its subclauses) or for a process (a document id)."""
    process: Document | None = None
    clause: Clause | None = None
    if process_id:
        process = project.documents.get(process_id)
        if process is None:
            import difflib

            hint = difflib.get_close_matches(process_id, list(project.documents), n=3, cutoff=0.6)
            raise QMSError(Problem("--process", 0, f"unknown document id '{process_id}'"
                                                   + (f" (did you mean {' or '.join(repr(h) for h in hint)}?)" if hint else ""),
                                   code="unknown-document"))
        clauses = [c for c in (project.find_clause(x) for x in process.clauses) if c is not None]
        scope = f"process {process.id} {process.title}"
    elif clause_id:
        clause, clauses = clause_scope(project, clause_id)
        scope = f"clause {clause.id} {clause.title or f'{clause.label} (label ours)'}"
    else:
        raise QMSError(Problem("qms audit-checklist", 0, "name a clause (--clause 8.7) or a process (--process QP-13)",
                               code="usage"))
    ids = {c.id for c in clauses}
    # Record types kept for a clause above the scope (but below the top level) are in scope too.
    ancestors = {".".join(c.id.split(".")[:n]) for c in clauses for n in range(2, c.id.count(".") + 1)}
    documents = _documents(project, clauses, process, history)
    records = _records(project, ids, ancestors, process, as_of, sample_size)
    every_finding = findings(project)
    reports = entries(project, AUDIT_REPORT)
    in_scope_reports = {r.id for r in reports if _report_in_scope(r, ids, process)}
    touching = [f for f in every_finding
                if f.clause in ids or (process is not None and f.report in in_scope_reports)]
    open_findings = tuple(f for f in touching if f.is_open and (f.date is None or f.date <= as_of))
    recent = tuple(f for f in touching if not f.is_nonconformity and f.date is not None
                   and 0 <= (as_of - f.date).days <= RECENT_DAYS)
    named = {f.corrective_action for f in touching if f.corrective_action}
    actions = tuple(ca for ca in corrective_actions(project)
                    if ca.is_open and (set(ca.clauses) & ids or ca.id in named))
    past = tuple(PastAudit(r.id, r.date, str(r.data.get("process", "")), " ".join(str(r.data.get("summary", "")).split()),
                           len(r.data.get("findings") or []))
                 for r in reports if r.id in in_scope_reports and (r.date is None or r.date <= as_of))
    return Checklist(scope, clause, process, tuple(clauses), documents, records, open_findings, recent, actions,
                     past, as_of)


def _report_in_scope(report: Entry, ids: set[str], process: Document | None) -> bool:
    if process is not None and report.data.get("process") == process.id:
        return True
    return bool(set(str(c) for c in report.data.get("clauses") or []) & ids)


def _documents(project: Project, clauses: list[Clause], process: Document | None,
               history: History | None) -> tuple[DocumentRow, ...]:
    docs: dict[str, Document] = {}
    if process is not None:
        docs[process.id] = process
    for clause in clauses:
        for doc in project.documents_by_clause.get(clause.id, []):
            if doc.status != "obsolete":
                docs.setdefault(doc.id, doc)
    rows = []
    for doc in docs.values():
        last = commit = None
        uncommitted = False
        if history is not None and history.tracked:
            chain = history.for_path(doc.path)
            if chain:
                last, commit = chain[0].date, chain[0].short
            uncommitted = history.uncommitted(doc.path)
        rows.append(DocumentRow(doc, last, commit, uncommitted))
    # The process's own document first, then the others by id.
    return tuple(sorted(rows, key=lambda r: (process is None or r.document.id != process.id, r.document.id)))


def _records(project: Project, ids: set[str], ancestors: set[str], process: Document | None, as_of: dt.date,
             sample_size: int) -> tuple[RecordSample, ...]:
    wanted = set(process.records) if process is not None else set()
    out = []
    for type_id, rtype in sorted(project.record_types.items()):
        if type_id not in wanted and not any(_in_scope(c, ids, ancestors) for c in rtype.clauses):
            continue
        dated = [e for e in entries(project, type_id) if e.date is None or e.date <= as_of]
        sample = tuple((e.id, jsondata(e.date)) for e in dated[:sample_size])
        out.append(RecordSample(type_id, rtype.title, rtype.clauses, len(dated), sample))
    return tuple(out)
