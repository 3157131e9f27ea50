"""What is due, for records as well as documents: reviews, calibrations, corrective actions, expiring training,
planned audits and the next management review, each with its due date and how late or near it is.

Which records are watched is data: the `overdue-records` checks of the standard's rules (e.g. calibrations of
each piece of equipment by `next_due`, open corrective actions by `due`), the `stale-training`, `audit-programme`
and `management-review-inputs` checks (their record types). `qms due`, `qms check` (as warnings, errors by the
policy's `overdue_records_is_error`), the review schedule page and the task calendar all read `due_items`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterable

from qms.clock import as_date
from qms.model.catalogue import Check
from qms.problems import Problem

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History
    from qms.model.project import Project
    from qms.model.records import Record

DUE_SOON_DAYS = 30
STATUSES = ("overdue", "due-soon", "later")
STATUS_TEXT = {"overdue": "overdue", "due-soon": f"due within {DUE_SOON_DAYS} days", "later": "later"}
KINDS = ("document review", "calibration", "corrective action", "training", "audit", "management review")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class DueItem:
    """One thing due: what it is, its id, when it is due and where it is kept."""

    kind: str  # one of KINDS (or the `what` of an overdue-records check)
    id: str  # the document, equipment, corrective action, training record, audit or review it concerns
    what: str  # a line for people
    due: dt.date
    days: int  # due date minus the as-of date: negative when overdue
    path: str
    known_line: int = 0
    owner: str | None = None  # role id
    evidence: tuple[str, ...] = ()  # record ids behind it
    clause: str | None = None  # the clause whose rule watches it
    source: Record | None = field(default=None, compare=False, repr=False)  # the record, for its line
    line_path: tuple[str | int, ...] = ()  # the field's path in it

    @cached_property
    def line(self) -> int:
        """Line of the due field in its file (read only when asked for: a YAML parse per record)."""
        if self.source is not None and self.line_path:
            return self.source.line_of(list(self.line_path))
        return self.known_line

    @property
    def status(self) -> str:
        return "overdue" if self.days < 0 else "due-soon" if self.days <= DUE_SOON_DAYS else "later"

    def as_json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "what": self.what, "due": self.due.isoformat(), "days": self.days,
                "status": self.status, "path": self.path, "line": self.line, "owner": self.owner,
                "evidence": list(self.evidence), "clause": self.clause}


def _checks(project: Project, name: str) -> list[tuple[str, Check]]:
    """(clause id, check) for every check of that name in the primary standard's rules."""
    rules = project.standard.rules
    out = [("", c) for c in rules.everywhere if c.name == name]
    out += [(cid, c) for cid, checks in rules.checks.items() for c in checks if c.name == name]
    return out


def _item(kind: str, ident: str, what: str, due: dt.date, as_of: dt.date, record: Record | None, line_field: str,
          owner: object = None, evidence: Iterable[str] = (), clause: str | None = None) -> DueItem:
    return DueItem(kind, ident, what, due, (due - as_of).days, record.path if record else "", 0,
                   str(owner) if owner else None, tuple(evidence), clause, record, (line_field,))


def _matches(data: dict, when: object) -> bool:
    if not isinstance(when, dict):
        return True
    for key, values in when.items():
        allowed = [str(v) for v in (values if isinstance(values, (list, tuple)) else [values])]
        if str(data.get(key)) not in allowed:
            return False
    return True


def record_dues(project: Project, clause: str, check: Check, as_of: dt.date) -> list[DueItem]:
    """The records one `overdue-records` check watches, with their due dates.

    With `subject` and `latest`, only the latest record per subject counts (a gauge's last calibration), and a
    subject whose own record has a status in `skip_subject_status` (a withdrawn gauge) is left out; with
    `open_when`, only records matching it count (an open corrective action).
    """
    rs = project.record_set
    type_id = str(check.get("type", ""))
    rtype = project.record_types.get(type_id)
    if rs is None or rtype is None:
        return []
    due_field = str(check.get("due") or rtype.due_field or "")
    what = str(check.get("what") or rtype.title.lower())
    subject = check.get("subject")
    records = [r for r in rs.of_type(type_id) if _matches(r.data, check.get("open_when"))]
    if subject:
        latest: dict[str, Record] = {}
        date_field = rtype.date_field or due_field
        for r in sorted(records, key=lambda r: (str(r.data.get(date_field) or ""), r.id)):
            if r.data.get(subject):
                latest[str(r.data[subject])] = r
        skip = [str(s) for s in check.get("skip_subject_status") or ()]
        out = []
        for key, r in sorted(latest.items()):
            subject_record = rs.get(key)
            status_field = None
            if subject_record is not None and (st := project.record_types.get(subject_record.type)):
                status_field = st.status_field
            if subject_record is not None and status_field and str(subject_record.data.get(status_field)) in skip:
                continue
            day = as_date(r.data.get(due_field))
            if day is not None:
                out.append(_item(what, key, f"{what} of {key} (last: {r.id})", day, as_of, r, due_field,
                                 rtype.owner, (r.id,), clause))
        return out
    out = []
    for r in records:
        day = as_date(r.data.get(due_field))
        if day is not None:
            title = r.data.get(rtype.title_field) if rtype.title_field else None
            title = " ".join(str(title).split()).rstrip(".") if title else None
            out.append(_item(what, r.id, f"{what} {r.id}" + (f" ({title})" if title else ""), day, as_of, r,
                             due_field, r.data.get("owner") or rtype.owner, (r.id,), clause))
    return out


def training_dues(project: Project, as_of: dt.date, type_id: str = "training") -> list[DueItem]:
    """Training that expires: the latest record per person and document (or course) with an `expires` date."""
    rs = project.record_set
    rtype = project.record_types.get(type_id)
    if rs is None or rtype is None:
        return []
    due_field = rtype.due_field or "expires"
    latest: dict[tuple[str, str], Record] = {}
    for r in sorted(rs.of_type(type_id), key=lambda r: (str(r.data.get(rtype.date_field or "date") or ""), r.id)):
        topic = r.data.get("document") or r.data.get("course")
        if r.data.get("person") and topic:
            latest[(str(r.data["person"]), str(topic))] = r
    out = []
    for (person, topic), r in sorted(latest.items()):
        day = as_date(r.data.get(due_field))
        if day is not None:
            out.append(_item("training", r.id, f"training of {person} on {topic} expires ({r.id})", day, as_of, r,
                             due_field, rtype.owner, (r.id,), "7.2"))
    return out


def month_end(text: object) -> dt.date | None:
    """The last day of a 'YYYY-MM' month, or the day of a 'YYYY-MM-DD' date."""
    day = as_date(text)
    if day is not None:
        return day
    match = _MONTH.match(str(text or ""))
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return None
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def replan(audit: dict, replan_field: str = "replanned") -> dict | None:
    """The audit's latest recorded re-plan that counts: an entry with the new month (`to`), the day it was
    decided (`decided`) and a reason. An entry lacking any of them moves nothing (the schema says so on `qms check`)."""
    entries = audit.get(replan_field)
    valid = [e for e in entries if isinstance(e, dict) and month_end(e.get("to")) is not None
             and as_date(e.get("decided")) is not None and str(e.get("reason") or "").strip()] \
        if isinstance(entries, list) else []
    return max(valid, key=lambda e: (as_date(e.get("decided")), str(e.get("to")))) if valid else None


def planned_month(audit: dict, replan_field: str = "replanned") -> str:
    """The month an audit is due in: the latest re-plan's month, else the month first planned."""
    moved = replan(audit, replan_field)
    return str(moved["to"] if moved else audit.get("planned") or "")


def audit_dues(project: Project, as_of: dt.date, type_id: str = "audit-programme",
               replan_field: str = "replanned") -> list[DueItem]:
    """Audits of the programme that are planned (or postponed) and not done, due at the end of their month.

    A re-plan recorded on the audit (`replanned`: the new month, the day and the reason) moves the due date to the
    end of its new month, and the line says so; a postponement without one keeps the month first planned.
    """
    rs = project.record_set
    rtype = project.record_types.get(type_id)
    if rs is None or rtype is None:
        return []
    out = []
    for programme in sorted(rs.of_type(type_id), key=lambda r: r.id):
        for i, audit in enumerate(programme.data.get("audits") or ()):
            if not isinstance(audit, dict) or str(audit.get("status")) in ("done", "cancelled"):
                continue
            moved = replan(audit, replan_field)
            day = month_end(moved["to"] if moved else audit.get("planned"))
            if day is None:
                continue
            ident = str(audit.get("id") or f"{programme.id} audit {i + 1}")
            subject = audit.get("process") or ", ".join(str(c) for c in audit.get("clauses") or ())
            note = " (postponed)" if str(audit.get("status")) == "postponed" and not moved else ""
            if moved:
                reason = " ".join(str(moved["reason"]).split()).rstrip(".")
                note = (f" (re-planned on {as_date(moved['decided']).isoformat()} from {audit.get('planned')} to "
                        f"{moved['to']}: {reason})")
                line = ("audits", i, replan_field, audit[replan_field].index(moved), "to")
            else:
                line = ("audits", i, "planned")
            out.append(DueItem("audit", ident, f"internal audit {ident} of {subject}{note} ({programme.id})", day,
                               (day - as_of).days, programme.path, 0, rtype.owner, (programme.id,), "9.2",
                               programme, line))
    return out


def review_meeting_due(project: Project, as_of: dt.date, type_id: str = "management-review") -> list[DueItem]:
    """The next management review: the latest review's `next_review` (its due field)."""
    rs = project.record_set
    rtype = project.record_types.get(type_id)
    if rs is None or rtype is None:
        return []
    date_field = rtype.date_field or "date"
    reviews = sorted(rs.of_type(type_id), key=lambda r: (str(r.data.get(date_field) or ""), r.id))
    if not reviews:
        return []
    last = reviews[-1]
    day = as_date(last.data.get(rtype.due_field or "next_review"))
    if day is None:
        return []
    return [_item("management review", last.id, f"next management review (set by {last.id})", day, as_of, last,
                  rtype.due_field or "next_review", rtype.owner, (last.id,), "9.3")]


def document_dues(project: Project, as_of: dt.date, history: History | None) -> list[DueItem]:
    from qms.analysis import reviews

    items = reviews.review_schedule(project, as_of, reviews.last_reviews(project, history))
    return [DueItem("document review", i.document.id, f"review of {i.document.id} {i.document.title}", i.due,
                    i.days or 0, i.document.path, i.document.line_of("review_interval"), i.document.owner,
                    (i.document.id,)) for i in items if i.due is not None and i.days is not None]


def _type_of(project: Project, name: str, default: str) -> str:
    found = _checks(project, name)
    return str(found[0][1].get("type", default)) if found else default


def due_items(project: Project, as_of: dt.date, history: History | None = None,
              documents: bool = True) -> list[DueItem]:
    """Everything with a due date, most urgent first (by due date, then kind and id)."""
    items: list[DueItem] = document_dues(project, as_of, history) if documents else []
    for clause, check in _checks(project, "overdue-records"):
        items += record_dues(project, clause, check, as_of)
    if _checks(project, "stale-training"):
        items += training_dues(project, as_of, _type_of(project, "stale-training", "training"))
    if found := _checks(project, "audit-programme"):
        items += audit_dues(project, as_of, _type_of(project, "audit-programme", "audit-programme"),
                            str(found[0][1].get("replan_field", "replanned")))
    if _checks(project, "management-review-inputs"):
        items += review_meeting_due(project, as_of, _type_of(project, "management-review-inputs", "management-review"))
    return sorted(items, key=lambda i: (i.due, i.kind, i.id))


def due_problems(project: Project, as_of: dt.date) -> list[Problem]:
    """A warning (an error by the policy's overdue_records_is_error) for each record item past due.

    Document reviews are `review-overdue` problems of qms.analysis.reviews and are not repeated here.
    """
    severity = "error" if project.settings.policy.overdue_records_is_error else "warning"
    out = []
    for item in due_items(project, as_of, documents=False):
        if item.status != "overdue":
            continue
        late = -item.days
        out.append(Problem(item.path or project.settings.rel(project.settings.config_file), item.line,
                           f"overdue: {item.what} was due on {item.due.isoformat()}, {late} day"
                           f"{'s' if late != 1 else ''} ago: do it and record it, or re-plan it with a reason",
                           severity, code="record-overdue"))
    return out


def digest_json(items: list[DueItem], as_of: dt.date, horizon_days: int) -> dict:
    shown = [i for i in items if i.days <= horizon_days]
    counts = {s: sum(1 for i in shown if i.status == s) for s in STATUSES}
    return {"as_of": as_of.isoformat(), "horizon_days": horizon_days, "counts": counts,
            "items": [i.as_json() for i in shown]}
