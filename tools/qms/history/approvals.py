"""Approvals with authority and meaning, judged from acts rather than claims (ISO 9001 7.5.2 c, 7.5.3).

The history (qms.history.revisions) records who did what to each change (qms.history.evidence). Here
those identities are resolved to people (qms.model.people) and the policy of mkdocs.yml is applied:

- every signature has a meaning: authored, reviewed, approved or released (`Reviewed-by:`,
  `Approved-by:`, `Released-by:` trailers; merging a pull request approves it);
- an approval counts only when the approver acted on the change: merged it, committed it, or signed it
  with a key mapped to them. A trailer naming somebody else, written by the author, is a claim
  (`unverified-approval`); `policy.claims_count` says whether claims count;
- nobody approves their own change (`self-approval`): every author of its commits is compared with the
  approver as resolved people, or, when either is not in the register, by address and by case-folded name;
- an approval needs authority: a role that `policy.approvers` allows for the document's type (`owner`:
  the document's owner role), held by somebody who had not left (`approver-without-authority`);
  `policy.two_approvals` lists the types that need two approvers;
- identities nobody is mapped to are flagged (`unknown-author`, `unknown-approver`) and never approve;
- a squash merge's "(#N)" counts as a pull request only when it is verified: the platform's ref of that
  pull request is in the repository, or a committer of `policy.squash_committers` signed it well;
- a rewrite of the published branch (the HEAD of the last read no longer in its history) is reported
  with the published changes that vanished (`history-rewritten`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from qms.cache import Cache
from qms.config import Policy
from qms.history import evidence
from qms.history.git import open_repo
from qms.history.revisions import Change, History
from qms.model.people import Identity, People, Person, load_people, name_key
from qms.problems import Problem

if TYPE_CHECKING:  # pragma: no cover
    from qms.model.project import Project

SELF_APPROVAL = "self-approval"
UNKNOWN_APPROVER = "unknown-approver"
UNKNOWN_AUTHOR = "unknown-author"
UNVERIFIED_APPROVAL = "unverified-approval"
WITHOUT_AUTHORITY = "approver-without-authority"
HISTORY_REWRITTEN = "history-rewritten"
NO_APPROVAL = "no-approval"
APPROVAL_FLAGS = (UNKNOWN_AUTHOR, UNKNOWN_APPROVER, SELF_APPROVAL, UNVERIFIED_APPROVAL, WITHOUT_AUTHORITY)
FLAG_TEXT = {
    UNKNOWN_AUTHOR: "an author's git identity is not mapped to anybody in the person register",
    UNKNOWN_APPROVER: "an approver's git identity is not mapped to anybody in the person register (does not count)",
    SELF_APPROVAL: "approved by one of its own authors (does not count)",
    UNVERIFIED_APPROVAL: "an approval claimed in a trailer by somebody who did not merge, commit or sign the change",
    WITHOUT_AUTHORITY: "approved by somebody whose role may not approve this kind of document (does not count)",
    HISTORY_REWRITTEN: "the published branch was rewritten: changes published before are no longer in its history",
}
OWNER = "owner"
PUBLISHED_CACHE = "published"  # namespace of qms.cache: the last HEAD read on each branch and its changes

# What a signature's status says, on the page and in the PDF.
COUNTED, CLAIM_COUNTED = "counted", "claim counted"
STATUS_TEXT = {
    "author": "author", COUNTED: "verified", CLAIM_COUNTED: "claimed in a trailer, counted by policy",
    "claim": "claimed in a trailer, not verified", "self": "own change: does not count",
    "unknown": "not in the person register", "no-authority": "no authority for this document",
}
_PR_NUMBER = re.compile(r"^[#!](\d+)$")


@dataclass(frozen=True)
class Signature:
    """One line of a signature block: who signed a change, with which meaning, and whether it counts."""

    meaning: str  # authored | reviewed | approved | released
    name: str  # the printed name: the name git recorded for the act
    person: str  # the person's id in the register ('' when not mapped)
    role: str  # the person's role ids, comma separated ('' when not mapped)
    date: str
    status: str  # a key of STATUS_TEXT
    how: str  # what the evidence is: "merged it", "signed the commit with key …", "trailer written by …"

    @property
    def counts(self) -> bool:
        return self.status in (COUNTED, CLAIM_COUNTED)

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status)


def signatures_of(change: Change) -> list[Signature]:
    """The signature block of a change judged by `judge_changes` (empty before)."""
    return [Signature(*s) for s in change.signatures]


# ----------------------------------------------------------------------------------------------
# Judging the changes


@dataclass(frozen=True)
class _Doc:
    kind: str
    owner: str | None


def judged_history(history: History, project: Project) -> History:
    """The history with every change's signatures, counted approvers and approval flags (see the module)."""
    if not history.changes:
        return history
    people = load_people(project)
    docs = {doc_id: _Doc(doc.type, doc.owner) for doc_id, doc in project.documents.items()}
    verified = verified_squashes(history, project.settings.policy)
    return judge_changes(history, people, project.settings.policy, docs, verified)


def judge_changes(history: History, people: People, policy: Policy, docs: dict[str, _Doc],
                  verified_prs: frozenset[str] = frozenset()) -> History:
    """`judged_history` with its inputs given: `verified_prs` the commits whose squash reference is verified."""
    ids = {path: next((c.doc_id for c in chain if c.doc_id), None) for path, chain in history.changes.items()}
    memo: dict[tuple, tuple[tuple, tuple, tuple[str, ...], bool]] = {}
    changes = {}
    for path, chain in history.changes.items():
        out = []
        for change in chain:
            doc = docs.get(change.doc_id or ids[path] or "")
            key = (change.commit, change.doc_id or ids[path])
            if key not in memo:
                memo[key] = _judge(change, people, policy, doc, change.commit in verified_prs)
            signatures, approvers, flags, via_pr = memo[key]
            out.append(dataclasses.replace(change, signatures=signatures, approved_by=approvers,
                                           approval_flags=flags, via_pr=via_pr))
        changes[path] = tuple(out)
    return dataclasses.replace(history, changes=changes)


def _judge(change: Change, people: People, policy: Policy, doc: _Doc | None,
           squash_verified: bool) -> tuple[tuple, tuple[str, ...], tuple[str, ...], bool]:
    flags: list[str] = []
    signatures: list[Signature] = []
    authors: list[tuple[Identity, Person | None]] = []
    for kind, text, _by in change.acts:
        if kind == evidence.AUTHORED:
            ident = Identity.parse(text)
            if all(ident.key != a.key for a, _ in authors):
                authors.append((ident, people.resolve(ident)))
    for ident, person in authors:
        if person is None:
            flags.append(UNKNOWN_AUTHOR)
        signatures.append(_signature("authored", ident, person, change.date, "author" if person else "unknown",
                                     "author of a commit of this change"))
    acted = _acted(change, people)
    allowed = _allowed_roles(policy, doc)
    candidates: list[tuple[str, Identity, str, bool]] = []  # meaning, identity, how, acted by the act itself
    signer = people.by_key(change.signing_key) if change.signing_key else None
    for kind, text, by in change.acts:
        if kind == evidence.MERGED:
            candidates.append(("approved", Identity.parse(text), "merged it", True))
        elif kind in evidence.SIGNATURE_TRAILERS.values():
            writer = Identity.parse(by)
            candidates.append((kind, Identity.parse(text), f"{_trailer(kind)} trailer written by {writer.shown}", False))
    seen: dict[tuple[str, str], int] = {}
    for meaning, ident, how, by_act in candidates:
        person = people.resolve(ident)
        who = person.id if person else ident.key
        status = _status(meaning, ident, person, authors, acted, by_act, allowed, change.date, policy)
        if status == "claim" and person is not None and signer is not None and signer.id == person.id:
            status = COUNTED
        if status == COUNTED and not by_act and person is not None:
            how += "; " + acted.get(person.id, "signed the commit with their key")
        prior = seen.get((meaning, who))
        if prior is not None:  # the same person with the same meaning twice: keep the stronger evidence
            if _rank(status) > _rank(signatures[prior].status):
                signatures[prior] = _signature(meaning, ident, person, change.date, status, how)
            continue
        seen[(meaning, who)] = len(signatures)
        signatures.append(_signature(meaning, ident, person, change.date, status, how))
    for s in signatures:
        flag = {"unknown": UNKNOWN_APPROVER, "self": SELF_APPROVAL, "claim": UNVERIFIED_APPROVAL,
                CLAIM_COUNTED: UNVERIFIED_APPROVAL, "no-authority": WITHOUT_AUTHORITY}.get(s.status)
        if s.meaning != "authored" and flag:
            flags.append(flag)
    approvers = tuple(dict.fromkeys(s.name for s in signatures if s.meaning == "approved" and s.counts))
    needed = 2 if doc is not None and doc.kind in policy.two_approvals else 1
    distinct = {s.person or s.name for s in signatures if s.meaning == "approved" and s.counts}
    if approvers and len(distinct) < needed:
        flags.append(NO_APPROVAL)
    via_pr = change.via_pr or squash_verified
    ordered = tuple(f for f in (*APPROVAL_FLAGS, NO_APPROVAL) if f in flags)
    return tuple(dataclasses.astuple(s) for s in signatures), approvers, ordered, via_pr


def _rank(status: str) -> int:
    return {COUNTED: 5, CLAIM_COUNTED: 4, "no-authority": 3, "claim": 2, "self": 1}.get(status, 0)


def _trailer(meaning: str) -> str:
    return next(k for k, v in evidence.SIGNATURE_TRAILERS.items() if v == meaning).title().replace("-By", "-by") + ":"


def _status(meaning: str, ident: Identity, person: Person | None, authors: list[tuple[Identity, Person | None]],
            acted: dict[str, str], by_act: bool, allowed: tuple[str, ...] | None, date: str, policy: Policy) -> str:
    """What a reviewer's or approver's signature is worth (a key of STATUS_TEXT)."""
    if _is_author(ident, person, authors):
        return "self"
    if person is None:
        return "unknown"
    if meaning in ("approved", "released"):
        if person.left and person.left < date:
            return "no-authority"
        if allowed is not None and not person.has_role(allowed):
            return "no-authority"
    if by_act or person.id in acted:
        return COUNTED
    return CLAIM_COUNTED if policy.claims_count else "claim"


def _is_author(ident: Identity, person: Person | None, authors: list[tuple[Identity, Person | None]]) -> bool:
    """True when the identity is one of the authors: the same person when both are in the register, else the
    same address, or the same name however it is spelled (`frank fisher` is Frank Fisher)."""
    for author, author_person in authors:
        if person is not None and author_person is not None:
            if person.id == author_person.id:
                return True
            continue
        mine = {ident.email_key} | {i.email_key for i in (person.identities if person else ())}
        theirs = {author.email_key} | {i.email_key for i in (author_person.identities if author_person else ())}
        my_names = {ident.name_key} | {i.name_key for i in (person.identities if person else ())}
        their_names = {author.name_key} | {i.name_key for i in (author_person.identities if author_person else ())}
        if (mine & theirs) - {""} or (my_names & their_names) - {""}:
            return True
    return False


def flag_detail(change: Change, flag: str) -> str:
    """Who a flag of a change is about, e.g. 'Helen Carter (P-002): approved, merged it'."""
    status = {UNKNOWN_AUTHOR: ("unknown",), UNKNOWN_APPROVER: ("unknown",), SELF_APPROVAL: ("self",),
              UNVERIFIED_APPROVAL: ("claim", CLAIM_COUNTED), WITHOUT_AUTHORITY: ("no-authority",)}.get(flag, ())
    authored = flag == UNKNOWN_AUTHOR
    shown = [f"{s.name}{f' ({s.person})' if s.person else ''}: {s.meaning}, {s.how}" for s in signatures_of(change)
             if s.status in status and (s.meaning == "authored") == authored]
    return "; ".join(shown)


def _acted(change: Change, people: People) -> dict[str, str]:
    """The people who acted on the change, with what they did: merged it, committed it, signed it."""
    acted: dict[str, str] = {}
    for kind, text, _by in change.acts:
        if kind in (evidence.MERGED, evidence.COMMITTED):
            person = people.resolve(text)
            if person is not None:
                acted.setdefault(person.id, "merged it" if kind == evidence.MERGED else "committed it")
    signer = people.by_key(change.signing_key) if change.signing_key else None
    if signer is not None:
        acted.setdefault(signer.id, "signed the commit with their key")
    return acted


def _allowed_roles(policy: Policy, doc: _Doc | None) -> tuple[str, ...] | None:
    """The roles that may approve the document (None: anybody in the register, for a document not known now)."""
    if doc is None:
        return None
    table = dict(policy.approvers)
    roles = table.get(doc.kind, table.get("default", (OWNER,)))
    return tuple(doc.owner if r == OWNER else r for r in roles if r != OWNER or doc.owner)


def _signature(meaning: str, ident: Identity, person: Person | None, date: str, status: str, how: str) -> Signature:
    return Signature(meaning, ident.shown, person.id if person else "", ", ".join(person.roles) if person else "",
                     date, status, how)


# ----------------------------------------------------------------------------------------------
# Squash merges: a pull request's reference verified against the repository


PR_REFS = ("refs/pull/{n}/head", "refs/remotes/origin/pull/{n}/head", "refs/remotes/origin/pr/{n}",
           "refs/merge-requests/{n}/head", "refs/remotes/origin/merge-requests/{n}/head")


def verified_squashes(history: History, policy: Policy) -> frozenset[str]:
    """Commits that are not merges but name a pull request ('(#N)', '!N') that the repository confirms: the
    platform's ref of that pull request exists (GitHub's refs/pull/N/head, GitLab's
    refs/merge-requests/N/head, as fetched by CI), or the commit is committed by one of
    `policy.squash_committers` (e.g. `GitHub <noreply@github.com>`) with a good signature."""
    claims = {c.commit: c for chain in history.changes.values() for c in chain if c.pr and not c.via_pr}
    if not claims:
        return frozenset()
    repo = open_repo(history.root)
    refs: set[str] = set()
    if repo is not None:
        out = repo.try_run("for-each-ref", "--format=%(refname)", "refs/pull", "refs/merge-requests",
                           "refs/remotes") or b""
        refs = set(out.decode("utf-8", "replace").split())
    platforms = {Identity.parse(p).email_key or name_key(p) for p in policy.squash_committers}
    found = set()
    for sha, change in claims.items():
        number = _PR_NUMBER.match(change.pr or "")
        if number and any(pattern.format(n=number.group(1)) in refs for pattern in PR_REFS):
            found.add(sha)
            continue
        committers = [Identity.parse(t) for k, t, _ in change.acts if k == evidence.COMMITTED]
        if change.signed and any((c.email_key or c.name_key) in platforms for c in committers):
            found.add(sha)
    return frozenset(found)


# ----------------------------------------------------------------------------------------------
# Rewrites of the published branch


def rewrite_problems(history: History, policy: Policy, where: str, controlled: Iterable[tuple[Change, str]]) -> list[Problem]:
    """A problem when the branch's last HEAD read (kept in the cache) is no longer in its history, listing the
    changes to controlled documents that were in that history and are not any more; then this HEAD is kept.

    Only a branch is followed (a detached HEAD, as CI checks out a pull request, is not). When the policy makes
    `history-rewritten` an error, the HEAD kept stays the old one, so every build fails until the policy
    accepts the rewrite (one build with it as a warning) or the published history is restored.
    """
    repo = open_repo(history.root) if history.head else None
    if repo is None:
        return []
    try:
        branch = repo.repo.head.reference.path  # refs/heads/main; TypeError when HEAD is detached
    except (TypeError, ValueError, OSError):
        return []
    name = f"{repo.toplevel}:{repo.prefix}:{branch}"
    rows = [[c.commit, c.date, doc_id, c.summary] for c, doc_id in controlled]
    cache = Cache(history.root)
    try:
        before = cache.get(PUBLISHED_CACHE, name, "", _published)
        problems: list[Problem] = []
        if before is not None and before[0] != history.head and \
                repo.try_run("merge-base", "--is-ancestor", before[0], str(history.head)) is None:
            now = set(history.order)
            vanished = [row for row in before[1] if row[0] not in now]
            if vanished:
                shown = "; ".join(f"{doc} {sha[:8]} of {date} '{summary}'" for sha, date, doc, summary in vanished[:20])
                more = f" and {len(vanished) - 20} more" if len(vanished) > 20 else ""
                severity = "error" if HISTORY_REWRITTEN in policy.errors else "warning"
                problems.append(Problem(where, 0, f"{HISTORY_REWRITTEN}: {branch} no longer contains {before[0][:8]}, "
                                        f"the HEAD read before, and {len(vanished)} published change"
                                        f"{'s' if len(vanished) != 1 else ''} to controlled documents vanished: "
                                        f"{shown}{more}: restore the published history (push {before[0][:8]} back), "
                                        "or, if the rewrite is intended, build once with history-rewritten not in "
                                        "policy.errors", severity, code=HISTORY_REWRITTEN))
        if not any(p.severity == "error" for p in problems):
            cache.put(PUBLISHED_CACHE, name, "", [history.head, rows])
    finally:
        cache.save()
    return problems


def _published(value: object) -> tuple[str, list[list[str]]]:
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], list)):
        raise ValueError("a published HEAD of another shape")
    rows = [[str(v) for v in row] for row in value[1] if isinstance(row, list) and len(row) == 4]
    return value[0], rows
