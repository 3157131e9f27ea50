"""Change-control pages from git history: revision tables, compare views and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from qms.cache import Cache
from qms.history import recordchanges
from qms.history.approvals import Signature, signatures_of
from qms.history.changecontrol import FLAG_TEXT, audit_trail, flags_for, signature_text
from qms.history.revisions import Change, History, titled
from qms.model.documents import Document
from qms.model.project import Project
from qms.render import formats, paths
from qms.render.pages import WIDE_HEADER
from qms.render.pastrevisions import past_versions, revision_link
from qms.render.redline import REDLINE_CSS, change_details, compare_page
from qms.render.writer import SITE as W
from qms.render.writer import Markup

CHANGES_DIR = "changes"
AUDIT_TRAIL = f"{CHANGES_DIR}/index.md"
HEADER = "---\nrender_macros: false\ntemplate: qms-lite.html\nsearch:\n  exclude: true\n---\n"
REDLINES_CACHE = "redlines"  # namespace of qms.cache: what each change did, by pair of versions


def compare_uri(doc: Document, change: Change) -> str:
    return f"{CHANGES_DIR}/{doc.id}/{change.short}.md"


def commit_link(project: Project, history: History, change: Change) -> str | None:
    """URL of a commit: the qms plugin's commit_url option ('…/commit/{sha}') first, else the origin remote's."""
    pattern = project.settings.commit_url
    if pattern:
        return str(pattern).format(sha=change.commit)
    return history.commit_url(change.commit)


@dataclass(frozen=True)
class CurrentRevision:
    """When the current revision took effect and who approved it."""

    revision: str | None
    effective: str | None
    approved_by: tuple[str, ...]
    change: Change | None


def current_revision(history: History, doc: Document) -> CurrentRevision:
    """The change that introduced the document's current revision (the oldest one with that label)."""
    changes = history.for_path(doc.path)
    introduced = None
    for change in changes:  # newest first
        if change.revision != doc.revision:
            break
        introduced = change
    if introduced is None:
        return CurrentRevision(None, None, (), None)
    approvers = tuple(dict.fromkeys(a for c in changes if c.revision == doc.revision for a in c.approved_by))
    return CurrentRevision(doc.revision, introduced.date, approvers, introduced)


def control_rows(project: Project, history: History, doc: Document) -> dict[str, Markup]:
    """Extra rows for the document control block: effective date and approvers of this revision."""
    if history.uncommitted(doc.path):
        return {"Effective": W.badge("draft, not yet approved", "warn"), "Approved by": Markup("—")}
    current = current_revision(history, doc)
    return {
        "Effective": W.text(formats.day(project.settings, current.effective) if current.effective else "—"),
        "Approved by": W.text(", ".join(current.approved_by)) if current.approved_by
        else W.badge("none recorded", "warn"),
    }


def draft_banner(history: History, doc: Document) -> Markup:
    """A notice when the page shows edits that are not committed (so not reviewed or approved)."""
    if not history.tracked:
        return Markup("")
    if not history.committed(doc.path):
        return Markup('!!! warning "New document, not yet approved"\n    This document has never been committed: it is a '
                "draft that has not been reviewed or approved.\n\n")
    if history.uncommitted(doc.path):
        return W.md('!!! warning "Draft, not yet approved"\n    This page shows edits that are not committed yet. They '
                    "are not part of revision {} until they are reviewed, approved and merged.\n\n", doc.revision)
    return Markup("")


MEANING_TEXT = {"authored": "Authored", "reviewed": "Reviewed", "approved": "Approved", "released": "Released"}


def _role(project: Project, signature: Signature) -> str:
    """The role titles of the person who signed (from organization.yaml), or why there is none."""
    if not signature.person:
        return "not in the person register"
    return ", ".join(project.organization.role_title(r.strip()) for r in signature.role.split(",") if r.strip())


def _printed(signature: Signature) -> Markup:
    """The printed name with the person's register id: 'Helen Carter (P-002)'."""
    return W.md("{} ({})", signature.name, signature.person) if signature.person else W.text(signature.name)


def _standing(signature: Signature) -> Markup:
    """Whether a signature counts, as a badge when it does not."""
    if signature.meaning == "authored":
        return W.badge("not in the register", "warn") if signature.status == "unknown" else Markup("")
    if signature.counts and signature.status == "counted":
        return W.badge("verified", "ok")
    return W.badge(signature.status_text, "warn")


def signature_lines(project: Project, change: Change) -> Markup:
    """A change's signatures in one table cell: 'Approved: Helen Carter (P-002), Quality Manager'."""
    parts = [W.md("{}: {}, {} {}", MEANING_TEXT.get(s.meaning, s.meaning), _printed(s), _role(project, s), _standing(s))
             for s in signatures_of(change)]
    return W.lines(parts) if parts else Markup("—")


def signature_block(project: Project, history: History, doc: Document) -> Markup:
    """The signature block of the document's current revision: printed name, role, date and meaning of each
    signature, and what it rests on (merged it, committed it, signed with their key, a trailer's claim)."""
    if not history.tracked or history.uncommitted(doc.path):
        return Markup("")
    current = current_revision(history, doc)
    changes = [c for c in history.for_path(doc.path) if c.revision == doc.revision and c.status != "D"] \
        if current.change else []
    settings = project.settings
    rows = [[MEANING_TEXT.get(s.meaning, s.meaning), _printed(s), _role(project, s), formats.day(settings, s.date),
             s.how, _standing(s)] for change in reversed(changes) for s in signatures_of(change)]
    if not rows:
        return Markup("")
    table = W.table(["Meaning", "Printed name", "Role", "Date", "Evidence", ""], rows, empty="")
    return W.md('<div class="qms-signatures" markdown>\n\n**Signatures of revision {}**\n\n{}\n</div>\n\n',
                doc.revision, table)


def _flags(change: Change) -> Markup:
    return W.join(" ", (W.span(f, "qms-badge qms-badge-warn", _flag_text(f, change)) for f in flags_for(change)))


def _flag_text(flag: str, change: Change) -> str:
    """What a flag means for this change: for a signature that does not count, what git found."""
    if flag == "unsigned" and change.signature != "N":
        return change.signature_text
    return FLAG_TEXT.get(flag, flag)


def _summary(summary: str, pr: str | None) -> str:
    """A change's subject with its pull request ('#12'): plain text, escaped where it is shown."""
    return titled(summary, pr)


def _commit(url: str | None, short: str) -> Markup:
    return W.link(W.code(short), url) if url else W.code(short)


def revision_table(project: Project, history: History, doc: Document) -> Markup:
    """The revision history section of a document page, newest first."""
    changes = history.for_path(doc.path)
    head = Markup('\n\n<div class="qms-history" markdown>\n\n## Revision history\n\n')
    if not history.tracked:
        return head + Markup("This manual is not in a git repository, so no revision history is available.\n\n</div>\n")
    if not changes:
        return head + Markup("No committed revision yet.\n\n</div>\n")
    with_page = set(compared(project, history, doc))
    past = past_versions(history, doc)
    rows = []
    for change in changes:
        rev = change.revision or ("withdrawn" if change.status == "D" else "—")
        summary: object = _summary(change.summary, change.pr)
        if change in with_page:
            summary = W.link(summary, paths.relative(compare_uri(doc, change), doc.src_uri), "What changed")
        signatures = signature_lines(project, change) if change.signatures else \
            W.text(", ".join(change.approved_by) or "—")
        rows.append([revision_link(doc, change, past, W.strong(rev)), formats.day(project.settings, change.date),
                     summary, change.author, signatures, _commit(commit_link(project, history, change), change.short),
                     _flags(change)])
    note = "Select a change to see what it changed, word by word, and a revision to read the document as it stood."
    if len(with_page) < len(changes):
        note += (f" Comparisons are published for the {len(with_page)} most recent changes; older ones are in the "
                 "git history")
        tail = W.md("{} ({}).", note, W.code(f"qms history {doc.id}"))
    else:
        tail = W.text(note)
    table = W.table(["Revision", "Effective", "Change", "Author", "Signatures", "Commit", ""], rows, empty="")
    return head + W.md("{}{}\n\n</div>\n", table, tail)


def compared(project: Project, history: History, doc: Document) -> list[Change]:
    """The changes of a document that get a compare page (see `newest_compared`)."""
    return newest_compared(history.for_path(doc.path), project.settings.compare_revisions)


def newest_compared(changes: Sequence[Change], compare_revisions: int) -> list[Change]:
    """The newest `compare_revisions` of a document's changes (newest first; 0: all)."""
    return list(changes[:compare_revisions] if compare_revisions else changes)


def compare_key(change: Change) -> str:
    """What a compare block is cached by: the versions before and after, which never change."""
    return f"{change.previous_blob}:{change.blob}:{change.status}"


def compare_blocks(root: Path, history: History, chains: Iterable[Sequence[Change]]) -> dict[Change, str]:
    """What each change did (changed fields and the redline, see `redline.change_details`).

    Cached by the pair of blob ids, which never change (and the engine, see qms.cache), so a rebuild
    compares only what is new; the versions not compared yet are read from git in one batch.
    """
    cache = Cache(root)
    todo: dict[Change, str] = {}
    blocks: dict[Change, str] = {}
    for chain in chains:
        for change in chain:
            key = compare_key(change)
            cached = cache.get(REDLINES_CACHE, key, "", _text)
            if cached is None:
                todo[change] = key
            else:
                blocks[change] = cached
    texts = history.texts({b for c in todo for b in (c.blob, c.previous_blob) if b}) if todo else {}
    for change, key in todo.items():
        old = texts.get(change.previous_blob or "") or ""
        new = texts.get(change.blob or "") or ""
        blocks[change] = change_details(old, new, change.status)
        cache.put(REDLINES_CACHE, key, "", blocks[change])
    cache.save()
    return blocks


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a redline is text")
    return value


def compare_pages(project: Project, history: History) -> dict[str, str]:
    """A redline page for the recent changes of every controlled document."""
    per_doc = [(doc, compared(project, history, doc)) for doc in project.documents.values()]
    blocks = compare_blocks(project.settings.root, history, (changes for _, changes in per_doc))
    pages = {}
    for doc, changes in per_doc:
        for change in changes:
            body = compare_page(doc.id, doc.title, change, None, None, commit_link(project, history, change),
                                details=blocks[change])
            back = paths.relative(doc.src_uri, compare_uri(doc, change))
            pages[compare_uri(doc, change)] = HEADER + body + W.md("\n\n{}\n", W.link(f"← Back to {doc.label}", back))
    return pages


def audit_trail_page(project: Project, history: History) -> str:
    """Every change to a controlled document or a record, newest first, with its flags (the values of fields a
    record type does not publish are never shown)."""
    policy = project.settings.policy
    rows = audit_trail(history, policy=policy)
    if project.record_set is not None and history.tracked:
        rows = recordchanges.merged(rows, recordchanges.record_audit_rows(project))
    by_id = project.documents
    judged = f" Changes before {policy.judge_from} are shown but not judged." if policy.judge_from else ""
    if policy.ignore:
        judged += f" Not judged by policy (the company does not use them): {', '.join(policy.ignore)}."
    out = [W.heading(1, "Audit trail of controlled documents and records"),
           W.md("Every change to a controlled document or a record that reached the published branch, newest first: "
                "when, which revision or which fields, who made it, who approved it. It is read from the git history "
                "at each build, so it cannot be edited by hand. A record's fields that its type does not publish are "
                "shown as changed, never with their values. The same data is available as CSV or JSON with {}.\n\n",
                W.code("qms audit-trail")),
           W.md("**Flags:** {}. Errors by policy: {}.{}\n\n",
                W.join("; ", (W.md("{}: {}", W.code(k), v) for k, v in FLAG_TEXT.items())),
                ", ".join(policy.errors) or "none", judged)]
    if not history.tracked:
        out.append(W.paragraph("This manual is not in a git repository: there is no history to show."))
        return WIDE_HEADER + W.concat(*out)
    cells = []
    for row in rows:
        doc = by_id.get(row.doc_id or "")
        change_uri = None
        if doc is not None:
            change = next((c for c in compared(project, history, doc) if c.commit == row.commit), None)
            change_uri = compare_uri(doc, change) if change else None
        doc_cell = W.link(row.doc_id, paths.relative(doc.src_uri, AUDIT_TRAIL)) if doc else W.text(row.doc_id or row.path)
        rev = f"{row.previous_revision or '—'} → {row.revision or '—'}" if row.previous_revision != row.revision \
            else (row.revision or "—")
        summary: object = _summary(row.summary, row.pr)
        if row.record_type:  # a record: its type and the fields that changed take the revision's place
            doc_cell = W.md("{} ({} record)", W.text(row.doc_id or row.path), W.text(row.record_type))
            rev = W.lines(row.fields) if row.fields else W.text(row.status)
        if change_uri:
            summary = W.link(summary, paths.relative(change_uri, AUDIT_TRAIL))
        day = formats.day(project.settings, row.date)
        signatures = [signature_text(s, lambda iso: formats.day(project.settings, iso)) for s in row.signatures]
        cells.append([day, doc_cell, rev, summary, row.author,
                      W.lines(signatures) if signatures else ", ".join(row.approved_by) or "—",
                      _commit(row.url, row.commit[:8]),
                      W.join(" ", (W.md("{} (not judged)", W.code(f)) if f in row.not_judged else W.code(f)
                                   for f in row.flags))])
    table = W.table(["Date", "Document or record", "Revision or fields", "Change", "Author", "Signatures", "Commit",
                     "Flags"], cells, empty="", none=None)
    # In print: landscape, with column widths of its own (qms/assets/print.css), not one row a third of a page.
    out.append(W.md('<div class="qms-audit-trail qms-print-landscape" markdown>\n\n{}\n</div>\n', table))
    return WIDE_HEADER + W.concat(*out)


def change_pages(project: Project, history: History) -> dict[str, str]:
    """The audit trail and every compare page."""
    return {AUDIT_TRAIL: audit_trail_page(project, history), **compare_pages(project, history)}


__all__ = ["REDLINE_CSS", "change_pages", "control_rows", "draft_banner", "revision_table", "current_revision",
           "signature_block"]
