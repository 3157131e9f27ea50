"""A pull request seen from the quality system: which controlled documents differ between a base revision and the
working tree, whether each raised its revision (`qms check --base`), and the summary a reviewer reads (`qms diff`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from qms.history.changecontrol import controlled_folders, csv_text
from qms.history.git import GitRepo, open_repo
from qms.history.revisions import FileChange, blob_info, goes_forward, parse_raw
from qms.jsondata import jsondata
from qms.model import yamlio
from qms.problems import Problem, QMSError

if TYPE_CHECKING:  # pragma: no cover
    from qms.model.project import Project


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
    revision_not_increased: bool = False  # a new label that is not after the base's (see revisions.goes_forward)

    JSON_EXTRA = ("needs_bump",)  # see qms.jsondata

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
                                                        f"(e.g. git fetch origin {base_rev}){hint}",
                               code="unknown-revision"))
    return out.decode().strip()


def _repo_for(root: Path, base_rev: str) -> GitRepo:
    repo = open_repo(root)
    if repo is None:
        raise QMSError(Problem(root.as_posix(), 0, f"--base {base_rev}: not a git repository, so there is nothing "
                                                   "to compare with", code="not-a-repository"))
    if repo.head() is None:
        raise QMSError(Problem(root.as_posix(), 0, f"--base {base_rev}: the repository has no commits yet",
                               code="no-commits"))
    return repo


def merge_base(repo: GitRepo, base_rev: str) -> str:
    """Where the branch left `base_rev` (the target): the commit a pull request's net change is measured from."""
    target = resolve_base(repo, base_rev)
    out = repo.try_run("merge-base", target, "HEAD")
    if not out:
        raise QMSError(Problem(repo.root.as_posix(), 0, f"--base {base_rev}: this branch shares no history with "
                                                        f"{base_rev}, so there is no change to judge: fetch the full "
                                                        "history, or name the branch it was started from",
                               code="no-merge-base"))
    return out.decode().split()[0]


def proposed_commits(root: Path, base_rev: str) -> frozenset[str]:
    """The commits the branch proposes: reachable from HEAD and not from `base_rev` (one `git rev-list`).

    Their changes are judged together, as the net change from the merge base (see `changes_since`), not
    one by one: a revision raised in a later commit of the branch covers a text changed in an earlier one.
    """
    repo = _repo_for(root, base_rev)
    target = resolve_base(repo, base_rev)
    return frozenset(repo.run("rev-list", "HEAD", f"^{target}", "--").decode().split())


def changes_since(root: Path, base_rev: str, project: "Project") -> list[DocChange]:
    """Controlled documents that differ between the merge base of `base_rev` and HEAD, and the working tree
    (committed or not): the net change of the branch, whatever the target did since."""
    repo = _repo_for(root, base_rev)
    base = merge_base(repo, base_rev)
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
            clauses=union(old_meta.get("clauses"), doc.clauses if doc else new_meta.get("clauses")),
            records=union(old_meta.get("records"), doc.records if doc else new_meta.get("records")),
            line=doc.line_of("revision") if doc else 1,
            revision_not_increased=m.status in ("M", "R") and content_changed and new_rev != old_rev
            and not goes_forward(new_rev, old_rev, project.settings.revision_scheme)))
    return sorted(result, key=lambda c: (c.doc_id, c.path))


def _label(value: object) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def union(*lists: object) -> tuple[str, ...]:
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
                                    f"still {change.old_revision}: raise the revision in the front matter",
                                    code="no-revision-bump"))
        elif change.revision_not_increased:
            problems.append(Problem(change.path, change.line,
                                    f"{change.doc_id}: revision {change.new_revision} is not after revision "
                                    f"{change.old_revision} of {base_rev}, and the content changed: give it a label "
                                    f"after {change.old_revision} ({project.settings.revision_scheme} scheme)",
                                    code="revision-not-increased"))
    return problems


def format_diff(changes: Sequence[DocChange], fmt: str) -> str:
    """What a pull request changes in the controlled documents, as JSON or CSV (Markdown: qms.render.changelog)."""
    data = jsondata(list(changes))
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    columns = ("doc_id", "title", "status", "path", "old_path", "old_revision", "new_revision",
               "content_changed", "revision_bumped", "needs_bump", "clauses", "records")
    return csv_text(columns, data)
