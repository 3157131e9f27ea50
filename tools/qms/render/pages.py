"""Generated pages of the manual: clause index and pages, clause x document matrix, master list (and the glossary)."""

from __future__ import annotations

from collections import defaultdict

from qms.model.catalogue import Clause, Standard
from qms.model.documents import Document
from qms.model.project import Project
from qms.render import glossary, paths
from qms.render.writer import SITE as W
from qms.render.writer import Markup, html_attr, html_text, safe_url

GENERATED_HEADER = "---\nrender_macros: false\nsearch:\n  boost: 0.5\n---\n"
WIDE_HEADER = "---\nrender_macros: false\nhide:\n  - toc\n---\n"  # wide tables need the room of the right column


def attribution(project: Project) -> str:
    """The copyright line every generated page ends with."""
    std = project.standard
    voc = project.vocabulary
    url = safe_url(std.url)
    platform = (f'<a href="{html_attr(url)}">ISO\'s Online Browsing Platform</a>' if url
                else "ISO's Online Browsing Platform")
    return (
        "\n\n---\n\n"
        f'<p class="qms-attribution">Clause numbers and titles are cited from {html_text(std.short)} and term numbers '
        f"and names from {html_text(voc.name)}:{html_text(voc.year)}, © ISO. Explanations and labels marked as ours are "
        f"written for this manual and are not ISO text. Read the official text on {platform}.</p>\n"
    )


def _doc_link(doc: Document, from_uri: str, with_title: bool = True) -> Markup:
    return W.link(doc.label if with_title else doc.id, paths.relative(doc.src_uri, from_uri))


def clause_name_md(clause: Clause) -> Markup:
    """ISO's title, or our label in italics marked as ours."""
    if clause.title:
        return W.text(clause.title)
    return W.md('{}<sup title="ISO gives this item no title; the label is ours">†</sup>', W.em(clause.label or ""))


def _clause_link(standard: Standard, clause: Clause, from_uri: str) -> Markup:
    return W.link(clause.id, paths.relative(paths.clause_page(standard, clause), from_uri))


def _status(project: Project, clause: Clause) -> str:
    if project.not_applicable_for(clause) is not None:
        return "not applicable"
    docs = project.documents_for(clause)
    return "addressed" if docs else "not addressed"


def clause_index_page(project: Project, standard: Standard) -> str:
    """Table of every clause with the number of documents addressing it."""
    uri = paths.clause_index(standard)
    out = [W.heading(1, W.md("{} clauses", standard.short)),
           W.md("Every numbered clause of {} — {} — with the documents of this manual that address it. Select a "
                "clause number for its page.\n\n", standard.short, standard.title)]
    for top in standard.top_level():
        out.append(W.heading(2, W.md("{} {}", top.id, clause_name_md(top))))
        rows = []
        for clause in [c for c in standard.clauses if c.top == top.id]:
            docs = project.documents_for(clause)
            rows.append([_clause_link(standard, clause, uri), clause_name_md(clause),
                         W.join(", ", (_doc_link(d, uri, with_title=False) for d in docs)), _status(project, clause)])
        out.append(W.table(["Clause", "Title", "Documents", "Status"], rows))
    out.append(Markup("† ISO 9001 gives these numbered items no title; the label in italics is ours.\n"))
    return GENERATED_HEADER + W.concat(*out) + attribution(project)


def clause_page(project: Project, standard: Standard, clause: Clause) -> str:
    """One clause: its place in the standard, the documents addressing it, the information it requires."""
    uri = paths.clause_page(standard, clause)
    out = [W.heading(1, W.md("{} {}", clause.id, clause.title or clause.label or ""))]
    if not clause.title:
        out.append(W.md('!!! info "Untitled in {}"\n    {} numbers this item without a title; {} is a label written '
                        "for this manual.\n\n", W.title(standard.short), standard.short, W.em(clause.label)))
    crumbs = []
    parent_id = clause.parent_id
    while parent_id:
        parent = standard.get(parent_id)
        if parent is None:
            break
        crumbs.insert(0, W.link(f"{parent.id} {parent.name}", paths.relative(paths.clause_page(standard, parent), uri)))
        parent_id = parent.parent_id
    crumbs.insert(0, W.link(standard.short, paths.relative(paths.clause_index(standard), uri)))
    out.append(W.md("{}\n\n", W.join(" › ", crumbs)))
    note = standard.rules.notes.get(clause.id)
    if note:
        out.append(W.md('!!! info "{}"\n    {}\n\n', W.title(", ".join(standard.amendments) or "Note"), note))
    if (na := project.not_applicable_for(clause)) is not None:
        doc, why = na
        out.append(W.md('!!! note "Not applicable"\n    Declared not applicable in {}: {}\n\n', _doc_link(doc, uri), why))
    docs = project.documents_for(clause)
    out.append(W.heading(2, "Documents that address this clause"))
    if docs:
        out.append(W.table(["Document", "Type", "Revision", "Status", "Owner"],
                           [[_doc_link(d, uri), d.type, d.revision, d.status, project.organization.role_title(d.owner)]
                            for d in docs]))
    else:
        out.append(W.paragraph("No document of this manual lists this clause yet."))
    children = standard.children(clause.id)
    if children:
        out.append(W.heading(2, "Subclauses"))
        for child in children:
            n = len(project.documents_for(child))
            out.append(W.md("- {} {} — {}\n", _clause_link(standard, child, uri), clause_name_md(child),
                            f"{n} document{'s' if n != 1 else ''}"))
        out.append(Markup("\n"))
    required = [i for i in standard.documented_information if i.clause_id == clause.id]
    if required:
        out.append(W.heading(2, "Documented information this clause requires"))
        for item in required:
            verb = "Maintain (a document)" if item.kind == "maintain" else "Retain (records as evidence)"
            out.append(W.md("- {}, {}: {}\n", W.strong(verb), item.clause, item.what))
            keys = {item.clause_id, item.clause} if standard.id == project.standard.id else set()
            keys |= {f"{standard.id}:{item.clause_id}", f"{standard.id}:{item.clause}"}
            for rtype in project.record_types.values():
                if keys & set(rtype.clauses):
                    out.append(W.md("    - kept as {}\n", W.link(rtype.title, paths.relative(paths.record_type_page(rtype.id), uri))))
        out.append(Markup("\n"))
    out.append(W.md("{}{{ .md-button }}\n", W.link(f"Read clause {clause.id} on ISO's Online Browsing Platform", standard.url)))
    return GENERATED_HEADER + W.concat(*out) + attribution(project)


def matrix_page(project: Project, standard: Standard) -> str:
    """Clause x document matrix: rows are clauses, columns are controlled documents."""
    uri = paths.MATRIX
    docs = sorted(project.documents.values(), key=lambda d: d.id)
    rows = []
    for clause in standard.requirement_clauses():
        addressed = {d.id for d in project.documents_for(clause)}
        if project.not_applicable_for(clause) is not None:
            marks = ["n/a"] * len(docs)
        else:
            marks = ["●" if d.id in addressed else "" for d in docs]
        rows.append([W.md("{} {}", _clause_link(standard, clause, uri), clause_name_md(clause)), *marks])
    return WIDE_HEADER + W.concat(
        W.heading(1, "Clause × document matrix"),
        W.md("Rows are the clauses of {} that hold requirements; columns are the controlled documents. ● marks a "
             "document that addresses the clause; a row without any mark is a clause no document covers yet.\n\n",
             standard.short),
        W.table(["Clause", *(_doc_link(d, uri, with_title=False) for d in docs)], rows, empty="")) + attribution(project)


def master_list_page(project: Project) -> str:
    """The document master list (ISO 9001 7.5.3): id, title, type, revision, status, owner."""
    uri = paths.DOCUMENTS
    docs = sorted(project.documents.values(), key=lambda d: d.id)
    rows = []
    for d in docs:
        clauses = W.join(", ", (_clause_link(project.standards[c.standard], c, uri)
                                for c in (project.find_clause(x) for x in d.clauses) if c is not None))
        rows.append([d.id, W.link(d.title, paths.relative(d.src_uri, uri)), d.type, d.revision, d.status,
                     project.organization.role_title(d.owner), f"{d.review_interval_months} months", clauses])
    counts: dict[str, int] = defaultdict(int)
    for d in docs:
        counts[d.status] += 1
    return WIDE_HEADER + W.concat(
        W.heading(1, "Document master list"),
        W.paragraph("Every controlled document with its current revision and status. The revision shown is the one "
                    "in the document's front matter on the published branch."),
        W.table(["Id", "Title", "Type", "Revision", "Status", "Owner", "Review every", "Clauses"], rows, empty=""),
        W.md("{} — {} documents.\n", W.join(", ", (W.md("**{}** {}", n, s) for s, n in sorted(counts.items()))),
             len(docs))) + attribution(project)


def generated_pages(project: Project) -> dict[str, str]:
    """Every page generated from the catalogues and documents, by docs-relative path."""
    pages = {**glossary.glossary_pages(project), paths.DOCUMENTS: master_list_page(project)}
    for standard in project.standards.values():
        pages[paths.clause_index(standard)] = clause_index_page(project, standard)
        for clause in standard.clauses:
            pages[paths.clause_page(standard, clause)] = clause_page(project, standard, clause)
    pages[paths.MATRIX] = matrix_page(project, project.standard)
    return pages
