"""The managers' task calendar: a combined page, a page per role, and an .ics file for each; `qms tasks`."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from qms.analysis import tasks as tasksmod
from qms.model.project import Project
from qms.render import paths
from qms.render.reports.common import (
    TASKS_DIR,
    Links,
    report_page,
    role_calendar,
    role_page,
)

TASKS_INDEX = f"{TASKS_DIR}/index.md"
FREQUENCY_TITLES = {"daily": "Every working day", "weekly": "Every week", "monthly": "Every month",
                    "quarterly": "Every quarter", "yearly": "Every year"}


def _when(item: tasksmod.ScheduledTask) -> str:
    """The schedule without the frequency words the section heading already says."""
    text_ = item.schedule.text
    for prefix in ("every month, on the ", "every year in ", "every "):
        if text_.startswith(prefix) and item.schedule.frequency != "quarterly":
            return text_[len(prefix):]
    return text_


def tasks_markdown(project: Project, items: Sequence[tasksmod.ScheduledTask], uri: str | None = None,
                   role: str | None = None, dues: Sequence = ()) -> str:
    """The calendar of every role (or of one), by frequency, each task linked to the document requiring it."""
    links = Links(project, uri)
    w = links.w
    roles = tasksmod.by_role(items)
    pages = set(roles)
    title = f"Tasks of the {project.organization.role_title(role)}" if role else "Managers' task calendar"
    out = [w.heading(1, title)]
    if role:
        r = project.organization.roles.get(role)
        if r and r.summary:
            out.append(w.paragraph(r.summary))
        out.append(w.paragraph("What this role does every day, week, month, quarter and year to keep the quality "
                               "system running, each task with the document that requires it."))
    else:
        out.append(w.paragraph("What each manager and role does every day, week, month, quarter and year to keep the "
                               "quality system running. Every task comes from the front matter of the document that "
                               "requires it, so this calendar changes when the documents do."))
    if uri is not None:
        out.append(w.md("{}{{ .md-button }}\n\n", w.link("Import into your calendar (.ics)",
                                                          paths.relative(role_calendar(role), uri))))
    if not role:
        out.append(w.heading(2, "By role"))
        rows = []
        for rid, tasks in sorted(roles.items(), key=lambda kv: project.organization.role_title(kv[0])):
            per = {f: sum(1 for t in tasks if t.schedule.frequency == f) for f in tasksmod.FREQUENCIES}
            rows.append([links.role(rid, pages), *[str(per[f]) if per[f] else "" for f in tasksmod.FREQUENCIES]])
        out.append(w.table(["Role", "Daily", "Weekly", "Monthly", "Quarterly", "Yearly"], rows, empty=""))
    for frequency, tasks in tasksmod.by_frequency(items).items():
        if not tasks:
            continue
        out.append(w.heading(2, FREQUENCY_TITLES[frequency]))
        head = [] if frequency == "daily" else ["When"]
        head += [] if role else ["Role"]
        rows = []
        for t in tasks:
            row: list[object] = [] if frequency == "daily" else [_when(t)]
            row += [] if role else [links.role(t.role, pages)]
            rows.append(row + [t.task.what, links.doc(t.document)])
        out.append(w.table([*head, "Task", "Required by"], rows))
    shown = [d for d in dues if d.days <= 90]
    if shown:
        from qms.render.reports.due import due_table

        out.append(w.heading(2, "Due dates"))
        out.append(w.md("Records and document reviews due within 90 days or overdue{} (in the calendar file too).\n\n",
                        " for this role" if role else ""))
        out.append(due_table(links, shown, level=3))
    if not items:
        out.append(w.paragraph("No document gives this role a recurring task.") if role else
                   w.md("No document declares recurring tasks yet: add {} to a document's front matter.\n\n",
                        w.code("tasks:")))
    return w.concat(*out)


def task_pages(project: Project, today: dt.date, history: object = None) -> dict[str, str]:
    """The combined calendar, a page per role with tasks, and an .ics file for each, with the due dates of records
    and document reviews (qms.analysis.due) owned by each role."""
    from qms.analysis import due as duemod

    items, _ = tasksmod.scheduled_tasks(project.documents.values())
    dues = duemod.due_items(project, today, history)  # type: ignore[arg-type]
    out = {TASKS_INDEX: report_page(tasks_markdown(project, items, TASKS_INDEX, dues=dues), project),
           role_calendar(None): calendar_text(project, items, today, dues)}
    for rid, tasks in tasksmod.by_role(items).items():
        mine = [d for d in dues if d.owner == rid]
        out[role_page(rid)] = report_page(tasks_markdown(project, tasks, role_page(rid), rid, mine), project)
        out[role_calendar(rid)] = calendar_text(project, tasks, today, mine)
    return out


def calendar_text(project: Project, items: Sequence[tasksmod.ScheduledTask], today: dt.date,
                  dues: Sequence = ()) -> str:
    """The .ics text of a set of tasks (and due dates), starting `today`, stamped at midnight UTC of `today`."""
    titles = {rid: r.title for rid, r in project.organization.roles.items()}
    stamp = dt.datetime.combine(today, dt.time(), dt.timezone.utc)
    return tasksmod.to_ical(items, project.organization.short_name, today, stamp, titles, dues=dues).decode("utf-8")
