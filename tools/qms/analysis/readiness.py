"""Certification readiness: a stage-1 style checklist computed from the data, each item with its evidence and a
verdict in plain words, then an overall verdict.

A certification body's stage-1 audit asks whether the system is ready for the full audit: the documented
information the standard requires is there and finished, the scope and its exclusions are justified, a full
cycle of internal audits is done and its findings handled, a management review with every input and output has
taken place, objectives are monitored, corrective actions are closed and verified or on plan, and calibration
and training are current. Each item here reads the gap analysis and the rules' checks; nothing is asked twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qms.analysis import due as duemod
from qms.analysis import gap as gapmod
from qms.analysis import verdicts

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History
    from qms.model.project import Project

READY, NEARLY, NOT_READY = "ready", "nearly ready", "not ready"


@dataclass(frozen=True)
class Item:
    """One line of the checklist."""

    key: str
    title: str
    ok: bool
    verdict: str  # in plain words
    evidence: tuple[str, ...] = ()  # ids of documents and records looked at
    gaps: tuple[str, ...] = ()  # what is still missing, one line each

    def as_json(self) -> dict:
        return {"key": self.key, "title": self.title, "ok": self.ok, "verdict": self.verdict,
                "evidence": list(self.evidence), "to_do": list(self.gaps)}


@dataclass(frozen=True)
class Readiness:
    as_of: dt.date
    standard: str
    items: tuple[Item, ...]
    coverage: float

    @property
    def score(self) -> float:
        """Percentage of checklist items that are done."""
        return round(100.0 * sum(i.ok for i in self.items) / len(self.items), 1) if self.items else 0.0

    @property
    def overall(self) -> str:
        open_items = sum(not i.ok for i in self.items)
        return READY if open_items == 0 else NEARLY if open_items <= 2 else NOT_READY

    @property
    def overall_text(self) -> str:
        open_items = [i.title.lower() for i in self.items if not i.ok]
        if not open_items:
            return "Ready for a stage-1 audit: every item of the checklist is done."
        head = "Nearly ready" if self.overall == NEARLY else "Not ready yet"
        return f"{head}: {len(open_items)} of {len(self.items)} items still to finish ({'; '.join(open_items)})."

    def as_json(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "standard": self.standard, "overall": self.overall,
                "verdict": self.overall_text, "score": self.score, "coverage": self.coverage,
                "items": [i.as_json() for i in self.items]}


def _item(key: str, title: str, gaps: list[str], done: str, not_done: str, evidence: list[str]) -> Item:
    ok = not gaps
    n = f"{len(gaps)} point{'s' if len(gaps) != 1 else ''}"
    return Item(key, title, ok, done if ok else not_done.format(n=n), tuple(dict.fromkeys(evidence)),
                tuple(gaps))


def _rows(analysis: gapmod.GapAnalysis, *clause_ids: str) -> list[gapmod.ClauseGap]:
    return [r for c in clause_ids if (r := analysis.get(c)) is not None]


def _audits_still_to_do(project: Project, as_of: dt.date) -> list[str]:
    """Audits of this cycle's programmes not done yet and not yet late (late ones are 9.2 findings already): the
    cycle is not complete while an audit of it is still to do, even on plan."""
    checks = duemod._checks(project, "audit-programme")
    if not checks or project.record_set is None:
        return []
    years = int(checks[0][1].get("cycle_years", 1))  # type: ignore[arg-type]
    out = []
    for item in duemod.due_items(project, as_of, documents=False):
        programme = project.record_set.get(item.evidence[0]) if item.kind == "audit" and item.evidence else None
        year = str(programme.data.get("year", "")) if programme is not None else ""
        if item.status != "overdue" and year.isdigit() and as_of.year - years < int(year) <= as_of.year:
            out.append(f"{item.what}: not done yet, due by {item.due.isoformat()}")
    return out


def assess(project: Project, as_of: dt.date, history: History | None = None,
           analysis: gapmod.GapAnalysis | None = None) -> Readiness:
    """The checklist on `as_of`."""
    analysis = analysis or gapmod.analyse(project, as_of=as_of, history=history)
    items = []

    info = [(row, i) for row in analysis.clauses for i in row.information if not i.exists]
    evidence = [e for row in analysis.clauses for i in row.information for e in (*i.documents, *i.evidence)]
    items.append(_item(
        "documented-information", "Required documented information present and complete",
        [gapmod._information_reason(i) for _, i in info],
        "Every document and record the standard asks for is on file, finished and effective.",
        "Required documents or records are missing or unfinished ({n}).", evidence))

    na_problems = verdicts.not_applicable_problems(project)
    scope_docs = list(project.scope_documents.values())
    gaps = [p.message for p in na_problems]
    if not scope_docs:
        gaps.append("no effective scope document (a document listing clause "
                    f"{project.standard.rules.scope_clause or '4.3'})")
    gaps += [r for row in _rows(analysis, project.standard.rules.scope_clause or "4.3") for r in row.reasons]
    na = sorted(project.not_applicable)
    items.append(_item(
        "scope", "Scope and exclusions justified", gaps,
        "The scope is written down" + (f"; {', '.join(na)} declared not applicable, each with its reason." if na
                                       else " and nothing is excluded."),
        "The scope or an exclusion needs work ({n}).", [d.id for d in scope_docs]))

    audit_rows = _rows(analysis, "9.2")
    audit_findings = [f for row in audit_rows for f in row.findings]
    gaps = [f.reason for f in audit_findings]
    rs = project.record_set
    reports = rs.of_type("audit-report") if rs else []
    open_findings = []
    for report in reports:
        for f in report.data.get("findings") or ():
            if isinstance(f, dict) and f.get("severity") in ("major", "minor"):
                ca = rs.get(str(f.get("corrective_action"))) if rs and f.get("corrective_action") else None
                if ca is None:
                    open_findings.append(f"{report.id} {f.get('id')}: {f.get('severity')} finding with no corrective "
                                         "action")
    gaps += open_findings
    gaps += _audits_still_to_do(project, as_of)
    items.append(_item(
        "internal-audit", "A full internal audit cycle done, its findings handled", gaps,
        "Every process and clause was audited in the cycle, by auditors independent of the work, and every "
        "nonconformity found has a corrective action.",
        "The internal audit cycle is not complete yet ({n}).",
        [*(e for f in audit_findings for e in f.evidence), *(r.id for r in reports)]))

    review_rows = _rows(analysis, "9.3")
    gaps = [f.reason for row in review_rows for f in row.findings]
    last = verdicts.latest_review(project, "management-review")
    if last is not None:
        about = {str(d.get("about")) for d in last.data.get("decisions") or () if isinstance(d, dict)}
        for letter, wanted in project.standard.rules.review_outputs:
            if not about & set(wanted):
                gaps.append(f"{last.id} records no decision on 9.3.3 {letter} ({', '.join(wanted)})")
    items.append(_item(
        "management-review", "A management review with every input and output", gaps,
        f"{last.id if last else 'The last review'} looked at every input the standard lists and recorded decisions "
        "on improvement, changes to the system and resources.",
        "The management review is incomplete or out of date ({n}).",
        [last.id] if last else []))

    objective_rows = _rows(analysis, "6.2", "9.1.1")
    gaps = [f"{r.clause.id}: {reason}" for r in objective_rows if r.status != "covered" for reason in r.reasons]
    items.append(_item(
        "objectives", "Quality objectives set and monitored", gaps,
        "Objectives are written down and their results are measured and on record.",
        "Objectives or their monitoring need work ({n}).",
        [e for r in objective_rows for e in r.evidence]))

    ca_rows = _rows(analysis, "10.2", "10.2.2")
    gaps = [reason for r in ca_rows for reason in r.reasons if "overdue" in reason or "closed without" in reason]
    items.append(_item(
        "corrective-actions", "Corrective actions closed and verified, or on plan", list(dict.fromkeys(gaps)),
        "Every corrective action is either on plan or closed with its effectiveness checked.",
        "Some corrective actions are late or closed without proof that they worked ({n}).",
        [ca.id for ca in (rs.of_type("corrective-action") if rs else [])]))

    current_rows = _rows(analysis, "7.1.5", "7.2", "7.3")
    gaps = [f.reason for r in current_rows for f in r.findings if f.check in ("overdue-records", "stale-training")]
    items.append(_item(
        "calibration-training", "Calibration and training current", list(dict.fromkeys(gaps)),
        "Every gauge in use is within its calibration date and everyone has read the current revision of what "
        "they work to.",
        "Calibration or training is behind ({n}).",
        [e for r in current_rows for f in r.findings for e in f.evidence]))

    return Readiness(as_of, project.standard.short, tuple(items), analysis.coverage)
