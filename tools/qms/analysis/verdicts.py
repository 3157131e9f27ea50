"""The checks that can lower a clause's verdict, named by the standard's rules (the `rules:` of its catalogue).

Each check is a function from the context (project, day, history) and the check's settings to findings: a reason
in plain words, the ids of the evidence behind it, and the problem `qms check` shows when the finding is one.
Which clause runs which check, and with which record types and fields, is data; this module only knows how to
judge. Also here: the rules about "not applicable" (only the scope document, only what the rules allow, each
justified) and records closed without the fields that complete them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Callable

from qms.analysis import due as duemod
from qms.analysis import training as trainingmod
from qms.analysis.unfinished import find_unfinished, has_substance, load_rules, project_rules
from qms.clock import as_date
from qms.model.catalogue import Check, Clause, EvidenceRule
from qms.model.documents import Document
from qms.problems import Problem, QMSError

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History
    from qms.model.project import Project
    from qms.model.records import Record


@dataclass(frozen=True)
class Finding:
    """Why a clause is not fully covered: the check, the reason, the evidence, and a problem when it is one."""

    clause: str
    check: str
    reason: str
    evidence: tuple[str, ...] = ()
    problem: Problem | None = None

    def as_json(self) -> dict:
        return {"check": self.check, "reason": self.reason, "evidence": list(self.evidence)}


@dataclass
class Context:
    """What the checks read, computed once per analysis."""

    project: Project
    as_of: dt.date
    history: History | None = None
    assessment: object = None  # gap.AssessmentFile
    _memo: dict = field(default_factory=dict)

    @cached_property
    def dues(self) -> list[duemod.DueItem]:
        return duemod.due_items(self.project, self.as_of, self.history)

    @cached_property
    def briefings(self) -> list[trainingmod.Briefing]:
        return trainingmod.briefings(self.project)


# ----------------------------------------------------------------------------------------------
# Substance: a document addresses a clause only when it is effective and says something


def unfinished_reason(project: Project, doc: Document) -> str | None:
    """Why an effective document's text does not count (placeholders, or too little text), or None."""
    body, line = project.bodies.get(doc.id, ("", 1))
    try:
        rules = project_rules(project)
    except QMSError:
        rules = load_rules()  # the company's broken rules file is reported by qms check itself
    found = [u for u in find_unfinished(body, line, rules) if u.kind != "empty-section"]
    if found:
        return f"{doc.id} is effective but its text is unfinished ('{found[0].text}' on line {found[0].line})"
    if not has_substance(body, rules):
        return f"{doc.id} is effective but its text has no substance (fewer than {rules.min_words} words)"
    return None


def substantive(project: Project, doc: Document) -> bool:
    return doc.status == "effective" and unfinished_reason(project, doc) is None


# ----------------------------------------------------------------------------------------------
# Not applicable


def not_applicable_problems(project: Project) -> list[Problem]:
    """An error for every declaration the rules do not allow: outside the scope document, in a draft, or a clause
    the standard's rules never let be excluded (4 to 7, 9, 10 in ISO 9001)."""
    problems = []
    scope = project.scope_documents
    rules = project.standard.rules
    scope_clause = rules.scope_clause or "the scope clause"
    for doc in sorted(project.documents.values(), key=lambda d: d.id):
        for na in doc.not_applicable:
            clause = project.find_clause(na.clause)
            if clause is None:
                continue  # unknown-clause of the cross-reference checks
            std = project.standards[clause.standard]
            line = doc.line_of("not_applicable")
            if not std.rules.may_be_not_applicable(clause.id):
                allowed = ", ".join(std.rules.not_applicable) or "none"
                problems.append(Problem(doc.path, line, f"not_applicable: clause {clause.id} of {std.short} cannot be "
                                        f"declared not applicable (rule not_applicable.allowed of {std.id}: only "
                                        f"clauses under {allowed}): remove the declaration and address the clause",
                                        "error", code="not-applicable-not-allowed"))
            elif doc.id not in scope:
                why = "it is not effective" if doc.status != "effective" else f"it does not list clause {scope_clause}"
                problems.append(Problem(doc.path, line, f"not_applicable: {doc.id} declares clause {clause.id} not "
                                        f"applicable, but only the scope document may ({why}; rule "
                                        f"not_applicable.scope_clause): move the declaration to the scope",
                                        "error", code="not-applicable-outside-scope"))
            elif find_unfinished(na.justification, 1):
                problems.append(Problem(doc.path, line, f"not_applicable: the justification for clause {clause.id} is "
                                        "a placeholder: say why the requirement cannot apply and why this does not "
                                        "affect the conformity of products and services", "error",
                                        code="not-applicable-unjustified"))
    return problems


# ----------------------------------------------------------------------------------------------
# Evidence rules: records of the right type, stage and completeness


@dataclass(frozen=True)
class EvidenceVerdict:
    """What the records say about one required item under its evidence rule."""

    types: tuple[tuple[str, int], ...]  # (record type id, records that count)
    evidence: tuple[str, ...]  # ids of records that count
    missing_stages: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = ()  # records matching complete_when without complete_fields
    excluded: tuple[str, ...] = ()  # record types the rule does not accept


def _filled(value: object) -> bool:
    return value is not None and value is not False and value != "" and value != []


def record_incomplete(rule: EvidenceRule, record: Record) -> tuple[str, ...]:
    """The complete_fields a record matching complete_when lacks (empty when it matches nothing or is complete)."""
    if not rule.complete_when or not rule.complete_fields:
        return ()
    for key, values in rule.complete_when:
        if str(record.data.get(key)) not in values:
            return ()
    return tuple(f for f in rule.complete_fields if not _filled(record.data.get(f)))


def evidence_verdict(project: Project, item_clause: str, clause_id: str, rule: EvidenceRule | None) -> EvidenceVerdict:
    types = [t for t in project.record_types.values() if clause_id in t.clauses or item_clause in t.clauses]
    excluded: tuple[str, ...] = ()
    if rule is not None:
        if rule.types:
            types = [project.record_types[t] for t in rule.types if t in project.record_types]
        excluded = tuple(t.id for t in types if t.id in rule.exclude_types)
        types = [t for t in types if t.id not in rule.exclude_types]
    counts = []
    ids: list[str] = []
    incomplete: list[str] = []
    stages_seen: set[str] = set()
    for rtype in sorted(types, key=lambda t: t.id):
        records = project.record_set.of_type(rtype.id) if project.record_set else []
        counting = []
        for r in records:
            if rule is not None and record_incomplete(rule, r):
                incomplete.append(r.id)
                continue
            if rule is not None and rule.stage_field:
                stage = str(r.data.get(rule.stage_field))
                if stage not in rule.stages:
                    continue
                stages_seen.add(stage)
            counting.append(r.id)
        counts.append((rtype.id, len(counting)))
        ids += counting
    missing = tuple(s for s in (rule.stages if rule else ()) if s not in stages_seen)
    return EvidenceVerdict(tuple(counts), tuple(ids), missing, tuple(incomplete), excluded)


def incomplete_record_problems(project: Project) -> list[Problem]:
    """An error for each record closed without the fields that complete it (a rule's complete_when/fields)."""
    problems = []
    if project.record_set is None:
        return problems
    for rule in project.standard.rules.evidence.values():
        if not rule.complete_fields:
            continue
        for type_id in rule.types:
            for r in project.record_set.of_type(type_id):
                missing = record_incomplete(rule, r)
                if missing:
                    state = ", ".join(f"{k}: {'/'.join(v)}" for k, v in rule.complete_when)
                    problems.append(Problem(r.path, r.line_of([rule.complete_when[0][0]]),
                                            f"{r.id} is {state} without {', '.join(missing)} (rule evidence."
                                            f"'{rule.item}' of {project.standard.id}): record the effectiveness "
                                            f"check and its result, or reopen the record", "error",
                                            code="record-closed-incomplete"))
    return problems


# ----------------------------------------------------------------------------------------------
# The checks


def _ancestors_and_self(clause_id: str) -> list[str]:
    parts = clause_id.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def check_open_major_findings(ctx: Context, clause: Clause, check: Check) -> list[Finding]:
    rs = ctx.project.record_set
    type_id = str(check.get("type", "audit-report"))
    if rs is None:
        return []
    out = []
    for report in rs.of_type(type_id):
        for f in report.data.get("findings") or ():
            if not isinstance(f, dict) or str(f.get("severity")) not in ("major",):
                continue
            if clause.id not in _ancestors_and_self(str(f.get("clause", ""))):
                continue
            ca_id = f.get("corrective_action")
            ca = rs.get(str(ca_id)) if ca_id else None
            if ca is not None and str(ca.data.get("status")) == "closed":
                continue
            evidence = (report.id, *([str(ca_id)] if ca_id else ()))
            out.append(Finding(clause.id, check.name, f"open major finding {report.id} {f.get('id', '')} against "
                               f"{f.get('clause')}" + (f" (corrective action {ca_id} not closed)" if ca_id else
                                                       " (no corrective action)"), evidence))
    return out


def check_overdue_document_review(ctx: Context, clause: Clause, check: Check) -> list[Finding]:
    docs = {d.id for d in ctx.project.documents_for(clause) if d.status == "effective"}
    late = [i for i in ctx.dues if i.kind == "document review" and i.id in docs and i.status == "overdue"]
    return [Finding(clause.id, check.name, f"review of {i.id} overdue since {i.due.isoformat()}", (i.id,))
            for i in late]


_ID = re.compile(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b")


def check_assessment_evidence_dates(ctx: Context, clause: Clause, check: Check) -> list[Finding]:
    """A gap-assessment entry closed on a day before the evidence it cites was made."""
    entries = getattr(ctx.assessment, "entries", None) or {}
    entry = entries.get(clause.id)
    rs = ctx.project.record_set
    if entry is None or entry.closed is None or rs is None:
        return []
    out = []
    text = " ".join(x for x in (entry.evidence, entry.closure) if x)
    for ident in dict.fromkeys(_ID.findall(text)):
        record = rs.get(ident)
        day = None
        if record is not None:
            rtype = ctx.project.record_types.get(record.type)
            day = as_date(record.data.get(rtype.date_field)) if rtype and rtype.date_field else None
        if day is not None and day > entry.closed:
            path = getattr(ctx.assessment, "path", "gap-assessment.yaml")
            out.append(Finding(clause.id, check.name, f"own assessment closed on {entry.closed.isoformat()} citing "
                               f"{ident} of {day.isoformat()}, made after the closure", (ident,),
                               Problem(path, entry.line, f"clause {clause.id}: the closure ({entry.closed.isoformat()}) "
                                       f"cites {ident}, dated {day.isoformat()}: evidence cannot postdate the closure; "
                                       "correct the closing date or the evidence", "warning",
                                       code="evidence-after-closure")))
    return out


def check_overdue_records(ctx: Context, clause: Clause, check: Check) -> list[Finding]:
    what = str(check.get("what") or check.get("type"))
    late = [i for i in ctx.dues if i.clause == clause.id and i.kind == what and i.status == "overdue"]
    return [Finding(clause.id, check.name, f"{i.what}: overdue since {i.due.isoformat()}", i.evidence) for i in late]


def check_stale_training(ctx: Context, clause: Clause, check: Check) -> list[Finding]:
    grace = int(check.get("grace_days", 30))  # type: ignore[arg-type]
    out = []
    waiting: dict[str, list[str]] = {}
    for b in ctx.briefings:
        days = b.days_waiting(ctx.as_of)
        if b.status == trainingmod.TO_TRAIN and days is not None and days > grace:
            waiting.setdefault(f"{b.document.id} revision {b.document.revision}", []).append(b.person)
    for doc, people in sorted(waiting.items()):
        out.append(Finding(clause.id, check.name, f"{len(people)} {'person' if len(people) == 1 else 'people'} not "
                           f"yet trained on {doc} (effective more than {grace} days)", tuple(people)))
    expired = [i for i in ctx.dues if i.kind == "training" and i.status == "overdue"]
    out += [Finding(clause.id, check.name, f"{i.what}: expired on {i.due.isoformat()}", i.evidence) for i in expired]
    return out


def check_climate_change(ctx: Context, clause: Clause, check: Check) -> list[Finding]:
    pattern = re.compile(str(check.get("pattern", "climate")), re.I)
    docs = [d for d in ctx.project.documents_for(clause) if substantive(ctx.project, d)]
    if not docs:
        return []
    if any(pattern.search(ctx.project.bodies.get(d.id, ("", 1))[0]) for d in docs):
        return []
    return [Finding(clause.id, check.name, "the context document does not say whether climate change is a relevant "
                    "issue (ISO 9001:2015/Amd 1:2024)", tuple(d.id for d in docs))]


def _person_roles(ctx: Context, person_id: str) -> set[str]:
    rs = ctx.project.record_set
    person = rs.get(person_id) if rs else None
    if person is None:
        return set()
    return {str(r) for r in [person.data.get("role"), *(person.data.get("additional_roles") or ())] if r}


def auditor_conflicts(ctx: Context, type_id: str = "audit-programme") -> list[tuple[Record, int, dict, str]]:
    """(programme, index, audit, why) for each audit whose auditor owns the audited process's document."""
    rs = ctx.project.record_set
    out: list[tuple[Record, int, dict, str]] = []
    if rs is None:
        return out
    for programme in sorted(rs.of_type(type_id), key=lambda r: r.id):
        for i, audit in enumerate(programme.data.get("audits") or ()):
            if not isinstance(audit, dict) or not audit.get("auditor"):
                continue
            doc = ctx.project.documents.get(str(audit.get("process") or ""))
            if doc is None:
                continue
            roles = _person_roles(ctx, str(audit["auditor"]))
            if doc.owner in roles:
                out.append((programme, i, audit, f"auditor {audit['auditor']} holds role {doc.owner}, the owner of "
                                                 f"{doc.id}"))
    return out


def check_audit_programme(ctx: Context, clause: Clause, check: Check) -> list[Finding]:
    project = ctx.project
    rs = project.record_set
    type_id = str(check.get("type", "audit-programme"))
    if rs is None or type_id not in project.record_types:
        return []
    years = int(check.get("cycle_years", 1))  # type: ignore[arg-type]
    first = ctx.as_of.year - years + 1
    programmes = [p for p in rs.of_type(type_id) if str(p.data.get("year", "")).isdigit()
                  and first <= int(p.data["year"]) <= ctx.as_of.year]
    if not programmes:
        return [Finding(clause.id, check.name, f"no audit programme for {first}–{ctx.as_of.year}")]
    ids = tuple(p.id for p in programmes)
    audits = [a for p in programmes for a in p.data.get("audits") or () if isinstance(a, dict)
              and str(a.get("status")) != "cancelled"]
    processes = {str(a.get("process")) for a in audits if a.get("process")}
    types = [str(t) for t in check.get("process_types") or ("procedure",)]  # type: ignore[union-attr]
    out = []
    left = sorted(d.id for d in project.documents.values() if d.status == "effective" and d.type in types
                  and d.id not in processes)
    if left:
        out.append(Finding(clause.id, check.name, "processes left out of the audit cycle: " + ", ".join(left), ids))
    audited = {str(c) for a in audits for c in a.get("clauses") or ()}
    depth = int(check.get("clause_depth", 1))  # type: ignore[arg-type]
    wanted = [c for c in project.standard.requirement_clauses() if c.depth == depth
              and project.not_applicable_for(c) is None]

    def covered(c: Clause) -> bool:
        return any(c.id in _ancestors_and_self(a) or a in _ancestors_and_self(c.id)
                   for a in audited)

    missing = [c.id for c in wanted if not covered(c)]
    if missing:
        out.append(Finding(clause.id, check.name, "clauses left out of the audit cycle: " + ", ".join(missing), ids))
    for programme, i, audit, why in auditor_conflicts(ctx, type_id):
        if programme.id not in ids:
            continue
        out.append(Finding(clause.id, check.name, f"{audit.get('id')}: {why} (auditors must not audit their own work)",
                           (programme.id,), Problem(programme.path, programme.line_of(["audits", i, "auditor"]),
                                                    f"{audit.get('id')}: {why}: auditors must not audit their own "
                                                    "work; assign another auditor", code="auditor-own-work")))
    late = [i for i in ctx.dues if i.kind == "audit" and i.status == "overdue"]
    out += [Finding(clause.id, check.name, f"{i.what}: {'due' if 're-planned' in i.what else 'planned'} by "
                                           f"{i.due.isoformat()}, not done", i.evidence)
            for i in late]
    return out


def review_inputs(project: Project, record: Record) -> tuple[list[str], list[str]]:
    """(list items answered, list items missing) of the review-inputs rule for one management review."""
    topics = {str(i.get("topic")) for i in record.data.get("inputs") or () if isinstance(i, dict)}
    answered, missing = [], []
    for letter, wanted in project.standard.rules.review_inputs:
        (answered if topics & set(wanted) else missing).append(letter)
    return answered, missing


def latest_review(project: Project, type_id: str) -> Record | None:
    rs = project.record_set
    rtype = project.record_types.get(type_id)
    if rs is None or rtype is None:
        return None
    reviews = sorted(rs.of_type(type_id), key=lambda r: (str(r.data.get(rtype.date_field or "date") or ""), r.id))
    return reviews[-1] if reviews else None


def check_management_review_inputs(ctx: Context, clause: Clause, check: Check) -> list[Finding]:
    type_id = str(check.get("type", "management-review"))
    if type_id not in ctx.project.record_types:
        return []
    last = latest_review(ctx.project, type_id)
    months = int(check.get("months", 12))  # type: ignore[arg-type]
    if last is None:
        return [Finding(clause.id, check.name, "no management review on record")]
    out = []
    rtype = ctx.project.record_types[type_id]
    day = as_date(last.data.get(rtype.date_field or "date"))
    if day is not None and (ctx.as_of - day).days > months * 31:
        out.append(Finding(clause.id, check.name, f"the last management review ({last.id}, {day.isoformat()}) is "
                           f"more than {months} months old", (last.id,)))
    _, missing = review_inputs(ctx.project, last)
    if missing:
        item = str(check.get("input_clause", clause.id))
        out.append(Finding(clause.id, check.name, f"{last.id} does not review " + ", ".join(f"{item} {m}" for m in
                                                                                             missing), (last.id,)))
    late = [i for i in ctx.dues if i.kind == "management review" and i.status == "overdue"]
    out += [Finding(clause.id, check.name, f"{i.what} was due on {i.due.isoformat()}", i.evidence) for i in late]
    return out


CHECKS: dict[str, Callable[[Context, Clause, Check], list[Finding]]] = {
    "open-major-findings": check_open_major_findings,
    "overdue-document-review": check_overdue_document_review,
    "assessment-evidence-dates": check_assessment_evidence_dates,
    "overdue-records": check_overdue_records,
    "stale-training": check_stale_training,
    "climate-change": check_climate_change,
    "audit-programme": check_audit_programme,
    "management-review-inputs": check_management_review_inputs,
}


def unknown_checks(project: Project) -> list[Problem]:
    """A problem for a check name the rules use that this engine does not know."""
    out = []
    for std in project.standards.values():
        names = [c.name for c in std.rules.everywhere] + [c.name for cs in std.rules.checks.values() for c in cs]
        for name in dict.fromkeys(names):
            if name not in CHECKS:
                out.append(Problem(f"catalogues/{std.id}.yaml", 0, f"rules: unknown check '{name}': use one of "
                                   + ", ".join(sorted(CHECKS)), code="unknown-check"))
    return out


def findings_for(ctx: Context, clause: Clause) -> list[Finding]:
    """Every finding of the checks the rules run for `clause`."""
    out = []
    std = ctx.project.standards.get(clause.standard) or ctx.project.standard
    for check in std.rules.checks_for(clause.id):
        fn = CHECKS.get(check.name)
        if fn is not None:
            out += fn(ctx, clause, check)
    return out


def verdict_problems(project: Project, as_of: dt.date) -> list[Problem]:
    """The problems `qms check` adds from the rules: not applicable, incomplete records, records past due, auditors
    auditing their own work, unknown checks."""
    ctx = Context(project, as_of)
    problems = not_applicable_problems(project) + incomplete_record_problems(project) + unknown_checks(project)
    problems += duemod.due_problems(project, as_of)
    for programme, i, audit, why in auditor_conflicts(ctx):
        problems.append(Problem(programme.path, programme.line_of(["audits", i, "auditor"]),
                                f"{audit.get('id')}: {why}: auditors must not audit their own work; assign another "
                                "auditor", code="auditor-own-work"))
    return problems
