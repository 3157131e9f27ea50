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
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from qms.config import Policy, Settings
from qms.history import approvals
from qms.history.revisions import (
    Change,
    History,
    latest_id,
)
from qms.jsondata import jsondata
from qms.problems import Problem

if TYPE_CHECKING:  # pragma: no cover
    pass

NO_REVISION_BUMP = "no-revision-bump"
REVISION_NOT_INCREASED = "revision-not-increased"
NO_APPROVAL = "no-approval"
UNSIGNED = "unsigned"
DIRECT_CHANGE = "direct-change"
# the options schema's policy.errors lists the same (history-rewritten: see approvals.rewrite_problems)
FLAGS = (NO_REVISION_BUMP, REVISION_NOT_INCREASED, NO_APPROVAL, UNSIGNED, DIRECT_CHANGE, *approvals.APPROVAL_FLAGS,
         approvals.HISTORY_REWRITTEN)
FLAG_TEXT = {
    NO_REVISION_BUMP: "content changed without a revision bump",
    REVISION_NOT_INCREASED: "revision label not after an earlier label of the document with other content",
    NO_APPROVAL: "no approval that counts (nobody with authority, other than its authors, approved it by merging "
                 "it, committing it or signing it)",
    UNSIGNED: "commit not signed",
    DIRECT_CHANGE: "changed directly on the branch, not through a pull request",
    **approvals.FLAG_TEXT,
}
FORMATS = ("md", "json", "csv")
STATUS_TEXT = {"A": "added", "M": "modified", "R": "moved", "D": "withdrawn"}


# ----------------------------------------------------------------------------------------------
# Flags and policy


def flags_for(change: Change) -> tuple[str, ...]:
    """The change-control flags a change raises, in the order of FLAGS (`unsigned`: no good signature, see
    revisions.SIGNATURE_TEXT for what each other verdict means)."""
    flags = []
    if change.status in ("M", "R") and change.content_changed and not change.revision_bumped:
        flags.append(NO_REVISION_BUMP)
    if change.revision_not_increased:
        flags.append(REVISION_NOT_INCREASED)
    if not change.approved_by or NO_APPROVAL in change.approval_flags:
        flags.append(NO_APPROVAL)
    if not change.signed:
        flags.append(UNSIGNED)
    if not change.via_pr:
        flags.append(DIRECT_CHANGE)
    flags.extend(f for f in change.approval_flags if f != NO_APPROVAL)
    return tuple(flags)


def judged(change: Change, policy: Policy) -> bool:
    """True when the policy judges this change (it reached the branch on or after judge_from)."""
    return policy.judge_from is None or change.datetime.date() >= policy.judge_from


def judge(changes: Iterable[Change], policy: Policy) -> list[Problem]:
    """A problem per flag of each judged change: an error when the policy names the flag, else a warning."""
    return [p for change in changes for p in _judge_one(change, policy, change.path)]


def judge_history(history: History, policy: Policy, proposed: frozenset[str] = frozenset()) -> list[Problem]:
    """`judge` over every change to a controlled document, each reported at the document's current path; the
    changes of `proposed` commits (a pull request's, judged as one net change) are left out."""
    ids = {path: latest_id(chain) for path, chain in history.changes.items()}
    return [p for key, change in _keyed(history) if (change.doc_id or ids[key]) and change.commit not in proposed
            for p in _judge_one(change, policy, key)]


def _judge_one(change: Change, policy: Policy, path: str) -> list[Problem]:
    if not judged(change, policy):
        return []
    problems = []
    for flag in flags_for(change):
        if flag in policy.ignore:  # the company does not use it: shown as not judged in the audit trail
            continue
        text = FLAG_TEXT[flag]
        if flag == UNSIGNED and change.signature != "N":
            text = f"commit signature does not count ({change.signature_text}; git %G? {change.signature})"
        if flag == NO_REVISION_BUMP:
            text += f" (revision stays {change.revision})"
        if flag == REVISION_NOT_INCREASED:
            text += (f" (revision {change.previous_revision} → {change.revision}: give it a label after every "
                     "earlier one, in a new change)")
        if flag == NO_APPROVAL and change.approved_by:
            text = f"{len(change.approved_by)} approval counts, this kind of document needs 2 (policy.two_approvals)"
        detail = approvals.flag_detail(change, flag)
        if detail:
            text += f" ({detail})"
        where = f"{change.short} on {change.date}, '{change.summary}'"
        problems.append(Problem(path, 0, f"{flag}: {text} in {where}", "error" if flag in policy.errors else "warning",
                                code=flag))
    return problems


def summarize(problems: list[Problem], where: str) -> list[Problem]:
    """Errors as they are; warnings folded into one line per flag, so a long history does not drown the output."""
    kept = [p for p in problems if p.severity == "error"]
    counts: dict[str, int] = {}
    for p in problems:
        if p.severity != "error":
            counts[p.code] = counts.get(p.code, 0) + 1
    for flag, n in counts.items():
        kept.append(Problem(where, 0, f"{flag}: {n} change{'s' if n != 1 else ''} to controlled documents: "
                                      f"{FLAG_TEXT.get(flag, flag)} (list them with: qms audit-trail)", "warning",
                            code=flag))
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
    record_type: str | None = None  # a change to a record (doc_id holds the record id): see qms.history.recordchanges
    fields: tuple[str, ...] = ()  # 'result: pass → fail', values of non-public fields hidden
    reasons: tuple[str, ...] = ()  # why each flag
    datetime: str = ""  # ISO 8601 commit date on the first-parent line: orders document and record rows together
    signatures: tuple[dict, ...] = ()  # history_entry's: meaning, name, person, role, date (ISO), status...
    not_judged: tuple[str, ...] = ()  # the flags the policy does not judge (ignored, or before judge_from)


AUDIT_COLUMNS = ("date", "commit", "doc_id", "path", "revision", "previous_revision", "status", "author",
                 "approved_by", "summary", "pr", "signature", "via_pr", "flags", "not_judged", "url", "record_type",
                 "fields", "signatures")


def not_judged(change: Change, policy: Policy | None) -> tuple[str, ...]:
    """The flags of a change that the policy does not judge: all before judge_from, else those it ignores."""
    if policy is None:
        return ()
    flags = flags_for(change)
    return flags if not judged(change, policy) else tuple(f for f in flags if f in policy.ignore)


def audit_trail(history: History, since: dt.date | None = None, until: dt.date | None = None,
                policy: Policy | None = None) -> list[AuditRow]:
    """Every change to a controlled document between two dates (both included), newest first.

    With a policy, each row also says which of its flags are not judged (shown, never hidden)."""
    rows = []
    for change, doc_id in controlled_changes(history):
        day = change.datetime.date()
        if (since and day < since) or (until and day > until):
            continue
        rows.append(AuditRow(
            date=change.date, commit=change.commit, doc_id=doc_id, path=change.path, revision=change.revision,
            previous_revision=change.previous_revision, status=change.status, author=change.author,
            approved_by=change.approved_by, summary=change.summary, pr=change.pr, signature=change.signature,
            via_pr=change.via_pr, flags=flags_for(change), url=history.commit_url(change.commit),
            datetime=change.datetime.isoformat(),
            signatures=tuple(history_entry(change)["signatures"]),
            not_judged=not_judged(change, policy)))
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
        "signatures": [{"meaning": s.meaning, "name": s.name, "person": s.person, "role": s.role, "date": s.date,
                        "counts": s.counts, "status": s.status_text, "evidence": s.how}
                       for s in approvals.signatures_of(change)],
        "url": history.commit_url(change.commit) if history else None,
    }


HISTORY_COLUMNS = ("date", "commit", "revision", "previous_revision", "author", "approved_by", "summary",
                   "path", "old_path", "status", "pr", "signature", "flags", "url", "signatures")


def signature_text(signature: dict, day: Callable[[str], str] = str) -> str:
    """A signature as 'approved: Helen Carter (P-002, quality-manager), 2026-11-26, verified', its date
    written by `day` (a page writes it in the manual's date format; data keeps ISO)."""
    who = ", ".join(filter(None, (signature.get("person"), signature.get("role"))))
    return f"{signature['meaning']}: {signature['name']}{f' ({who})' if who else ''}, {day(signature['date'])}, " \
           f"{signature['status']}"


def _cell(value: object) -> str:
    """A list item of a CSV cell (a signature as signature_text writes it)."""
    return signature_text(value) if isinstance(value, dict) else str(value)


def format_history(changes: Sequence[Change], fmt: str, history: History | None = None) -> str:
    """The revision history of one document as JSON (a list of entries) or CSV (Markdown: qms.render.changelog)."""
    entries = [history_entry(c, history) for c in changes]
    if fmt == "json":
        return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    return csv_text(HISTORY_COLUMNS, entries)


def format_audit(rows: Sequence[AuditRow], fmt: str) -> str:
    """The audit trail as JSON (a list of rows) or CSV (Markdown: qms.render.changelog)."""
    data = jsondata(list(rows))
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return csv_text(AUDIT_COLUMNS, data)


def csv_text(columns: Sequence[str], rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(map(_cell, v)) if isinstance(v, list) else ("" if v is None else v)
                         for k, v in row.items() if k in columns})
    return out.getvalue()

