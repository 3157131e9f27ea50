"""What a build of the site was made from: the commit, the working tree's changes from it, the day it judged
as of, the engine and the configuration file.

The qms plugin writes it into the build marker (qms.site.marker). `qms pdf` compares it with the working tree,
so that a PDF never carries the edition of one state of the manual on the pages of another (a site built
before the last commit, printed as that commit), and so that it builds the site again only when it is not
current. One git command, whatever the size of the manual; changed and new files are known by their size and
time of change (none is opened). Files git ignores are not inputs, nor is the site folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from qms import cache
from qms.config import Settings
from qms.history.git import GitRepo, open_repo


@dataclass(frozen=True)
class Source:
    """The inputs of one build, as far as they decide what the pages say."""

    commit: str | None  # HEAD's full id; None before the first commit
    changes: str | None  # a digest of the working tree's changes from HEAD (new files too); None when clean
    today: str  # the day the build judged dates as of (qms.clock), ISO
    engine: str  # qms.cache.engine_digest(): the engine's code, catalogues and package versions
    config: str  # the configuration file, relative to the project root

    def same_edition(self, other: "Source") -> bool:
        """True when both are the same state of the manual: the same commit with the same changes."""
        return (self.commit, self.changes) == (other.commit, other.changes)

    def describe(self) -> str:
        """'commit 3fb5285, with uncommitted changes, as of 2026-12-02'."""
        text = f"commit {self.commit[:7]}" if self.commit else "no commit"
        if self.changes:
            text += ", with uncommitted changes"
        return f"{text}, as of {self.today}"

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> "Source | None":
        """The source a marker records; None for a marker without one (an older engine) or a damaged one."""
        if not isinstance(data, dict):
            return None
        fields = ("commit", "changes", "today", "engine", "config")
        if set(data) != set(fields) or not all(data[f] is None or isinstance(data[f], str) for f in fields):
            return None
        return cls(**{f: data[f] for f in fields})


def of(settings: Settings, today: dt.date, site_dir: Path) -> Source | None:
    """What a build of the project's working tree into `site_dir` would be made from today; None outside git,
    where nothing tells one state of the manual from another."""
    repo = open_repo(settings.root)
    if repo is None:
        return None
    config = os.path.relpath(settings.config_file, settings.root).replace(os.sep, "/")
    return Source(repo.head(), _changes(repo, settings, site_dir), today.isoformat(), cache.engine_digest(), config)


def content_folders(settings: Settings) -> tuple[Path, ...]:
    """Where a new file that git does not track yet changes the manual: the pages, procedures, records, their
    schemas and the company's catalogues. (A new file elsewhere, a PDF written into the project say, does not;
    a change to a tracked file anywhere does.)"""
    return (settings.docs_dir, settings.procedures_dir, settings.records_dir, settings.schema_dir,
            *settings.catalogue_dirs)


def content_files(settings: Settings) -> tuple[Path, ...]:
    """The files of the manual's settings, which may be new too."""
    return tuple(f for f in (settings.config_file, settings.organization_file, settings.unfinished_rules) if f)


def _changes(repo: GitRepo, settings: Settings, site_dir: Path) -> str | None:
    """A digest of the project's tracked files that differ from HEAD and its new files in content folders."""
    specs = repo.pathspecs(["."])
    site = _in_work_tree(repo, site_dir)
    if site:
        specs.append(f":(top,exclude,literal){site}")
    out = repo.try_run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", *specs)
    folders = tuple(f"{path}/" for path in map(lambda f: _in_work_tree(repo, f), content_folders(settings)) if path)
    files = {path for path in map(lambda f: _in_work_tree(repo, f), content_files(settings)) if path}

    def counts(path: str, new: bool) -> bool:
        return not new or path.startswith(folders) or path in files

    entries = sorted(token for token in (out or b"").split(b"\0")
                     if len(token) > 3 and counts(token[3:].decode("utf-8", "surrogateescape"), token[:3] == b"?? "))
    if not entries:
        return None
    digest = hashlib.blake2b(digest_size=16)
    for entry in entries:  # each file's kind, size and time of change: nothing is opened or followed
        digest.update(entry + b"\0")
        try:
            info = (repo.toplevel / entry[3:].decode("utf-8", "surrogateescape")).lstat()
            digest.update(f"{info.st_mode}:{info.st_size}:{info.st_mtime_ns}\0".encode())
        except OSError:  # deleted
            digest.update(b"-\0")
    return digest.hexdigest()


def _in_work_tree(repo: GitRepo, path: Path) -> str | None:
    """`path` relative to the top of the work tree, with forward slashes; None outside it (or the top itself)."""
    try:
        rel = Path(os.path.abspath(path)).resolve().relative_to(repo.toplevel).as_posix()
    except ValueError:
        return None
    return None if rel == "." else rel
