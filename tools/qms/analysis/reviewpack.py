"""The management review input pack (ISO 9001 9.3.2), compiled from the records kept in git.

For a period, the pack gathers: the status of actions from previous management reviews, internal
audit results, nonconformities and corrective actions, monitoring and measurement results (with
customer satisfaction), quality objectives against their targets, the performance of external
providers, the adequacy of resources where a review recorded it, and opportunities for
improvement. Every figure is computed from records' public fields, so the pack can be published.

The record types read follow the example schemas (see qms.auditprep for their names).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qms.analysis.auditprep import (
    AUDIT_PROGRAMME,
    AUDIT_REPORT,
    MANAGEMENT_REVIEW,
    MONITORING_RESULT,
    NONCONFORMING_OUTPUT,
    SUPPLIER_EVALUATION,
    CorrectiveAction,
    Entry,
    Finding,
    corrective_actions,
    entries,
    findings,
)
from qms.clock import as_date
from qms.jsondata import jsondata

if TYPE_CHECKING:  # pragma: no cover
    from qms.model.project import Project

_PERIOD = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")
SEVERITIES = ("major", "minor", "observation")  # an observation notes a risk or an opportunity to improve
IMPROVEMENT_SEVERITIES = ("observation", "opportunity")
GRADES = ("A", "B", "C", "D")


# ----------------------------------------------------------------------------------------------
# The period


@dataclass(frozen=True)
class Period:
    """A closed range of dates, e.g. 2026-01-01..2026-12-31."""

    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, text: str) -> Period:
        """A period from 'YYYY-MM-DD..YYYY-MM-DD'; ValueError with a readable reason otherwise."""
        match = _PERIOD.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a period: use START..END, e.g. 2026-01-01..2026-12-31")
        try:
            start, end = dt.date.fromisoformat(match.group(1)), dt.date.fromisoformat(match.group(2))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a period: {exc}") from None
        if end < start:
            raise ValueError(f"{text!r} is not a period: it ends before it starts")
        return cls(start, end)

    @classmethod
    def year_to(cls, end: dt.date) -> Period:
        """The twelve months ending on `end`."""
        try:
            start = end.replace(year=end.year - 1) + dt.timedelta(days=1)
        except ValueError:  # 29 February
            start = dt.date(end.year - 1, 3, 1)
        return cls(start, end)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def months(self) -> list[str]:
        """'YYYY-MM' of every month the period touches, in order."""
        out = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def contains_month(self, month: str) -> bool:
        return month in self.months()

    @property
    def text(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


# ----------------------------------------------------------------------------------------------
# The parts of the pack


@dataclass(frozen=True)
class ReviewAction:
    """An action from a management review, with its status on the as-of date."""

    review: str
    review_date: dt.date | None
    what: str
    owner: str
    due: dt.date | None
    status: str
    done: dt.date | None
    overdue: bool


@dataclass(frozen=True)
class AuditResults:
    """Audits planned in the period and their outcome, and the findings of the reports issued in it."""

    planned: dict[str, int]  # status -> number of audits planned in the period
    reports: tuple[Entry, ...]
    findings: tuple[Finding, ...]

    @property
    def findings_by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts.get(s, 0) for s in (*SEVERITIES, *sorted(set(counts) - set(SEVERITIES)))}

    def as_json(self) -> dict:
        return {"planned": self.planned, "planned_total": sum(self.planned.values()),
                "reports": [{"id": r.id, "date": jsondata(r.date), "process": r.data.get("process"),
                             "clauses": list(r.data.get("clauses") or []), "summary": _text(r.data.get("summary")),
                             "findings": len(r.data.get("findings") or [])} for r in self.reports],
                "findings_by_severity": self.findings_by_severity,
                "findings": jsondata(self.findings)}


@dataclass(frozen=True)
class Nonconformities:
    """Nonconforming outputs found in the period."""

    records: tuple[Entry, ...]
    per_month: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return len(self.records)

    @property
    def open(self) -> int:
        return sum(1 for r in self.records if r.data.get("status") != "closed")

    @property
    def parts(self) -> int:
        return sum(int(r.data.get("quantity") or 0) for r in self.records)

    @property
    def cost(self) -> float:
        return round(sum(float(r.data.get("cost") or 0) for r in self.records), 2)

    def by(self, field_name: str) -> dict[str, int]:
        return dict(sorted(Counter(str(r.data.get(field_name, "unknown")) for r in self.records).items()))

    def as_json(self) -> dict:
        return {"total": self.total, "open": self.open, "parts": self.parts, "cost": self.cost,
                "per_month": [{"month": m, "count": n} for m, n in self.per_month],
                "by_detected_at": self.by("detected_at"), "by_disposition": self.by("disposition"),
                "ids": [r.id for r in self.records]}


@dataclass(frozen=True)
class CorrectiveActions:
    """Corrective actions opened, closed and still open, for the period."""

    opened: tuple[CorrectiveAction, ...]
    closed: tuple[CorrectiveAction, ...]
    open_at_end: tuple[CorrectiveAction, ...]
    overdue: tuple[CorrectiveAction, ...]  # open on the as-of date and past their due date

    @property
    def verified(self) -> int:
        """Actions closed in the period whose effectiveness has been verified."""
        return sum(1 for c in self.closed if c.effectiveness_verified)

    def as_json(self) -> dict:
        return {"opened": len(self.opened), "closed": len(self.closed), "open_at_end": len(self.open_at_end),
                "overdue": len(self.overdue), "effectiveness_verified": self.verified,
                "by_source": dict(sorted(Counter(c.source for c in self.opened).items())),
                "open": jsondata(self.open_at_end)}


@dataclass(frozen=True)
class Objective:
    """One quality objective's measurements over the period against its target."""

    id: str
    unit: str
    direction: str  # at-least or at-most
    target: float
    points: tuple[tuple[str, float], ...]  # (month, value), in order

    @property
    def latest(self) -> float | None:
        return self.points[-1][1] if self.points else None

    def meets(self, value: float) -> bool:
        return value >= self.target if self.direction == "at-least" else value <= self.target

    @property
    def met(self) -> bool | None:
        return None if self.latest is None else self.meets(self.latest)

    @property
    def months_met(self) -> int:
        return sum(1 for _, v in self.points if self.meets(v))

    def as_json(self) -> dict:
        return {"objective": self.id, "unit": self.unit, "direction": self.direction, "target": self.target,
                "latest": self.latest, "met": self.met, "months_met": self.months_met, "months": len(self.points),
                "points": [{"month": m, "value": v} for m, v in self.points]}


@dataclass(frozen=True)
class Satisfaction:
    """A customer satisfaction figure from a monitoring result."""

    month: str
    source: str
    score: float
    scale: str
    comment: str = ""


@dataclass(frozen=True)
class Supplier:
    """The latest evaluation of one external provider in the period."""

    supplier: str
    supplies: str
    evaluation: str
    date: dt.date | None
    kind: str
    grade: str
    decision: str
    scores: dict[str, float]


@dataclass(frozen=True)
class Note:
    """A recorded statement (an input, a decision, a finding) with the record it comes from."""

    source: str
    date: dt.date | None
    kind: str
    text: str


@dataclass(frozen=True)
class ReviewPack:
    """Every input of a management review for one period."""

    period: Period
    as_of: dt.date
    reviews: tuple[Entry, ...]  # management reviews whose actions are followed up
    actions: tuple[ReviewAction, ...]
    audits: AuditResults
    nonconformities: Nonconformities
    corrective: CorrectiveActions
    objectives: tuple[Objective, ...]
    satisfaction: tuple[Satisfaction, ...]
    monitoring: tuple[Entry, ...]  # the monitoring-result records of the period
    suppliers: tuple[Supplier, ...]
    resources: tuple[Note, ...]
    improvements: tuple[Note, ...]
    context_changes: tuple[Note, ...] = ()  # 9.3.2 b): changes in external and internal issues
    risk_actions: tuple[Note, ...] = ()  # 9.3.2 e): how well the actions on risks and opportunities worked
    missing: tuple[str, ...] = field(default=())  # record types the project does not keep

    @property
    def action_counts(self) -> dict[str, int]:
        done = sum(1 for a in self.actions if a.status == "done")
        overdue = sum(1 for a in self.actions if a.overdue)
        return {"total": len(self.actions), "done": done, "open": len(self.actions) - done, "overdue": overdue}

    @property
    def grade_counts(self) -> dict[str, int]:
        counts = Counter(s.grade for s in self.suppliers)
        return {g: counts.get(g, 0) for g in GRADES}

    def as_json(self) -> dict:
        return {
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "as_of": self.as_of.isoformat(),
            "previous_actions": {"reviews": [r.id for r in self.reviews], **self.action_counts,
                                 "actions": jsondata(self.actions)},
            "audit_results": self.audits.as_json(),
            "nonconformities": self.nonconformities.as_json(),
            "corrective_actions": self.corrective.as_json(),
            "monitoring": {"records": [m.id for m in self.monitoring],
                           "customer_satisfaction": jsondata(self.satisfaction),
                           "analysis": [{"id": m.id, "text": _text(m.data.get("analysis"))}
                                        for m in self.monitoring if m.data.get("analysis")]},
            "quality_objectives": [o.as_json() for o in self.objectives],
            "external_providers": {"grades": self.grade_counts, "suppliers": jsondata(self.suppliers)},
            "context_changes": jsondata(self.context_changes),
            "risk_actions": jsondata(self.risk_actions),
            "resources": jsondata(self.resources),
            "improvement_opportunities": jsondata(self.improvements),
            "missing_record_types": list(self.missing),
        }


# ----------------------------------------------------------------------------------------------
# Compiling the pack


def compile_pack(project: Project, period: Period, as_of: dt.date) -> ReviewPack:
    """The management review pack for `period`; open items are judged on `as_of`."""
    reviews_all = [e for e in entries(project, MANAGEMENT_REVIEW) if e.date is None or e.date <= period.end]
    in_period = [e for e in reviews_all if e.date in period]
    reviews, actions = _review_actions(reviews_all, in_period, period, as_of)
    monitoring = tuple(sorted((e for e in entries(project, MONITORING_RESULT) if _month_of(e) and
                               period.contains_month(_month_of(e))), key=lambda e: (_month_of(e), e.id)))
    wanted = (MANAGEMENT_REVIEW, AUDIT_REPORT, NONCONFORMING_OUTPUT, "corrective-action", MONITORING_RESULT,
              SUPPLIER_EVALUATION)
    return ReviewPack(
        period=period, as_of=as_of, reviews=tuple(reviews), actions=tuple(actions),
        audits=_audits(project, period),
        nonconformities=_nonconformities(project, period),
        corrective=_corrective(project, period, as_of),
        objectives=_objectives(monitoring),
        satisfaction=_satisfaction(monitoring),
        monitoring=monitoring,
        suppliers=_suppliers(project, period),
        resources=tuple(_notes(in_period, "resources", "resources")),
        improvements=tuple(_improvements(project, period, in_period)),
        context_changes=tuple(_documents_to_review(project, ("4.1", "4.2"), period)
                              + _notes(in_period, "context-changes", "")),
        risk_actions=tuple(_documents_to_review(project, ("6.1", "6.1.2"), period)
                           + _notes(in_period, "risks-and-opportunities", "")),
        missing=tuple(t for t in wanted if t not in project.record_types),
    )


def _review_actions(reviews_all: list[Entry], in_period: list[Entry], period: Period,
                    as_of: dt.date) -> tuple[list[Entry], list[ReviewAction]]:
    """The reviews followed up (those in the period and the last one before it) and their actions.

    Earlier reviews contribute only actions that are still open.
    """
    before = [e for e in reviews_all if e.date is None or e.date < period.start]  # newest first
    chosen = {e.id for e in (*in_period, *before[:1])}
    actions = []
    for review in sorted(reviews_all, key=lambda e: (e.date or dt.date.min, e.id)):
        for raw in review.data.get("actions") or []:
            if not isinstance(raw, dict):
                continue
            status = str(raw.get("status", "open"))
            if review.id not in chosen and status == "done":
                continue
            due = as_date(raw.get("due"))
            actions.append(ReviewAction(review.id, review.date, _text(raw.get("what")), str(raw.get("owner", "")),
                                        due, status, as_date(raw.get("done")),
                                        status != "done" and due is not None and due < as_of))
    shown = chosen | {a.review for a in actions}
    reviews = sorted((e for e in reviews_all if e.id in shown), key=lambda e: (e.date or dt.date.min, e.id))
    return reviews, actions


def _audits(project: Project, period: Period) -> AuditResults:
    planned: Counter[str] = Counter()
    for programme in entries(project, AUDIT_PROGRAMME):
        for audit in programme.data.get("audits") or []:
            month = str(audit.get("planned", "")) if isinstance(audit, dict) else ""
            if period.contains_month(month):
                planned[str(audit.get("status", "planned"))] += 1
    reports = tuple(sorted((r for r in entries(project, AUDIT_REPORT) if r.date in period),
                           key=lambda r: (r.date, r.id)))
    ids = {r.id for r in reports}
    found = tuple(f for f in sorted(findings(project), key=lambda f: (f.date or dt.date.min, f.report, f.id))
                  if f.report in ids)
    order = ("planned", "done", "postponed", "cancelled")
    return AuditResults({s: planned.get(s, 0) for s in (*order, *sorted(set(planned) - set(order)))}, reports, found)


def _nonconformities(project: Project, period: Period) -> Nonconformities:
    records = tuple(sorted((r for r in entries(project, NONCONFORMING_OUTPUT) if r.date in period),
                           key=lambda r: (r.date, r.id)))
    counts = Counter(r.date.strftime("%Y-%m") for r in records if r.date)
    return Nonconformities(records, tuple((m, counts.get(m, 0)) for m in period.months()))


def _corrective(project: Project, period: Period, as_of: dt.date) -> CorrectiveActions:
    every = sorted(corrective_actions(project), key=lambda c: (c.opened or dt.date.min, c.id))
    opened = tuple(c for c in every if c.opened in period)
    closed = tuple(c for c in every if c.closed in period)
    open_at_end = tuple(c for c in every if c.opened is not None and c.opened <= period.end
                        and (c.is_open or (c.closed is not None and c.closed > period.end)))
    overdue = tuple(c for c in every if c.overdue(as_of) and (c.opened is None or c.opened <= period.end))
    return CorrectiveActions(opened, closed, open_at_end, overdue)


def _month_of(entry: Entry) -> str:
    """The month a monitoring result measures ('period'), else the month it was issued."""
    month = entry.data.get("period")
    if isinstance(month, str) and re.fullmatch(r"\d{4}-\d{2}", month):
        return month
    return entry.date.strftime("%Y-%m") if entry.date else ""


def _objectives(monitoring: tuple[Entry, ...]) -> tuple[Objective, ...]:
    series: dict[str, dict] = {}
    for entry in monitoring:
        month = _month_of(entry)
        for m in entry.data.get("measurements") or []:
            if not isinstance(m, dict) or "objective" not in m:
                continue
            try:
                value, target = float(m["value"]), float(m["target"])
            except (KeyError, TypeError, ValueError):
                continue
            item = series.setdefault(str(m["objective"]), {"points": {}})
            item["points"][month] = value
            item.update(unit=str(m.get("unit", "")), direction=str(m.get("direction", "at-least")), target=target)
    return tuple(Objective(oid, s["unit"], s["direction"], s["target"], tuple(sorted(s["points"].items())))
                 for oid, s in sorted(series.items()))


def _satisfaction(monitoring: tuple[Entry, ...]) -> tuple[Satisfaction, ...]:
    out = []
    for entry in monitoring:
        cs = entry.data.get("customer_satisfaction")
        if isinstance(cs, dict) and isinstance(cs.get("score"), (int, float)):
            out.append(Satisfaction(_month_of(entry), str(cs.get("source", "")), float(cs["score"]),
                                    str(cs.get("scale", "")), _text(cs.get("comment"))))
    return tuple(out)


def _suppliers(project: Project, period: Period) -> tuple[Supplier, ...]:
    latest: dict[str, Supplier] = {}
    for e in sorted((e for e in entries(project, SUPPLIER_EVALUATION) if e.date in period),
                    key=lambda e: (e.date, e.id)):
        scores = e.data.get("scores") if isinstance(e.data.get("scores"), dict) else {}
        latest[str(e.data.get("supplier", e.id))] = Supplier(
            str(e.data.get("supplier", "")), _text(e.data.get("supplies")), e.id, e.date, str(e.data.get("kind", "")),
            str(e.data.get("grade", "")), str(e.data.get("decision", "")),
            {k: float(v) for k, v in scores.items() if isinstance(v, (int, float))})
    return tuple(sorted(latest.values(), key=lambda s: (GRADES.index(s.grade) if s.grade in GRADES else 9, s.supplier)))


def _notes(reviews: list[Entry], topic: str, about: str) -> list[Note]:
    """Inputs on `topic` and decisions `about` something, from management reviews."""
    out = []
    for review in sorted(reviews, key=lambda e: (e.date or dt.date.min, e.id)):
        for item in review.data.get("inputs") or []:
            if isinstance(item, dict) and item.get("topic") == topic:
                out.append(Note(review.id, review.date, "input", _text(item.get("summary"))))
        for item in review.data.get("decisions") or []:
            if isinstance(item, dict) and item.get("about") == about:
                out.append(Note(review.id, review.date, "decision", _text(item.get("decision"))))
    return out


def _documents_to_review(project: Project, clause_ids: tuple[str, ...], period: Period) -> list[Note]:
    """The effective documents that hold the clauses' information (the context, the risk register), to review."""
    out, seen = [], set()
    for cid in clause_ids:
        for doc in project.documents_by_clause.get(cid, []):
            if doc.status == "effective" and doc.id not in seen:
                seen.add(doc.id)
                changed = as_date(doc.effective)
                state = "changed in the period" if changed in period else "unchanged in the period"
                out.append(Note(doc.id, changed, "document", f"{doc.title}, revision {doc.revision} ({state}): "
                                                             "present what has changed and what the actions achieved"))
    return out


def _improvements(project: Project, period: Period, reviews: list[Entry]) -> list[Note]:
    out = [Note(f"{f.report} {f.id}", f.date, f"audit {f.severity}", f.description)
           for f in sorted(findings(project), key=lambda f: (f.date or dt.date.min, f.report, f.id))
           if f.severity in IMPROVEMENT_SEVERITIES and f.date in period]
    out += _notes(reviews, "improvement-opportunities", "improvement")
    return out
