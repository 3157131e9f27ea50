"""The gap analysis page (reports/gap-analysis.md) and `qms gap`'s Markdown."""

from __future__ import annotations

import datetime as dt

from qms.analysis import gap as gapmod
from qms.model.project import Project
from qms.render import charts
from qms.render.reports.common import REPORTS_DIR, Links, report_page
from qms.render.writer import Markup

GAP_PAGE = f"{REPORTS_DIR}/gap-analysis.md"


def gap_markdown(project: Project, analysis: gapmod.GapAnalysis, as_of: dt.date, uri: str | None = None) -> str:
    """The gap analysis: summary figures per clause group, then the detail of every clause."""
    links = Links(project, uri)
    w = links.w
    std = analysis.standard
    counts = analysis.counts
    out = [w.heading(1, w.md("Gap analysis against {}", std.short)),
           w.md("Every clause of {} that holds requirements, compared with this quality system on {}: the documents "
                "that address it, the documented information the standard requires there (a document to maintain, "
                "records to retain) and whether it exists, and the clauses the scope declares not applicable. "
                "**Covered**: an effective document with real text (not a placeholder) addresses the clause, the "
                "information it requires is on file as the rules ask, and no check of the rules lowers it (open "
                "major findings, overdue reviews, calibrations or corrective actions, stale training, an incomplete "
                "audit programme or management review). **Partial**: something is missing; the reasons say what, "
                "with the ids of the evidence. **Gap**: nothing addresses the clause yet.\n\n", std.short,
                links.day(as_of))]
    if analysis.assessment is not None:
        a = analysis.assessment
        when = f" on {links.day(a.date)}" if a.date else ""
        updated = f", brought up to date on {links.day(a.updated)}" if a.updated else ""
        out.append(w.md("The organization's own assessment ({}, by {}{}{}) is taken into account: where it finds "
                        "current practice weaker than the documents, its status counts until its action is "
                        "closed.\n\n", a.path, a.assessed_by, when, updated))
    out.append(w.heading(2, "Summary"))
    out.append(w.md("**{} %** of the applicable clauses are covered: {} covered, {} partial, {} gap{}, {} not "
                    "applicable. A partial clause counts as not covered.\n\n", f"{analysis.coverage:g}",
                    counts["covered"], counts["partial"], counts["gap"], "s" if counts["gap"] != 1 else "",
                    counts["not applicable"]))
    groups = analysis.groups()
    if uri is not None and groups:
        rows = [(f"{g.clause.id} {g.clause.name}", [g.counts[s] for s in gapmod.STATUSES]) for g in groups]
        svg = charts.stacked_bar_chart(
            "gap-summary", f"Clause status per clause group of {std.short}",
            "; ".join(f"{label}: " + ", ".join(f"{n} {s}" for s, n in zip(gapmod.STATUSES, values) if n)
                      for label, values in rows),
            rows, gapmod.STATUSES, [charts.STATUS_COLOURS[s] for s in gapmod.STATUSES], "number of clauses")
        out.append(charts.figure(svg, "Clauses by status in each clause group"))
    out.append(w.table(["Clause group", "Covered", "Partial", "Gap", "Not applicable", "Coverage"],
                       [[links.clause(g.clause, True), g.counts["covered"], g.counts["partial"],
                         g.counts["gap"], g.counts["not applicable"], f"{g.coverage:g} %"] for g in groups]))
    open_actions = analysis.open_actions()
    if analysis.assessment is not None:
        out.append(w.heading(2, "Actions from the assessment"))
        rows = []
        for row in [c for c in analysis.clauses if c.assessment and c.assessment.action]:
            a = row.assessment
            assert a is not None
            if a.closed:
                state = links.badge(f"closed {links.day(a.closed)}", "ok")
            elif a.overdue(as_of):
                state = links.badge("overdue", "bad")
            else:
                state = links.badge("open", "warn")
            rows.append([links.clause(row.clause), a.action or "", links.role(a.owner or ""), links.day(a.target),
                         state])
        out.append(w.md("{} open of {}.\n\n", len(open_actions), len(rows)))
        out.append(w.table(["Clause", "Action", "Owner", "Target", "Status"], rows))
    na_rows = [c for c in analysis.clauses if c.not_applicable and c.clause.id in project.not_applicable]
    if na_rows:
        out.append(w.heading(2, "Clauses not applicable"))
        out.append(w.table(["Clause", "Justification", "Declared in"],
                           [[links.clause(c.clause, True), c.not_applicable[1], links.doc(c.not_applicable[0], False)]
                            for c in na_rows if c.not_applicable]))
    out.append(w.heading(2, "Detail"))
    for group in groups:
        out.append(w.heading(3, f"{group.clause.id} {group.clause.name}"))
        rows = []
        for row in [c for c in analysis.clauses if c.clause.top == group.clause.id]:
            rows.append([links.clause(row.clause), links.clause_name(row.clause), links.status_badge(row.status),
                         w.join(", ", (links.doc(d, False) for d in row.documents)),
                         w.lines(_information(links, i) for i in row.information), _notes(links, row)])
        out.append(w.table(["Clause", "Title", "Status", "Documents", "Required information", "Reasons and notes"],
                           rows))
    if uri is not None:
        out.append(w.md("† {} gives these numbered items no title; the label in italics is ours.\n\n", std.short))
    assessed = [c for c in analysis.clauses if c.assessment]
    if assessed:
        out.append(w.heading(2, "The organization's assessment"))
        for row in assessed:
            a = row.assessment
            assert a is not None
            out.append(w.md("**{}** {}\n\n", links.clause(row.clause, True), links.status_badge(row.status)))
            facts: list[tuple[str, object]] = [("Current practice", a.practice)]
            if a.status:
                facts.append(("Assessed as", a.status))
            if a.evidence:
                facts.append(("Evidence", a.evidence))
            if a.action:
                facts.append(("Action", w.md("{} ({})", a.action, links.role(a.owner)) if a.owner else a.action))
            if a.target:
                facts.append(("Target", w.md("{} {}", links.day(a.target), links.badge("overdue", "bad"))
                              if a.overdue(as_of) else links.day(a.target)))
            if a.closed:
                facts.append(("Closed", w.md("{}: {}", links.day(a.closed), a.closure) if a.closure
                              else links.day(a.closed)))
            out.append(w.join("", (w.md("- {}: {}\n", k, v) for k, v in facts)) + Markup("\n"))
    return w.concat(*out)


def _notes(links: Links, row: gapmod.ClauseGap) -> Markup:
    """The reasons for a verdict (each with the ids of its evidence) and our note on the clause."""
    w = links.w
    parts: list[object] = []
    finding_reasons = {f.reason: f for f in row.findings}
    for reason in row.reasons:
        finding = finding_reasons.get(reason)
        if finding is not None and finding.evidence:
            parts.append(w.md("{} (evidence: {})", reason, ", ".join(finding.evidence)))
        else:
            parts.append(reason)
    if row.note:
        parts.append(w.md("{} {}", w.strong("Note:"), row.note))
    return w.lines(parts)


def _information(links: Links, info: gapmod.InformationStatus) -> Markup:
    w = links.w
    verb = "Maintain" if info.item.kind == "maintain" else "Retain"
    mark = {gapmod.EXISTS: "✓", gapmod.NO_RECORDS: "✗", gapmod.MISSING: "✗", gapmod.INCOMPLETE: "◐",
            gapmod.NOT_APPLICABLE: "n/a"}[info.state]
    where: object = ""
    if info.record_types:
        where = w.md(": {}", w.join(", ", (w.md("{} ({})", links.record_type(t), f"{n} record{'s' if n != 1 else ''}")
                                          for t, n in info.record_types)))
    elif info.documents:
        where = w.md(": {}", w.join(", ", (links.doc_id(d) for d in info.documents)))
    elif info.state == gapmod.MISSING:
        where = Markup(": none")
    return w.md("{} {} {}{}", mark, verb, info.item.clause, where)


def gap_page(project: Project, today: dt.date, history: object = None) -> str:
    analysis = gapmod.analyse(project, as_of=today, history=history)  # type: ignore[arg-type]
    return report_page(gap_markdown(project, analysis, today, GAP_PAGE), project)
