"""What every report shares: where its pages live, links from one page (or plain text for the CLI), badges."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from qms.analysis import reviews as reviewsmod
from qms.model.catalogue import Clause
from qms.model.documents import Document
from qms.model.project import Project
from qms.render import formats, paths
from qms.render.pages import attribution, clause_name_md
from qms.render.writer import PLAIN, SITE, Markup, Writer

REPORTS_DIR = "reports"
TASKS_DIR = f"{REPORTS_DIR}/tasks"
HEADER = "---\nrender_macros: false\n---\n"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATUS_BADGE = {"covered": "ok", "partial": "warn", "gap": "bad", "not applicable": "info",
                "overdue": "bad", "due-soon": "warn", "later": "ok", "unscheduled": "info"}


def month_label(month: str) -> str:
    """'Jan 26' from '2026-01'."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    return f"{MONTHS[int(match.group(2)) - 1]} {match.group(1)[2:]}" if match else month


@dataclass(frozen=True)
class Links:
    """Writes one report: links from one page (`uri`, docs-relative) to the manual's pages, with the site's writer;
    plain text and portable Markdown without HTML (badges as words) when `uri` is None, for the CLI."""

    project: Project
    uri: str | None

    @property
    def w(self) -> Writer:
        return SITE if self.uri is not None else PLAIN

    def day(self, value: dt.date | str | None) -> str:
        """A date as the manual writes dates (its `date_format` and `locale`); "" for none."""
        return formats.day(self.project.settings, value)

    def to(self, target: str, label: object, title: object = None) -> Markup:
        if self.uri is None:
            return self.w.text(label)
        return self.w.link(label, paths.relative(target, self.uri), title)

    def doc(self, doc: Document, with_title: bool = True) -> Markup:
        return self.to(doc.src_uri, doc.label if with_title else doc.id)

    def doc_id(self, doc_id: str, with_title: bool = False) -> Markup:
        doc = self.project.documents.get(doc_id)
        return self.doc(doc, with_title) if doc else self.w.text(doc_id)

    def clause_name(self, clause: Clause) -> Markup:
        """ISO's title, or our label marked as ours (the standard gives some numbered items no title)."""
        if self.uri is not None:
            return clause_name_md(clause)
        if clause.title:
            return self.w.text(clause.title)
        return self.w.md("{} (label ours)", clause.label or "")

    def clause(self, clause: Clause, with_title: bool = False) -> Markup:
        standard = self.project.standards.get(clause.standard, self.project.standard)
        label = self.w.md("{} {}", clause.id, self.clause_name(clause)) if with_title else clause.id
        return self.to(paths.clause_page(standard, clause), label)

    def clause_id(self, clause_id: str, with_title: bool = False) -> Markup:
        clause = self.project.find_clause(clause_id)
        return self.clause(clause, with_title) if clause else self.w.text(clause_id)

    def record_type(self, type_id: str, label: str | None = None) -> Markup:
        rtype = self.project.record_types.get(type_id)
        shown = label or (rtype.title if rtype else type_id)
        return self.to(paths.record_type_page(type_id), shown) if rtype else self.w.text(shown)

    def role(self, role_id: str, pages: set[str] | None = None) -> Markup:
        title = self.project.organization.role_title(role_id)
        if pages is not None and role_id in pages:
            return self.to(role_page(role_id), title)
        return self.w.text(title)

    def badge(self, label: object, kind: str) -> Markup:
        return self.w.badge(label, kind)

    def status_badge(self, status: str) -> Markup:
        return self.badge(reviewsmod.STATUS_TEXT.get(status, status), STATUS_BADGE.get(status, "info"))


def role_page(role_id: str) -> str:
    return f"{TASKS_DIR}/{role_id}.md"


def role_calendar(role_id: str | None) -> str:
    return f"{TASKS_DIR}/{role_id or 'all'}-tasks.ics"


def report_page(body: str, project: Project) -> str:
    """A report's page: the header that keeps templates off it, the body, the attribution."""
    return HEADER + body + attribution(project)
