"""The document review schedule page (reports/review-schedule.md) and `qms review-due`'s Markdown."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Sequence

from qms.analysis import due as duemod
from qms.analysis import reviews as reviewsmod
from qms.model.project import Project
from qms.render.reports.common import REPORTS_DIR, STATUS_BADGE, Links, report_page

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History

SCHEDULE_PAGE = f"{REPORTS_DIR}/review-schedule.md"


def schedule_markdown(project: Project, items: Sequence[reviewsmod.ReviewDue], as_of: dt.date,
                      uri: str | None = None, records: Sequence[duemod.DueItem] | None = None) -> str:
    """Documents by review status: overdue, due within 30 days, later, not scheduled."""
    links = Links(project, uri)
    w = links.w
    groups = reviewsmod.grouped(items)
    out = [w.heading(1, "Document review schedule"),
           w.md("Every controlled document is reviewed at the interval its front matter sets, to confirm it is still "
                "suitable. As of {}. The last review is the latest of: the last approved change in git, a review that "
                "confirmed the document unchanged (recorded with {}), and the date the current revision became "
                "effective; failing these, the date the document was first committed.\n\n", links.day(as_of),
                w.code("qms review-done")),
           w.md("**{}** overdue · **{}** due within {} days · **{}** later · **{}** not scheduled\n\n",
                len(groups["overdue"]), len(groups["due-soon"]), reviewsmod.DUE_SOON_DAYS, len(groups["later"]),
                len(groups["unscheduled"]))]
    headings = {"overdue": "Overdue", "due-soon": f"Due within {reviewsmod.DUE_SOON_DAYS} days", "later": "Later"}
    for status, heading in headings.items():
        out.append(w.heading(2, heading))
        rows = []
        for item in groups[status]:
            last = item.last
            when = ("" if item.days is None else f"{-item.days} days ago" if item.days < 0 else
                    "today" if item.days == 0 else f"in {item.days} days")
            rows.append([links.doc(item.document), links.role(item.document.owner),
                         f"{item.document.review_interval_months} months", links.day(last.date) if last else "",
                         f"{last.source}" + (f" ({last.detail})" if last.detail else "") if last else "",
                         links.day(item.due), links.badge(when, STATUS_BADGE[status]) if status != "later" else when])
        out.append(w.table(["Document", "Owner", "Interval", "Last review", "Evidence", "Due", "When"], rows))
    if groups["unscheduled"]:
        out.append(w.heading(2, "Not scheduled"))
        out.append(w.table(["Document", "Status", "Why"],
                           [[links.doc(i.document), i.document.status, i.reason] for i in groups["unscheduled"]]))
    out.append(w.md("To record a review that found a document still suitable without changing it, run {} and commit "
                    "the change with an {} trailer.\n\n", w.code("qms review-done DOC-ID"), w.code("Approved-by:")))
    if records is not None:
        from qms.render.reports.due import due_table

        out.append(w.heading(2, "Records due"))
        out.append(w.md("Calibrations, corrective actions, training that expires, planned internal audits and the next "
                        "management review ({} lists them with the document reviews).\n\n", w.code("qms due")))
        out.append(due_table(links, records, level=3))
    return w.concat(*out)


def schedule_page(project: Project, today: dt.date, history: "History | None") -> str:
    items = reviewsmod.review_schedule(project, today, reviewsmod.last_reviews(project, history))
    records = duemod.due_items(project, today, history, documents=False)
    return report_page(schedule_markdown(project, items, today, SCHEDULE_PAGE, records), project)
