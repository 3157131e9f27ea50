"""git access: one repository, commands run with their output as bytes, batches of objects, remote URLs.

Every git process the engine starts goes through `GitRepo`, so the options that keep it honest and fast
(UTF-8 log output, no optional locks) are set in one place.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO, Iterator, Sequence

import git
from git.refs.symbolic import SymbolicReference

from qms import clock
from qms.problems import Problem, QMSError

GIT_MISSING = "git is not installed or not on PATH: install git to read the revision history"
# What gpg (and gpgsm) read in their home folder to judge a signature: keyrings, trust, configuration.
# The environment of every git process: no optional locks (a build never blocks a commit), and no replace
# objects: `git replace` would let anybody with write access to refs/replace/ give an old commit another
# author, message or approver without changing HEAD, so the history is read from the objects as they are.
GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_NO_REPLACE_OBJECTS": "1"}
GNUPG_FILES = ("pubring.kbx", "pubring.gpg", "public-keys.d/pubring.db", "trustdb.gpg", "trustlist.txt",
               "gpg.conf", "gpgsm.conf", "common.conf")



class GitRepo:
    """A git working tree seen from a project root that may be a subfolder of it."""

    def __init__(self, repo: git.Repo, root: Path):
        self.repo = repo
        self.root = root
        self.toplevel = Path(repo.working_tree_dir or root).resolve()
        rel = root.resolve().relative_to(self.toplevel).as_posix()
        self.prefix = "" if rel == "." else rel + "/"

    def run(self, *args: str) -> bytes:
        """stdout of `git ARGS` as bytes; a failure becomes a QMSError naming the command."""
        command = [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", "-c", "i18n.logOutputEncoding=UTF-8", *args]
        try:
            return self.repo.git.execute(command, stdout_as_string=False, strip_newline_in_stdout=False,
                                         env=dict(GIT_ENV))
        except git.GitCommandError as exc:
            raise QMSError(Problem(self.root.as_posix(), 0, f"git {args[0]} failed: {_stderr(exc)}",
                                   code="git-failed")) from None
        except (git.GitCommandNotFound, FileNotFoundError):
            raise QMSError(Problem(self.root.as_posix(), 0, GIT_MISSING, code="git-missing")) from None

    def stream(self, *args: str) -> Iterator[bytes]:
        """stdout of `git ARGS` in pieces, as git writes them, so a long output is parsed while git still works.

        A thread reads the pipe meanwhile (git never waits for the reader); a failure becomes a QMSError naming
        the command, raised once the output has been read.
        """
        command = [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", "-c", "i18n.logOutputEncoding=UTF-8", *args]
        errors = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen(command, cwd=self.toplevel, stdout=subprocess.PIPE, stderr=errors,
                                    stdin=subprocess.DEVNULL, env={**os.environ, **GIT_ENV})
        except FileNotFoundError:
            errors.close()
            raise QMSError(Problem(self.root.as_posix(), 0, GIT_MISSING, code="git-missing")) from None
        pieces: queue.SimpleQueue[bytes] = queue.SimpleQueue()

        def read() -> None:
            assert proc.stdout is not None
            while piece := proc.stdout.read1(1 << 20):
                pieces.put(piece)
            pieces.put(b"")

        reader = threading.Thread(target=read, name="git-stream", daemon=True)
        reader.start()
        return self._pieces(proc, pieces, reader, errors, args[0])

    def _pieces(self, proc: subprocess.Popen, pieces: queue.SimpleQueue, reader: threading.Thread,
                errors: IO[bytes], name: str) -> Iterator[bytes]:
        try:
            while piece := pieces.get():
                yield piece
            reader.join()
            if proc.wait() != 0:
                errors.seek(0)
                raise QMSError(Problem(self.root.as_posix(), 0, f"git {name} failed: "
                                       + errors.read().decode("utf-8", "replace").strip(), code="git-failed"))
        finally:
            if proc.poll() is None:  # the reader stopped early: stop git too
                proc.kill()
                proc.wait()
            errors.close()

    def try_run(self, *args: str) -> bytes | None:
        """stdout of `git ARGS`, or None when git exits non-zero."""
        try:
            return self.run(*args)
        except QMSError:
            return None

    def head(self) -> str | None:
        """The commit HEAD points at; None in a repository without commits."""
        try:  # read from .git (refs, packed-refs) by GitPython: no process to start
            return SymbolicReference.dereference_recursive(self.repo, "HEAD")
        except (ValueError, TypeError, OSError, git.GitError):
            pass
        out = self.try_run("rev-parse", "--verify", "-q", "HEAD^{commit}")
        return out.decode().strip() if out else None

    def is_shallow(self) -> bool:
        """True in a shallow clone: git's own test, a `shallow` file in the repository (no process started)."""
        return (Path(self.repo.common_dir) / "shallow").exists()

    def in_progress(self) -> tuple[str, str] | None:
        """(what, git command) of a merge, rebase, cherry-pick or revert stopped half-way, else None (no process)."""
        git_dir = Path(self.repo.git_dir)
        for marker, name, command in (("rebase-merge", "a rebase", "rebase"), ("rebase-apply", "a rebase", "rebase"),
                                      ("MERGE_HEAD", "a merge", "merge"),
                                      ("CHERRY_PICK_HEAD", "a cherry-pick", "cherry-pick"),
                                      ("REVERT_HEAD", "a revert", "revert")):
            if (git_dir / marker).exists():
                if marker == "rebase-apply" and (git_dir / marker / "applying").exists():
                    return "a 'git am'", "am"
                return name, command
        return None

    def version(self) -> tuple[int, ...]:
        """The version of git, e.g. (2, 39, 5) (asked once per process by GitPython)."""
        return tuple(int(part) for part in self.repo.git.version_info if isinstance(part, int))

    def pathspecs(self, folders: Sequence[str]) -> list[str]:
        """Folders relative to the project root as literal pathspecs from the top of the work tree; none, or
        ".", is the whole project root (a literal "." would name a file called ".")."""
        specs = [f":(top,literal){self.prefix}{f.strip('/')}" for f in folders if f.strip("/") not in ("", ".")]
        if specs:
            return specs
        return [f":(top,literal){self.prefix.rstrip('/')}"] if self.prefix else [":(top)"]

    def to_root(self, git_path: str) -> str | None:
        """A path from git (relative to the work tree's top) relative to the project root; None if outside."""
        if not git_path.startswith(self.prefix):
            return None
        return git_path[len(self.prefix):]

    def to_git(self, path: str) -> str:
        return self.prefix + path

    def run_with_input(self, args: Sequence[str], lines: Sequence[str]) -> bytes:
        """stdout of `git ARGS` fed `lines` on stdin (written and read at once, so no pipe can block)."""
        command = [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", "-c", "i18n.logOutputEncoding=UTF-8", *args]
        request = "".join(f"{line}\n" for line in lines).encode("utf-8", "surrogateescape")
        try:
            proc = subprocess.run(command, cwd=self.toplevel, input=request, capture_output=True, check=False,
                                  env={**os.environ, **GIT_ENV})
        except FileNotFoundError:
            raise QMSError(Problem(self.root.as_posix(), 0, GIT_MISSING, code="git-missing")) from None
        if proc.returncode != 0:
            raise QMSError(Problem(self.root.as_posix(), 0, f"git {args[0]} failed: "
                                   + proc.stderr.decode("utf-8", "replace").strip(), code="git-failed"))
        return proc.stdout

    def read_blobs(self, refs: Sequence[str]) -> dict[str, bytes | None]:
        """Objects (blob ids, `commit:path`, commit ids) read with one `git cat-file --batch`; None when missing."""
        if not refs:
            return {}
        out = self.run_with_input(["cat-file", "--batch", "--buffer"], refs)
        return dict(zip(refs, _parse_batch(out, len(refs))))

    def signatures(self, commits: Sequence[str]) -> dict[str, str]:
        """The verdict on each commit's signature: its %G? letter, then the fingerprints of the signing key
        and of its primary key (%GF %GP) when git names them, checked with one `git log --no-walk --stdin`
        (gpg or ssh-keygen runs once per signed commit: the costly part of a cold history)."""
        if not commits:
            return {}
        out = self.run_with_input(["log", "--no-walk=unsorted", "--stdin", "--no-show-signature",
                                   "--format=%H %G? %GF %GP"], commits)
        return {sha: verdict.strip() for line in out.decode("ascii", "replace").splitlines() if " " in line
                for sha, verdict in [line.split(" ", 1)]}

    def keyring_fingerprint(self) -> str:
        """A digest of everything that decides git's verdict on a signature here, so a verdict is reused
        only while it would come out the same.

        It covers git's `gpg.*` settings (gpg.format, gpg.program and the per-format programs,
        gpg.minTrustLevel, gpg.ssh.allowedSignersFile, gpg.ssh.revocationFile), the files they name, the
        programs' identity, gpg's keyrings, trust database and configuration in $GNUPGHOME (else
        ~/.gnupg), and the machine's calendar day: a key can expire, or its signatures, overnight.
        """
        out = self.try_run("config", "-z", "--get-regexp", r"^gpg\.") or b""
        settings = dict(item.split("\n", 1) if "\n" in item else (item, "")
                        for item in out.decode("utf-8", "replace").split("\0") if item)
        digest = hashlib.blake2b(out, digest_size=16)
        home = Path(os.environ.get("GNUPGHOME") or Path.home() / ".gnupg")
        files = [home / name for name in GNUPG_FILES]
        files += [self._config_path(settings[key]) for key in ("gpg.ssh.allowedsignersfile", "gpg.ssh.revocationfile")
                  if settings.get(key)]
        for path in files:
            digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0" + _file_digest(path))
        for key in ("gpg.program", "gpg.openpgp.program", "gpg.x509.program", "gpg.ssh.program"):
            program = settings.get(key) or ("gpg" if key == "gpg.program" else "")
            where = shutil.which(program) if program else None
            stat = os.stat(where) if where else None
            digest.update(f"{key}={where}:{stat.st_size if stat else ''}:{stat.st_mtime_ns if stat else ''}\0".encode())
        digest.update(clock.machine_day().isoformat().encode())
        return digest.hexdigest()

    def _config_path(self, value: str) -> Path:
        path = Path(os.path.expanduser(value))
        return path if path.is_absolute() else self.toplevel / path

    def remote_url(self) -> str | None:
        out = self.try_run("config", "--get", "remote.origin.url")
        return web_url(out.decode("utf-8", "replace").strip()) if out else None


def _file_digest(path: Path) -> bytes:
    """A digest of a file's bytes; a fixed value when it does not exist or cannot be read."""
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    except OSError:
        return b"-"


def _stderr(exc: git.GitCommandError) -> str:
    text = str(exc.stderr or exc).strip()
    text = re.sub(r"^stderr:\s*'?|'$", "", text).strip()
    if "dubious ownership" in text:
        text += " (run: git config --global --add safe.directory '*' in this container or CI job)"
    return text or f"exit status {exc.status}"


def _parse_batch(out: bytes, count: int) -> Iterator[bytes | None]:
    """Objects from `git cat-file --batch` output, in request order."""
    pos = 0
    for _ in range(count):
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[-1] in (b"missing", b"ambiguous"):
            yield None
            continue
        size = int(header[2])
        yield out[pos:pos + size]
        pos += size + 1


def open_repo(root: Path) -> GitRepo | None:
    """The git work tree holding `root`; None when `root` is not inside one."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    except git.GitCommandNotFound:  # pragma: no cover - depends on the machine
        raise QMSError(Problem(root.as_posix(), 0, GIT_MISSING, code="git-missing")) from None
    if repo.bare or repo.working_tree_dir is None:
        return None
    try:
        return GitRepo(repo, root)
    except ValueError:
        return None


def web_url(url: str) -> str | None:
    """An https address for a remote URL (credentials dropped, '.git' removed); None for local paths."""
    url = url.strip()
    scp = re.match(r"^(?:[\w.-]+@)?([\w.-]+\.[a-z]{2,}):(?!//)(.+)$", url)
    if scp:
        host, path = scp.groups()
    else:
        match = re.match(r"^(?:https?|ssh|git)://(?:[^@/]*@)?([^/:]+)(?::\d+)?/(.+)$", url)
        if not match:
            return None
        host, path = match.groups()
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return f"https://{host}/{path}"
