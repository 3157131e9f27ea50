"""Generated pages of the manual: clause index and pages, clause x document matrix, master list (and the glossary)."""

from __future__ import annotations

from collections import defaultdict

from qms.model.catalogue import Clause, Standard
from qms.model.documents import Document
from qms.model.project import Project
from qms.render import glossary, paths

GENERATED_HEADER = "---\nrender_macros: false\nsearch:\n  boost: 0.5\n---\n"
WIDE_HEADER = "---\nrender_macros: false\nhide:\n  - toc\n---\n"  # wide tables need the room of the right column


def attribution(project: Project) -> str:
    """The copyright line every generated page ends with."""
    std = project.standard
    voc = project.vocabulary
    return (
        "\n\n---\n\n"
        f'<p class="qms-attribution">Clause numbers and titles are cited from {std.short} and term numbers and names '
        f"from {voc.name}:{voc.year}, © ISO. Explanations and labels marked as ours are written for this manual "
        f'and are not ISO text. Read the official text on <a href="{std.url}">ISO\'s Online Browsing Platform</a>.</p>\n'
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _doc_link(doc: Document, from_uri: str, with_title: bool = True) -> str:
    label = doc.label if with_title else doc.id
    return f"[{_cell(label)}]({paths.relative(doc.src_uri, from_uri)})"


def clause_name_md(clause: Clause) -> str:
    """ISO's title, or our label in italics marked as ours."""
    if clause.title:
        return _cell(clause.title)
    return f'*{_cell(clause.label or "")}*<sup title="ISO gives this item no title; the label is ours">†</sup>'


def _clause_link(standard: Standard, clause: Clause, from_uri: str) -> str:
    return f"[{clause.id}]({paths.relative(paths.clause_page(standard, clause), from_uri)})"


def _status(project: Project, clause: Clause) -> str:
    if clause.id in project.not_applicable:
        return "not applicable"
    docs = project.documents_by_clause.get(clause.id, [])
    return "addressed" if docs else "not addressed"


def clause_index_page(project: Project, standard: Standard) -> str:
    """Table of every clause with the number of documents addressing it."""
    uri = paths.clause_index(standard)
    out = [GENERATED_HEADER, f"# {standard.short} clauses\n\n",
           f"Every numbered clause of {standard.short} — {standard.title} — with the documents of this manual that "
           "address it. Select a clause number for its page.\n\n"]
    for top in standard.top_level():
        out.append(f"## {top.id} {clause_name_md(top)}\n\n| Clause | Title | Documents | Status |\n|---|---|---|---|\n")
        for clause in [c for c in standard.clauses if c.top == top.id]:
            docs = project.documents_by_clause.get(clause.id, [])
            doc_links = ", ".join(_doc_link(d, uri, with_title=False) for d in docs) or "—"
            out.append(f"| {_clause_link(standard, clause, uri)} | {clause_name_md(clause)} | {doc_links} | "
                       f"{_status(project, clause)} |\n")
        out.append("\n")
    out.append("† ISO 9001 gives these numbered items no title; the label in italics is ours.\n")
    out.append(attribution(project))
    return "".join(out)


def clause_page(project: Project, standard: Standard, clause: Clause) -> str:
    """One clause: its place in the standard, the documents addressing it, the information it requires."""
    uri = paths.clause_page(standard, clause)
    heading = clause.title or clause.label or ""
    out = [GENERATED_HEADER, f"# {clause.id} {heading}\n\n"]
    if not clause.title:
        out.append(f"!!! info \"Untitled in {standard.short}\"\n    {standard.short} numbers this item without a title; "
                   f"*{clause.label}* is a label written for this manual.\n\n")
    crumbs = []
    parent_id = clause.parent_id
    while parent_id:
        parent = standard.get(parent_id)
        if parent is None:
            break
        crumbs.insert(0, f"[{parent.id} {_cell(parent.name)}]({paths.relative(paths.clause_page(standard, parent), uri)})")
        parent_id = parent.parent_id
    crumbs.insert(0, f"[{standard.short}]({paths.relative(paths.clause_index(standard), uri)})")
    out.append(" › ".join(crumbs) + "\n\n")
    if clause.id in project.not_applicable:
        doc, why = project.not_applicable[clause.id]
        out.append(f"!!! note \"Not applicable\"\n    Declared not applicable in {_doc_link(doc, uri)}: {why}\n\n")
    docs = project.documents_by_clause.get(clause.id, [])
    out.append("## Documents that address this clause\n\n")
    if docs:
        out.append("| Document | Type | Revision | Status | Owner |\n|---|---|---|---|---|\n")
        for d in docs:
            out.append(f"| {_doc_link(d, uri)} | {d.type} | {d.revision} | {d.status} | "
                       f"{_cell(project.organization.role_title(d.owner))} |\n")
        out.append("\n")
    else:
        out.append("No document of this manual lists this clause yet.\n\n")
    children = standard.children(clause.id)
    if children:
        out.append("## Subclauses\n\n")
        for child in children:
            n = len(project.documents_by_clause.get(child.id, []))
            out.append(f"- {_clause_link(standard, child, uri)} {clause_name_md(child)} — "
                       f"{n} document{'s' if n != 1 else ''}\n")
        out.append("\n")
    required = [i for i in standard.documented_information if i.clause_id == clause.id]
    if required:
        out.append("## Documented information this clause requires\n\n")
        for item in required:
            verb = "Maintain (a document)" if item.kind == "maintain" else "Retain (records as evidence)"
            out.append(f"- **{verb}**, {item.clause}: {item.what}\n")
            for rtype in project.record_types.values():
                if item.clause_id in rtype.clauses or item.clause in rtype.clauses:
                    out.append(f"    - kept as [{_cell(rtype.title)}]"
                               f"({paths.relative(paths.record_type_page(rtype.id), uri)})\n")
        out.append("\n")
    out.append(f"[Read clause {clause.id} on ISO's Online Browsing Platform]({standard.url}){{ .md-button }}\n")
    out.append(attribution(project))
    return "".join(out)


def matrix_page(project: Project, standard: Standard) -> str:
    """Clause x document matrix: rows are clauses, columns are controlled documents."""
    uri = paths.MATRIX
    docs = sorted(project.documents.values(), key=lambda d: d.id)
    out = [WIDE_HEADER, "# Clause × document matrix\n\n",
           f"Rows are the clauses of {standard.short} that hold requirements; columns are the controlled documents. "
           "● marks a document that addresses the clause; a row without any mark is a clause no document covers yet.\n\n"]
    header = "| Clause | " + " | ".join(_doc_link(d, uri, with_title=False) for d in docs) + " |\n"
    out.append(header)
    out.append("|---" * (len(docs) + 1) + "|\n")
    for clause in standard.requirement_clauses():
        addressed = {d.id for d in project.documents_by_clause.get(clause.id, [])}
        if clause.id in project.not_applicable:
            marks = ["n/a"] * len(docs)
        else:
            marks = ["●" if d.id in addressed else "" for d in docs]
        out.append(f"| {_clause_link(standard, clause, uri)} {clause_name_md(clause)} | " + " | ".join(marks) + " |\n")
    out.append(attribution(project))
    return "".join(out)


def master_list_page(project: Project) -> str:
    """The document master list (ISO 9001 7.5.3): id, title, type, revision, status, owner."""
    uri = paths.DOCUMENTS
    docs = sorted(project.documents.values(), key=lambda d: d.id)
    out = [WIDE_HEADER, "# Document master list\n\n",
           "Every controlled document with its current revision and status. The revision shown is the one in the "
           "document's front matter on the published branch.\n\n",
           "| Id | Title | Type | Revision | Status | Owner | Review every | Clauses |\n|---|---|---|---|---|---|---|---|\n"]
    for d in docs:
        clauses = ", ".join(
            _clause_link(project.standards[c.standard], c, uri)
            for c in (project.find_clause(x) for x in d.clauses) if c is not None
        )
        interval = f"{d.review_interval_months} months"
        out.append(f"| {d.id} | {_doc_link(d, uri, with_title=False).replace(d.id, _cell(d.title), 1)} | {d.type} | "
                   f"{d.revision} | {d.status} | {_cell(project.organization.role_title(d.owner))} | {interval} | {clauses} |\n")
    counts: dict[str, int] = defaultdict(int)
    for d in docs:
        counts[d.status] += 1
    out.append("\n" + ", ".join(f"**{n}** {s}" for s, n in sorted(counts.items())) + f" — {len(docs)} documents.\n")
    out.append(attribution(project))
    return "".join(out)


def generated_pages(project: Project) -> dict[str, str]:
    """Every page generated from the catalogues and documents, by docs-relative path."""
    pages = {**glossary.glossary_pages(project), paths.DOCUMENTS: master_list_page(project)}
    for standard in project.standards.values():
        pages[paths.clause_index(standard)] = clause_index_page(project, standard)
        for clause in standard.clauses:
            pages[paths.clause_page(standard, clause)] = clause_page(project, standard, clause)
    pages[paths.MATRIX] = matrix_page(project, project.standard)
    return pages
