"""What git records about who did what to a change: the acts and the claims a change's commits carry.

Read from the one log pass (see qms.history.revisions): for each change that reached the branch, who
authored its commits, who committed them, who merged it, and which `Approved-by:`, `Reviewed-by:` and
`Released-by:` trailers its messages carry and who wrote each one (the author of the commit holding it).
Nothing is judged here: qms.history.approvals resolves the identities to people and decides what counts.

An act is a plain triple `(kind, identity, by)`, so it is cached with the rest of the history:
`identity` is git's `Name <email>` (or a trailer's value as written), `by` is the identity of the writer
of a trailer ('' for the other kinds).
"""

from __future__ import annotations

from typing import Iterable, Protocol, Sequence

AUTHORED = "authored"
COMMITTED = "committed"
MERGED = "merged"
# Trailers that sign a change, and the meaning of each signature.
SIGNATURE_TRAILERS = {"approved-by": "approved", "reviewed-by": "reviewed", "released-by": "released"}
CO_AUTHOR_TRAILER = "co-authored-by"
ACT_KINDS = (AUTHORED, COMMITTED, MERGED, *SIGNATURE_TRAILERS.values())

Act = tuple[str, str, str]


class _CommitLike(Protocol):
    parents: tuple[str, ...]
    author: str
    author_email: str
    committer: str
    trailers: tuple[tuple[str, str], ...]


def identity(name: str, email: str) -> str:
    """git's `Name <email>` of a commit's author or committer."""
    return f"{name.strip()} <{email.strip()}>" if email.strip() else name.strip()


def acts_of(commit: _CommitLike, brought: Sequence[_CommitLike]) -> tuple[Act, ...]:
    """Every act and claim of a change: `commit` on the first-parent line, `brought` the commits a merge
    brought from its side branch (oldest first; empty for a direct commit)."""
    is_merge = len(commit.parents) > 1
    own = identity(commit.author, commit.author_email)
    acts: list[Act] = []
    work = list(brought) if is_merge else [commit]
    if is_merge and not work:  # a merge that brought nothing: its author did the work
        work = [commit]
    for side in work:
        writer = identity(side.author, side.author_email)
        acts.append((AUTHORED, writer, ""))
        acts.extend((AUTHORED, value, writer) for key, value in side.trailers if key == CO_AUTHOR_TRAILER)
        acts.append((COMMITTED, side.committer, ""))
        acts.extend(_signed(side.trailers, writer))
    if is_merge:
        acts.append((MERGED, own, ""))
        acts.append((COMMITTED, commit.committer, ""))
        acts.extend(_signed(commit.trailers, own))
    return tuple(dict.fromkeys(a for a in acts if a[1]))


def _signed(trailers: Iterable[tuple[str, str]], writer: str) -> Iterable[Act]:
    for key, value in trailers:
        meaning = SIGNATURE_TRAILERS.get(key)
        if meaning:
            yield (meaning, value.strip(), writer)


def acts_from_json(value: object) -> tuple[Act, ...]:
    """Acts read back from the cache; ValueError when they have another shape."""
    if not isinstance(value, (list, tuple)):
        raise ValueError("acts are a list")
    out = []
    for item in value:
        if not (isinstance(item, (list, tuple)) and len(item) == 3 and all(isinstance(v, str) for v in item)
                and item[0] in ACT_KINDS):
            raise ValueError(f"{item!r} is not an act")
        out.append((item[0], item[1], item[2]))
    return tuple(out)
