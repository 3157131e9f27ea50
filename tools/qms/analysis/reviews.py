"""Periodic review of controlled documents: when each was last reviewed, when it is due, what is overdue.

A document's last review is the latest of:

- its last approved change in git (a change with an approval recorded: an Approved-by or
  Reviewed-by trailer, or a pull request merged by someone other than its author);
- a review that confirmed it unchanged: the `last_review:` date in its front matter (written by
  `qms review-done`), or a `document-review` record naming it, when the project keeps that type;
- the `effective:` date in its front matter (the date the current revision came into force).

When none of these exists, the clock starts when the document was first committed. A document
that is neither committed nor dated has no due date yet. Drafts are reviewed when they are
approved, and obsolete documents are no longer reviewed, so neither is scheduled.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping

from qms.clock import as_date
from qms.model import yamlio
from qms.model.documents import Document
from qms.problems import Problem

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History
    from qms.model.project import Project

DUE_SOON_DAYS = 30
REVIEW_RECORD_TYPE = "document-review"
STATUSES = ("overdue", "due-soon", "later", "unscheduled")
STATUS_TEXT = {"overdue": "overdue", "due-soon": f"due within {DUE_SOON_DAYS} days", "later": "later",
               "unscheduled": "not scheduled"}

# Where a last-review date came from, as shown to readers.
FROM_FRONT_MATTER = "review recorded in front matter"
FROM_RECORD = "review record"
FROM_APPROVED_CHANGE = "approved change"
FROM_EFFECTIVE = "effective date"
FROM_FIRST_COMMIT = "first committed"
GIVEN = "given"


@dataclass(frozen=True)
class LastReview:
    """When a document was last reviewed, and the evidence for it."""

    date: dt.date
    source: str  # one of the FROM_* texts
    detail: str = ""  # e.g. "commit 1a2b3c4d, approved by Ann Smith" or "DR-2026-004"


@dataclass(frozen=True)
class ReviewDue:
    """A document's place in the review schedule on a given day."""

    document: Document
    last: LastReview | None
    due: dt.date | None
    status: str  # one of STATUSES
    days: int | None  # due date minus the as-of date: negative when overdue
    reason: str = ""  # why an unscheduled document has no due date

    def as_json(self) -> dict:
        doc = self.document
        return {
            "id": doc.id, "title": doc.title, "owner": doc.owner, "path": doc.path, "revision": doc.revision,
            "status": self.status, "interval_months": doc.review_interval_months,
            "last_review": self.last.date.isoformat() if self.last else None,
            "last_review_source": self.last.source if self.last else None,
            "last_review_detail": self.last.detail if self.last else None,
            "due": self.due.isoformat() if self.due else None, "days": self.days,
            **({"reason": self.reason} if self.reason else {}),
        }


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ----------------------------------------------------------------------------------------------
# Where last reviews come from


def front_matter_reviews(documents: Iterable[Document]) -> dict[str, list[LastReview]]:
    """Reviews recorded in front matter: `last_review:` and the `effective:` date."""
    out: dict[str, list[LastReview]] = {}
    for doc in documents:
        found = []
        if (day := as_date(doc.last_review)) is not None:
            found.append(LastReview(day, FROM_FRONT_MATTER, f"last_review: {day.isoformat()}"))
        if (day := as_date(doc.effective)) is not None:
            found.append(LastReview(day, FROM_EFFECTIVE, f"effective: {day.isoformat()}"))
        if found:
            out[doc.id] = found
    return out


def record_reviews(project: Project) -> dict[str, list[LastReview]]:
    """Reviews kept as `document-review` records (fields `document` and the type's date field)."""
    rtype = project.record_types.get(REVIEW_RECORD_TYPE)
    if rtype is None:
        return {}
    from qms.model.records import public_view

    out: dict[str, list[LastReview]] = {}
    for record in project.record_set.of_type(REVIEW_RECORD_TYPE) if project.record_set else ():
        data = public_view(rtype, record)
        day = as_date(data.get(rtype.date_field or "date"))
        doc_id = data.get("document")
        if day is not None and isinstance(doc_id, str):
            out.setdefault(doc_id, []).append(LastReview(day, FROM_RECORD, record.id))
    return out


def git_reviews(documents: Iterable[Document], history: History) -> tuple[dict[str, LastReview], dict[str, LastReview]]:
    """(last approved change, first commit) per document id, from the git history."""
    approved: dict[str, LastReview] = {}
    first: dict[str, LastReview] = {}
    for doc in documents:
        chain = [c for c in history.for_path(doc.path) if c.status != "D"]
        if not chain:
            continue
        change = next((c for c in chain if c.approved_by), None)
        if change is not None:
            approved[doc.id] = LastReview(dt.date.fromisoformat(change.date), FROM_APPROVED_CHANGE,
                                          f"commit {change.short}, approved by {', '.join(change.approved_by)}")
        oldest = chain[-1]
        first[doc.id] = LastReview(dt.date.fromisoformat(oldest.date), FROM_FIRST_COMMIT, f"commit {oldest.short}")
    return approved, first


def last_reviews(project: Project, history: History | None = None) -> dict[str, LastReview]:
    """Document id -> its last review (see the module text); documents without any date are left out."""
    documents = list(project.documents.values())
    candidates: dict[str, list[LastReview]] = {}
    for source in (front_matter_reviews(documents), record_reviews(project)):
        for doc_id, found in source.items():
            candidates.setdefault(doc_id, []).extend(found)
    first: dict[str, LastReview] = {}
    if history is not None and history.tracked:
        approved, first = git_reviews(documents, history)
        for doc_id, review in approved.items():
            candidates.setdefault(doc_id, []).append(review)
    out = {}
    for doc in documents:
        found = candidates.get(doc.id)
        if found:
            out[doc.id] = max(found, key=lambda r: (r.date, _PRECEDENCE.index(r.source)))
        elif doc.id in first:
            out[doc.id] = first[doc.id]
    return out


# On the same day, a recorded review is the better evidence.
_PRECEDENCE = (GIVEN, FROM_FIRST_COMMIT, FROM_EFFECTIVE, FROM_APPROVED_CHANGE, FROM_RECORD, FROM_FRONT_MATTER)


# ----------------------------------------------------------------------------------------------
# The schedule


def _as_review(value: LastReview | dt.date | str | None) -> LastReview | None:
    if value is None or isinstance(value, LastReview):
        return value
    day = as_date(value)
    return LastReview(day, GIVEN) if day else None


def review_due(doc: Document, last: LastReview | dt.date | None, as_of: dt.date,
               window_days: int = DUE_SOON_DAYS) -> ReviewDue:
    """Where one document stands on `as_of`: overdue, due within the window, later, or not scheduled."""
    review = _as_review(last)
    if doc.status != "effective":
        reason = "a draft is reviewed when it is approved" if doc.status == "draft" else "obsolete"
        return ReviewDue(doc, review, None, "unscheduled", None, reason)
    if review is None:
        return ReviewDue(doc, None, None, "unscheduled", None,
                         "no review date: not committed yet, and no last_review or effective date")
    due = add_months(review.date, doc.review_interval_months)
    days = (due - as_of).days
    status = "overdue" if days < 0 else "due-soon" if days <= window_days else "later"
    return ReviewDue(doc, review, due, status, days)


def review_schedule(project: Project, as_of: dt.date, last_reviews: Mapping[str, LastReview | dt.date],
                    window_days: int = DUE_SOON_DAYS) -> list[ReviewDue]:
    """Every document that is not obsolete, most urgent first (by due date), then unscheduled ones by id."""
    items = [review_due(doc, last_reviews.get(doc.id), as_of, window_days)
             for doc in project.documents.values() if doc.status != "obsolete"]
    return sorted(items, key=lambda r: (STATUSES.index(r.status), r.due or dt.date.max, r.document.id))


def grouped(items: Iterable[ReviewDue]) -> dict[str, list[ReviewDue]]:
    """Status -> items, every status present as a key, in STATUSES order."""
    out: dict[str, list[ReviewDue]] = {s: [] for s in STATUSES}
    for item in items:
        out[item.status].append(item)
    return out


def review_problems(project: Project, as_of: dt.date, last_reviews: Mapping[str, LastReview | dt.date]) -> list[Problem]:
    """A problem for each effective document whose review is overdue on `as_of`.

    Warnings, or errors when the qms plugin's policy.overdue_review_is_error option is set; each at the
    document's `review_interval` line.
    """
    severity = "error" if project.settings.policy.overdue_review_is_error else "warning"
    problems = []
    for item in review_schedule(project, as_of, last_reviews):
        if item.status != "overdue" or item.last is None or item.due is None:
            continue
        doc = item.document
        late = -(item.days or 0)
        problems.append(Problem(
            doc.path, doc.line_of("review_interval"),
            f"review overdue: {doc.id} was last reviewed on {item.last.date.isoformat()} ({item.last.source}) and was "
            f"due on {item.due.isoformat()}, {late} day{'s' if late != 1 else ''} ago (review every "
            f"{doc.review_interval_months} months): review it, then issue a new revision or record the review "
            f"with 'qms review-done {doc.id}'",
            severity, code="review-overdue"))
    return problems


def overdue_problems(project: Project, as_of: dt.date, history: History | None = None) -> list[Problem]:
    """review_problems with the last reviews read from front matter, records and (when given) git."""
    return review_problems(project, as_of, last_reviews(project, history))


def schedule_json(items: Iterable[ReviewDue], as_of: dt.date) -> dict:
    """The schedule as JSON-ready data."""
    items = list(items)
    counts = {s: 0 for s in STATUSES}
    for item in items:
        counts[item.status] += 1
    return {"as_of": as_of.isoformat(), "due_soon_days": DUE_SOON_DAYS, "counts": counts,
            "documents": [i.as_json() for i in items]}


# ----------------------------------------------------------------------------------------------
# Recording a review that confirmed a document unchanged


def with_last_review(markdown: str, day: dt.date) -> str:
    """The document text with `last_review:` set to `day` in its front matter; every other byte kept."""
    return yamlio.set_front_matter_values(markdown, [(["last_review"], day.isoformat())])


def review_done_problem(doc: Document, day: dt.date, today: dt.date) -> Problem | None:
    """Why a review cannot be recorded for `doc` on `day`, or None when it can."""
    if doc.status != "effective":
        return Problem(doc.path, doc.line_of("status"),
                       f"{doc.id} is {doc.status}: only an effective document is reviewed (a draft is approved "
                       "with a new revision)", code="not-effective")
    if day > today:
        return Problem(doc.path, 0, f"review date {day.isoformat()} is in the future", code="future-date")
    current = as_date(doc.last_review)
    if current is not None and current > day:
        return Problem(doc.path, doc.line_of("last_review"),
                       f"{doc.id} already records a later review ({current.isoformat()})", code="later-review")
    return None
