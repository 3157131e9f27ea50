"""One JSON model of the manual, for other tools and tests (`qms export`)."""

from __future__ import annotations

from typing import Any

from qms.analysis import gap
from qms.model.project import Project


def export_model(project: Project) -> dict[str, Any]:
    """Clauses, terms, documents, roles, record types and records as plain JSON-ready data."""
    std = project.standard
    model: dict[str, Any] = {
        "standard": {"id": std.id, "name": std.short, "title": std.title, "url": std.url},
        "vocabulary": {"id": project.vocabulary.id, "name": f"{project.vocabulary.name}:{project.vocabulary.year}"},
        "organization": {"name": project.organization.name, "scope": project.organization.scope},
        "clauses": [
            {
                "id": c.id,
                "title": c.title,
                "label": None if c.title else c.label,
                "standard": std.id,
                "documents": [d.id for d in project.documents_for(c)],
                "not_applicable": project.not_applicable_for(c) is not None,
            }
            for std in project.standards.values() for c in std.clauses
        ],
        "terms": [
            {"number": t.number, "term": t.term, "also": list(t.also), "forms": list(t.forms),
             "explanation": t.explanation, "example": t.example or None,
             "company_names": list(t.company_names), "company_forms": list(t.company_forms), "adapted": list(t.adapted),
             "es": {"name": t.es, "verified": t.es_verified} if t.es else None, "url": t.url,
             "documents": [p.document.id for p in project.pages_by_term.get(t.number, []) if p.document]}
            for t in project.vocabulary.terms
        ],
        "documents": [
            {"id": d.id, "title": d.title, "type": d.type, "revision": d.revision, "status": d.status,
             "owner": d.owner, "path": d.path, "clauses": list(d.clauses), "related": list(d.related),
             "records": list(d.records), "review_interval_months": d.review_interval_months,
             "tasks": [{"what": t.what, "role": t.role, "frequency": t.frequency, "day": t.day} for t in d.tasks]}
            for d in sorted(project.documents.values(), key=lambda d: d.id)
        ],
        "roles": [{"id": r.id, "title": r.title, "reports_to": r.reports_to} for r in project.organization.roles.values()],
        "record_types": [
            {"id": rt.id, "title": rt.title, "clauses": list(rt.clauses), "owner": rt.owner, "retention": rt.retention,
             "confidential": rt.confidential, "confidential_fields": list(rt.confidential_fields), "path": rt.path}
            for rt in project.record_types.values()
        ],
        "records": [{"id": r.id, "type": r.type, "path": r.path} for r in project.records],
    }
    model.update(gap.export_part(project))
    return model
