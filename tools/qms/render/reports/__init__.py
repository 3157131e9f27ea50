"""Report pages of the published manual, one module per report, and the Markdown the report commands print.

Pages (docs-relative paths, all under reports/): the gap analysis (`gap`), the document review schedule
(`schedule`, with the records that are due), certification readiness (`due`), the managers' task calendar with its .ics files (`tasks`), and the management review input pack
(`pack`); the audit checklist (`checklist`) is printed by the CLI only. Given no page path, each writes portable
Markdown without HTML (plain text where a page would link, badges as words).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from qms.model.project import Project
from qms.render.reports.checklist import checklist_markdown
from qms.render.reports.due import READINESS_PAGE, readiness_page
from qms.render.reports.gap import GAP_PAGE, gap_markdown, gap_page
from qms.render.reports.pack import PACK_PAGE, pack_markdown, pack_page
from qms.render.reports.schedule import SCHEDULE_PAGE, schedule_markdown, schedule_page
from qms.render.reports.tasks import (
    TASKS_INDEX,
    calendar_text,
    task_pages,
    tasks_markdown,
)

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History

__all__ = ["GAP_PAGE", "PACK_PAGE", "READINESS_PAGE", "SCHEDULE_PAGE", "TASKS_INDEX", "calendar_text", "checklist_markdown",
           "gap_markdown", "gap_page", "pack_markdown", "pack_page", "report_pages", "schedule_markdown",
           "schedule_page", "task_pages", "tasks_markdown"]


def report_pages(project: Project, today: dt.date, history: "History | None" = None) -> dict[str, str]:
    """Every report page (docs-relative path -> Markdown) and the task calendars (path -> .ics text)."""
    pages = {
        GAP_PAGE: gap_page(project, today, history),
        SCHEDULE_PAGE: schedule_page(project, today, history),
        PACK_PAGE: pack_page(project, today),
        READINESS_PAGE: readiness_page(project, today, history),
    }
    pages.update(task_pages(project, today, history))
    return pages
