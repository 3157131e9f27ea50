"""Cross-reference checks: every clause, term, document, role and record type named must exist."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from qms.history.revisions import REVISION_SCHEMES, revision_order
from qms.model.documents import Document, Reference
from qms.model.project import Project
from qms.problems import Problem

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.revisions import History


def _did_you_mean(options: list[str]) -> str:
    return f" (did you mean {' or '.join(repr(o) for o in options)}?)" if options else ""


def reference_problem(project: Project, kind: str, value: str, path: str, line: int) -> Problem | None:
    """The problem with one macro reference, or None when it resolves."""
    if kind == "term":
        if project.vocabulary.lookup(value) is None:
            return Problem(path, line, f"unknown term '{value}'{_did_you_mean(project.vocabulary.suggest(value))}: "
                                       f"use an {project.vocabulary.name} term name or its plural (see the glossary)",
                           code="unknown-term")
    elif kind == "clause":
        if project.find_clause(value) is None:
            return Problem(path, line, f"unknown clause '{value}'{_did_you_mean(project.standard.suggest(value))}: "
                                       f"use a numbered clause of {project.standard.short}", code="unknown-clause")
    elif kind == "doc":
        if value not in project.documents and value in project.invalid_documents:
            return Problem(path, line, f"document '{value}' exists but is invalid: see the error reported in "
                                       f"{project.invalid_documents[value]}", "warning", code="invalid-document")
        if value not in project.documents:
            return Problem(path, line, f"unknown document id '{value}'{_did_you_mean(_close(value, project.documents))}: "
                                       "use the id from a document's front matter", code="unknown-document")
    elif kind == "record_type":
        if project.record_set is not None and value not in project.record_types:
            return Problem(path, line, f"unknown record type '{value}'"
                                       f"{_did_you_mean(_close(value, project.record_types))}: "
                                       f"add records_schema/{value}.schema.yaml or use an existing type",
                           code="unknown-record-type")
    return None


def _close(value: str, names: object) -> list[str]:
    import difflib

    return difflib.get_close_matches(value, list(names), n=3, cutoff=0.6)  # type: ignore[arg-type]


def check_references(project: Project) -> list[Problem]:
    """Problems with every macro call found in the pages' source text."""
    problems = []
    for page in project.pages:
        for ref in page.references:
            problem = reference_problem(project, ref.kind, ref.value, ref.path, ref.line)
            if problem:
                problems.append(problem)
    return problems


def check_document(project: Project, doc: Document) -> list[Problem]:
    """Problems with one document's front matter references."""
    problems = []
    roles = project.organization.roles
    if roles and doc.owner not in roles:
        problems.append(Problem(doc.path, doc.line_of("owner"),
                                f"owner: unknown role '{doc.owner}'{_did_you_mean(_close(doc.owner, roles))}: "
                                f"use a role id from {project.settings.rel(project.settings.organization_file)}",
                                code="unknown-role"))
    scheme = project.settings.revision_scheme
    if revision_order(doc.revision, scheme) is None and scheme != "auto":
        problems.append(Problem(doc.path, doc.line_of("revision"),
                                f"revision: '{doc.revision}' does not fit the revision scheme {scheme} of "
                                f"{project.settings.rel(project.settings.config_file)} "
                                f"({REVISION_SCHEMES[scheme]}): give a label of that scheme, after the last one",
                                code="revision-label"))
    for cid in doc.clauses:
        if project.find_clause(cid) is None:
            problems.append(Problem(doc.path, doc.line_of("clauses"),
                                    f"clauses: unknown clause '{cid}'{_did_you_mean(project.standard.suggest(cid))}",
                                    code="unknown-clause"))
    for rid in doc.related:
        if rid in project.invalid_documents and rid not in project.documents:
            problems.append(Problem(doc.path, doc.line_of("related"),
                                    f"related: document '{rid}' exists but is invalid: see the error reported in "
                                    f"{project.invalid_documents[rid]}", "warning", code="invalid-document"))
        elif rid not in project.documents:
            problems.append(Problem(doc.path, doc.line_of("related"),
                                    f"related: unknown document id '{rid}'{_did_you_mean(_close(rid, project.documents))}",
                                    code="unknown-document"))
        elif rid == doc.id:
            problems.append(Problem(doc.path, doc.line_of("related"), "related: a document cannot relate to itself",
                                    code="self-reference"))
    if project.record_set is not None:
        for rtype in doc.records:
            if rtype not in project.record_types:
                problems.append(Problem(doc.path, doc.line_of("records"),
                                        f"records: unknown record type '{rtype}'"
                                        f"{_did_you_mean(_close(rtype, project.record_types))}",
                                        code="unknown-record-type"))
    for task in doc.tasks:
        if roles and task.role not in roles:
            problems.append(Problem(doc.path, doc.line_of("tasks"),
                                    f"tasks: unknown role '{task.role}'{_did_you_mean(_close(task.role, roles))}",
                                    code="unknown-role"))
    for na in doc.not_applicable:
        if project.find_clause(na.clause) is None:
            problems.append(Problem(doc.path, doc.line_of("not_applicable"),
                                    f"not_applicable: unknown clause '{na.clause}'", code="unknown-clause"))
    return problems


def check_project(project: Project) -> list[Problem]:
    """Every problem in the quality system: loading, front matter, references and records."""
    problems = list(project.problems)
    problems += check_references(project)
    for doc in project.documents.values():
        problems += check_document(project, doc)
    return problems


def unresolved(project: Project, refs: list[Reference]) -> list[Problem]:
    """Problems for a list of references (used by the build for dynamic arguments)."""
    return [p for r in refs if (p := reference_problem(project, r.kind, r.value, r.path, r.line))]


def check_all(project: Project, history: "History", today: dt.date,
              proposed: frozenset[str] = frozenset()) -> list[Problem]:
    """Every check the build and `qms check` run: the project, change control, reviews, gap assessment, tasks.

    Changes made by `proposed` commits (a pull request's, judged as one change by `pullrequest.base_problems`) are
    not judged one by one."""
    from qms.analysis.gap import assessment_problems
    from qms.analysis.reviews import overdue_problems
    from qms.analysis.tasks import task_problems
    from qms.analysis.verdicts import verdict_problems
    from qms.analysis.unfinished import document_problems
    from qms.analysis.templates import template_problems
    from qms.history.changecontrol import judge_history, summarize

    settings = project.settings
    problems = check_project(project)
    problems += history.problems
    problems += summarize(judge_history(history, settings.policy, proposed), settings.rel(settings.config_file))
    problems += overdue_problems(project, today, history)
    problems += assessment_problems(project)
    problems += task_problems(project.documents.values())
    problems += verdict_problems(project, today)
    problems += document_problems(project)
    problems += template_problems(project)
    return problems
