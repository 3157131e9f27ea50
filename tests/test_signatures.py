"""Signed commits: only a good signature counts, every other verdict is flagged with what it means, and git is
asked once per commit and keyring (the verdicts are cached with a fingerprint of what judged them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from qms.cache import Cache
from qms.config import Policy
from qms.history import changecontrol
from qms.history import revisions as history_module
from qms.history.git import GitRepo
from qms.history.revisions import HISTORY_CACHE, load_history

pytestmark = [pytest.mark.usefixtures("isolated_git"),
              pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed: no signed commit")]

FOLDERS = ("procedures",)
DOC = ("---\nid: QP-01\ntitle: Control\ntype: procedure\nrevision: \"{rev}\"\nstatus: effective\nowner: quality-manager\n"
       "clauses: ['8.7']\nreview_interval: 12 months\n---\n\n# Control\n\n{body}\n")


class SignedRepo:
    """A real repository whose commits are signed with a throwaway gpg key made in its own GNUPGHOME."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        self.path = tmp_path / "repo"
        self.path.mkdir()
        self.signer = self.keyring(tmp_path / "signer")
        self.monkeypatch = monkeypatch
        self.day = 0
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Alice Author")
        self.git("config", "user.email", "alice@example.com")
        gpg(self.signer, "--quick-gen-key", "Alice Author <alice@example.com>", "ed25519", "sign", "never")
        self.use(self.signer)  # git judges signatures with this keyring unless a test says otherwise

    @staticmethod
    def keyring(path: Path) -> Path:
        path.mkdir(mode=0o700)
        return path

    def use(self, keyring: Path) -> None:
        self.monkeypatch.setenv("GNUPGHOME", str(keyring))

    def git(self, *args: str, keyring: Path | None = None) -> str:
        self.day += 1
        when = f"2024-02-{self.day:02d}T10:00:00+00:00"
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        if keyring is not None:
            env["GNUPGHOME"] = str(keyring)
        return subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, check=True,
                              timeout=60).stdout.decode().strip()

    def commit(self, rev: str, body: str, signed: bool = True) -> str:
        target = self.path / "procedures" / "QP-01.md"
        target.parent.mkdir(exist_ok=True)
        target.write_text(DOC.format(rev=rev, body=body), encoding="utf-8")
        self.git("add", "-A")
        sign = ["-c", "user.signingkey=alice@example.com", "commit", "-q", "-S"] if signed else ["commit", "-q"]
        self.git(*sign, "-m", f"Revision {rev}", keyring=self.signer)
        return self.git("rev-parse", "HEAD")

    def close(self) -> None:
        for home in (self.signer, *self.path.parent.glob("keyring-*")):
            subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={**os.environ, "GNUPGHOME": str(home)},
                           capture_output=True, check=False)


def gpg(home: Path, *args: str) -> None:
    subprocess.run(["gpg", "--batch", "--passphrase", "", *args], env={**os.environ, "GNUPGHOME": str(home)},
                   capture_output=True, check=True, timeout=60)


@pytest.fixture
def signed_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    repo = SignedRepo(tmp_path, monkeypatch)
    yield repo
    repo.close()


def fresh_history(repo: SignedRepo):
    """The history as a new process reads it: nothing in memory, the history entry gone, verdicts kept."""
    history_module.clear_cache()
    cache = Cache(repo.path)
    cache.clear(HISTORY_CACHE)
    cache.save()
    return load_history(repo.path, FOLDERS)


def signature_of(history, sha: str) -> tuple[str, bool]:
    change = next(c for c in history.for_path("procedures/QP-01.md") if c.commit == sha)
    return change.signature, change.signed


def test_a_good_signature_counts_as_signed_and_none_is_flagged_unsigned(signed_repo: SignedRepo):
    good = signed_repo.commit("1", "First.")
    plain = signed_repo.commit("2", "Second.", signed=False)
    history = load_history(signed_repo.path, FOLDERS)
    assert signature_of(history, good) == ("G", True)
    assert signature_of(history, plain) == ("N", False)
    assert [changecontrol.flags_for(c).count("unsigned") for c in history.for_path("procedures/QP-01.md")] == [1, 0]


def test_a_signature_that_cannot_be_checked_is_not_signed_and_says_why(signed_repo: SignedRepo, tmp_path: Path):
    sha = signed_repo.commit("1", "First.")
    signed_repo.use(signed_repo.keyring(tmp_path / "keyring-empty"))  # CI without the signer's public key

    history = load_history(signed_repo.path, FOLDERS)
    change = history.for_path("procedures/QP-01.md")[0]

    assert (change.signature, change.signed, change.verified) == ("E", False, False)
    assert "unsigned" in changecontrol.flags_for(change)
    [problem] = [p for p in changecontrol.judge([change], Policy(errors=("unsigned",))) if p.code == "unsigned"]
    assert problem.severity == "error" and sha[:8] in problem.message
    assert "cannot be checked: the signer's public key is not in the keyring" in problem.message


def test_a_bad_signature_and_a_revoked_key_are_not_signed(signed_repo: SignedRepo):
    good = signed_repo.commit("1", "First.")
    raw = signed_repo.git("cat-file", "commit", good)
    forged = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=signed_repo.path,
                            input=(raw.replace("Revision 1", "Revision 1, approved by Helen") + "\n").encode(),
                            capture_output=True, check=True).stdout.decode().strip()
    signed_repo.git("update-ref", "refs/heads/main", forged)  # the old signature on an altered commit
    assert signature_of(load_history(signed_repo.path, FOLDERS), forged) == ("B", False)

    signed_repo.git("update-ref", "refs/heads/main", good)
    revocation = next((signed_repo.signer / "openpgp-revocs.d").glob("*.rev"))
    certificate = revocation.read_text().replace(":-----BEGIN", "-----BEGIN")
    (signed_repo.path.parent / "revoke.asc").write_text(certificate)
    gpg(signed_repo.signer, "--import", str(signed_repo.path.parent / "revoke.asc"))

    history = fresh_history(signed_repo)  # the keyring changed: the cached 'G' no longer holds
    change = history.for_path("procedures/QP-01.md")[0]
    assert (change.signature, change.signed) == ("R", False)
    assert "revoked" in change.signature_text


def test_each_commit_is_checked_once_per_keyring(signed_repo: SignedRepo, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch):
    first = [signed_repo.commit(str(n), f"Text {n}.") for n in range(1, 4)]
    asked: list[list[str]] = []
    judge = GitRepo.signatures

    def recording(self: GitRepo, commits):  # noqa: ANN001, ANN202 - records what git is asked, then asks it
        asked.append(sorted(commits))
        return judge(self, commits)

    monkeypatch.setattr(GitRepo, "signatures", recording)
    load_history(signed_repo.path, FOLDERS)
    assert asked and sorted(asked[-1]) == sorted(first)

    asked.clear()
    history = fresh_history(signed_repo)  # a new process, a new read of the log: the verdicts are cached
    assert asked == [] and all(signature_of(history, sha) == ("G", True) for sha in first)

    newer = signed_repo.commit("4", "Text 4.")  # a new HEAD: only the new commit is checked
    history_module.clear_cache()
    history = load_history(signed_repo.path, FOLDERS)
    assert asked == [[newer]] and signature_of(history, newer) == ("G", True)

    asked.clear()
    signed_repo.use(signed_repo.keyring(tmp_path / "keyring-other"))  # another keyring judges them all again
    history = fresh_history(signed_repo)
    assert sorted(sum(asked, [])) == sorted([*first, newer])
    assert {signature_of(history, sha) for sha in first} == {("E", False)}


def test_an_ssh_key_counts_only_once_the_allowed_signers_file_lists_it(signed_repo: SignedRepo, tmp_path: Path):
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    key = tmp_path / "ssh-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, capture_output=True)
    signed_repo.git("config", "gpg.format", "ssh")
    signed_repo.git("config", "user.signingkey", f"{key}.pub")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text("")
    signed_repo.git("config", "gpg.ssh.allowedSignersFile", str(allowed))
    target = signed_repo.path / "procedures" / "QP-01.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(DOC.format(rev="1", body="SSH."), encoding="utf-8")
    signed_repo.git("add", "-A")
    signed_repo.git("commit", "-q", "-S", "-m", "Signed with ssh")
    sha = signed_repo.git("rev-parse", "HEAD")

    change = load_history(signed_repo.path, FOLDERS).for_path("procedures/QP-01.md")[0]
    # git says U ("no principal matched") for ANY ssh key nobody allowed: anybody can make one, so it does not count
    assert (change.signature, change.signature_kind, change.signed) == ("U", "ssh", False)
    assert "allowedSignersFile does not list" in change.signature_text

    allowed.write_text(f"alice@example.com {(tmp_path / 'ssh-key.pub').read_text()}")
    assert signature_of(fresh_history(signed_repo), sha) == ("G", True)
