"""The management review input pack page (reports/management-review-pack.md) and `qms review-pack`'s Markdown."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from qms.analysis.reviewpack import Period, ReviewPack, compile_pack
from qms.model.project import Project
from qms.render import charts, formats
from qms.render.reports.common import REPORTS_DIR, Links, month_label, report_page
from qms.render.writer import Markup

PACK_PAGE = f"{REPORTS_DIR}/management-review-pack.md"


def pack_markdown(project: Project, pack: ReviewPack, uri: str | None = None) -> str:
    """The management review input pack, with charts on a page."""
    links = Links(project, uri)
    w = links.w
    p = pack.period
    clause = project.standard.get("9.3.2")
    ref = links.clause(clause, True) if clause else "management review inputs"
    out = [w.heading(1, "Management review input pack"),
           w.md("The inputs to the next management review ({}) for **{} to {}**, compiled on {} from the records in "
                "git. Each section names the records it is computed from; the registers hold the detail.\n\n",
                ref, links.day(p.start), links.day(p.end), links.day(pack.as_of))]
    if pack.missing:
        out.append(w.md("Not kept in this quality system, so not in this pack: {}.\n\n",
                        w.join(", ", map(w.code, pack.missing))))
    out.append(_pack_actions(links, pack))
    out.append(_pack_audits(links, pack))
    out.append(_pack_nonconformities(links, pack, uri is not None))
    out.append(_pack_monitoring(links, pack, uri is not None))
    out.append(_pack_objectives(links, pack, uri is not None))
    out.append(_pack_suppliers(links, pack))
    out.append(_pack_notes(links, pack.context_changes, "Changes in external and internal issues",
                           "No context document and no review input on changes in the context in the period."))
    out.append(_pack_notes(links, pack.risk_actions, "Effectiveness of actions on risks and opportunities",
                           "No risk document and no review input on risks and opportunities in the period."))
    out.append(_pack_notes(links, pack.resources, "Adequacy of resources",
                           "No management review in the period recorded an input or decision on resources."))
    out.append(_pack_notes(links, pack.improvements, "Opportunities for improvement",
                           "No opportunity for improvement was recorded in the period."))
    return w.concat(*out)


def _pack_actions(links: Links, pack: ReviewPack) -> Markup:
    w = links.w
    c = pack.action_counts
    head = w.heading(2, "Actions from previous management reviews")
    if not pack.reviews:
        return head + w.paragraph("No earlier management review is recorded.")
    rows = []
    for a in pack.actions:
        if a.status == "done":
            state = w.md("{} {}", links.badge("done", "ok"), links.day(a.done)) if a.done else links.badge("done", "ok")
        else:
            state = links.badge("overdue", "bad") if a.overdue else links.badge("open", "warn")
        rows.append([a.review, a.what, links.role(a.owner), links.day(a.due), state])
    return w.concat(head, w.md("From {}: **{}** actions, {} done, {} open, {} overdue on {}.\n\n",
                               ", ".join(r.id for r in pack.reviews), c["total"], c["done"], c["open"], c["overdue"],
                               links.day(pack.as_of)),
                    w.table(["Review", "Action", "Owner", "Due", "Status"], rows))


def _pack_audits(links: Links, pack: ReviewPack) -> Markup:
    w = links.w
    au = pack.audits
    sev = au.findings_by_severity
    total = sum(au.planned.values())
    out = [w.heading(2, "Internal audit results")]
    if total:
        out.append(w.md("**{}** audits planned in the period: {}.\n\n", total,
                        ", ".join(f"{n} {s}" for s, n in au.planned.items() if n)))
    others = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in sev.items() if s not in ("major", "minor"))
    out.append(w.md("**{}** audit reports issued, with {} major and {} minor nonconformities{}.\n\n", len(au.reports),
                    sev.get("major", 0), sev.get("minor", 0), f", {others}" if others else ""))
    rows = [[r.id, links.day(r.date), links.doc_id(str(r.data.get("process", ""))),
             w.join(", ", (links.clause_id(str(c)) for c in r.data.get("clauses") or [])),
             len(r.data.get("findings") or []), r.data.get("summary", "")] for r in au.reports]
    out.append(w.table(["Report", "Date", "Process", "Clauses", "Findings", "Conclusion"], rows))
    nonconformities = [f for f in au.findings if f.is_nonconformity]
    if nonconformities:
        out.append(w.table(["Finding", "Severity", "Clause", "Corrective action", "Action status"],
                           [[f"{f.report} {f.id}", f.severity, links.clause_id(f.clause),
                             f.corrective_action or "none", f.action_status or ""] for f in nonconformities]))
    return w.concat(*out)


def _cost(links: Links, nc: object) -> str:
    """', cost £1,234.50' in the manual's currency and locale; nothing when no record states a cost."""
    recorded = [r for r in getattr(nc, "records", ()) if isinstance(r.data.get("cost"), (int, float))]
    if not recorded:
        return ""
    return f", cost {formats.money(links.project.settings, nc.cost, digits=2)}"


def _pack_nonconformities(links: Links, pack: ReviewPack, with_charts: bool) -> Markup:
    w = links.w
    nc = pack.nonconformities
    ca = pack.corrective
    where = f"By where found: {', '.join(f'{k} {v}' for k, v in nc.by('detected_at').items())}. " if nc.total else ""
    out = [w.heading(2, "Nonconformities and corrective actions"),
           w.md("**{}** nonconforming outputs ({} parts{}), {} still open. {}\n\n", nc.total, nc.parts,
                _cost(links, nc), nc.open, where)]
    if with_charts and nc.per_month:
        labels = [month_label(m) for m, _ in nc.per_month]
        values = [float(n) for _, n in nc.per_month]
        svg = charts.bar_chart("ncr-per-month", "Nonconforming outputs per month",
                               "; ".join(f"{lab}: {int(v)}" for lab, v in zip(labels, values)),
                               labels, values, "month found", "NCRs")
        out.append(charts.figure(svg, "Nonconforming outputs per month (from the nonconforming-output records)"))
    out.append(w.md("Corrective actions: **{}** opened and **{}** closed in the period ({} verified effective); **{}** "
                    "open at the end of the period, **{}** overdue on {}.\n\n", len(ca.opened), len(ca.closed),
                    ca.verified, len(ca.open_at_end), len(ca.overdue), links.day(pack.as_of)))
    out.append(w.table(["Action", "Opened", "Due", "Source", "Nonconformity", "Status"],
                       [[c.id, links.day(c.opened), links.day(c.due), c.source, c.nonconformity,
                         links.badge("overdue", "bad") if c in ca.overdue
                         else links.badge(c.status if c.is_open else f"closed {links.day(c.closed)}", "warn")]
                        for c in ca.open_at_end]))
    return w.concat(*out)


def _pack_monitoring(links: Links, pack: ReviewPack, with_charts: bool) -> Markup:
    w = links.w
    head = w.heading(2, "Monitoring and measurement results")
    if not pack.monitoring:
        return head + w.paragraph("No monitoring results are recorded for the period.")
    out = [head, w.md("{} monthly results ({} to {}).\n\n", len(pack.monitoring), pack.monitoring[0].id,
                      pack.monitoring[-1].id)]
    if pack.satisfaction:
        sat = pack.satisfaction
        scale = sat[-1].scale
        out.append(w.md("Customer satisfaction: latest **{}** ({}, {}, {}).\n\n", charts.fmt(sat[-1].score), scale,
                        sat[-1].source, month_label(sat[-1].month)))
        if with_charts and len(sat) > 1:
            labels = [month_label(s.month) for s in sat]
            svg = charts.line_chart("customer-satisfaction", "Customer satisfaction",
                                    "; ".join(f"{lab}: {charts.fmt(s.score)}" for lab, s in zip(labels, sat)),
                                    labels, [s.score for s in sat], "month", scale)
            out.append(charts.figure(svg, f"Customer satisfaction ({scale})"))
    latest = pack.monitoring[-1]
    if latest.data.get("analysis"):
        out.append(w.md("Latest analysis ({}): {}\n\n", latest.id, latest.data["analysis"]))
    return w.concat(*out)


def _pack_objectives(links: Links, pack: ReviewPack, with_charts: bool) -> Markup:
    w = links.w
    head = w.heading(2, "Quality objectives against targets")
    if not pack.objectives:
        return head + w.paragraph("No measurements against quality objectives are recorded for the period.")
    rows = []
    for o in pack.objectives:
        sign = "≥" if o.direction == "at-least" else "≤"
        met = links.badge("met", "ok") if o.met else links.badge("not met", "bad")
        rows.append([o.id, f"{charts.fmt(o.latest or 0)} {o.unit}", f"{sign} {charts.fmt(o.target)} {o.unit}",
                     met, f"{o.months_met} of {len(o.points)}"])
    out = [head, w.table(["Objective", "Latest", "Target", "Latest month", "Months on target"], rows)]
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
    return w.concat(*out)


def _pack_suppliers(links: Links, pack: ReviewPack) -> Markup:
    w = links.w
    head = w.heading(2, "Performance of external providers")
    if not pack.suppliers:
        return head + w.paragraph("No supplier was evaluated in the period.")
    grades = pack.grade_counts
    kinds = {"A": "ok", "B": "ok", "C": "warn", "D": "bad"}
    return w.concat(
        head, w.md("{} suppliers evaluated: {}.\n\n", len(pack.suppliers),
                   ", ".join(f"{n} grade {g}" for g, n in grades.items() if n)),
        w.table(["Supplier", "Supplies", "Evaluation", "Quality", "Delivery", "Grade", "Decision"],
                [[s.supplier, s.supplies, f"{s.evaluation} ({links.day(s.date)})",
                  charts.fmt(s.scores["quality"]) if "quality" in s.scores else "",
                  charts.fmt(s.scores["delivery"]) if "delivery" in s.scores else "",
                  links.badge(s.grade, kinds.get(s.grade, "info")), s.decision] for s in pack.suppliers]))


def _pack_notes(links: Links, notes: Sequence, heading: str, empty: str) -> Markup:
    w = links.w
    head = w.heading(2, heading)
    if not notes:
        return head + w.paragraph(empty)
    return head + w.table(["Source", "Date", "Kind", "Recorded"],
                          [[n.source, links.day(n.date), n.kind, n.text] for n in notes])


def pack_page(project: Project, today: dt.date) -> str:
    pack = compile_pack(project, Period.year_to(today), today)
    return report_page(pack_markdown(project, pack, PACK_PAGE), project)
