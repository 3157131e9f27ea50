"""Change-control pages from git history: revision tables, compare views and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from qms.cache import DiskCache
from qms.history.changecontrol import FLAG_TEXT, audit_trail, flags_for
from qms.history.redline import REDLINE_CSS, change_details, compare_page
from qms.history.revisions import Change, History
from qms.model.documents import Document
from qms.model.project import Project
from qms.render import paths
from qms.render.pages import WIDE_HEADER

CHANGES_DIR = "changes"
AUDIT_TRAIL = f"{CHANGES_DIR}/index.md"
HEADER = "---\nrender_macros: false\ntemplate: qms-lite.html\nsearch:\n  exclude: true\n---\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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


def control_rows(history: History, doc: Document) -> dict[str, str]:
    """Extra rows for the document control block: effective date and approvers of this revision."""
    if history.uncommitted(doc.path):
        return {"Effective": '<span class="qms-badge qms-badge-warn">draft, not yet approved</span>',
                "Approved by": "—"}
    current = current_revision(history, doc)
    return {
        "Effective": current.effective or "—",
        "Approved by": _cell(", ".join(current.approved_by)) if current.approved_by
        else '<span class="qms-badge qms-badge-warn">none recorded</span>',
    }


def draft_banner(history: History, doc: Document) -> str:
    """A notice when the page shows edits that are not committed (so not reviewed or approved)."""
    if not history.tracked:
        return ""
    if not history.committed(doc.path):
        return ('!!! warning "New document, not yet approved"\n    This document has never been committed: it is a '
                "draft that has not been reviewed or approved.\n\n")
    if history.uncommitted(doc.path):
        return ('!!! warning "Draft, not yet approved"\n    This page shows edits that are not committed yet. They are '
                f"not part of revision {doc.revision} until they are reviewed, approved and merged.\n\n")
    return ""


def _flags(change: Change) -> str:
    flags = flags_for(change)
    return " ".join(f'<span class="qms-badge qms-badge-warn" title="{FLAG_TEXT.get(f, f)}">{f}</span>'
                    for f in flags) or ""


def revision_table(project: Project, history: History, doc: Document) -> str:
    """The revision history section of a document page, newest first."""
    changes = history.for_path(doc.path)
    out = ['\n\n<div class="qms-history" markdown>\n\n## Revision history\n']
    if not history.tracked:
        out.append("This manual is not in a git repository, so no revision history is available.\n")
        return "\n".join(out) + "\n</div>\n"
    if not changes:
        out.append("No committed revision yet.\n")
        return "\n".join(out) + "\n</div>\n"
    out.append("| Revision | Effective | Change | Author | Approved by | Commit | |\n|---|---|---|---|---|---|---|")
    with_page = set(compared(project, history, doc))
    for change in changes:
        rev = change.revision or ("withdrawn" if change.status == "D" else "—")
        url = commit_link(project, history, change)
        commit = f"[`{change.short}`]({url})" if url else f"`{change.short}`"
        summary = _cell(change.summary) + (f" ({change.pr})" if change.pr else "")
        if change in with_page:
            summary = f'[{summary}]({paths.relative(compare_uri(doc, change), doc.src_uri)} "What changed")'
        out.append(f"| **{_cell(rev)}** | {change.date} | {summary} | "
                   f"{_cell(change.author)} | {_cell(', '.join(change.approved_by)) or '—'} | {commit} | "
                   f"{_flags(change)} |")
    note = "Select a change to see what it changed, word by word."
    if len(with_page) < len(changes):
        note += (f" Comparisons are published for the {len(with_page)} most recent changes; older ones are in the "
                 "git history (`qms history " + doc.id + "`).")
    out.append(f"\n{note}\n\n</div>\n")
    return "\n".join(out)


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

    Cached by the pair of blob ids, which never change, so a rebuild compares only what is new; the
    versions not compared yet are read from git in one batch.
    """
    cache = DiskCache(root, "compare")
    todo: dict[Change, str] = {}
    blocks: dict[Change, str] = {}
    for chain in chains:
        for change in chain:
            key = compare_key(change)
            cached = cache.get(key)
            if cached is None:
                todo[change] = key
            else:
                blocks[change] = cached
    texts = history.texts({b for c in todo for b in (c.blob, c.previous_blob) if b}) if todo else {}
    for change, key in todo.items():
        old = texts.get(change.previous_blob or "") or ""
        new = texts.get(change.blob or "") or ""
        blocks[change] = change_details(old, new, change.status)
        cache.put(key, blocks[change])
    cache.save()
    return blocks


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
            pages[compare_uri(doc, change)] = (HEADER + body + f"\n\n[← Back to {_cell(doc.label)}]({back})\n")
    return pages


def audit_trail_page(project: Project, history: History) -> str:
    """Every change to a controlled document, newest first, with its flags."""
    rows = audit_trail(history)
    by_id = project.documents
    out = [WIDE_HEADER, "# Audit trail of controlled documents\n\n",
           "Every change to a controlled document that reached the published branch, newest first: when, which "
           "revision, who made it, who approved it. It is read from the git history at each build, so it cannot be "
           "edited by hand. The same data is available as CSV or JSON with `qms audit-trail`.\n\n"]
    policy = project.settings.policy
    judged = f" Changes before {policy.judge_from} are shown but not judged." if policy.judge_from else ""
    out.append("**Flags:** " + "; ".join(f"`{k}`: {v}" for k, v in FLAG_TEXT.items()) +
               f". Errors by policy: {', '.join(policy.errors) or 'none'}.{judged}\n\n")
    if not history.tracked:
        out.append("This manual is not in a git repository: there is no history to show.\n")
        return "".join(out)
    out.append("| Date | Document | Revision | Change | Author | Approved by | Commit | Flags |\n"
               "|---|---|---|---|---|---|---|---|\n")
    for row in rows:
        doc = by_id.get(row.doc_id or "")
        change_uri = None
        if doc is not None:
            change = next((c for c in compared(project, history, doc) if c.commit == row.commit), None)
            change_uri = compare_uri(doc, change) if change else None
        doc_cell = f"[{row.doc_id}]({paths.relative(doc.src_uri, AUDIT_TRAIL)})" if doc else _cell(row.doc_id or row.path)
        rev = f"{row.previous_revision or '—'} → {row.revision or '—'}" if row.previous_revision != row.revision \
            else (row.revision or "—")
        summary = _cell(row.summary) + (f" ({row.pr})" if row.pr else "")
        if change_uri:
            summary = f"[{summary}]({paths.relative(change_uri, AUDIT_TRAIL)})"
        commit = f"[`{row.commit[:8]}`]({row.url})" if row.url else f"`{row.commit[:8]}`"
        flags = " ".join(f"`{f}`" for f in row.flags)
        out.append(f"| {row.date} | {doc_cell} | {rev} | {summary} | {_cell(row.author)} | "
                   f"{_cell(', '.join(row.approved_by)) or '—'} | {commit} | {flags} |\n")
    return "".join(out)


def change_pages(project: Project, history: History) -> dict[str, str]:
    """The audit trail and every compare page."""
    return {AUDIT_TRAIL: audit_trail_page(project, history), **compare_pages(project, history)}


__all__ = ["REDLINE_CSS", "change_pages", "control_rows", "draft_banner", "revision_table", "current_revision"]
