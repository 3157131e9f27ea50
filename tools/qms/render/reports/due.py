"""What is due (`qms due`, the review schedule page's records section), who must be briefed (`qms training-due`),
and certification readiness (`qms readiness`, reports/readiness.md)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Sequence

from qms.analysis import due as duemod
from qms.analysis import readiness as readinessmod
from qms.analysis import training as trainingmod
from qms.model.project import Project
from qms.render.reports.common import REPORTS_DIR, STATUS_BADGE, Links, report_page
from qms.render.writer import Markup

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History

READINESS_PAGE = f"{REPORTS_DIR}/readiness.md"
HEADINGS = {"overdue": "Overdue", "due-soon": f"Due within {duemod.DUE_SOON_DAYS} days", "later": "Later"}


def _when(days: int) -> str:
    return f"{-days} days ago" if days < 0 else "today" if days == 0 else f"in {days} days"


def due_table(links: Links, items: Sequence[duemod.DueItem], level: int = 2) -> Markup:
    """Items grouped overdue / due soon / later, each with what, id, due date, owner and where it is kept."""
    w = links.w
    out = []
    for status, heading in HEADINGS.items():
        rows = [[i.kind, i.what, links.day(i.due),
                 links.badge(_when(i.days), STATUS_BADGE[status]) if status != "later" else _when(i.days),
                 links.role(i.owner) if i.owner else "", w.code(f"{i.path}:{i.line}") if i.path else ""]
                for i in items if i.status == status]
        if rows:
            out.append(w.heading(level, f"{heading} ({len(rows)})"))
            out.append(w.table(["Kind", "What", "Due", "When", "Owner", "Kept in"], rows))
    if not out:
        out.append(w.paragraph("Nothing is due."))
    return w.concat(*out)


def due_markdown(project: Project, items: Sequence[duemod.DueItem], as_of: dt.date, horizon_days: int,
                 uri: str | None = None) -> str:
    """The digest `qms due` prints: fit to post as the body of an issue from a scheduled CI job."""
    links = Links(project, uri)
    w = links.w
    shown = [i for i in items if i.days <= horizon_days]
    counts = {s: sum(1 for i in shown if i.status == s) for s in duemod.STATUSES}
    out = [w.heading(1, w.md("What is due on {}", links.day(as_of))),
           w.md("Document reviews, calibrations, corrective actions, training that expires, planned internal audits "
                "and the next management review, due within {} days or overdue. **{}** overdue · **{}** due within "
                "{} days · **{}** later.\n\n", horizon_days, counts["overdue"], counts["due-soon"],
                duemod.DUE_SOON_DAYS, counts["later"]),
           due_table(links, shown)]
    return w.concat(*out)


def training_markdown(project: Project, items: Sequence[trainingmod.Briefing], as_of: dt.date) -> str:
    links = Links(project, None)
    w = links.w
    by_doc: dict[str, list[trainingmod.Briefing]] = {}
    for b in items:
        by_doc.setdefault(b.document.id, []).append(b)
    out = [w.heading(1, w.md("Training due on {}", links.day(as_of))),
           w.md("People whose roles must know a document and who have no training record for its current revision "
                "yet: **{}** briefings on **{}** documents.\n\n", len(items), len(by_doc))]
    for doc_id, group in by_doc.items():
        doc = group[0].document
        out.append(w.heading(2, w.md("{} revision {}: {} to train", doc_id, doc.revision, len(group))))
        out.append(w.table(["Person", "Role", "Effective", "Waiting"],
                           [[b.person, links.role(b.role), links.day(b.since) if b.since else "",
                             f"{b.days_waiting(as_of)} days" if b.days_waiting(as_of) is not None else ""]
                            for b in group]))
    return w.concat(*out)


def readiness_markdown(project: Project, result: readinessmod.Readiness, uri: str | None = None) -> str:
    links = Links(project, uri)
    w = links.w
    out = [w.heading(1, "Certification readiness"),
           w.md("A stage-1 style checklist for {}, computed on {} from the documents and records in git. Each item "
                "shows what was looked at and what is still to do.\n\n", result.standard, links.day(result.as_of)),
           w.md("**{}** ({} of {} items done; {} % of the applicable clauses covered in the gap analysis.)\n\n",
                result.overall_text, sum(i.ok for i in result.items), len(result.items), f"{result.coverage:g}")]
    rows = [[i.title, links.badge("done", "ok") if i.ok else links.badge("to do", "bad"), i.verdict]
            for i in result.items]
    out.append(w.table(["Item", "Status", "Verdict"], rows))
    for i in result.items:
        out.append(w.heading(2, i.title))
        out.append(w.paragraph(i.verdict))
        if i.gaps:
            out.append(w.concat(*(w.md("- {}\n", g) for g in i.gaps), Markup("\n")))
        if i.evidence:
            out.append(w.md("Evidence looked at: {}\n\n", ", ".join(i.evidence)))
    return w.concat(*out)


def readiness_page(project: Project, today: dt.date, history: "History | None" = None) -> str:
    result = readinessmod.assess(project, today, history)
    return report_page(readiness_markdown(project, result, READINESS_PAGE), project)
