"""The internal audit checklist `qms audit-checklist` prints (Markdown with check boxes; CLI only)."""

from __future__ import annotations

from qms.analysis.auditprep import Checklist
from qms.model.project import Project
from qms.render.reports.common import Links


def checklist_markdown(project: Project, cl: Checklist) -> str:
    """The audit checklist as Markdown with check boxes."""
    links = Links(project, None)
    w = links.w
    out = [w.heading(1, f"Internal audit checklist: {cl.scope}"),
           w.md("Prepared {} from the quality system in git. Tick each item when the evidence has been seen.\n\n",
                links.day(cl.as_of)),
           w.heading(2, "Clauses in scope")]
    for clause in cl.clauses:
        docs = [d.id for d in project.documents_by_clause.get(clause.id, []) if d.status != "obsolete"]
        where = f" as described in {', '.join(docs)}" if docs else " (no document addresses it: ask how it is done)"
        out.append(w.tasks([w.md("{} {}: the practice seen matches the requirement{}", clause.id,
                                 links.clause_name(clause), where)]))
        for item in project.standard.documented_information:
            if item.clause_id == clause.id:
                verb = "documented information is maintained" if item.kind == "maintain" else "records are retained"
                out.append(w.tasks([w.md("{} ({}): {}", verb, item.clause, item.what)], indent=4))
    out.append(w.md("\n"))
    out.append(w.heading(2, "Documents and current revisions"))
    out.append(w.table(["Document", "Revision", "Status", "Owner", "Last change", "Working copy"],
                       [[r.document.label, r.document.revision, r.document.status,
                         project.organization.role_title(r.document.owner),
                         f"{r.last_changed} ({r.commit})" if r.last_changed else "",
                         "uncommitted changes" if r.uncommitted else "as committed"] for r in cl.documents]))
    out.append(w.heading(2, "Records to sample"))
    if cl.records:
        for r in cl.records:
            sample = ", ".join(f"{i} ({d})" if d else i for i, d in r.sample) or "no records yet"
            out.append(w.tasks([w.md("{} ({}, clauses {}; {}): {}", r.title, w.code(r.type_id), ", ".join(r.clauses),
                                     f"{r.total} record{'s' if r.total != 1 else ''}", sample)]))
        out.append(w.md("\n"))
    else:
        out.append(w.paragraph(w.em("No record type is kept for these clauses.")))
    out.append(w.heading(2, "Open findings from earlier audits"))
    out.append(w.table(["Report", "Finding", "Severity", "Clause", "Description", "Corrective action"],
                       [[f.report, f.id, f.severity, f.clause, f.description,
                         f"{f.corrective_action} ({f.action_status or 'no record'})" if f.corrective_action else "none"]
                        for f in cl.open_findings]))
    if cl.recent_observations:
        out.append(w.heading(2, "Observations and opportunities in the last 12 months"))
        out.append(w.table(["Report", "Finding", "Severity", "Clause", "Description"],
                           [[f.report, f.id, f.severity, f.clause, f.description] for f in cl.recent_observations]))
    out.append(w.heading(2, "Open corrective actions"))
    out.append(w.table(["Action", "Opened", "Due", "Source", "Nonconformity", "Clauses"],
                       [[w.md("{} **overdue**", ca.id) if ca.overdue(cl.as_of) else ca.id,
                         links.day(ca.opened), links.day(ca.due),
                         ca.source + (f" {ca.source_record}" if ca.source_record else ""), ca.nonconformity,
                         ", ".join(ca.clauses)] for ca in cl.corrective_actions]))
    if cl.past_audits:
        out.append(w.heading(2, "Earlier audits of this scope"))
        out.append(w.table(["Report", "Date", "Process", "Findings", "Summary"],
                           [[a.id, links.day(a.date), a.process, a.findings, a.summary] for a in cl.past_audits]))
    return w.concat(*out)
