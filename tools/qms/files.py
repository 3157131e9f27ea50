"""The file system as the engine may use it: nothing outside the repository, no symlinks, atomic writes.

Anyone who can open a pull request can commit a symlink. Followed, `docs/env.txt -> /proc/self/environ` would
publish the build's environment and `docs/_includes/people -> ../../records/person` confidential records. So every
file the engine or the site generator reads from the quality system is first checked here: a symlink anywhere
(the file, a folder above it up to the repository, a folder being walked) or a path that resolves outside the
repository is refused with `path: is a symlink` (or `... is outside the repository`). Writes go through
`write_atomic`: a temporary file in the same folder, fsync, then `os.replace`, so an interrupted write never
leaves a truncated record or procedure.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

from qms.problems import Problem, QMSError

SYMLINK_FIX = "commit the file itself, not a link to it (git rm the link, copy the content in)"


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def unsafe_reason(root: Path, path: Path) -> str | None:
    """Why `path` may not be read ('is a symlink', 'is outside the repository'), or None when it may."""
    root = Path(os.path.abspath(root))
    path = Path(os.path.abspath(path))
    try:
        inside = path.relative_to(root)
    except ValueError:
        return "is outside the repository: keep the quality system's files inside it"
    current = root
    for part in inside.parts:
        current = current / part
        if current.is_symlink():
            where = "" if current == path else f" (its folder {_rel(root, current)} is a symlink)"
            return f"is a symlink{where}: {SYMLINK_FIX}"
    try:
        resolved = path.resolve()
        resolved.relative_to(root.resolve())
    except ValueError:
        return "is outside the repository: keep the quality system's files inside it"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    return None


def _walk(root: Path, folder: Path) -> Iterable[Problem]:
    """A problem for every symlink below `folder` (never followed), and for a special file (a FIFO, a device)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Problem(_rel(root, folder), 0, f"cannot be read: {exc.strerror or exc}", code="symlink")
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            yield Problem(_rel(root, path), 0, f"is a symlink: {SYMLINK_FIX}", code="symlink")
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(root, path)
        elif not entry.is_file(follow_symlinks=False):
            yield Problem(_rel(root, path), 0, "is not a regular file (a pipe, socket or device): remove it",
                          code="symlink")


def escapes(root: Path, paths: Iterable[Path]) -> list[Problem]:
    """Every symlink, special file or path outside the repository among `paths` and below the folders among them.

    A path that does not exist is fine (the quality system may not have it)."""
    root = Path(os.path.abspath(root))
    problems: list[Problem] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(os.path.abspath(path))
        if path in seen or not (path.exists() or path.is_symlink()):
            continue
        seen.add(path)
        reason = unsafe_reason(root, path)
        if reason is not None:
            problems.append(Problem(_rel(root, path), 0, reason, code="symlink"))
        elif path.is_dir():
            problems.extend(_walk(root, path))
    return sorted(set(problems))


def refuse_escapes(root: Path, paths: Iterable[Path]) -> None:
    """Raise QMSError naming every symlink or outside path among `paths` (see `escapes`)."""
    problems = escapes(root, paths)
    if problems:
        raise QMSError(problems)


def write_atomic(path: Path, data: str | bytes, shown: str | None = None, newline: str | None = "") -> None:
    """Write `data` to `path` all at once: a temporary file in the same folder, fsync, os.replace.

    On an OSError the original file is untouched and QMSError says `path: cannot write: reason`. Text is written
    as UTF-8 with its line endings as given (newline='' keeps CRLF and LF as they are)."""
    shown = shown or str(path)
    folder = path.parent
    tmp_name = None
    try:
        if path.is_symlink():
            raise QMSError(Problem(shown, 0, f"cannot write: is a symlink: {SYMLINK_FIX}", code="cannot-write"))
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        try:
            os.chmod(tmp_name, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
        except OSError:
            pass
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise QMSError(Problem(shown, 0, f"cannot write: {exc.strerror or exc}", code="cannot-write")) from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
