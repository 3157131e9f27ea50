"""Markdown links for macros: a term with a tooltip, a clause, a document, a record type."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qms.analysis.checks import reference_problem
from qms.model.documents import MACRO_CALL
from qms.model.project import Project
from qms.problems import Problem
from qms.render import paths
from qms.render.writer import SITE as W
from qms.render.writer import Markup


def broken(kind: str, value: str) -> Markup:
    """What a page shows in place of a reference that does not resolve (only without --strict)."""
    return W.span(f"{value} (unknown {kind})", "qms-broken", f"unknown {kind}")


@dataclass(frozen=True)
class Linker:
    """Renders references from one page (`from_uri`, docs-relative) to the manual's pages.

    Labels (a macro's text argument, a document or record-type title) and tooltips are escaped by the writer, so
    they show literally and never become markup or template syntax: the literal resolver inserts these links
    before Jinja runs.
    """

    project: Project

    def term(self, name: str, text: str | None, from_uri: str, path: str) -> tuple[Markup, Problem | None]:
        entry = self.project.vocabulary.lookup(str(name))
        if entry is None:
            return broken("term", name), reference_problem(self.project, "term", str(name), path, 0)
        url = paths.relative(f"{paths.GLOSSARY}#{entry.anchor}", from_uri)
        tip = f"{entry.term} ({self.project.vocabulary.name} {entry.number}): {entry.explanation}"
        return W.link(text or str(name), url, tip, attrs=".qms-term"), None

    def clause(self, ref: str, text: str | None, from_uri: str, path: str) -> tuple[Markup, Problem | None]:
        clause = self.project.find_clause(str(ref))
        if clause is None:
            return broken("clause", ref), reference_problem(self.project, "clause", str(ref), path, 0)
        standard = self.project.standards[clause.standard]
        url = paths.relative(paths.clause_page(standard, clause), from_uri)
        shown = text or (f"{clause.id} {clause.title}" if clause.title else clause.id)
        name = clause.title if clause.title else f"{clause.label} (label ours; the clause has no ISO title)"
        tip = f"{standard.short} clause {clause.id}: {name}"
        return W.link(shown, url, tip, attrs=".qms-clause"), None

    def doc(self, doc_id: str, text: str | None, from_uri: str, path: str) -> tuple[Markup, Problem | None]:
        doc = self.project.documents.get(str(doc_id))
        if doc is None:
            return broken("document", doc_id), reference_problem(self.project, "doc", str(doc_id), path, 0)
        url = paths.relative(doc.src_uri, from_uri)
        tip = f"{doc.type.capitalize()} {doc.id}, revision {doc.revision}, {doc.status}"
        return W.link(text or doc.label, url, tip, attrs=".qms-doc"), None

    def record_type(self, type_id: str, text: str | None, from_uri: str, path: str) -> tuple[Markup, Problem | None]:
        rtype = self.project.record_types.get(str(type_id))
        if rtype is None:
            return broken("record type", type_id), reference_problem(self.project, "record_type", str(type_id), path, 0)
        url = paths.relative(paths.record_type_page(rtype.id), from_uri)
        clauses = ", ".join(rtype.clauses)
        tip = f"Record type {rtype.id}: required by {self.project.standard.short} {clauses}"
        return W.link(text or rtype.title, url, tip, attrs=".qms-record"), None


def resolve_literal_calls(linker: Linker, markdown: str, from_uri: str, path: str) -> str:
    """Replace macro calls with literal arguments by their links, before any template engine runs.

    Calls that do not resolve are left in place, so the template pass reports them as usual.
    Most pages then hold no template syntax at all, which makes their rendering cheap.
    """
    if "{{" not in markdown:
        return markdown

    def replace(expression: re.Match[str]) -> str:
        match = MACRO_CALL.fullmatch(expression.group(0))  # only an expression that is one call, nothing more
        if match is None:
            return expression.group(0)
        method = getattr(linker, match.group("kind"))
        link, problem = method(match.group("value"), match.group("text"), from_uri, path)
        return expression.group(0) if problem is not None else link

    parts = _RAW_BLOCK.split(markdown)  # odd items are {% raw %} blocks: shown as written
    return "".join(part if i % 2 else _EXPRESSION.sub(replace, part) for i, part in enumerate(parts))


_RAW_BLOCK = re.compile(r"(\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\})", re.S)
_EXPRESSION = re.compile(r"\{\{(?:(?!\}\}).)*\}\}")  # one {{ ... }} on one line, up to its first }}
