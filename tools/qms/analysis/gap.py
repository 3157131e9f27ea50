"""Gap analysis: for every clause of the standard, what the quality system has and what it still lacks.

For each clause that holds requirements (ISO 9001 clauses 4 to 10) the analysis finds the documents
that address it, the documented information the standard requires there (a document to maintain,
records to retain) and whether it exists, and whether the scope declares the clause not applicable.
From these it gives a status:

- covered: an effective document addresses the clause (or every applicable subclause is covered),
  and every piece of documented information it requires exists;
- partial: something addresses it, but not fully: only draft documents, only some subclauses, a
  required record type without records yet, or the organization's own assessment says so;
- gap: nothing addresses it;
- not applicable: the scope document declares it (or a clause above it) not applicable.

The organization's own assessment (gap-assessment.yaml at the repository root, validated against
records_schema/gap-assessment.schema.yaml) records per clause the current practice, the evidence,
the action and its target date. Its status can only make a clause's status worse, never better,
until its action is closed: the consultant's initial gap analysis and its closure live in git.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from qms import package
from qms import clock
from qms.analysis import verdicts
from qms.analysis.verdicts import Finding
from qms.clock import as_date
from qms.jsondata import jsondata
from qms.model import yamlio
from qms.model.catalogue import Clause, RequiredInformation, Standard
from qms.model.documents import Document
from qms.model.schema import Schema, load_schema, validate
from qms.problems import Problem, QMSError

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History
    from qms.model.project import Project

ASSESSMENT_FILE = "gap-assessment.yaml"
ASSESSMENT_SCHEMA = "gap-assessment.schema.yaml"
STATUSES = ("covered", "partial", "gap", "not applicable")
ASSESSED_STATUSES = ("covered", "partial", "gap")
FORMATS = ("md", "json", "csv")
# Information states: the record type or document exists and is used; a record type exists without records.
EXISTS, NO_RECORDS, MISSING, NOT_APPLICABLE = "exists", "no records", "missing", "not applicable"
INCOMPLETE = "incomplete"  # records exist, but not of every stage the rule asks for, or some are closed unfinished


# ----------------------------------------------------------------------------------------------
# The organization's own assessment


@dataclass(frozen=True)
class Assessment:
    """What the organization (or its consultant) found for one clause, and the action to close the gap."""

    clause: str
    practice: str
    status: str | None = None  # covered, partial or gap: the assessor's judgement of current practice
    evidence: str | None = None
    action: str | None = None
    owner: str | None = None
    target: dt.date | None = None
    closed: dt.date | None = None
    closure: str | None = None
    line: int = 0

    @property
    def is_open(self) -> bool:
        """True when an action is planned and not closed."""
        return bool(self.action) and self.closed is None

    def overdue(self, as_of: dt.date) -> bool:
        return self.is_open and self.target is not None and self.target < as_of

    def as_json(self) -> dict:
        return {"status": self.status, "practice": self.practice, "evidence": self.evidence, "action": self.action,
                "owner": self.owner, "target": jsondata(self.target), "closed": jsondata(self.closed),
                "closure": self.closure}


@dataclass(frozen=True)
class AssessmentFile:
    """gap-assessment.yaml: who assessed, when, and the assessments by clause id."""

    path: str
    assessed_by: str
    date: dt.date | None
    entries: dict[str, Assessment] = field(default_factory=dict)
    updated: dt.date | None = None


def assessment_schema(project: Project) -> Schema:
    """The project's records_schema/gap-assessment.schema.yaml, else the one shipped with qms."""
    path = project.settings.schema_dir / ASSESSMENT_SCHEMA
    if not path.exists():
        path = package.INIT_TEMPLATE / "records_schema" / ASSESSMENT_SCHEMA
    if not path.exists():
        raise QMSError(Problem(project.settings.rel(project.settings.schema_dir / ASSESSMENT_SCHEMA), 0,
                               f"missing: {ASSESSMENT_FILE} is validated against this schema", code="missing-file"))
    return load_schema(path, project.settings.rel(path))


def load_assessment(project: Project) -> tuple[AssessmentFile | None, list[Problem]]:
    """The organization's assessment, or None when the project has none; problems as `path:line: message`."""
    path = project.settings.root / ASSESSMENT_FILE
    if not path.exists():
        return None, []
    display = project.settings.rel(path)
    try:
        text = yamlio.read_text(path)
    except UnicodeDecodeError as exc:
        return None, [Problem(display, 0, f"not UTF-8 text ({exc.reason}): save the file as UTF-8", code="not-utf8")]
    try:
        data = yamlio.load(text)
    except yamlio.YAMLSyntaxProblem as exc:
        return None, [Problem(display, exc.line, exc.message, code=exc.code)]
    if not isinstance(data, dict):
        return None, [Problem(display, 1, "the gap assessment must be a YAML mapping with assessed_by, date and clauses",
                              code="not-a-mapping")]
    try:
        schema = assessment_schema(project)
    except QMSError as exc:
        return None, exc.problems
    problems = validate(schema, data, text, display)
    if problems:
        return None, problems
    entries: dict[str, Assessment] = {}
    roles = project.organization.roles
    for i, raw in enumerate(data.get("clauses") or []):
        line = yamlio.line_of(text, ["clauses", i])
        clause = project.standard.get(raw["clause"])
        if clause is None:
            hint = project.standard.suggest(str(raw["clause"]))
            problems.append(Problem(display, yamlio.line_of(text, ["clauses", i, "clause"]),
                                    f"clauses[{i}].clause: unknown clause '{raw['clause']}' of {project.standard.short}"
                                    + (f" (did you mean {' or '.join(repr(h) for h in hint)}?)" if hint else ""),
                                    code="unknown-clause"))
            continue
        if clause.id in entries:
            problems.append(Problem(display, yamlio.line_of(text, ["clauses", i, "clause"]),
                                    f"clauses[{i}].clause: clause {clause.id} is assessed twice (first on line "
                                    f"{entries[clause.id].line})", code="duplicate-assessment"))
            continue
        owner = raw.get("owner")
        if owner and roles and owner not in roles:
            problems.append(Problem(display, yamlio.line_of(text, ["clauses", i, "owner"]),
                                    f"clauses[{i}].owner: unknown role '{owner}'", code="unknown-role"))
        entries[clause.id] = Assessment(
            clause=clause.id, practice=" ".join(str(raw["practice"]).split()), status=raw.get("status"),
            evidence=_text(raw.get("evidence")), action=_text(raw.get("action")), owner=owner,
            target=as_date(raw.get("target")), closed=as_date(raw.get("closed")), closure=_text(raw.get("closure")),
            line=line,
        )
    result = AssessmentFile(display, str(data["assessed_by"]), as_date(data.get("date")), entries,
                            as_date(data.get("updated")))
    return result, problems


def assessment_problems(project: Project) -> list[Problem]:
    """Problems in gap-assessment.yaml (none when the project has no such file), for `qms check`."""
    return load_assessment(project)[1]


def _text(value: object) -> str | None:
    return " ".join(str(value).split()) if value is not None else None


# ----------------------------------------------------------------------------------------------
# The analysis


@dataclass(frozen=True)
class InformationStatus:
    """One piece of documented information a clause requires, and whether the quality system has it."""

    item: RequiredInformation
    state: str  # EXISTS, NO_RECORDS, MISSING or NOT_APPLICABLE
    documents: tuple[str, ...] = ()  # for "maintain": the documents that hold it
    record_types: tuple[tuple[str, int], ...] = ()  # for "retain": (record type id, number of records that count)
    evidence: tuple[str, ...] = ()  # ids of the records that count
    detail: tuple[str, ...] = ()  # why it is incomplete, under its evidence rule

    @property
    def exists(self) -> bool:
        return self.state in (EXISTS, NOT_APPLICABLE)

    def as_json(self) -> dict:
        return {"clause": self.item.clause, "kind": self.item.kind, "what": self.item.what, "exists": self.exists,
                "state": self.state, "documents": list(self.documents),
                "record_types": [{"id": t, "records": n} for t, n in self.record_types],
                "evidence": list(self.evidence), "detail": list(self.detail)}


@dataclass(frozen=True)
class ClauseGap:
    """The gap analysis of one clause."""

    clause: Clause
    status: str  # one of STATUSES
    documented_status: str  # from documents and records alone, before the organization's assessment
    documents: tuple[Document, ...]
    information: tuple[InformationStatus, ...]
    reasons: tuple[str, ...] = ()  # why the clause is partial or a gap
    not_applicable: tuple[Document, str] | None = None  # scope document and its justification
    assessment: Assessment | None = None
    findings: tuple[Finding, ...] = ()  # the rules' checks that lowered it
    note: str | None = None  # our note from the rules (what an amendment added)

    @property
    def evidence(self) -> tuple[str, ...]:
        """Ids of everything behind the verdict: documents, records, and the findings' evidence."""
        ids = [d.id for d in self.documents] + [e for i in self.information for e in (*i.documents, *i.evidence)]
        ids += [e for f in self.findings for e in f.evidence]
        return tuple(dict.fromkeys(ids))

    def as_json(self) -> dict:
        """The JSON row of `qms gap --format json` and of the export."""
        na = self.not_applicable
        return {
            "clause": self.clause.id,
            "title": self.clause.title,  # ISO's title; null for a numbered item the standard leaves untitled
            "status": self.status,
            "documents": [d.id for d in self.documents],
            "required_information": [i.as_json() for i in self.information],
            "label": None if self.clause.title else self.clause.label,  # our label for an untitled item
            "documented_status": self.documented_status,
            "reasons": list(self.reasons),
            "not_applicable": {"document": na[0].id, "justification": na[1]} if na else None,
            "assessment": self.assessment.as_json() if self.assessment else None,
            "findings": [f.as_json() for f in self.findings],
            "evidence": list(self.evidence),
            "note": self.note,
        }


@dataclass(frozen=True)
class GroupSummary:
    """Counts of statuses for one top-level clause and everything below it."""

    clause: Clause
    counts: dict[str, int]

    @property
    def applicable(self) -> int:
        return sum(n for s, n in self.counts.items() if s != "not applicable")

    @property
    def coverage(self) -> float:
        return _coverage(self.counts)


@dataclass(frozen=True)
class GapAnalysis:
    """The whole analysis: one row per clause in the standard's order, and the assessment it used."""

    standard: Standard
    clauses: tuple[ClauseGap, ...]
    assessment: AssessmentFile | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return _count(c.status for c in self.clauses)

    @property
    def coverage(self) -> float:
        """Percentage of applicable clauses that are covered (partial counts as not covered)."""
        return _coverage(self.counts)

    def groups(self) -> list[GroupSummary]:
        """Status counts per top-level clause (4 Context ... 10 Improvement)."""
        out = []
        for top in self.standard.top_level():
            rows = [c.status for c in self.clauses if c.clause.top == top.id]
            if rows:
                out.append(GroupSummary(top, _count(rows)))
        return out

    def get(self, clause_id: str) -> ClauseGap | None:
        return next((c for c in self.clauses if c.clause.id == clause_id), None)

    def open_actions(self) -> list[ClauseGap]:
        return [c for c in self.clauses if c.assessment is not None and c.assessment.is_open]


def _count(statuses: Iterable[str]) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for status in statuses:
        counts[status] += 1
    return counts


def _coverage(counts: dict[str, int]) -> float:
    applicable = sum(n for s, n in counts.items() if s != "not applicable")
    return 100.0 if applicable == 0 else round(100.0 * counts["covered"] / applicable, 1)


def _worse(a: str, b: str) -> str:
    order = ("covered", "partial", "gap")
    return a if order.index(a) >= order.index(b) else b


def _not_applicable(project: Project, standard: Standard, clause: Clause) -> tuple[Document, str] | None:
    """The declaration that makes `clause` not applicable: its own, or one of a clause above it."""
    cid: str | None = clause.id
    while cid:
        if cid in project.not_applicable:
            return project.not_applicable[cid]
        parent = standard.get(cid)
        cid = parent.parent_id if parent else None
    return None


def information_status(project: Project, item: RequiredInformation, not_applicable: bool) -> InformationStatus:
    """Whether one piece of required documented information exists in the quality system, under its evidence rule."""
    if not_applicable:
        return InformationStatus(item, NOT_APPLICABLE)
    if item.kind == "maintain":
        clause = project.standard.get(item.clause_id)
        docs = tuple(d.id for d in (project.documents_for(clause) if clause else [])
                     if verdicts.substantive(project, d))
        return InformationStatus(item, EXISTS if docs else MISSING, documents=docs)
    rule = project.standard.rules.evidence.get(item.clause)
    found = verdicts.evidence_verdict(project, item.clause, item.clause_id, rule)
    if not found.types:
        detail = (f"record type {', '.join(found.excluded)} does not count: {rule.why}",) if rule and found.excluded \
            else ()
        return InformationStatus(item, MISSING, detail=detail)
    detail = []
    if found.missing_stages and found.evidence:
        detail.append(f"no record of stage {', '.join(found.missing_stages)} ({rule.stage_field if rule else ''})")
    if found.incomplete:
        missing = ", ".join(rule.complete_fields) if rule else ""
        detail.append(f"{', '.join(found.incomplete)} closed without {missing}")
    if found.excluded and rule:
        detail.append(f"record type {', '.join(found.excluded)} does not count: {rule.why}")
    if not found.evidence and not found.incomplete:
        state = NO_RECORDS
    elif found.missing_stages or found.incomplete:
        state = INCOMPLETE
    else:
        state = EXISTS
    return InformationStatus(item, state, record_types=found.types, evidence=found.evidence, detail=tuple(detail))


def _information_reason(info: InformationStatus) -> str:
    verb = "maintain" if info.item.kind == "maintain" else "retain"
    if info.state == INCOMPLETE:
        return f"{verb} {info.item.clause}: " + "; ".join(info.detail)
    if info.state == NO_RECORDS:
        names = ", ".join(t for t, _ in info.record_types)
        extra = "".join(f"; {d}" for d in info.detail)
        return f"{verb} {info.item.clause}: record type {names} has no records that count yet{extra}" \
            if any(n for _, n in info.record_types) or info.detail else \
            f"{verb} {info.item.clause}: record type {names} has no records yet"
    if info.item.kind == "maintain":
        return f"{verb} {info.item.clause}: no effective document with substance lists clause {info.item.clause_id}"
    extra = "".join(f"; {d}" for d in info.detail)
    return f"{verb} {info.item.clause}: no record type keeps it{extra}"


def analyse(project: Project, assessment: AssessmentFile | None = None, load: bool = True,
            as_of: dt.date | None = None, history: History | None = None) -> GapAnalysis:
    """The gap analysis of the project's primary standard, judged on `as_of` (default: today).

    With `load`, the organization's assessment is read from gap-assessment.yaml (unless one is given)
    and its problems are kept on the result; an assessment with schema errors is not used. With the
    git history, document reviews are judged from the last approved change as well.
    """
    problems: list[Problem] = []
    if assessment is None and load:
        assessment, problems = load_assessment(project)
    standard = project.standard
    entries = assessment.entries if assessment else {}
    rows: dict[str, ClauseGap] = {}
    clauses = standard.requirement_clauses()
    ctx = verdicts.Context(project, clock.today(as_of), history, assessment)
    for clause in sorted(clauses, key=lambda c: -c.depth):  # subclauses first: a parent may depend on them
        rows[clause.id] = _clause_gap(project, standard, clause, rows, entries.get(clause.id), ctx)
    problems += [f.problem for c in rows.values() for f in c.findings if f.problem is not None]
    ordered = tuple(rows[c.id] for c in clauses)
    return GapAnalysis(standard, ordered, assessment, tuple(problems))


def _clause_gap(project: Project, standard: Standard, clause: Clause, rows: dict[str, ClauseGap],
                assessment: Assessment | None, ctx: verdicts.Context) -> ClauseGap:
    na = _not_applicable(project, standard, clause)
    docs = tuple(d for d in project.documents_for(clause) if d.status != "obsolete")
    info = tuple(information_status(project, item, na is not None)
                 for item in standard.documented_information if item.clause_id == clause.id)
    note = standard.rules.notes.get(clause.id)
    if na is not None:
        return ClauseGap(clause, "not applicable", "not applicable", docs, info, (), na, assessment, (), note)
    reasons: list[str] = []
    effective = [d for d in docs if d.status == "effective"]
    for doc in effective:
        why = verdicts.unfinished_reason(project, doc)
        if why:
            reasons.append(why)
    effective = [d for d in effective if verdicts.substantive(project, d)]
    drafts = [d for d in docs if d.status == "draft"]
    children = [rows[c.id] for c in standard.children(clause.id) if c.id in rows]
    applicable_children = [c for c in children if c.status != "not applicable"]
    if effective:
        status = "covered"
    elif docs:
        status = "partial"
        if drafts:
            reasons.append("only draft documents address it: " + ", ".join(d.id for d in drafts))
    elif applicable_children and all(c.status == "covered" for c in applicable_children):
        status = "covered"
    elif any(c.status in ("covered", "partial") for c in applicable_children):
        status = "partial"
        open_ids = [c.clause.id for c in applicable_children if c.status != "covered"]
        reasons.append("no document lists it, and subclauses " + ", ".join(open_ids) + " are not covered")
    else:
        status = "gap"
        reasons.append("no document addresses it")
    missing = [i for i in info if not i.exists]
    if missing:
        reasons.extend(_information_reason(i) for i in missing)
        if status == "covered":
            status = "partial"
    elif status == "gap" and any(i.state == EXISTS and i.item.kind == "retain" for i in info):
        status = "partial"  # records are kept, though no document describes how
    findings = tuple(verdicts.findings_for(ctx, clause))
    if findings:
        reasons.extend(f.reason for f in findings)
        if status == "covered":
            status = "partial"
    documented = status
    if assessment is not None and assessment.status and assessment.closed is None:
        worse = _worse(status, assessment.status)
        if worse != status:
            reasons.append(f"own assessment: {assessment.status} ({assessment.practice})")
        status = worse
    return ClauseGap(clause, status, documented, docs, info, tuple(reasons), None, assessment, findings, note)


# ----------------------------------------------------------------------------------------------
# Output


def rows_json(analysis: GapAnalysis) -> list[dict]:
    """The list `qms gap --format json` prints: one object per clause."""
    return [c.as_json() for c in analysis.clauses]


def summary_json(analysis: GapAnalysis) -> dict:
    """Overall and per-group figures."""
    return {
        "standard": analysis.standard.short,
        "coverage": analysis.coverage,
        "counts": analysis.counts,
        "groups": [{"clause": g.clause.id, "title": g.clause.name, "counts": g.counts, "coverage": g.coverage}
                   for g in analysis.groups()],
    }


CSV_COLUMNS = ("clause", "title", "label", "status", "documents", "required_information", "reasons", "not_applicable",
               "practice", "evidence", "action", "owner", "target", "closed")


def to_csv(analysis: GapAnalysis) -> str:
    """One CSV row per clause, lists joined with '; '."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in analysis.clauses:
        a = row.assessment
        info = "; ".join(f"{i.item.kind} {i.item.clause}: {i.state}" for i in row.information)
        na = row.not_applicable[1] if row.not_applicable else ""
        writer.writerow([row.clause.id, row.clause.title or "", "" if row.clause.title else row.clause.label or "",
                         row.status, "; ".join(d.id for d in row.documents), info,
                         "; ".join(row.reasons), na, a.practice if a else "", (a.evidence or "") if a else "",
                         (a.action or "") if a else "", (a.owner or "") if a else "", jsondata(a.target) or "" if a else "",
                         jsondata(a.closed) or "" if a else ""])
    return out.getvalue()


def export_part(project: Project, as_of: dt.date | None = None) -> dict:
    """The gap analysis for the JSON model of `qms export`: {"gap": [one object per clause]}."""
    return {"gap": rows_json(analyse(project, as_of=as_of))}
