"""Revision history of controlled documents, read from git in one pass and cached by HEAD (see qms.cache).

One `git log --first-parent -M --raw -z` over the controlled folders gives every change that
reached the published branch (a merged pull request is one change: its merge commit, diffed
against the first parent). Renames are followed by walking that log newest to oldest and
mapping each new path back to its old one. The revision label at each change is read from the
document's front matter at that commit with one `git cat-file --batch` process for all blobs.
When merges are present, one more `git log` over the merged side branches gives the authors
and the review trailers of the work each pull request brought in. Signed commits are judged by git
(`%G?`) once per commit and keyring: the verdicts are cached apart from the history, keyed with a
fingerprint of what judged them, so a new HEAD costs one gpg run per NEW signed commit only.

Nothing here imports MkDocs: the MkDocs adapter, the CLI and the checks all read a `History`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import operator
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Iterable, Iterator, Sequence

from qms.cache import Cache
from qms.history import evidence
from qms.history.git import GitRepo, open_repo
from qms.model import yamlio
from qms.problems import Problem, QMSError

log = logging.getLogger(__name__)

HISTORY_CACHE = "history"  # namespaces of qms.cache
SIGNATURES_CACHE = "signatures"
OBJECTS_CACHE = "objects"  # what the history needs from each git object (immutable): versions and commits

APPROVAL_TRAILERS = ("approved-by", "reviewed-by")
CO_AUTHOR_TRAILER = "co-authored-by"
# Trailer keys that are never the title of a change (see _first_body_line).
KNOWN_TRAILERS = frozenset((*APPROVAL_TRAILERS, CO_AUTHOR_TRAILER, "signed-off-by", "released-by", "acked-by",
                            "tested-by", "reported-by", "suggested-by", "helped-by", "cc", "fixes", "closes",
                            "change-id", "changelog"))
# Front-matter keys a revision need not be raised for: the label itself, and a review date that
# records the document was confirmed unchanged.
REVISION_NEUTRAL_KEYS = ("revision", "last_review")
# %G? letters: G good, U good but by a key of unknown trust, X good but the signature has expired, Y
# good but made by a key that has expired, R made by a revoked key, E cannot be checked (the key is not
# in the keyring here), B bad, N none. Only a good signature counts as signed: G, or U for an OpenPGP or
# X.509 signature (a key in the keyring whose owner nobody certified). For an SSH signature git says U
# for ANY key that gpg.ssh.allowedSignersFile does not list, which anybody can make: only G counts.
VERIFIED_LETTERS = frozenset("GU")
SIGNED_LETTERS = VERIFIED_LETTERS
SSH_UNKNOWN_KEY = "good signature by an SSH key that gpg.ssh.allowedSignersFile does not list (anybody can make one)"
SIGNATURE_TEXT = {
    "G": "good signature", "U": "good signature by a key of unknown trust",
    "X": "signature has expired", "Y": "signature made by a key that has expired",
    "R": "signature made by a revoked key",
    "E": "signature cannot be checked: the signer's public key is not in the keyring here",
    "B": "bad signature: the commit does not match it", "N": "not signed",
}
SIGNATURE_LETTERS = frozenset(SIGNATURE_TEXT)
MARKDOWN_SUFFIXES = (".md", ".markdown")

UNSHALLOW_HINT = ("this is a shallow clone, so its history is truncated and the revision records would be false: "
                  "fetch the full history with 'git fetch --unshallow' (in CI: actions/checkout with fetch-depth: 0, "
                  "GitLab: GIT_DEPTH: 0)")


_MARK = "\x1eQMS"
_LOG_FIELDS = ("%H", "%P", "%an", "%ae", "%cn <%ce>", "%cI", "%(trailers:only,unfold,separator=%x1f)", "%s", "%b")
_SIDE_FIELDS = ("%H", "%P", "%an", "%ae", "%cn <%ce>", "%(trailers:only,unfold,separator=%x1f)")
_GITHUB_MERGE = re.compile(r"^Merge pull request #(\d+) from ")
_GITLAB_MR = re.compile(r"^See merge request \S*?!(\d+)\s*$", re.M)
_SQUASHED_PR = re.compile(r"\(#(\d+)\)\s*$")
_TRAILER_LINE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*:\s")
_NAME_EMAIL = re.compile(r"^\s*(.*?)\s*<[^>]*>\s*$")
_KEY_LINE = re.compile(r"^(id|revision)[ \t]*:[ \t]*(.*)$", re.M)


# ----------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Change:
    """One change to one document that reached the branch: a direct commit or a merged pull request."""

    commit: str
    short: str
    date: str  # YYYY-MM-DD of the commit date on the first-parent line: when it reached the branch
    datetime: dt.datetime
    authors: tuple[str, ...]
    summary: str  # the pull-request title, or the commit subject
    approved_by: tuple[str, ...]
    signature: str  # the %G? letter, see SIGNATURE_TEXT
    signed: bool  # a good signature (see counts_as_signed)
    via_pr: bool
    path: str  # path at that commit, relative to the project root
    old_path: str | None  # the path before, for a rename
    status: str  # 'A' added, 'M' modified, 'R' renamed (maybe also modified), 'D' deleted
    revision: str | None  # front matter revision at that commit (None when deleted or unreadable)
    previous_revision: str | None
    doc_id: str | None  # front matter id at that commit (before, when deleted)
    content_changed: bool  # text changed other than the revision label (and last_review)
    revision_bumped: bool
    pr: str | None = None  # '#12' (GitHub) or '!12' (GitLab) when known
    blob: str | None = None  # blob id of the new version
    previous_blob: str | None = None
    signature_kind: str = ""  # 'openpgp', 'x509' or 'ssh' for a signed commit, see signature_kind
    content_key: str = ""  # digest of the new version as published (see content_key); '' when deleted
    # The label is not after an earlier label of the document whose content differs (see revision_order), or
    # does not fit the revision scheme: set by load_history, from the scheme it is given.
    revision_not_increased: bool = False
    acts: tuple[tuple[str, str, str], ...] = ()  # who did what, as git records it (see qms.history.evidence)
    signing_key: str = ""  # fingerprints of the key of a good signature (%GF %GP), see judge_signatures
    # Filled by qms.history.approvals once identities are resolved to people: the signature block
    # (each a qms.history.approvals.Signature as a plain tuple) and the flags the approval rules raise.
    signatures: tuple[tuple, ...] = ()
    approval_flags: tuple[str, ...] = ()

    @property
    def author(self) -> str:
        """The authors, comma separated."""
        return ", ".join(self.authors)

    @property
    def verified(self) -> bool:
        """True when the signature was checked and is good (the same as `signed`)."""
        return self.signed

    @property
    def signature_text(self) -> str:
        if self.signature == "U" and self.signature_kind == "ssh":
            return SSH_UNKNOWN_KEY
        return SIGNATURE_TEXT.get(self.signature, f"signature status {self.signature!r}")


def counts_as_signed(letter: str, kind: str) -> bool:
    """True for a good signature: %G? G, or U for an OpenPGP or X.509 signature (see SIGNED_LETTERS)."""
    return letter == "G" or (letter == "U" and kind != "ssh")


@dataclass(frozen=True)
class FileChange:
    """One line of `git log --raw`: a file changed by a commit."""

    status: str
    path: str
    old_path: str | None
    old_blob: str | None
    new_blob: str | None


@dataclass(frozen=True)
class _Commit:
    """A commit on the first-parent line, as parsed from the log."""

    sha: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    committer: str  # 'Name <email>'
    committed: str  # ISO 8601 committer date
    trailers: tuple[tuple[str, str], ...]
    subject: str
    body: str
    entries: tuple[FileChange, ...]


@dataclass(frozen=True)
class _SideCommit:
    sha: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    committer: str  # 'Name <email>'
    trailers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _BlobInfo:
    """What the history needs from one version of a file."""

    revision: str | None
    doc_id: str | None
    content_key: str  # digest of the text without the revision-neutral front-matter lines


# ----------------------------------------------------------------------------------------------
# Parsing the log


def log_args(pathspecs: Sequence[str], rev: str = "HEAD") -> list[str]:
    """The one `git log` that reads the first-parent history of the controlled folders."""
    fmt = _MARK + "%x00" + "%x00".join(_LOG_FIELDS) + "%x00"
    return ["log", "--first-parent", "--diff-merges=first-parent", "-M", "--raw", "--no-abbrev", "-z",
            "--no-show-signature", "--no-color", f"--format={fmt}", rev, "--", *pathspecs]


def parse_log_pieces(pieces: Iterable[bytes]) -> Iterator[_Commit]:
    """`parse_log` of an output that arrives in pieces: each commit is given as soon as the next one starts."""
    marker = _MARK.encode() + b"\0"
    pending = b""
    for piece in pieces:
        pending += piece
        cut = pending.rfind(marker)
        if cut > 0:
            yield from parse_log(pending[:cut])
            pending = pending[cut:]
    yield from parse_log(pending)


def parse_log(out: bytes) -> list[_Commit]:
    """Commits from the output of `log_args`, newest first."""
    tokens = out.decode("utf-8", "replace").split("\0")
    commits: list[_Commit] = []
    i, n, nfields = 0, len(tokens), len(_LOG_FIELDS)
    while i < n:
        if tokens[i].lstrip("\n") != _MARK:
            i += 1
            continue
        sha, parents, author, email, committer, committed, trailers, subject, body = tokens[i + 1:i + 1 + nfields]
        i += 1 + nfields
        entries: list[FileChange] = []
        while i < n and tokens[i].lstrip("\n") != _MARK:
            entry, i = _read_entry(tokens, i)
            if entry is not None:
                entries.append(entry)
        commits.append(_Commit(sha, tuple(parents.split()), author, email, committer, committed,
                               parse_trailers(trailers), subject, body, tuple(entries)))
    return commits


def parse_raw(out: bytes) -> list[FileChange]:
    """Files changed, from `git diff --raw -z --no-abbrev` output."""
    tokens = out.decode("utf-8", "replace").split("\0")
    entries: list[FileChange] = []
    i = 0
    while i < len(tokens):
        entry, i = _read_entry(tokens, i)
        if entry is not None:
            entries.append(entry)
    return entries


def _read_entry(tokens: list[str], i: int) -> tuple[FileChange | None, int]:
    """The raw diff entry starting at tokens[i] (None when it is not one) and the index after it."""
    raw = tokens[i].lstrip("\n")
    i += 1
    if not raw.startswith(":"):
        return None, i
    meta = raw[1:].split()
    status = meta[-1][:1]
    old_blob, new_blob = meta[2], meta[3]
    if status in "RC":
        old_path, path = tokens[i], tokens[i + 1]
        i += 2
    else:
        old_path, path = None, tokens[i]
        i += 1
    if status == "C":  # a copy is a new file
        status, old_path, old_blob = "A", None, "0"
    elif status in "TUX":  # type change, unmerged, unknown: the content is what matters
        status = "M"
    return FileChange(status, path, old_path, _blob_id(old_blob), _blob_id(new_blob)), i


def _blob_id(sha: str) -> str | None:
    """None for git's all-zero id (no such file, or not hashed yet in the working tree)."""
    return None if not sha.strip("0") else sha


def parse_trailers(text: str) -> tuple[tuple[str, str], ...]:
    """('key', 'value') pairs from `%(trailers:only,unfold,separator=%x1f)`; keys lower-cased."""
    pairs = []
    for item in text.split("\x1f"):
        key, sep, value = item.partition(":")
        if sep and key.strip() and value.strip():
            pairs.append((key.strip().lower(), value.strip()))
    return tuple(pairs)


def person(value: str) -> str:
    """'Ann Smith' from 'Ann Smith <ann@example.com>'; the address alone when there is no name."""
    match = _NAME_EMAIL.match(value)
    if match and match.group(1):
        return match.group(1)
    return value.strip().strip("<>")


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def side_commits(repo: GitRepo, commits: Sequence[_Commit], head: str,
                 known_merges: frozenset[str] = frozenset()) -> dict[str, list[_SideCommit]]:
    """For each first-parent merge (but those in `known_merges`), the commits its side branches brought
    in, oldest first.

    One `git log` over the range since the oldest of those merges; commits are assigned to the first
    merge on the first-parent line that makes them reachable. What a merge brought is a function of the
    merge alone (what its side parents reach that its first parent does not), so it can be cached.
    """
    merges = [c for c in commits if len(c.parents) > 1 and c.sha not in known_merges]
    if not merges:
        return {}
    fmt = _MARK + "%x00" + "%x00".join(_SIDE_FIELDS) + "%x00"
    out = repo.run("log", "--no-show-signature", f"--format={fmt}", head, f"^{merges[-1].parents[0]}")
    tokens = out.decode("utf-8", "replace").split("\0")
    known: dict[str, _SideCommit] = {}
    for i, token in enumerate(tokens):
        if token.lstrip("\n") == _MARK and i + len(_SIDE_FIELDS) < len(tokens):
            sha, parents, author, email, committer, trailers = tokens[i + 1:i + 1 + len(_SIDE_FIELDS)]
            known[sha] = _SideCommit(sha, tuple(parents.split()), author, email, committer, parse_trailers(trailers))
    # the first-parent line from HEAD, oldest first
    line: list[str] = []
    sha: str | None = head
    while sha in known:
        line.append(sha)
        parents = known[sha].parents
        sha = parents[0] if parents else None
    line.reverse()
    seen: set[str] = set()
    wanted = {m.sha for m in merges}
    result: dict[str, list[_SideCommit]] = {}
    for fp in line:
        brought: list[_SideCommit] = []
        stack = list(known[fp].parents[1:])
        while stack:
            cur = stack.pop()
            if cur in seen or cur not in known:
                continue
            seen.add(cur)
            brought.append(known[cur])
            stack.extend(known[cur].parents)
        seen.add(fp)
        if fp in wanted:
            result[fp] = brought[::-1]
    return result


# ----------------------------------------------------------------------------------------------
# Reading versions of a document


def blob_info(data: bytes | None) -> _BlobInfo:
    """Revision label, id and content digest of one version of a Markdown file."""
    if data is None:
        return _BlobInfo(None, None, "")
    text = data.decode("utf-8-sig", "replace")
    fm = yamlio.split_front_matter(text)
    if fm.yaml_text is None:
        return _BlobInfo(None, None, hashlib.blake2b(data, digest_size=16).hexdigest())
    revision, doc_id = front_matter_keys(fm.yaml_text)
    return _BlobInfo(revision, doc_id, content_key(fm.yaml_text, fm.body))


def content_key(yaml_text: str, body: str) -> str:
    """Digest of a document as published: its front matter as data without the revision-neutral keys, and its
    body. A key is dropped, not a line: in a flow-style front matter (`{id: QP-01, revision: 2, title: ...}`) a
    field changed on the line that holds the revision still changes the key. A front matter YAML cannot read
    counts as written."""
    try:
        meta = yamlio.load(yaml_text)
    except yamlio.YAMLSyntaxProblem:
        meta = None
    if isinstance(meta, dict):
        data = {str(k): v for k, v in meta.items() if str(k) not in REVISION_NEUTRAL_KEYS}
        head = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    else:
        head = "\x01" + yaml_text
    return hashlib.blake2b((head + "\0" + body).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def front_matter_keys(yaml_text: str) -> tuple[str | None, str | None]:
    """(revision, id) of a front matter, read as YAML reads them (revision 2 is '2').

    The usual one-line values are read without a YAML parser (this runs once per version of every
    document); anything else goes to the YAML loader.
    """
    values: dict[str, str | None] = {}
    for match in _KEY_LINE.finditer(yaml_text):
        value = _simple_scalar(match.group(2))
        if value is _NOT_SIMPLE:
            return _front_matter_keys_yaml(yaml_text)
        values[match.group(1)] = value  # type: ignore[assignment]
    if any(key not in values and key in yaml_text for key in ("revision", "id")):
        return _front_matter_keys_yaml(yaml_text)  # e.g. a flow-style front matter: {id: QP-01, revision: 2}
    return values.get("revision"), values.get("id")


_NOT_SIMPLE = object()
_DOUBLE_QUOTED = re.compile(r'^"([^"\\]*)"\s*(?:#.*)?$')
_SINGLE_QUOTED = re.compile(r"^'([^']*)'\s*(?:#.*)?$")
_PLAIN_WORD = re.compile(r"^[A-Za-z_][\w.-]*$")
_PLAIN_INT = re.compile(r"^(?:0|[1-9][0-9]*)$")
_YAML_WORDS = frozenset(("yes", "no", "true", "false", "on", "off", "null"))


def _simple_scalar(raw: str) -> object:
    """The string YAML makes of a one-line value, or _NOT_SIMPLE when only a YAML parser can tell."""
    raw = raw.strip()
    match = _DOUBLE_QUOTED.match(raw) or _SINGLE_QUOTED.match(raw)
    if match:
        return match.group(1)
    value = raw.split(" #", 1)[0].rstrip()
    if _PLAIN_INT.match(value) or (_PLAIN_WORD.match(value) and value.lower() not in _YAML_WORDS):
        return value
    return _NOT_SIMPLE


def _front_matter_keys_yaml(yaml_text: str) -> tuple[str | None, str | None]:
    try:
        meta = yamlio.load(yaml_text)
    except yamlio.YAMLSyntaxProblem:
        return None, None
    if not isinstance(meta, dict):
        return None, None
    revision, doc_id = meta.get("revision"), meta.get("id")
    return (None if revision is None or isinstance(revision, (dict, list)) else str(revision),
            doc_id if isinstance(doc_id, str) else None)


# ----------------------------------------------------------------------------------------------
# Building the history


@dataclass(frozen=True)
class _CommitFacts:
    summary: str
    authors: tuple[str, ...]
    approved_by: tuple[str, ...]
    via_pr: bool
    pr: str | None
    acts: tuple[tuple[str, str, str], ...] = ()


def commit_facts(commit: _Commit, brought: Sequence[_SideCommit]) -> _CommitFacts:
    """Summary, authors, approvers and pull-request facts of a change on the first-parent line."""
    is_merge = len(commit.parents) > 1
    trailers = list(commit.trailers)
    if is_merge:
        for side in brought:
            trailers.extend(side.trailers)
    co_authors = [person(v) for k, v in trailers if k == CO_AUTHOR_TRAILER]
    approvers = [person(v) for k, v in trailers if k in APPROVAL_TRAILERS]
    pr: str | None = None
    match = _GITHUB_MERGE.match(commit.subject)
    if match:
        pr = f"#{match.group(1)}"
    elif (mr := _GITLAB_MR.search(commit.body)):
        pr = f"!{mr.group(1)}"
    elif (squash := _SQUASHED_PR.search(commit.subject)):
        pr = f"#{squash.group(1)}"
    if is_merge:
        authors = _unique([*(s.author for s in brought), *co_authors]) or (commit.author,)
        summary = _first_body_line(commit) or commit.subject
        if commit.author not in authors:  # the person who merged approved; merging one's own work does not count
            approvers.append(commit.author)
    else:
        authors = _unique([commit.author, *co_authors])
        summary = commit.subject
    # Through a pull request is a fact of the history's shape: a merge whose side branch brought the work. A
    # subject such as "... (#77)" is only a claim; qms.history.approvals verifies a squash's reference.
    via_pr = is_merge and bool(brought)
    return _CommitFacts(summary.strip() or "(no message)", authors, _unique(approvers), via_pr, pr,
                        evidence.acts_of(commit, brought))


def _first_body_line(commit: _Commit) -> str:
    """The title a merge of a pull request carries on its first body line (GitHub and GitLab).

    The line is the title even when git reads it as a trailer: a title such as "QP-02: NCR raised within the
    shift" alone in the body is a `Key: value` line. Only a line with a key git's own tools and the hosting
    services write (Co-authored-by, Signed-off-by, Approved-by, ...) is not a title.
    """
    for line in commit.body.splitlines():
        line = line.strip()
        if not line or _GITLAB_MR.match(line):
            continue
        if _TRAILER_LINE.match(line) and line.split(":", 1)[0].lower() in KNOWN_TRAILERS:
            continue
        return line
    return ""


def titled(summary: str, pr: str | None) -> str:
    """A change's title with its pull request, ' (#12)', unless the title already ends with it (a squash merge)."""
    if not pr or re.search(r"\(%s\)\s*$" % re.escape(pr), summary):
        return summary
    return f"{summary} ({pr})"


def build_changes(commits: Sequence[_Commit], brought: dict[str, list[_SideCommit]], blobs: dict[str, _BlobInfo],
                  to_root: Callable[[str], str | None]) -> dict[str, tuple[Change, ...]]:
    """Changes per document, keyed by the document's latest path, newest first; renames followed. Every
    change is 'not signed' here: the signatures are judged apart (see judge_signatures)."""
    builder = _ChangeBuilder(brought, blobs, to_root)
    for commit in commits:
        builder.add(commit)
    return builder.result()


class _ChangeBuilder:
    """`build_changes` one commit at a time (newest first), so the changes can be made while the log is read.

    `brought` and `blobs` are read when a commit is added: a caller may add to them between commits.
    """

    _EMPTY = _BlobInfo(None, None, "")

    def __init__(self, brought: dict[str, list[_SideCommit]], blobs: dict[str, _BlobInfo],
                 to_root: Callable[[str], str | None]):
        self.brought, self.blobs, self.to_root = brought, blobs, to_root
        self.chains: dict[str, list[Change]] = {}
        self.key_of: dict[str, str] = {}  # path at the point reached (walking back in time) -> chain key
        self.added = 0

    def ready(self, commit: _Commit) -> bool:
        """True when what `add` needs for this commit is known: what a merge brought, every version's facts."""
        if len(commit.parents) > 1 and commit.sha not in self.brought:
            return False
        return all(b in self.blobs for e in commit.entries if e.path.lower().endswith(MARKDOWN_SUFFIXES)
                   for b in (e.old_blob, e.new_blob) if b)

    def add(self, commit: _Commit) -> None:
        facts: _CommitFacts | None = None
        when = dt.datetime.fromisoformat(commit.committed)
        for entry in commit.entries:
            path = self.to_root(entry.path)
            if path is None:
                continue
            old_path = self.to_root(entry.old_path) if entry.old_path else None
            key = self.key_of.setdefault(path, path)
            if entry.status == "R":
                del self.key_of[path]
                if old_path is None:  # moved in from outside the project: its past is not ours
                    entry = FileChange("A", entry.path, None, None, entry.new_blob)
                else:
                    self.key_of[old_path] = key
            facts = facts or commit_facts(commit, self.brought.get(commit.sha, ()))
            new = self.blobs.get(entry.new_blob or "", self._EMPTY)
            old = self.blobs.get(entry.old_blob or "", self._EMPTY)
            change = _change(commit, facts, when, entry, path, old_path, old, new)
            self.chains.setdefault(key, []).append(change)
        self.added += 1

    def result(self) -> dict[str, tuple[Change, ...]]:
        return {key: tuple(chain) for key, chain in self.chains.items()}


def _change(commit: _Commit, facts: _CommitFacts, when: dt.datetime, entry: FileChange, path: str,
            old_path: str | None, old: _BlobInfo, new: _BlobInfo) -> Change:
    status = entry.status
    if status == "A":
        content_changed, bumped, previous = True, new.revision is not None, None
    elif status == "D":
        content_changed, bumped, previous = True, False, old.revision
    else:
        previous = old.revision
        content_changed = entry.old_blob != entry.new_blob and old.content_key != new.content_key
        bumped = new.revision is not None and new.revision != previous
    return Change(
        commit=commit.sha, short=commit.sha[:8], date=when.date().isoformat(), datetime=when,
        authors=facts.authors, summary=facts.summary, approved_by=facts.approved_by,
        signature="N", signed=False, via_pr=facts.via_pr,
        path=path, old_path=old_path if status == "R" else None, status=status,
        revision=None if status == "D" else new.revision, previous_revision=previous,
        doc_id=old.doc_id if status == "D" else new.doc_id,
        content_changed=content_changed, revision_bumped=bumped, pr=facts.pr,
        blob=entry.new_blob, previous_blob=entry.old_blob, content_key="" if status == "D" else new.content_key,
        acts=facts.acts,
    )


# ----------------------------------------------------------------------------------------------
# Revision labels only go forward

# How a project numbers its revisions (the plugin's revision_scheme option): 'auto' orders numbers (1, 2, 2.1)
# among themselves and letters (A … Z, AA) among themselves, and a label of the other kind cannot follow.
REVISION_SCHEMES = MappingProxyType({
    "auto": "numbers (1, 2, 2.1) or capital letters (A, B, … Z, AA), one kind per document",
    "integer": "whole numbers: 1, 2, 3",
    "letter": "capital letters: A, B, … Z, AA",
    "major.minor": "numbers with a minor part: 1, 1.1, 2.0 (2 is 2.0)",
})
_NUMBER = re.compile(r"^[0-9]+$")
_DOTTED = re.compile(r"^[0-9]+(?:\.[0-9]+)*$")
_LETTERS = re.compile(r"^[A-Z]+$")


def revision_order(label: str | None, scheme: str = "auto") -> tuple | None:
    """A sort key of a revision label under `scheme` (keys of the same first item compare); None when the label
    does not fit the scheme."""
    if label is None:
        return None
    label = label.strip()
    if scheme in ("integer", "major.minor", "auto") and (_NUMBER if scheme == "integer" else _DOTTED).match(label):
        parts = [int(p) for p in label.split(".")]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()  # 2.0 is 2
        return ("number", tuple(parts))
    if scheme in ("letter", "auto") and _LETTERS.match(label):
        return ("letter", (len(label), label))  # Z before AA
    return None


def goes_forward(label: str | None, earlier: str | None, scheme: str = "auto") -> bool:
    """True when `label` comes after `earlier` under the scheme (a label that does not fit it never does)."""
    new, old = revision_order(label, scheme), revision_order(earlier, scheme)
    if new is None:
        return False
    if old is None:
        return earlier is None or label != earlier  # an earlier label the scheme cannot order: any other one
    return new[0] == old[0] and new[1] > old[1]


def mark_revision_order(changes: dict[str, tuple[Change, ...]], scheme: str = "auto") -> dict[str, tuple[Change, ...]]:
    """The changes, with `revision_not_increased` set on each that gives the document a new label that is not
    after every earlier label of a version with other content (two texts must never carry the same label, and
    labels never go back)."""
    out = {}
    for path, chain in changes.items():
        earlier: list[tuple[str, str]] = []  # (label, content key), oldest first
        marked = []
        for change in reversed(chain):
            flag = False
            if change.status != "D" and change.revision is not None:
                if change.revision_bumped:
                    flag = any(key != change.content_key and not goes_forward(change.revision, label, scheme)
                               for label, key in earlier)
                earlier.append((change.revision, change.content_key))
            marked.append(dataclasses.replace(change, revision_not_increased=True) if flag else change)
        out[path] = tuple(reversed(marked)) if any(c.revision_not_increased for c in marked) else chain
    return out


# ----------------------------------------------------------------------------------------------
# The history


@dataclass(frozen=True)
class History:
    """Every change to the files in the controlled folders, per document, newest first."""

    root: Path
    folders: tuple[str, ...]
    head: str | None  # None when there is no git history (not a repository, or no commits yet)
    remote_url: str | None
    changes: dict[str, tuple[Change, ...]]  # latest path -> changes, newest first
    order: tuple[str, ...] = ()  # commits of the first-parent line that changed a file, newest first
    dirty: frozenset[str] = frozenset()  # paths whose working copy differs from HEAD, or untracked
    problems: tuple[Problem, ...] = ()
    git_prefix: str = ""  # the project root relative to the top of the git work tree ('' or 'sub/dir/')
    # Texts of versions already read, by blob id (a content address: never stale). Kept because the compare
    # pages, the redlines and the PDF ask for the same versions again within one build.
    _texts: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tracked(self) -> bool:
        """True when there is a git history to read."""
        return self.head is not None

    def for_path(self, path: str) -> list[Change]:
        """Changes to the document now at `path` (relative to the project root), newest first."""
        return list(self.changes.get(path, ()))

    def for_id(self, doc_id: str) -> list[Change]:
        """Changes to the document with this id (as of its latest change), newest first."""
        path = self.path_of(doc_id)
        return self.for_path(path) if path else []

    def path_of(self, doc_id: str) -> str | None:
        """The latest path of the document with this id; a current document wins over a deleted one."""
        found = None
        for path, chain in sorted(self.changes.items()):
            if latest_id(chain) == doc_id:
                if chain[0].status != "D":
                    return path
                found = found or path
        return found

    def paths(self) -> list[str]:
        """Latest paths of every file with a history (deleted ones included), sorted."""
        return sorted(self.changes)

    def committed(self, path: str) -> bool:
        """True when `path` exists in HEAD."""
        chain = self.changes.get(path)
        return bool(chain) and chain[0].status != "D"

    def uncommitted(self, path: str) -> bool:
        """True when the working copy of `path` is not what HEAD holds: edited, new, or never committed."""
        return path in self.dirty or not self.committed(path)

    def all_changes(self) -> list[Change]:
        """Every change to every file, newest first (the order of the first-parent line), then by path."""
        rank = {sha: i for i, sha in enumerate(self.order)}
        everything = [c for chain in self.changes.values() for c in chain]
        return sorted(everything, key=lambda c: (rank.get(c.commit, len(rank)), c.path))

    def commit_url(self, sha: str) -> str | None:
        """A link to a commit on the hosting service, when the origin remote is known."""
        return f"{self.remote_url}/commit/{sha}" if self.remote_url else None

    def blob_text(self, commit: str, path: str) -> str | None:
        """The text of the file at `path` (relative to the project root) as of `commit`; None when absent."""
        return self.blob_texts([(commit, path)])[(commit, path)]

    def blob_texts(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """Texts of many (commit, path) versions, read with one `git cat-file --batch`, then kept."""
        keys = list(dict.fromkeys(keys))
        blob_ids = {(c.commit, c.path): c.blob for chain in self.changes.values() for c in chain}
        refs = {k: blob_ids.get(k) or f"{k[0]}:{self.git_prefix}{k[1]}" for k in keys}
        texts = self.texts(refs.values())
        return {k: texts[ref] for k, ref in refs.items()}

    def texts(self, refs: Iterable[str]) -> dict[str, str | None]:
        """Texts of blobs by id (or `commit:path` from the top of the work tree), read with one
        `git cat-file --batch` and kept; None for a blob that does not exist."""
        refs = list(dict.fromkeys(r for r in refs if r))
        missing = [r for r in refs if r not in self._texts]
        repo = open_repo(self.root) if missing and self.head is not None else None
        if repo is not None:
            for ref, data in repo.read_blobs(missing).items():
                self._texts[ref] = None if data is None else data.decode("utf-8-sig", "replace")
        return {r: self._texts.get(r) for r in refs}


def latest_id(chain: Sequence[Change]) -> str | None:
    """The document id a chain of changes carries most recently."""
    return next((c.doc_id for c in chain if c.doc_id), None)


# ----------------------------------------------------------------------------------------------
# Loading, with the history cached by HEAD and the signature verdicts by commit and keyring


@dataclass(frozen=True)
class _Read:
    """What one read of the log gives, before the signatures are judged (what the disk cache holds)."""

    changes: dict[str, tuple[Change, ...]]  # every change with signature 'N'
    order: tuple[str, ...]
    remote: str | None
    signed: dict[str, str]  # commits that carry a signature header, to be judged: sha -> signature_kind


# The last history read and its judged changes, for `mkdocs serve` (one HEAD at a time): reading the disk
# cache again on each rebuild would cost as much as the rest of the rebuild on a long history. Keyed by
# the slot and HEAD; the judged changes are reused while the keyring fingerprint is the same. The
# engine's code cannot change within a process.
_MEMORY: dict[tuple, tuple[_Read, str, dict[str, tuple[Change, ...]]]] = {}


def load_history(root: Path, folders: Sequence[str], use_cache: bool = True, revision_scheme: str = "auto") -> History:
    """The history of the files under `folders` (relative to the project `root`), read from git; each change
    whose label does not go forward under `revision_scheme` is marked (see mark_revision_order).

    A folder that is not a git work tree, or a repository without commits, gives an empty history
    with a warning (every document counts as uncommitted). A shallow clone raises QMSError: its
    truncated history would publish false revision records, whatever the cache holds.
    """
    root = root.resolve()
    folders = tuple(f.strip("/") for f in folders)
    repo = open_repo(root)
    if repo is None:
        return History(root, folders, None, None, {}, problems=(Problem(
            root.as_posix(), 0, "not a git repository, so there is no revision history yet: every document is "
                                "shown as a draft (run 'git init' and commit the quality manual)", "warning",
            code="not-a-repository"),))
    head = repo.head()
    if head is None:
        return History(root, folders, None, repo.remote_url(), {}, dirty=_dirty(repo, folders), problems=(Problem(
            root.as_posix(), 0, "the repository has no commits yet: every document is shown as a draft until it is "
                                "committed", "warning",
            code="no-commits"),))
    if repo.is_shallow():
        raise QMSError(Problem(root.as_posix(), 0, UNSHALLOW_HINT, code="shallow-clone"))
    operation = repo.in_progress()
    if operation is not None:
        name, command = operation
        raise QMSError(Problem(root.as_posix(), 0, f"{name} is in progress, so HEAD and the files are half-way "
                                                   f"between two states: finish it ('git {command} --continue') or "
                                                   f"undo it ('git {command} --abort'), then build again",
                               code="operation-in-progress"))
    slot = (str(repo.toplevel), repo.prefix, folders)
    remembered = _MEMORY.get((slot, head)) if use_cache else None
    read = remembered[0] if remembered else None
    cache: Cache | None = None
    with ThreadPoolExecutor(max_workers=4) as pool:  # git processes that do not wait for each other
        meanwhile: dict[str, Future] = {}

        def start_meanwhile() -> None:
            """The work that waits for nothing, started once the log (when it is read) has been started."""
            if not meanwhile:
                meanwhile["dirty"] = pool.submit(_dirty, repo, folders)
                meanwhile["keyring"] = pool.submit(repo.keyring_fingerprint)  # needed when a commit is signed

        try:
            if read is None:
                cache = Cache(root, enabled=use_cache)
                read = cache.get(HISTORY_CACHE, repr(slot), [head], _read_from_json)
                if read is None:
                    read = _compute(repo, folders, head, cache, pool, start_meanwhile)
                    cache.put(HISTORY_CACHE, repr(slot), [head], _read_to_json(read))
            start_meanwhile()
            fingerprint = meanwhile["keyring"].result() if read.signed else ""
            if remembered is not None and remembered[1] == fingerprint:
                changes = remembered[2]
            else:
                cache = cache or Cache(root, enabled=use_cache)
                verdicts, fingerprint = judge_signatures(repo, list(read.signed), fingerprint, cache)
                changes = _with_verdicts(read.changes, verdicts, read.signed)
        finally:
            if cache is not None:
                cache.save()
        if use_cache:
            _MEMORY.clear()
            _MEMORY[(slot, head)] = (read, fingerprint, changes)
        return History(root, folders, head, read.remote, mark_revision_order(changes, revision_scheme), read.order,
                       dirty=meanwhile["dirty"].result(), git_prefix=repo.prefix)


def judge_signatures(repo: GitRepo, commits: Sequence[str], fingerprint: str,
                     cache: Cache) -> tuple[dict[str, str], str]:
    """The %G? verdict on each signed commit, and the keyring fingerprint they hold for.

    A verdict comes from the cache when this keyring (`fingerprint`, see GitRepo.keyring_fingerprint)
    already judged the commit, else from git: one `git log --no-walk --stdin` for all the others, then
    cached. When gpg updates its trust database while it checks (it does on first use, and when a check
    is due), the keyring is no longer the one that judged the cached verdicts: every commit is judged
    again, under the new fingerprint.
    """
    if not commits:
        return {}, fingerprint
    verdicts: dict[str, str] = cache.get_many(SIGNATURES_CACHE, commits, fingerprint, _letter)
    todo = [sha for sha in commits if sha not in verdicts]
    if not todo:
        return verdicts, fingerprint
    found = repo.signatures(todo)
    after = repo.keyring_fingerprint()
    if after != fingerprint and verdicts:
        found.update(repo.signatures(list(verdicts)))
        verdicts = {}
    for sha in commits:
        if sha in verdicts:
            continue
        verdict = (found.get(sha) or "N").strip() or "N"
        letter, _, keys = verdict.partition(" ")
        verdicts[sha] = (letter + (" " + " ".join(keys.split()) if keys.split() else "")) \
            if letter in SIGNATURE_LETTERS else "B"
        cache.put(SIGNATURES_CACHE, sha, after, verdicts[sha])
    return verdicts, after


def _letter(value: object) -> str:
    """A cached verdict: the %G? letter, then the fingerprints git named for the key (if any)."""
    if not isinstance(value, str) or value[:1] not in SIGNATURE_LETTERS or (len(value) > 1 and value[1] != " "):
        raise ValueError(f"{value!r} is not a %G? verdict")
    return value


def _with_verdicts(changes: dict[str, tuple[Change, ...]], verdicts: dict[str, str],
                   kinds: dict[str, str]) -> dict[str, tuple[Change, ...]]:
    """The changes with the signature verdict of their commit (changes of unsigned commits stay as they are)."""
    if not verdicts:
        return changes

    def judged(c: Change) -> Change:
        verdict, kind = verdicts.get(c.commit, "N"), kinds.get(c.commit, "")
        letter, keys = verdict[:1], verdict[2:]
        good = counts_as_signed(letter, kind)
        return dataclasses.replace(c, signature=letter, signature_kind=kind, signed=good,
                                   signing_key=keys if good else "")

    return {path: tuple(judged(c) if c.commit in verdicts else c for c in chain) for path, chain in changes.items()}


def _compute(repo: GitRepo, folders: tuple[str, ...], head: str, cache: Cache, pool: ThreadPoolExecutor,
             started: Callable[[], None] = lambda: None) -> _Read:
    """Read the log, the side branches and the objects: the work of load_history for a HEAD not cached.

    What the history needs from each version of a document (its revision, id and content digest) and
    from each commit (whether and how it is signed) never changes, so it is cached by object id: after
    a new commit only the new objects are read from git.
    """
    args = log_args(repo.pathspecs(folders))
    if repo.version() < (2, 31):  # before --diff-merges, -m with --first-parent diffs against the first parent
        args[args.index("--diff-merges=first-parent")] = "-m"
    log = repo.stream(*args)  # the long part: what is cached is read, and the log parsed, while git writes it
    started()
    remote = pool.submit(repo.remote_url)
    cached = cache.get_many(OBJECTS_CACHE, None, "", _object_from_json)
    brought = {name[8:]: sides for name, sides in cached.items() if name.startswith("brought:") and isinstance(sides, list)}
    blobs = {sha: info for sha, info in cached.items() if isinstance(info, _BlobInfo)}
    builder = _ChangeBuilder(brought, blobs, repo.to_root)
    commits: list[_Commit] = []
    for commit in parse_log_pieces(log):
        commits.append(commit)
        if builder.added == len(commits) - 1 and builder.ready(commit):
            builder.add(commit)  # while git still writes the log; from the first commit not ready on, after it
    # the side branches of the merges not cached are read while the objects are
    side = pool.submit(side_commits, repo, commits, head, frozenset(brought))
    wanted = sorted({b for c in commits for e in c.entries if e.path.lower().endswith(MARKDOWN_SUFFIXES)
                     for b in (e.old_blob, e.new_blob) if b})
    kinds = {c.sha: kind for c in commits if isinstance(kind := cached.get(c.sha), str)}
    objects = repo.read_blobs([*(sha for sha in wanted if sha not in blobs),
                               *(c.sha for c in commits if c.sha not in kinds)])
    for sha in wanted:
        if sha not in blobs:
            blobs[sha] = info = blob_info(objects[sha])
            cache.put(OBJECTS_CACHE, sha, "", ["blob", info.revision, info.doc_id, info.content_key])
    for commit in commits:
        if commit.sha not in kinds:
            kinds[commit.sha] = kind = signature_kind(objects[commit.sha])
            cache.put(OBJECTS_CACHE, commit.sha, "", ["commit", kind])
    signed = {sha: kind for sha, kind in kinds.items() if kind}
    for sha, sides in side.result().items():
        brought[sha] = sides
        cache.put(OBJECTS_CACHE, f"brought:{sha}", "",
                  ["brought", [[s.sha, list(s.parents), s.author, s.author_email, s.committer,
                                [list(t) for t in s.trailers]] for s in sides]])
    for commit in commits[builder.added:]:
        builder.add(commit)
    return _Read(builder.result(), tuple(c.sha for c in commits), remote.result(), signed)


def _brought_from_json(value: list) -> list[_SideCommit]:
    """The cached side commits of a merge; ValueError when the entry has another shape."""
    out = []
    for sha, parents, author, email, committer, trailers in value:
        if not (all(isinstance(v, str) for v in (sha, author, email, committer))
                and all(isinstance(p, str) for p in parents)):
            raise ValueError("a side commit of another shape")
        out.append(_SideCommit(sha, tuple(parents), author, email, committer,
                               tuple((str(k), str(v)) for k, v in trailers)))
    return out


def _object_from_json(value: list) -> _BlobInfo | str | list[_SideCommit]:
    """A cached object: the _BlobInfo of a version, the signature kind of a commit ('' unsigned), or what
    a merge brought (see side_commits)."""
    if value[0] == "brought" and len(value) == 2:
        return _brought_from_json(value[1])
    if value[0] == "blob" and len(value) == 4 and all(v is None or isinstance(v, str) for v in value[1:3]) \
            and isinstance(value[3], str):
        return _BlobInfo(value[1], value[2], value[3])
    if value[0] == "commit" and len(value) == 2 and value[1] in ("", "openpgp", "x509", "ssh"):
        return value[1]
    raise ValueError(f"{value!r} is not a cached object")


_SIGNATURE_KINDS = ((b"-----BEGIN SSH SIGNATURE-----", "ssh"), (b"-----BEGIN SIGNED MESSAGE-----", "x509"),
                    (b"-----BEGIN PGP SIGNATURE-----", "openpgp"))


def signature_kind(commit_object: bytes | None) -> str:
    """'openpgp', 'x509' or 'ssh' when a raw commit object carries a signature header ('' when it has
    none); checking the signature is left to git."""
    if not commit_object:
        return ""
    headers = commit_object.split(b"\n\n", 1)[0]
    for name in (b"\ngpgsig ", b"\ngpgsig-sha256 "):
        at = headers.find(name)
        if at >= 0:
            value = headers[at + len(name):at + len(name) + 64]
            return next((kind for marker, kind in _SIGNATURE_KINDS if value.startswith(marker)), "openpgp")
    return ""


def _dirty(repo: GitRepo, folders: Sequence[str]) -> frozenset[str]:
    """Paths under the folders whose working copy differs from HEAD, or that git does not track."""
    out = repo.try_run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *repo.pathspecs(folders))
    if not out:
        return frozenset()
    paths = set()
    tokens = out.decode("utf-8", "replace").split("\0")
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if len(token) < 4:
            continue
        status, path = token[:2], token[3:]
        if "R" in status or "C" in status:
            i += 1  # the old path follows
        rel = repo.to_root(path)
        if rel is not None:
            paths.add(rel)
    return frozenset(paths)


_CHANGE_FIELDS = tuple(f.name for f in dataclasses.fields(Change))


_FIELDS_OF = operator.attrgetter(*_CHANGE_FIELDS)
_DATETIME_AT = _CHANGE_FIELDS.index("datetime")


def _read_to_json(read: _Read) -> dict:
    return {"fields": list(_CHANGE_FIELDS), "order": list(read.order), "remote": read.remote,
            "signed": dict(read.signed),
            "changes": {path: [_change_to_row(c) for c in chain] for path, chain in read.changes.items()}}


def _change_to_row(change: Change) -> list:
    row = list(_FIELDS_OF(change))
    row[_DATETIME_AT] = change.datetime.isoformat()
    return row


def _read_from_json(data: dict) -> _Read:
    """A cached read back; ValueError (or KeyError, TypeError) when the entry has another shape."""
    if data["fields"] != list(_CHANGE_FIELDS):
        raise ValueError("the fields of a change differ")
    changes = {}
    for path, chain in data["changes"].items():
        changes[str(path)] = tuple(_change_from_row(row) for row in chain)
    order, signed, remote = data["order"], data["signed"], data["remote"]
    if not all(isinstance(s, str) for s in [*order, *signed, *signed.values()]) or \
            not isinstance(remote, (str, type(None))):
        raise ValueError("order, signed or remote: not text")
    return _Read(changes, tuple(order), remote, dict(signed))


_TEXT_FIELDS = ("commit", "short", "date", "summary", "signature", "path", "status", "signature_kind", "content_key",
                "signing_key")


def _change_from_row(row: list) -> Change:
    if len(row) != len(_CHANGE_FIELDS):
        raise ValueError("a change of another length")
    values = dict(zip(_CHANGE_FIELDS, row))
    values["datetime"] = dt.datetime.fromisoformat(values["datetime"])
    values["authors"] = tuple(str(a) for a in values["authors"])
    values["approved_by"] = tuple(str(a) for a in values["approved_by"])
    values["acts"] = evidence.acts_from_json(values["acts"])
    values["signatures"] = tuple(tuple(s) for s in values["signatures"])
    values["approval_flags"] = tuple(str(f) for f in values["approval_flags"])
    if not all(isinstance(values[f], str) for f in _TEXT_FIELDS) or values["status"] not in "AMRD":
        raise ValueError("a change with fields of another type")
    return Change(**values)


def clear_cache() -> None:
    """Forget the history kept in memory (the disk cache is keyed by HEAD and stays valid)."""
    _MEMORY.clear()
