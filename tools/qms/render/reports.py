"""Report pages of the published manual, and the Markdown the report commands print.

Pages (docs-relative paths, all under reports/): the gap analysis, the document review schedule,
the managers' task calendar (a combined page and one page per role, each with an .ics file to
import), and the management review input pack. The same functions print Markdown for the CLI
(`qms gap`, `qms review-due`, ...); given no page path they write plain text where a page would link.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from qms.analysis import gap as gapmod
from qms.analysis import reviews as reviewsmod
from qms.analysis import tasks as tasksmod
from qms.analysis.auditprep import Checklist
from qms.analysis.reviewpack import Period, ReviewPack, compile_pack
from qms.model.catalogue import Clause
from qms.model.documents import Document
from qms.model.project import Project
from qms.render import charts, paths
from qms.render.pages import attribution, clause_name_md

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History

REPORTS_DIR = "reports"
GAP_PAGE = f"{REPORTS_DIR}/gap-analysis.md"
SCHEDULE_PAGE = f"{REPORTS_DIR}/review-schedule.md"
TASKS_DIR = f"{REPORTS_DIR}/tasks"
TASKS_INDEX = f"{TASKS_DIR}/index.md"
PACK_PAGE = f"{REPORTS_DIR}/management-review-pack.md"
HEADER = "---\nrender_macros: false\n---\n"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATUS_BADGE = {"covered": "ok", "partial": "warn", "gap": "bad", "not applicable": "info",
                "overdue": "bad", "due-soon": "warn", "later": "ok", "unscheduled": "info"}
FREQUENCY_TITLES = {"daily": "Every working day", "weekly": "Every week", "monthly": "Every month",
                    "quarterly": "Every quarter", "yearly": "Every year"}

# ----------------------------------------------------------------------------------------------
# Text and links

_ESCAPE = re.compile(r"([\\`*_{}\[\]|<>])")


def text(value: object) -> str:
    """A value as Markdown that renders literally (no markup, HTML or line breaks)."""
    s = " ".join(str(value).split()).replace("&", "&amp;")
    return _ESCAPE.sub(lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(1), "\\" + m.group(1)), s)


def badge(label: str, kind: str) -> str:
    """A coloured label; kind is ok, warn, bad or info (see assets/qms.css)."""
    return f'<span class="qms-badge qms-badge-{kind}">{text(label)}</span>'


def status_badge(status: str) -> str:
    return badge(reviewsmod.STATUS_TEXT.get(status, status), STATUS_BADGE.get(status, "info"))


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "—") -> str:
    rows = [list(r) for r in rows]
    if not rows:
        return "*None.*\n\n"
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell or empty for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n\n"


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def month_label(month: str) -> str:
    """'Jan 26' from '2026-01'."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    return f"{MONTHS[int(match.group(2)) - 1]} {match.group(1)[2:]}" if match else month


@dataclass(frozen=True)
class Links:
    """Links from one page (`uri`, docs-relative) to the manual's pages; plain text when `uri` is None."""

    project: Project
    uri: str | None

    def to(self, target: str, label: str, title: str = "") -> str:
        if self.uri is None:
            return label
        tip = f' "{title}"' if title else ""
        return f"[{label}]({paths.relative(target, self.uri)}{tip})"

    def doc(self, doc: Document, with_title: bool = True) -> str:
        return self.to(doc.src_uri, text(doc.label if with_title else doc.id))

    def doc_id(self, doc_id: str, with_title: bool = False) -> str:
        doc = self.project.documents.get(doc_id)
        return self.doc(doc, with_title) if doc else text(doc_id)

    def clause_name(self, clause: Clause) -> str:
        """ISO's title, or our label marked as ours (the standard gives some numbered items no title)."""
        if clause.title or self.uri is not None:
            return clause_name_md(clause)
        return f"{text(clause.label or '')} (label ours)"

    def clause(self, clause: Clause, with_title: bool = False) -> str:
        standard = self.project.standards.get(clause.standard, self.project.standard)
        label = f"{text(clause.id)} {self.clause_name(clause)}" if with_title else text(clause.id)
        return self.to(paths.clause_page(standard, clause), label)

    def clause_id(self, clause_id: str, with_title: bool = False) -> str:
        clause = self.project.find_clause(clause_id)
        return self.clause(clause, with_title) if clause else text(clause_id)

    def record_type(self, type_id: str, label: str | None = None) -> str:
        rtype = self.project.record_types.get(type_id)
        shown = text(label or (rtype.title if rtype else type_id))
        return self.to(paths.record_type_page(type_id), shown) if rtype else shown

    def role(self, role_id: str, pages: set[str] | None = None) -> str:
        title = text(self.project.organization.role_title(role_id))
        if pages is not None and role_id in pages:
            return self.to(role_page(role_id), title)
        return title


def role_page(role_id: str) -> str:
    return f"{TASKS_DIR}/{role_id}.md"


def role_calendar(role_id: str | None) -> str:
    return f"{TASKS_DIR}/{role_id or 'all'}-tasks.ics"


def _page(body: str, project: Project) -> str:
    return HEADER + body + attribution(project)


# ----------------------------------------------------------------------------------------------
# Gap analysis


def gap_markdown(project: Project, analysis: gapmod.GapAnalysis, as_of: dt.date, uri: str | None = None) -> str:
    """The gap analysis: summary figures per clause group, then the detail of every clause."""
    links = Links(project, uri)
    std = analysis.standard
    counts = analysis.counts
    out = [f"# Gap analysis against {text(std.short)}\n\n"]
    out.append(
        f"Every clause of {text(std.short)} that holds requirements, compared with this quality system on "
        f"{as_of.isoformat()}: the documents that address it, the documented information the standard requires "
        "there (a document to maintain, records to retain) and whether it exists, and the clauses the scope declares "
        "not applicable. **Covered**: an effective document addresses the clause and the information it requires "
        "exists. **Partial**: something is missing, such as a required record type without records yet. **Gap**: "
        "nothing addresses the clause yet.\n\n")
    if analysis.assessment is not None:
        a = analysis.assessment
        when = f" on {a.date.isoformat()}" if a.date else ""
        updated = f", brought up to date on {a.updated.isoformat()}" if a.updated else ""
        out.append(f"The organization's own assessment ({text(a.path)}, by {text(a.assessed_by)}{when}{updated}) is "
                   "taken into account: where it finds current practice weaker than the documents, its status "
                   "counts until its action is closed.\n\n")
    out.append("## Summary\n\n")
    out.append(f"**{analysis.coverage:g} %** of the applicable clauses are covered: {counts['covered']} covered, "
               f"{counts['partial']} partial, {counts['gap']} gap{'s' if counts['gap'] != 1 else ''}, "
               f"{counts['not applicable']} not applicable. A partial clause counts as not covered.\n\n")
    groups = analysis.groups()
    if uri is not None and groups:
        rows = [(f"{g.clause.id} {g.clause.name}", [g.counts[s] for s in gapmod.STATUSES]) for g in groups]
        svg = charts.stacked_bar_chart(
            "gap-summary", f"Clause status per clause group of {std.short}",
            "; ".join(f"{label}: " + ", ".join(f"{n} {s}" for s, n in zip(gapmod.STATUSES, values) if n)
                      for label, values in rows),
            rows, gapmod.STATUSES, [charts.STATUS_COLOURS[s] for s in gapmod.STATUSES], "number of clauses")
        out.append(charts.figure(svg, "Clauses by status in each clause group"))
    out.append(table(["Clause group", "Covered", "Partial", "Gap", "Not applicable", "Coverage"],
                     [[links.clause(g.clause, True), str(g.counts["covered"]), str(g.counts["partial"]),
                       str(g.counts["gap"]), str(g.counts["not applicable"]), f"{g.coverage:g} %"] for g in groups]))
    open_actions = analysis.open_actions()
    if analysis.assessment is not None:
        out.append("## Actions from the assessment\n\n")
        rows = []
        for row in [c for c in analysis.clauses if c.assessment and c.assessment.action]:
            a = row.assessment
            assert a is not None
            if a.closed:
                state = badge(f"closed {a.closed.isoformat()}", "ok")
            elif a.overdue(as_of):
                state = badge("overdue", "bad")
            else:
                state = badge("open", "warn")
            rows.append([links.clause(row.clause), text(a.action or ""), links.role(a.owner or ""),
                         day(a.target), state])
        out.append(f"{len(open_actions)} open of {len(rows)}.\n\n")
        out.append(table(["Clause", "Action", "Owner", "Target", "Status"], rows))
    na_rows = [c for c in analysis.clauses if c.not_applicable and c.clause.id in project.not_applicable]
    if na_rows:
        out.append("## Clauses not applicable\n\n")
        out.append(table(["Clause", "Justification", "Declared in"],
                         [[links.clause(c.clause, True), text(c.not_applicable[1]), links.doc(c.not_applicable[0], False)]
                          for c in na_rows if c.not_applicable]))
    out.append("## Detail\n\n")
    for group in groups:
        out.append(f"### {text(group.clause.id)} {text(group.clause.name)}\n\n")
        rows = []
        for row in [c for c in analysis.clauses if c.clause.top == group.clause.id]:
            rows.append([links.clause(row.clause), links.clause_name(row.clause), status_badge(row.status),
                         ", ".join(links.doc(d, False) for d in row.documents),
                         "<br>".join(_information(links, i) for i in row.information),
                         "<br>".join(text(r) for r in row.reasons)])
        out.append(table(["Clause", "Title", "Status", "Documents", "Required information", "Notes"], rows))
    if uri is not None:
        out.append(f"† {text(std.short)} gives these numbered items no title; the label in italics is ours.\n\n")
    assessed = [c for c in analysis.clauses if c.assessment]
    if assessed:
        out.append("## The organization's assessment\n\n")
        for row in assessed:
            a = row.assessment
            assert a is not None
            out.append(f"**{links.clause(row.clause, True)}** {status_badge(row.status)}\n\n")
            facts = [("Current practice", text(a.practice))]
            if a.status:
                facts.append(("Assessed as", text(a.status)))
            if a.evidence:
                facts.append(("Evidence", text(a.evidence)))
            if a.action:
                facts.append(("Action", text(a.action) + (f" ({links.role(a.owner)})" if a.owner else "")))
            if a.target:
                facts.append(("Target", a.target.isoformat() + (" " + badge("overdue", "bad") if a.overdue(as_of) else "")))
            if a.closed:
                facts.append(("Closed", a.closed.isoformat() + (f": {text(a.closure)}" if a.closure else "")))
            out.append("".join(f"- {k}: {v}\n" for k, v in facts) + "\n")
    return "".join(out)


def _information(links: Links, info: gapmod.InformationStatus) -> str:
    verb = "Maintain" if info.item.kind == "maintain" else "Retain"
    mark = {gapmod.EXISTS: "✓", gapmod.NO_RECORDS: "✗", gapmod.MISSING: "✗", gapmod.NOT_APPLICABLE: "n/a"}[info.state]
    where = ""
    if info.record_types:
        where = ": " + ", ".join(f"{links.record_type(t)} ({n} record{'s' if n != 1 else ''})" for t, n in info.record_types)
    elif info.documents:
        where = ": " + ", ".join(links.doc_id(d) for d in info.documents)
    elif info.state == gapmod.MISSING:
        where = ": none"
    return f"{mark} {verb} {text(info.item.clause)}{where}"


def gap_page(project: Project, today: dt.date) -> str:
    return _page(gap_markdown(project, gapmod.analyse(project), today, GAP_PAGE), project)


# ----------------------------------------------------------------------------------------------
# Review schedule


def schedule_markdown(project: Project, items: Sequence[reviewsmod.ReviewDue], as_of: dt.date,
                      uri: str | None = None) -> str:
    """Documents by review status: overdue, due within 30 days, later, not scheduled."""
    links = Links(project, uri)
    groups = reviewsmod.grouped(items)
    out = ["# Document review schedule\n\n",
           f"Every controlled document is reviewed at the interval its front matter sets, to confirm it is still "
           f"suitable. As of {as_of.isoformat()}. The last review is the latest of: the last approved change in git, "
           "a review that confirmed the document unchanged (recorded with `qms review-done`), and the date the "
           "current revision became effective; failing these, the date the document was first committed.\n\n",
           f"**{len(groups['overdue'])}** overdue · **{len(groups['due-soon'])}** due within "
           f"{reviewsmod.DUE_SOON_DAYS} days · **{len(groups['later'])}** later · "
           f"**{len(groups['unscheduled'])}** not scheduled\n\n"]
    headings = {"overdue": "Overdue", "due-soon": f"Due within {reviewsmod.DUE_SOON_DAYS} days", "later": "Later"}
    for status, heading in headings.items():
        out.append(f"## {heading}\n\n")
        rows = []
        for item in groups[status]:
            last = item.last
            when = ("" if item.days is None else f"{-item.days} days ago" if item.days < 0 else
                    "today" if item.days == 0 else f"in {item.days} days")
            rows.append([links.doc(item.document), links.role(item.document.owner),
                         f"{item.document.review_interval_months} months", day(last.date) if last else "",
                         text(f"{last.source}" + (f" ({last.detail})" if last and last.detail else "")) if last else "",
                         day(item.due), (badge(when, STATUS_BADGE[status]) if status != "later" else when)])
        out.append(table(["Document", "Owner", "Interval", "Last review", "Evidence", "Due", "When"], rows))
    if groups["unscheduled"]:
        out.append("## Not scheduled\n\n")
        out.append(table(["Document", "Status", "Why"],
                         [[links.doc(i.document), text(i.document.status), text(i.reason)] for i in groups["unscheduled"]]))
    out.append("To record a review that found a document still suitable without changing it, run "
               "`qms review-done DOC-ID` and commit the change with an `Approved-by:` trailer.\n")
    return "".join(out)


def schedule_page(project: Project, today: dt.date, history: History | None) -> str:
    items = reviewsmod.review_schedule(project, today, reviewsmod.last_reviews(project, history))
    return _page(schedule_markdown(project, items, today, SCHEDULE_PAGE), project)


# ----------------------------------------------------------------------------------------------
# Task calendar


def _when(item: tasksmod.ScheduledTask) -> str:
    """The schedule without the frequency words the section heading already says."""
    text_ = item.schedule.text
    for prefix in ("every month, on the ", "every year in ", "every "):
        if text_.startswith(prefix) and item.schedule.frequency != "quarterly":
            return text_[len(prefix):]
    return text_


def tasks_markdown(project: Project, items: Sequence[tasksmod.ScheduledTask], uri: str | None = None,
                   role: str | None = None) -> str:
    """The calendar of every role (or of one), by frequency, each task linked to the document requiring it."""
    links = Links(project, uri)
    roles = tasksmod.by_role(items)
    pages = set(roles)
    title = f"Tasks of the {project.organization.role_title(role)}" if role else "Managers' task calendar"
    out = [f"# {text(title)}\n\n"]
    if role:
        r = project.organization.roles.get(role)
        if r and r.summary:
            out.append(f"{text(r.summary)}\n\n")
        out.append("What this role does every day, week, month, quarter and year to keep the quality system "
                   "running, each task with the document that requires it.\n\n")
    else:
        out.append("What each manager and role does every day, week, month, quarter and year to keep the quality "
                   "system running. Every task comes from the front matter of the document that requires it, so "
                   "this calendar changes when the documents do.\n\n")
    if uri is not None:
        out.append(f"[Import into your calendar (.ics)]({paths.relative(role_calendar(role), uri)}){{ .md-button }}\n\n")
    if not role:
        out.append("## By role\n\n")
        rows = []
        for rid, tasks in sorted(roles.items(), key=lambda kv: project.organization.role_title(kv[0])):
            per = {f: sum(1 for t in tasks if t.schedule.frequency == f) for f in tasksmod.FREQUENCIES}
            rows.append([links.role(rid, pages), *[str(per[f]) if per[f] else "" for f in tasksmod.FREQUENCIES]])
        out.append(table(["Role", "Daily", "Weekly", "Monthly", "Quarterly", "Yearly"], rows, empty=""))
    for frequency, tasks in tasksmod.by_frequency(items).items():
        if not tasks:
            continue
        out.append(f"## {FREQUENCY_TITLES[frequency]}\n\n")
        head = [] if frequency == "daily" else ["When"]
        head += [] if role else ["Role"]
        rows = []
        for t in tasks:
            row = [] if frequency == "daily" else [text(_when(t))]
            row += [] if role else [links.role(t.role, pages)]
            rows.append(row + [text(t.task.what), links.doc(t.document)])
        out.append(table([*head, "Task", "Required by"], rows))
    if not items:
        out.append("No document gives this role a recurring task.\n\n" if role else
                   "No document declares recurring tasks yet: add `tasks:` to a document's front matter.\n\n")
    return "".join(out)


def task_pages(project: Project, today: dt.date) -> dict[str, str]:
    """The combined calendar, a page per role with tasks, and an .ics file for each."""
    items, _ = tasksmod.scheduled_tasks(project.documents.values())
    out = {TASKS_INDEX: _page(tasks_markdown(project, items, TASKS_INDEX), project),
           role_calendar(None): calendar_text(project, items, today)}
    for rid, tasks in tasksmod.by_role(items).items():
        out[role_page(rid)] = _page(tasks_markdown(project, tasks, role_page(rid), rid), project)
        out[role_calendar(rid)] = calendar_text(project, tasks, today)
    return out


def calendar_text(project: Project, items: Sequence[tasksmod.ScheduledTask], today: dt.date) -> str:
    """The .ics text of a set of tasks, starting `today`, stamped at midnight UTC of `today`."""
    titles = {rid: r.title for rid, r in project.organization.roles.items()}
    stamp = dt.datetime.combine(today, dt.time(), dt.timezone.utc)
    return tasksmod.to_ical(items, project.organization.short_name, today, stamp, titles).decode("utf-8")


# ----------------------------------------------------------------------------------------------
# Audit checklist (CLI only)


def checklist_markdown(project: Project, cl: Checklist) -> str:
    """The audit checklist as Markdown with check boxes."""
    links = Links(project, None)
    out = [f"# Internal audit checklist: {text(cl.scope)}\n\n", f"Prepared {cl.as_of.isoformat()} from the quality "
           "system in git. Tick each item when the evidence has been seen.\n\n", "## Clauses in scope\n\n"]
    for clause in cl.clauses:
        docs = [d.id for d in project.documents_by_clause.get(clause.id, []) if d.status != "obsolete"]
        where = f" as described in {', '.join(docs)}" if docs else " (no document addresses it: ask how it is done)"
        out.append(f"- [ ] {text(clause.id)} {links.clause_name(clause)}: the practice seen matches the "
                   f"requirement{where}\n")
        for item in project.standard.documented_information:
            if item.clause_id == clause.id:
                verb = "documented information is maintained" if item.kind == "maintain" else "records are retained"
                out.append(f"    - [ ] {verb} ({text(item.clause)}): {text(item.what)}\n")
    out.append("\n## Documents and current revisions\n\n")
    out.append(table(["Document", "Revision", "Status", "Owner", "Last change", "Working copy"],
                     [[text(r.document.label), text(r.document.revision), text(r.document.status),
                       text(project.organization.role_title(r.document.owner)),
                       f"{r.last_changed} ({r.commit})" if r.last_changed else "",
                       "uncommitted changes" if r.uncommitted else "as committed"] for r in cl.documents]))
    out.append("## Records to sample\n\n")
    if cl.records:
        for r in cl.records:
            sample = ", ".join(f"{i} ({d})" if d else i for i, d in r.sample) or "no records yet"
            out.append(f"- [ ] {text(r.title)} (`{r.type_id}`, clauses {', '.join(r.clauses)}; {r.total} "
                       f"record{'s' if r.total != 1 else ''}): {text(sample)}\n")
        out.append("\n")
    else:
        out.append("*No record type is kept for these clauses.*\n\n")
    out.append("## Open findings from earlier audits\n\n")
    out.append(table(["Report", "Finding", "Severity", "Clause", "Description", "Corrective action"],
                     [[f.report, f.id, f.severity, f.clause, text(f.description),
                       f"{f.corrective_action} ({f.action_status or 'no record'})" if f.corrective_action else "none"]
                      for f in cl.open_findings]))
    if cl.recent_observations:
        out.append("## Observations and opportunities in the last 12 months\n\n")
        out.append(table(["Report", "Finding", "Severity", "Clause", "Description"],
                         [[f.report, f.id, f.severity, f.clause, text(f.description)] for f in cl.recent_observations]))
    out.append("## Open corrective actions\n\n")
    out.append(table(["Action", "Opened", "Due", "Source", "Nonconformity", "Clauses"],
                     [[ca.id + (" **overdue**" if ca.overdue(cl.as_of) else ""), day(ca.opened), day(ca.due),
                       text(ca.source + (f" {ca.source_record}" if ca.source_record else "")), text(ca.nonconformity),
                       ", ".join(ca.clauses)] for ca in cl.corrective_actions]))
    if cl.past_audits:
        out.append("## Earlier audits of this scope\n\n")
        out.append(table(["Report", "Date", "Process", "Findings", "Summary"],
                         [[a.id, day(a.date), a.process, str(a.findings), text(a.summary)] for a in cl.past_audits]))
    return "".join(out)


# ----------------------------------------------------------------------------------------------
# Management review pack


def pack_markdown(project: Project, pack: ReviewPack, uri: str | None = None) -> str:
    """The management review input pack, with charts on a page."""
    links = Links(project, uri)
    p = pack.period
    clause = project.standard.get("9.3.2")
    ref = links.clause(clause, True) if clause else "management review inputs"
    out = ["# Management review input pack\n\n",
           f"The inputs to the next management review ({ref}) for **{p.start.isoformat()} to {p.end.isoformat()}**, "
           f"compiled on {pack.as_of.isoformat()} from the records in git. Each section names the records it is "
           "computed from; the registers hold the detail.\n\n"]
    if pack.missing:
        out.append("Not kept in this quality system, so not in this pack: "
                   + ", ".join(f"`{t}`" for t in pack.missing) + ".\n\n")
    out.append(_pack_actions(links, pack))
    out.append(_pack_audits(links, pack))
    out.append(_pack_nonconformities(links, pack, uri is not None))
    out.append(_pack_monitoring(links, pack, uri is not None))
    out.append(_pack_objectives(links, pack, uri is not None))
    out.append(_pack_suppliers(links, pack))
    out.append(_pack_notes(pack.resources, "Adequacy of resources",
                           "No management review in the period recorded an input or decision on resources."))
    out.append(_pack_notes(pack.improvements, "Opportunities for improvement",
                           "No opportunity for improvement was recorded in the period."))
    return "".join(out)


def _pack_actions(links: Links, pack: ReviewPack) -> str:
    c = pack.action_counts
    out = ["## Actions from previous management reviews\n\n"]
    if not pack.reviews:
        return out[0] + "No earlier management review is recorded.\n\n"
    out.append(f"From {', '.join(r.id for r in pack.reviews)}: **{c['total']}** actions, {c['done']} done, "
               f"{c['open']} open, {c['overdue']} overdue on {pack.as_of.isoformat()}.\n\n")
    rows = []
    for a in pack.actions:
        state = (badge("done", "ok") + (f" {a.done.isoformat()}" if a.done else "") if a.status == "done"
                 else badge("overdue", "bad") if a.overdue else badge("open", "warn"))
        rows.append([text(a.review), text(a.what), links.role(a.owner), day(a.due), state])
    return "".join(out) + table(["Review", "Action", "Owner", "Due", "Status"], rows)


def _pack_audits(links: Links, pack: ReviewPack) -> str:
    au = pack.audits
    sev = au.findings_by_severity
    total = sum(au.planned.values())
    out = ["## Internal audit results\n\n"]
    if total:
        out.append(f"**{total}** audits planned in the period: " + ", ".join(f"{n} {s}" for s, n in au.planned.items() if n)
                   + ".\n\n")
    others = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in sev.items() if s not in ("major", "minor"))
    out.append(f"**{len(au.reports)}** audit reports issued, with {sev.get('major', 0)} major and "
               f"{sev.get('minor', 0)} minor nonconformities" + (f", {others}" if others else "") + ".\n\n")
    rows = [[text(r.id), day(r.date), links.doc_id(str(r.data.get("process", ""))),
             ", ".join(links.clause_id(str(c)) for c in r.data.get("clauses") or []),
             str(len(r.data.get("findings") or [])), text(r.data.get("summary", ""))] for r in au.reports]
    out.append(table(["Report", "Date", "Process", "Clauses", "Findings", "Conclusion"], rows))
    nonconformities = [f for f in au.findings if f.is_nonconformity]
    if nonconformities:
        out.append(table(["Finding", "Severity", "Clause", "Corrective action", "Action status"],
                         [[text(f"{f.report} {f.id}"), text(f.severity), links.clause_id(f.clause),
                           text(f.corrective_action or "none"), text(f.action_status or "")] for f in nonconformities]))
    return "".join(out)


def _pack_nonconformities(links: Links, pack: ReviewPack, with_charts: bool) -> str:
    nc = pack.nonconformities
    ca = pack.corrective
    out = ["## Nonconformities and corrective actions\n\n",
           f"**{nc.total}** nonconforming outputs ({nc.parts} parts, cost £{nc.cost:,.2f}), {nc.open} still open. "
           + (f"By where found: {', '.join(f'{k} {v}' for k, v in nc.by('detected_at').items())}. " if nc.total else "")
           + "\n\n"]
    if with_charts and nc.per_month:
        labels = [month_label(m) for m, _ in nc.per_month]
        values = [float(n) for _, n in nc.per_month]
        svg = charts.bar_chart("ncr-per-month", "Nonconforming outputs per month",
                               "; ".join(f"{lab}: {int(v)}" for lab, v in zip(labels, values)),
                               labels, values, "month found", "NCRs")
        out.append(charts.figure(svg, "Nonconforming outputs per month (from the nonconforming-output records)"))
    out.append(f"Corrective actions: **{len(ca.opened)}** opened and **{len(ca.closed)}** closed in the period "
               f"({ca.verified} verified effective); **{len(ca.open_at_end)}** open at the end of the period, "
               f"**{len(ca.overdue)}** overdue on {pack.as_of.isoformat()}.\n\n")
    out.append(table(["Action", "Opened", "Due", "Source", "Nonconformity", "Status"],
                     [[text(c.id), day(c.opened), day(c.due), text(c.source), text(c.nonconformity),
                       badge("overdue", "bad") if c in ca.overdue else badge(c.status if c.is_open else
                                                                             f"closed {day(c.closed)}", "warn")]
                      for c in ca.open_at_end]))
    return "".join(out)


def _pack_monitoring(links: Links, pack: ReviewPack, with_charts: bool) -> str:
    out = ["## Monitoring and measurement results\n\n"]
    if not pack.monitoring:
        return out[0] + "No monitoring results are recorded for the period.\n\n"
    out.append(f"{len(pack.monitoring)} monthly results ({pack.monitoring[0].id} to {pack.monitoring[-1].id}).\n\n")
    if pack.satisfaction:
        sat = pack.satisfaction
        scale = sat[-1].scale
        out.append(f"Customer satisfaction: latest **{charts.fmt(sat[-1].score)}** ({text(scale)}, "
                   f"{text(sat[-1].source)}, {month_label(sat[-1].month)}).\n\n")
        if with_charts and len(sat) > 1:
            labels = [month_label(s.month) for s in sat]
            svg = charts.line_chart("customer-satisfaction", "Customer satisfaction",
                                    "; ".join(f"{lab}: {charts.fmt(s.score)}" for lab, s in zip(labels, sat)),
                                    labels, [s.score for s in sat], "month", scale)
            out.append(charts.figure(svg, f"Customer satisfaction ({scale})"))
    latest = pack.monitoring[-1]
    if latest.data.get("analysis"):
        out.append(f"Latest analysis ({latest.id}): {text(latest.data['analysis'])}\n\n")
    return "".join(out)


def _pack_objectives(links: Links, pack: ReviewPack, with_charts: bool) -> str:
    out = ["## Quality objectives against targets\n\n"]
    if not pack.objectives:
        return out[0] + "No measurements against quality objectives are recorded for the period.\n\n"
    rows = []
    for o in pack.objectives:
        sign = "≥" if o.direction == "at-least" else "≤"
        met = badge("met", "ok") if o.met else badge("not met", "bad")
        rows.append([text(o.id), f"{charts.fmt(o.latest or 0)} {text(o.unit)}", f"{sign} {charts.fmt(o.target)} {text(o.unit)}",
                     met, f"{o.months_met} of {len(o.points)}"])
    out.append(table(["Objective", "Latest", "Target", "Latest month", "Months on target"], rows))
    if with_charts:
        months = sorted({m for o in pack.objectives for m, _ in o.points})
        for o in pack.objectives:
            values = dict(o.points)
            labels = [month_label(m) for m in months]
            series = [values.get(m) for m in months]
            sign = "at least" if o.direction == "at-least" else "at most"
            desc = (f"{o.id} by month against a target of {sign} {charts.fmt(o.target)} {o.unit}: "
                    + "; ".join(f"{lab}: {charts.fmt(v)}" for lab, v in zip(labels, series) if v is not None))
            svg = charts.line_chart(f"objective-{o.id}", f"{o.id} over time", desc, labels, series, "month",
                                    o.unit or "value", target=o.target)
            out.append(charts.figure(svg, f"{o.id}: monthly result (line) against the target (dashed, {sign} "
                                          f"{charts.fmt(o.target)} {o.unit})"))
    return "".join(out)


def _pack_suppliers(links: Links, pack: ReviewPack) -> str:
    out = ["## Performance of external providers\n\n"]
    if not pack.suppliers:
        return out[0] + "No supplier was evaluated in the period.\n\n"
    grades = pack.grade_counts
    out.append(f"{len(pack.suppliers)} suppliers evaluated: " + ", ".join(f"{n} grade {g}" for g, n in grades.items() if n)
               + ".\n\n")
    kinds = {"A": "ok", "B": "ok", "C": "warn", "D": "bad"}
    out.append(table(["Supplier", "Supplies", "Evaluation", "Quality", "Delivery", "Grade", "Decision"],
                     [[text(s.supplier), text(s.supplies), text(f"{s.evaluation} ({day(s.date)})"),
                       charts.fmt(s.scores["quality"]) if "quality" in s.scores else "",
                       charts.fmt(s.scores["delivery"]) if "delivery" in s.scores else "",
                       badge(s.grade, kinds.get(s.grade, "info")), text(s.decision)] for s in pack.suppliers]))
    return "".join(out)


def _pack_notes(notes: Sequence, heading: str, empty: str) -> str:
    out = [f"## {heading}\n\n"]
    if not notes:
        return out[0] + empty + "\n\n"
    out.append(table(["Source", "Date", "Kind", "Recorded"],
                     [[text(n.source), day(n.date), text(n.kind), text(n.text)] for n in notes]))
    return "".join(out)


def pack_page(project: Project, today: dt.date) -> str:
    pack = compile_pack(project, Period.year_to(today), today)
    return _page(pack_markdown(project, pack, PACK_PAGE), project)


# ----------------------------------------------------------------------------------------------
# All report pages


def report_pages(project: Project, today: dt.date, history: History | None = None) -> dict[str, str]:
    """Every report page (docs-relative path -> Markdown) and the task calendars (path -> .ics text)."""
    pages = {
        GAP_PAGE: gap_page(project, today),
        SCHEDULE_PAGE: schedule_page(project, today, history),
        PACK_PAGE: pack_page(project, today),
    }
    pages.update(task_pages(project, today))
    return pages
