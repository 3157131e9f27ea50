"""What a controlled document's page shows around its text: title, metadata block, related links."""

from __future__ import annotations

from qms.model.documents import Document
from qms.model.project import Project
from qms.render import paths


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def clause_links(project: Project, doc: Document) -> str:
    links = []
    for ref in doc.clauses:
        clause = project.find_clause(ref)
        if clause is None:
            continue
        standard = project.standards[clause.standard]
        url = paths.relative(paths.clause_page(standard, clause), doc.src_uri)
        title = (clause.title or f"{clause.label} (label ours)").replace('"', "'")
        links.append(f'[{clause.id}]({url} "{standard.short} {clause.id} {title}")')
    return ", ".join(links) or "—"


def metadata_block(project: Project, doc: Document, extra_rows: dict[str, str] | None = None) -> str:
    """The document control block: id, type, revision, status, owner, review interval, clauses."""
    rows = {
        "Document": f"**{doc.id}** · {doc.type}",
        "Revision": f"**{doc.revision}**",
        "Status": f'<span class="qms-status qms-status-{doc.status}">{doc.status}</span>',
        "Owner": _cell(project.organization.role_title(doc.owner)),
        "Review": f"every {doc.review_interval_months} months",
        "ISO 9001": clause_links(project, doc),
    }
    rows.update(extra_rows or {})
    lines = ['<div class="qms-docmeta" markdown>', "", "| " + " | ".join(rows) + " |",
             "|" + "---|" * len(rows), "| " + " | ".join(rows.values()) + " |", "", "</div>", ""]
    return "\n".join(lines) + "\n"


def status_notice(doc: Document) -> str:
    if doc.status == "draft":
        return ('!!! warning "Draft"\n    This document is a draft and not yet in force. Do not work to it until it '
                "is approved and effective.\n\n")
    if doc.status == "obsolete":
        return ('!!! danger "Obsolete"\n    This document is withdrawn. It is kept for reference only; do not work to it.\n\n')
    return ""


def related_section(project: Project, doc: Document) -> str:
    """Links to related documents and the record types the document produces."""
    parts = []
    related = [project.documents[r] for r in doc.related if r in project.documents]
    referring = [d for d in project.referred_by.get(doc.id, []) if d.id not in doc.related]
    rtypes = [project.record_types[r] for r in doc.records if r in project.record_types]

    def links(docs: list[Document]) -> str:
        return ", ".join(f"[{_cell(d.label)}]({paths.relative(d.src_uri, doc.src_uri)})" for d in docs)

    if related:
        parts.append(f"- **Related documents:** {links(related)}")
    if referring:
        parts.append(f"- **Referred to by:** {links(referring)}")
    if rtypes:
        kept = ", ".join(f"[{_cell(rt.title)}]({paths.relative(paths.record_type_page(rt.id), doc.src_uri)})"
                         f" (kept {rt.retention})" for rt in rtypes)
        parts.append(f"- **Records produced:** {kept}")
    if not parts:
        return ""
    return '\n\n<div class="qms-xref" markdown>\n\n## Cross-references\n\n' + "\n".join(parts) + "\n\n</div>\n"


def decoration(project: Project, doc: Document, control_rows: dict[str, str] | None = None,
               header_extra: str = "", footer_extra: str = "") -> tuple[str, str]:
    """What a document page shows before its text (heading, control block, notices) and after it (related
    links, history)."""
    before = f"# {doc.id} {doc.title}\n\n" + metadata_block(project, doc, control_rows) + header_extra + status_notice(doc)
    return before, related_section(project, doc) + footer_extra


def document_page(project: Project, doc: Document, body: str, control_rows: dict[str, str] | None = None,
                  header_extra: str = "", footer_extra: str = "") -> str:
    """The Markdown a document page is built from: heading, control block, notices, body, related, history."""
    before, after = decoration(project, doc, control_rows, header_extra, footer_extra)
    return before + body + after
