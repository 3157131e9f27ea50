"""Change-control tables the CLI prints as Markdown: `qms history`, `qms audit-trail` and `qms diff` (the summary a
pull-request job posts). Portable Markdown without HTML (the writer's PLAIN dialect): every subject, author,
approver, title and path is escaped, so a commit cannot put markup into a terminal, a file or a review comment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

from qms.history.changecontrol import STATUS_TEXT, AuditRow, history_entry
from qms.history.pullrequest import DocChange, union
from qms.history.revisions import Change, History, titled
from qms.render.writer import PLAIN as W
from qms.render.writer import Markup

if TYPE_CHECKING:  # pragma: no cover
    from qms.model.project import Project


def _commit(url: str | None, short: str) -> Markup:
    return W.link(W.code(short), url) if url else W.code(short)


def history_markdown(changes: Sequence[Change], title: str = "", history: History | None = None,
                     draft: bool = False) -> str:
    """The revision history of one document as a Markdown table."""
    entries = [history_entry(c, history) for c in changes]
    out = [W.heading(1, f"Revision history: {title}" if title else "Revision history")]
    if draft:
        out.append(Markup("> The working copy differs from the last commit: draft, not yet approved.\n\n"))
    if not entries:
        out.append(Markup("No committed revision yet.\n"))
        return W.concat(*out)
    rows = []
    for e in entries:
        summary = titled(e["summary"], e["pr"])
        rows.append([e["revision"] or "—", e["date"],
                     W.md("{} (moved from {})", summary, W.code(e["old_path"])) if e["old_path"] else summary,
                     e["author"], ", ".join(e["approved_by"]) or "—", _commit(e["url"], e["short"])])
    out.append(W.table(["Revision", "Date", "Change", "Author", "Approved by", "Commit"], rows))
    return W.concat(*out).rstrip("\n") + "\n"


def _flags_text(row: AuditRow) -> str:
    """The flags of a row, those the policy does not judge marked so."""
    return ", ".join(f"{f} (not judged)" if f in row.not_judged else f for f in row.flags) or "—"


STATUS_TEXT_RECORD = {"A": "added", "M": "changed", "R": "moved", "D": "deleted"}


def audit_markdown(rows: Sequence[AuditRow]) -> str:
    """The audit trail as a Markdown table."""
    cells = []
    for r in rows:
        revision = f"{r.previous_revision or '—'} → {r.revision or '—'}" if r.previous_revision != r.revision \
            else (r.revision or "—")
        summary: object = r.summary
        if r.record_type:  # a record: its fields before and after, and why it was flagged
            revision = STATUS_TEXT_RECORD.get(r.status, r.status)
            summary = W.md("{} ({} record: {})", r.summary, r.record_type, "; ".join([*r.fields, *r.reasons]) or "—")
        cells.append([r.date, _commit(r.url, r.commit[:8]), r.doc_id, revision, summary, r.author,
                      ", ".join(r.approved_by) or "—", _flags_text(r)])
    if not cells:
        cells.append(["", "", "", "", "No change to a controlled document or record in this period.", "", "", ""])
    table = W.table(["Date", "Commit", "Document", "Revision", "Change", "Author", "Approved by", "Flags"], cells,
                    empty="")
    return table.rstrip("\n") + "\n"


def diff_markdown(changes: Sequence[DocChange], base_rev: str, project: "Project | None" = None) -> str:
    """What a pull request changes in the controlled documents, for a reviewer."""
    out = [Markup("### "), W.md("Controlled documents changed since {}\n\n", W.code(base_rev))]
    if not changes:
        out.append(Markup("No controlled document changed.\n"))
        return W.concat(*out)
    rows = []
    for c in changes:
        revision = W.text(f"{c.old_revision or '—'} → {c.new_revision or '—'}")
        if c.needs_bump:
            revision = W.md("{} ⚠️ not raised", revision)
        what = W.text(STATUS_TEXT.get(c.status, c.status))
        if c.old_path:
            what = W.md("{} from {}", what, W.code(c.old_path))
        rows.append([c.doc_id, c.title, what, revision, ", ".join(c.clauses) or "—", ", ".join(c.records) or "—"])
    out.append(W.table(["Document", "Title", "Change", "Revision", "Clauses", "Record types"], rows))
    clauses = union(*(c.clauses for c in changes))
    records = union(*(c.records for c in changes))
    out.append(W.md("**Clauses affected:** {}\n", W.join("; ", (_clause_label(cid, project)
                                                                 for cid in _sorted_clauses(clauses))) or "none"))
    out.append(W.md("\n**Record types affected:** {}\n", ", ".join(sorted(records)) or "none"))
    missing = [c for c in changes if c.needs_bump]
    if missing:
        out.append(W.md("\n**Revision not raised:** {}\n",
                        W.join(", ", (f"{c.doc_id} (still {c.old_revision})" for c in missing))))
    briefings = _briefings(changes, project)
    if briefings:
        out.append(W.md("\n**Who must be briefed:** {}\n", W.join("; ", briefings)))
    return W.concat(*out)


def _briefings(changes: Sequence[DocChange], project: "Project | None") -> list[str]:
    """'merging this asks 6 people to read QP-13 revision 8' for each new revision of an effective document."""
    if project is None:
        return []
    from qms.analysis import training

    return [training.summary_line(project.documents[doc_id], count)
            for doc_id, count in training.to_brief_after_changes(project, changes).items()]


def _sorted_clauses(ids: Iterable[str]) -> list[str]:
    def key(cid: str) -> tuple:
        return tuple(int(p) if p.isdigit() else 0 for p in cid.split(":")[-1].split("."))
    return sorted(ids, key=key)


def _clause_label(cid: str, project: "Project | None") -> str:
    clause = project.find_clause(cid) if project is not None else None
    return f"{cid} {clause.name}".strip() if clause else cid
