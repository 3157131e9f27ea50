"""Change control (ISO 9001 7.5.2, 7.5.3): flags on changes, the audit trail, and pull-request checks.

A change to a controlled document is flagged when its content changed without a revision bump,
when no approval is recorded, when its commit is not signed, or when it reached the branch
directly rather than through a pull request. The policy in mkdocs.yml says which flags are errors
and from which date history is judged. `changes_since` compares a base revision with the working
tree for `qms check --base` and `qms diff`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from . import yamlio
from .config import CHANGE_FLAGS, Policy, Settings
from .history import Change, FileChange, GitRepo, History, blob_info, latest_id, open_repo, parse_raw
from .problems import Problem, QMSError

if TYPE_CHECKING:  # pragma: no cover
    from .project import Project

NO_REVISION_BUMP = "no-revision-bump"
NO_APPROVAL = "no-approval"
UNSIGNED = "unsigned"
DIRECT_CHANGE = "direct-change"
FLAGS = (NO_REVISION_BUMP, NO_APPROVAL, UNSIGNED, DIRECT_CHANGE)
assert FLAGS == CHANGE_FLAGS
FLAG_TEXT = {
    NO_REVISION_BUMP: "content changed without a revision bump",
    NO_APPROVAL: "no approval recorded (no Approved-by/Reviewed-by trailer, no reviewer merged it)",
    UNSIGNED: "commit not signed",
    DIRECT_CHANGE: "changed directly on the branch, not through a pull request",
}
FORMATS = ("md", "json", "csv")
STATUS_TEXT = {"A": "added", "M": "modified", "R": "moved", "D": "withdrawn"}


# ----------------------------------------------------------------------------------------------
# Flags and policy


def flags_for(change: Change) -> tuple[str, ...]:
    """The change-control flags a change raises, in the order of FLAGS."""
    flags = []
    if change.status in ("M", "R") and change.content_changed and not change.revision_bumped:
        flags.append(NO_REVISION_BUMP)
    if not change.approved_by:
        flags.append(NO_APPROVAL)
    if not change.signed:
        flags.append(UNSIGNED)
    if not change.via_pr:
        flags.append(DIRECT_CHANGE)
    return tuple(flags)


def judged(change: Change, policy: Policy) -> bool:
    """True when the policy judges this change (it reached the branch on or after judge_from)."""
    return policy.judge_from is None or change.datetime.date() >= policy.judge_from


def judge(changes: Iterable[Change], policy: Policy) -> list[Problem]:
    """A problem per flag of each judged change: an error when the policy names the flag, else a warning."""
    return [p for change in changes for p in _judge_one(change, policy, change.path)]


def judge_history(history: History, policy: Policy) -> list[Problem]:
    """`judge` over every change to a controlled document, each reported at the document's current path."""
    ids = {path: latest_id(chain) for path, chain in history.changes.items()}
    return [p for key, change in _keyed(history) if change.doc_id or ids[key]
            for p in _judge_one(change, policy, key)]


def _judge_one(change: Change, policy: Policy, path: str) -> list[Problem]:
    if not judged(change, policy):
        return []
    problems = []
    for flag in flags_for(change):
        text = FLAG_TEXT[flag]
        if flag == UNSIGNED and change.signature != "N":
            text = f"commit signature is not valid ({change.signature_text})"
        if flag == NO_REVISION_BUMP:
            text += f" (revision stays {change.revision})"
        where = f"{change.short} on {change.date}, '{change.summary}'"
        problems.append(Problem(path, 0, f"{flag}: {text} in {where}", "error" if flag in policy.errors else "warning"))
    return problems


def summarize(problems: list[Problem], where: str) -> list[Problem]:
    """Errors as they are; warnings folded into one line per flag, so a long history does not drown the output."""
    kept = [p for p in problems if p.severity == "error"]
    counts: dict[str, int] = {}
    for p in problems:
        if p.severity != "error":
            flag = p.message.split(":", 1)[0]
            counts[flag] = counts.get(flag, 0) + 1
    for flag, n in counts.items():
        kept.append(Problem(where, 0, f"{flag}: {n} change{'s' if n != 1 else ''} to controlled documents: "
                                      f"{FLAG_TEXT.get(flag, flag)} (list them with: qms audit-trail)", "warning"))
    return kept


def controlled_folders(settings: Settings) -> tuple[str, ...]:
    """The folders under change control, relative to the project root (procedures/ and docs/ by default)."""
    folders = []
    for folder in (settings.procedures_dir, settings.docs_dir):
        rel = settings.rel(folder)
        if not Path(rel).is_absolute() and rel not in folders:
            folders.append(rel)
    return tuple(folders)


def controlled_changes(history: History) -> list[tuple[Change, str]]:
    """(change, document id) for every change to a file that was a controlled document, newest first."""
    ids = {path: latest_id(chain) for path, chain in history.changes.items()}
    return [(c, c.doc_id or ids[key]) for key, c in _keyed(history) if c.doc_id or ids[key]]


def _keyed(history: History) -> list[tuple[str, Change]]:
    rank = {sha: i for i, sha in enumerate(history.order)}
    pairs = [(key, c) for key, chain in history.changes.items() for c in chain]
    return sorted(pairs, key=lambda kc: (rank.get(kc[1].commit, len(rank)), kc[1].path))


# ----------------------------------------------------------------------------------------------
# Audit trail and revision history


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit trail: a change to a controlled document and its flags."""

    date: str
    commit: str
    doc_id: str
    path: str
    revision: str | None
    previous_revision: str | None
    status: str
    author: str
    approved_by: tuple[str, ...]
    summary: str
    pr: str | None
    signature: str
    via_pr: bool
    flags: tuple[str, ...]
    url: str | None = None


AUDIT_COLUMNS = ("date", "commit", "doc_id", "path", "revision", "previous_revision", "status", "author",
                 "approved_by", "summary", "pr", "signature", "via_pr", "flags", "url")


def audit_trail(history: History, since: dt.date | None = None, until: dt.date | None = None) -> list[AuditRow]:
    """Every change to a controlled document between two dates (both included), newest first."""
    rows = []
    for change, doc_id in controlled_changes(history):
        day = change.datetime.date()
        if (since and day < since) or (until and day > until):
            continue
        rows.append(AuditRow(
            date=change.date, commit=change.commit, doc_id=doc_id, path=change.path, revision=change.revision,
            previous_revision=change.previous_revision, status=change.status, author=change.author,
            approved_by=change.approved_by, summary=change.summary, pr=change.pr, signature=change.signature,
            via_pr=change.via_pr, flags=flags_for(change), url=history.commit_url(change.commit)))
    return rows


def history_entry(change: Change, history: History | None = None) -> dict:
    """One revision-history entry as plain data (for JSON, CSV and templates)."""
    return {
        "commit": change.commit, "short": change.short, "date": change.date,
        "datetime": change.datetime.isoformat(), "author": change.author, "authors": list(change.authors),
        "summary": change.summary, "revision": change.revision, "previous_revision": change.previous_revision,
        "approved_by": list(change.approved_by), "path": change.path, "old_path": change.old_path,
        "status": change.status, "pr": change.pr, "via_pr": change.via_pr, "signature": change.signature,
        "signed": change.signed, "content_changed": change.content_changed,
        "revision_bumped": change.revision_bumped, "flags": list(flags_for(change)),
        "url": history.commit_url(change.commit) if history else None,
    }


HISTORY_COLUMNS = ("date", "commit", "revision", "previous_revision", "author", "approved_by", "summary",
                   "path", "old_path", "status", "pr", "signature", "flags", "url")


def format_history(changes: Sequence[Change], fmt: str, title: str = "", history: History | None = None,
                   draft: bool = False) -> str:
    """The revision history of one document as Markdown, JSON (a list of entries) or CSV."""
    entries = [history_entry(c, history) for c in changes]
    if fmt == "json":
        return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv(HISTORY_COLUMNS, entries)
    lines = [f"# Revision history: {title}".rstrip(": "), ""]
    if draft:
        lines += ["> The working copy differs from the last commit: draft, not yet approved.", ""]
    if not entries:
        lines.append("No committed revision yet.")
        return "\n".join(lines) + "\n"
    lines += ["| Revision | Date | Change | Author | Approved by | Commit |", "|---|---|---|---|---|---|"]
    for e in entries:
        commit = f"[`{e['short']}`]({e['url']})" if e["url"] else f"`{e['short']}`"
        summary = e["summary"] + (f" ({e['pr']})" if e["pr"] else "")
        if e["old_path"]:
            summary += f" (moved from `{e['old_path']}`)"
        lines.append(f"| {_cell(e['revision'] or '—')} | {e['date']} | {_cell(summary)} | {_cell(e['author'])} | "
                     f"{_cell(', '.join(e['approved_by'])) or '—'} | {commit} |")
    return "\n".join(lines) + "\n"


def format_audit(rows: Sequence[AuditRow], fmt: str) -> str:
    """The audit trail as CSV, JSON (a list of rows) or a Markdown table."""
    data = [_row_dict(r) for r in rows]
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv(AUDIT_COLUMNS, data)
    lines = ["| Date | Commit | Document | Revision | Change | Author | Approved by | Flags |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        commit = f"[`{r.commit[:8]}`]({r.url})" if r.url else f"`{r.commit[:8]}`"
        revision = f"{r.previous_revision or '—'} → {r.revision or '—'}" if r.previous_revision != r.revision \
            else (r.revision or "—")
        lines.append(f"| {r.date} | {commit} | {_cell(r.doc_id)} | {_cell(revision)} | {_cell(r.summary)} | "
                     f"{_cell(r.author)} | {_cell(', '.join(r.approved_by)) or '—'} | {', '.join(r.flags) or '—'} |")
    if not rows:
        lines.append("| | | | | No change to a controlled document in this period. | | | |")
    return "\n".join(lines) + "\n"


def _row_dict(row: AuditRow) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in row.__dict__.items()}


def _csv(columns: Sequence[str], rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()


def _cell(text: str | None) -> str:
    """Text safe inside a Markdown table cell (and from template engines)."""
    return (text or "").replace("|", "\\|").replace("\n", " ").replace("{", "&#123;").replace("}", "&#125;")


# ----------------------------------------------------------------------------------------------
# Pull requests: what changed since a base revision


@dataclass(frozen=True)
class DocChange:
    """A controlled document that differs between a base revision and the working tree."""

    doc_id: str
    title: str
    path: str  # in the working tree (the old path for a withdrawn document)
    old_path: str | None  # at the base, when it moved
    status: str  # 'A', 'M', 'R' or 'D'
    old_revision: str | None
    new_revision: str | None
    content_changed: bool
    revision_bumped: bool
    clauses: tuple[str, ...]  # of the old and the new version
    records: tuple[str, ...]
    line: int = 1  # of the revision key in the working copy

    @property
    def needs_bump(self) -> bool:
        """True when the text changed and the revision did not."""
        return self.status in ("M", "R") and self.content_changed and not self.revision_bumped


@dataclass(frozen=True)
class _Version:
    text: str
    meta: dict


def _version(text: str | None) -> _Version | None:
    if text is None:
        return None
    fm = yamlio.split_front_matter(text)
    meta: object = {}
    if fm.yaml_text is not None:
        try:
            meta = yamlio.load(fm.yaml_text) or {}
        except yamlio.YAMLSyntaxProblem:
            meta = {}
    return _Version(text, meta if isinstance(meta, dict) else {})


def resolve_base(repo: GitRepo, base_rev: str) -> str:
    """The commit a base revision names; a clear error when it is unknown here."""
    out = repo.try_run("rev-parse", "--verify", "-q", "--end-of-options", f"{base_rev}^{{commit}}")
    if not out:
        hint = " (this is a shallow clone: run 'git fetch --unshallow')" if repo.is_shallow() else ""
        raise QMSError(Problem(repo.root.as_posix(), 0, f"unknown revision '{base_rev}': fetch it first "
                                                        f"(e.g. git fetch origin {base_rev}){hint}"))
    return out.decode().strip()


def changes_since(root: Path, base_rev: str, project: "Project") -> list[DocChange]:
    """Controlled documents that differ between `base_rev` and the working tree (committed or not)."""
    repo = open_repo(root)
    if repo is None:
        raise QMSError(Problem(root.as_posix(), 0, f"--base {base_rev}: not a git repository, so there is nothing "
                                                   "to compare with"))
    if repo.head() is None:
        raise QMSError(Problem(root.as_posix(), 0, f"--base {base_rev}: the repository has no commits yet"))
    base = resolve_base(repo, base_rev)
    folders = controlled_folders(project.settings)
    pathspecs = repo.pathspecs(folders)
    entries = parse_raw(repo.run("diff", "-M", "--raw", "-z", "--no-abbrev", "--no-ext-diff", base, "--", *pathspecs))
    untracked = repo.run("ls-files", "-z", "--others", "--exclude-standard", "--", *pathspecs)
    entries += [FileChange("A", p, None, None, None) for p in untracked.decode("utf-8", "replace").split("\0") if p]
    entries = [e for e in entries if e.path.lower().endswith((".md", ".markdown"))]
    old_data = repo.read_blobs([e.old_blob for e in entries if e.old_blob])
    moves: list[_Move] = []
    for e in entries:
        data = old_data.get(e.old_blob) if e.old_blob else None
        old = _version(data.decode("utf-8-sig", "replace")) if data is not None else None
        new = _version(_read_work_file(repo, e.path)) if e.status != "D" else None
        old_path = repo.to_root(e.old_path) if e.old_path else None
        path = repo.to_root(e.path)
        if path is not None:
            moves.append(_Move(e.status, path, old_path, old, new))
    return _doc_changes(_pair_moves(moves), project)


@dataclass(frozen=True)
class _Move:
    """A Markdown file that differs between the base and the working tree."""

    status: str
    path: str
    old_path: str | None
    old: _Version | None
    new: _Version | None


def _read_work_file(repo: GitRepo, git_path: str) -> str | None:
    try:
        return (repo.toplevel / git_path).read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return None


def _doc_id(version: _Version | None) -> str | None:
    value = version.meta.get("id") if version else None
    return value if isinstance(value, str) else None


def _pair_moves(moves: list[_Move]) -> list[_Move]:
    """A withdrawn and an added file that carry the same document id are one moved document (a plain `mv`)."""
    added = {_doc_id(m.new): m for m in moves if m.status == "A" and _doc_id(m.new)}
    paired: set[str] = set()
    out = []
    for m in moves:
        partner = added.get(_doc_id(m.old)) if m.status == "D" and _doc_id(m.old) else None
        if partner is not None and partner.path not in paired:
            paired.add(partner.path)
            out.append(_Move("R", partner.path, m.path, m.old, partner.new))
        else:
            out.append(m)
    return [m for m in out if not (m.status == "A" and m.path in paired)]


def _doc_changes(moves: list[_Move], project: "Project") -> list[DocChange]:
    docs_by_path = {d.path: d for d in project.documents.values()}
    result = []
    for m in moves:
        doc = docs_by_path.get(m.path) if m.status != "D" else None
        old_meta = m.old.meta if m.old else {}
        new_meta = m.new.meta if m.new else {}
        doc_id = (doc.id if doc else None) or _doc_id(m.new) or _doc_id(m.old)
        if doc_id is None:
            continue  # not a controlled document, then or now
        old_rev = _label(old_meta.get("revision")) if m.old else None
        new_rev = (doc.revision if doc else _label(new_meta.get("revision"))) if m.new else None
        if m.old is not None and m.new is not None:
            content_changed = blob_info(m.old.text.encode()).content_key != blob_info(m.new.text.encode()).content_key
        else:
            content_changed = True
        if m.status == "M" and not content_changed and old_rev == new_rev:
            continue  # only a stat change, or line endings git normalises
        title = (doc.title if doc else None) or new_meta.get("title") or old_meta.get("title") or ""
        result.append(DocChange(
            doc_id=doc_id, title=str(title), path=m.path, old_path=m.old_path if m.status == "R" else None,
            status=m.status, old_revision=old_rev, new_revision=new_rev, content_changed=content_changed,
            revision_bumped=new_rev is not None and new_rev != old_rev,
            clauses=_union(old_meta.get("clauses"), doc.clauses if doc else new_meta.get("clauses")),
            records=_union(old_meta.get("records"), doc.records if doc else new_meta.get("records")),
            line=doc.line_of("revision") if doc else 1))
    return sorted(result, key=lambda c: (c.doc_id, c.path))


def _label(value: object) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _union(*lists: object) -> tuple[str, ...]:
    items: dict[str, None] = {}
    for values in lists:
        if isinstance(values, (list, tuple)):
            items.update((str(v), None) for v in values)
    return tuple(items)


def base_problems(project: "Project", base_rev: str) -> list[Problem]:
    """Errors for `qms check --base REV`: a controlled document whose content changed without a revision bump."""
    problems = []
    for change in changes_since(project.settings.root, base_rev, project):
        if change.needs_bump:
            problems.append(Problem(change.path, change.line,
                                    f"{change.doc_id}: the content changed since {base_rev} but the revision is "
                                    f"still {change.old_revision}: raise the revision in the front matter"))
    return problems


def format_diff(changes: Sequence[DocChange], fmt: str, base_rev: str, project: "Project | None" = None) -> str:
    """What a pull request changes in the controlled documents, for a reviewer (Markdown) or a tool."""
    data = [{**c.__dict__, "clauses": list(c.clauses), "records": list(c.records), "needs_bump": c.needs_bump}
            for c in changes]
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        columns = ("doc_id", "title", "status", "path", "old_path", "old_revision", "new_revision",
                   "content_changed", "revision_bumped", "needs_bump", "clauses", "records")
        return _csv(columns, data)
    lines = [f"### Controlled documents changed since `{base_rev}`", ""]
    if not changes:
        lines.append("No controlled document changed.")
        return "\n".join(lines) + "\n"
    lines += ["| Document | Title | Change | Revision | Clauses | Record types |", "|---|---|---|---|---|---|"]
    for c in changes:
        revision = f"{c.old_revision or '—'} → {c.new_revision or '—'}"
        if c.needs_bump:
            revision += " ⚠️ not raised"
        what = STATUS_TEXT.get(c.status, c.status)
        if c.old_path:
            what += f" from `{c.old_path}`"
        lines.append(f"| {_cell(c.doc_id)} | {_cell(c.title)} | {what} | {revision} | "
                     f"{_cell(', '.join(c.clauses)) or '—'} | {_cell(', '.join(c.records)) or '—'} |")
    clauses = _union(*(c.clauses for c in changes))
    records = _union(*(c.records for c in changes))
    lines += ["", "**Clauses affected:** " + ("; ".join(_clause_label(cid, project) for cid in _sorted_clauses(clauses))
                                              or "none")]
    lines += ["", "**Record types affected:** " + (", ".join(sorted(records)) or "none")]
    missing = [c for c in changes if c.needs_bump]
    if missing:
        lines += ["", "**Revision not raised:** " + ", ".join(f"{c.doc_id} (still {c.old_revision})" for c in missing)]
    return "\n".join(lines) + "\n"


def _sorted_clauses(ids: Iterable[str]) -> list[str]:
    def key(cid: str) -> tuple:
        return tuple(int(p) if p.isdigit() else 0 for p in cid.split(":")[-1].split("."))
    return sorted(ids, key=key)


def _clause_label(cid: str, project: "Project | None") -> str:
    clause = project.find_clause(cid) if project is not None else None
    return _cell(f"{cid} {clause.name}".strip() if clause else cid)
