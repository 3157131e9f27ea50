"""What a controlled document's page shows around its text: title, metadata block, related links."""

from __future__ import annotations

from typing import Sequence

from qms.model.documents import Document
from qms.model.project import Project
from qms.problems import Problem
from qms.render import editlinks, paths
from qms.render.writer import SITE as W
from qms.render.writer import Markup


def clause_links(project: Project, doc: Document) -> Markup:
    links = []
    for ref in doc.clauses:
        clause = project.find_clause(ref)
        if clause is None:
            continue
        standard = project.standards[clause.standard]
        url = paths.relative(paths.clause_page(standard, clause), doc.src_uri)
        title = clause.title or f"{clause.label} (label ours)"
        links.append(W.link(clause.id, url, f"{standard.short} {clause.id} {title}"))
    return W.join(", ", links) or Markup("—")


def metadata_block(project: Project, doc: Document, extra_rows: dict[str, Markup] | None = None) -> Markup:
    """The document control block: id, type, revision, status, owner, review interval, clauses."""
    rows: dict[str, object] = {
        "Document": W.md("{} · {}", W.strong(doc.id), doc.type),
        "Revision": W.strong(doc.revision),
        "Status": W.span(doc.status, f"qms-status qms-status-{doc.status}"),
        "Owner": project.organization.role_title(doc.owner),
        "Review": f"every {doc.review_interval_months} months",
        "ISO 9001": clause_links(project, doc),
    }
    rows.update(extra_rows or {})
    web = editlinks.editor(project.settings)
    if web is not None:
        rows["Source"] = W.link(f"Edit on {web.name}", web.edit(doc.path),
                                f"Propose a change to {doc.id} in {web.name}'s editor (opens a pull request)")
    table = W.table(list(rows), [list(rows.values())])
    return W.md('<div class="qms-docmeta" markdown>\n\n{}</div>\n\n', table)


def status_notice(doc: Document) -> Markup:
    if doc.status == "draft":
        return Markup('!!! warning "Draft"\n    This document is a draft and not yet in force. Do not work to it until it '
                "is approved and effective.\n\n")
    if doc.status == "obsolete":
        return Markup('!!! danger "Obsolete"\n    This document is withdrawn. It is kept for reference only; do not work to it.\n\n')
    return Markup("")


def related_section(project: Project, doc: Document) -> Markup:
    """Links to related documents and the record types the document produces."""
    parts = []
    related = [project.documents[r] for r in doc.related if r in project.documents]
    referring = [d for d in project.referred_by.get(doc.id, []) if d.id not in doc.related]
    rtypes = [project.record_types[r] for r in doc.records if r in project.record_types]

    def links(docs: list[Document]) -> Markup:
        return W.join(", ", (W.link(d.label, paths.relative(d.src_uri, doc.src_uri)) for d in docs))

    if related:
        parts.append(W.md("- **Related documents:** {}", links(related)))
    if referring:
        parts.append(W.md("- **Referred to by:** {}", links(referring)))
    if rtypes:
        kept = W.join(", ", (W.md("{} (kept {})", W.link(rt.title, paths.relative(paths.record_type_page(rt.id), doc.src_uri)),
                                  rt.retention) for rt in rtypes))
        parts.append(W.md("- **Records produced:** {}", kept))
    if not parts:
        return Markup("")
    return W.md('\n\n<div class="qms-xref" markdown>\n\n## Cross-references\n\n{}\n\n</div>\n', W.join("\n", parts))


def decoration(project: Project, doc: Document, control_rows: dict[str, Markup] | None = None,
               header_extra: Markup = Markup(""), footer_extra: Markup = Markup("")) -> tuple[str, str]:
    """What a document page shows before its text (heading, control block, notices) and after it (related
    links, history)."""
    before = "".join([W.heading(1, f"{doc.id} {doc.title}"), metadata_block(project, doc, control_rows), header_extra,
                      status_notice(doc)])
    return before, "".join([related_section(project, doc), footer_extra])


def document_page(project: Project, doc: Document, body: str, control_rows: dict[str, Markup] | None = None,
                  header_extra: Markup = Markup(""), footer_extra: Markup = Markup("")) -> str:
    """The Markdown a document page is built from: heading, control block, notices, body (the author's Markdown,
    as written: the sanitizer of published pages guards it), related links, history."""
    before, after = decoration(project, doc, control_rows, header_extra, footer_extra)
    return before + body + after


def invalid_banner(problems: Sequence[Problem]) -> Markup:
    """What a page shows above its text when its front matter cannot be read (only a preview or a non-strict build
    gets this far): a prominent notice naming each problem, never the raw YAML."""
    items = W.join("\n", (W.md("    - {}", f"line {p.line}: {p.message}" if p.line else p.message) for p in problems))
    return W.md('!!! danger "Invalid document: this page is not a valid controlled document"\n'
                "    Its front matter cannot be read, so it has no control block, revision or approval, and it is not "
                "in force as shown. Fix:\n\n{}\n\n", items)
