"""The history engine: one pass over git gives each document's revisions, renames followed, PRs as one change."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from qms.cache import cache_file
from qms.history import revisions as history_module
from qms.history.git import web_url
from qms.history.revisions import front_matter_keys, load_history
from qms.problems import QMSError

pytestmark = pytest.mark.usefixtures("isolated_git")

FOLDERS = ("procedures", "docs")


class Repo:
    """A small real git repository with deterministic dates: day N of January 2024 for the N-th commit."""

    def __init__(self, path: Path, init: bool = True):
        self.path = path
        self.day = 0
        path.mkdir(parents=True, exist_ok=True)
        if init:
            self.git("init", "-q", "-b", "main")
            self.git("config", "user.name", "Alice Author")
            self.git("config", "user.email", "alice@example.com")
            self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, env: dict | None = None, author: str | None = None) -> str:
        full_env = {**os.environ, **(env or {})}
        if author:
            full_env.update(GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL=f"{author.split()[0].lower()}@example.com",
                            GIT_COMMITTER_NAME=author, GIT_COMMITTER_EMAIL=f"{author.split()[0].lower()}@example.com")
        proc = subprocess.run(["git", *args], cwd=self.path, env=full_env, capture_output=True, check=True)
        return proc.stdout.decode("utf-8", "replace").strip()

    def write(self, rel: str, text: str) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def dates(self) -> dict:
        self.day += 1
        when = f"2024-01-{self.day:02d}T10:00:00+00:00"
        return {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}

    def commit(self, message: str, *extra: str, author: str | None = None) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, *extra, env=self.dates(), author=author)
        return self.git("rev-parse", "HEAD")

    def merge(self, branch: str, message: str, author: str | None = None) -> str:
        self.git("merge", "-q", "--no-ff", branch, "-m", message, env=self.dates(), author=author)
        return self.git("rev-parse", "HEAD")


def doc(doc_id: str, revision: str, body: str = "Body text.", title: str = "A controlled procedure",
        clauses: tuple[str, ...] = ("8.7",), records: tuple[str, ...] = ()) -> str:
    """A controlled document that passes the front-matter schema."""
    return (f"---\nid: {doc_id}\ntitle: {title}\ntype: procedure\nrevision: \"{revision}\"\nstatus: effective\n"
            f"owner: quality-manager\nclauses: [{', '.join(repr(c) for c in clauses)}]\n"
            f"records: [{', '.join(records)}]\nreview_interval: 12 months\n---\n\n# {title}\n\n{body}\n")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def test_each_commit_is_a_revision_with_its_label_from_front_matter(repo: Repo) -> None:
    repo.write("procedures/QP-01-control.md", doc("QP-01", "1"))
    first = repo.commit("Add QP-01")
    repo.write("procedures/QP-01-control.md", doc("QP-01", "2", "Body text, now clearer."))
    second = repo.commit("Clarify QP-01", author="Bob Builder")
    repo.write("procedures/QP-01-control.md", doc("QP-01", "2", "Body text, changed again."))
    third = repo.commit("Quiet edit")

    changes = load_history(repo.path, FOLDERS).for_path("procedures/QP-01-control.md")

    assert [c.commit for c in changes] == [third, second, first]
    assert [(c.revision, c.previous_revision) for c in changes] == [("2", "2"), ("2", "1"), ("1", None)]
    assert [c.status for c in changes] == ["M", "M", "A"]
    assert [c.revision_bumped for c in changes] == [False, True, True]
    assert all(c.content_changed for c in changes)
    assert [c.date for c in changes] == ["2024-01-03", "2024-01-02", "2024-01-01"]
    assert changes[1].authors == ("Bob Builder",) and changes[1].summary == "Clarify QP-01"
    assert changes[0].doc_id == "QP-01" and changes[0].short == third[:8]
    assert not changes[0].via_pr and not changes[0].signed and changes[0].signature == "N"


def test_revision_only_or_review_date_change_is_not_a_content_change(repo: Repo) -> None:
    repo.write("procedures/QP-01.md", doc("QP-01", "1"))
    repo.commit("Add")
    repo.write("procedures/QP-01.md", doc("QP-01", "2"))
    repo.commit("Bump only")
    reviewed_text = doc("QP-01", "2").replace("review_interval", "last_review: 2024-01-05\nreview_interval")
    repo.write("procedures/QP-01.md", reviewed_text)
    repo.commit("Reviewed, unchanged")

    reviewed, bumped, _ = load_history(repo.path, FOLDERS).for_path("procedures/QP-01.md")

    assert bumped.revision_bumped and not bumped.content_changed
    assert not reviewed.revision_bumped and not reviewed.content_changed


def test_renamed_procedure_keeps_its_history(repo: Repo) -> None:
    repo.write("procedures/QP-07-old-name.md", doc("QP-07", "1", "Original text of the procedure. " * 5))
    repo.write("docs/index.md", "# Home\n")
    repo.commit("Add QP-07")
    repo.write("procedures/QP-07-old-name.md", doc("QP-07", "2", "Original text of the procedure, revised. " * 5))
    repo.commit("Revise QP-07")
    repo.git("mv", "procedures/QP-07-old-name.md", "procedures/QP-07-new-name.md")
    repo.commit("Rename QP-07")
    (repo.path / "docs/manual").mkdir(parents=True)
    repo.git("mv", "procedures/QP-07-new-name.md", "docs/manual/QP-07.md")
    repo.write("docs/manual/QP-07.md", doc("QP-07", "3", "Original text of the procedure, revised. " * 5 + "More."))
    repo.commit("Move QP-07 into the manual and revise it")

    history = load_history(repo.path, FOLDERS)
    changes = history.for_path("docs/manual/QP-07.md")

    follow = repo.git("log", "--follow", "--first-parent", "--format=%H", "--", "docs/manual/QP-07.md").split()
    assert [c.commit for c in changes] == follow
    assert [c.path for c in changes] == ["docs/manual/QP-07.md", "procedures/QP-07-new-name.md",
                                         "procedures/QP-07-old-name.md", "procedures/QP-07-old-name.md"]
    assert [c.status for c in changes] == ["R", "R", "M", "A"]
    assert changes[0].old_path == "procedures/QP-07-new-name.md"
    assert [c.revision for c in changes] == ["3", "2", "2", "1"]
    assert not changes[1].content_changed and changes[0].content_changed and changes[0].revision_bumped
    assert history.for_path("procedures/QP-07-old-name.md") == []
    assert history.path_of("QP-07") == "docs/manual/QP-07.md"
    assert history.for_id("QP-07") == changes


def test_merged_pull_request_is_one_change_with_title_authors_and_approvers(repo: Repo) -> None:
    repo.write("procedures/QP-11.md", doc("QP-11", "1"))
    repo.commit("Add QP-11")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("procedures/QP-11.md", doc("QP-11", "2", "New calibration interval."))
    repo.commit("Shorten interval", author="Bob Builder")
    repo.write("procedures/QP-11.md", doc("QP-11", "2", "New calibration interval of six months."))
    repo.commit("Say six months", "--trailer", "Reviewed-by: Rita Reviewer <rita@example.com>", author="Carol Coder")
    repo.git("checkout", "-q", "main")
    repo.write("README.txt", "unrelated\n")
    repo.commit("Unrelated change outside the controlled folders")
    merge = repo.merge("feature", "Merge pull request #12 from org/feature\n\nUpdate calibration intervals",
                       author="Dan Director")

    history = load_history(repo.path, FOLDERS)
    newest, first = history.for_path("procedures/QP-11.md")

    assert newest.commit == merge and newest.via_pr and newest.pr == "#12"
    assert newest.summary == "Update calibration intervals"
    assert newest.authors == ("Bob Builder", "Carol Coder")
    assert newest.approved_by == ("Rita Reviewer", "Dan Director")
    assert (newest.previous_revision, newest.revision, newest.revision_bumped) == ("1", "2", True)
    assert newest.date == "2024-01-05"  # the day it reached main, not the day it was written
    assert first.summary == "Add QP-11" and not first.via_pr
    assert history.order == (merge, first.commit)


def test_a_new_head_read_with_what_the_cache_knows_equals_a_read_without_it(repo: Repo) -> None:
    """Versions, commits and what each merge brought are cached by object id: a new HEAD reads only the new ones,
    and the result is the same as reading everything again."""
    def pull_request(number: int, revision: str, author: str, reviewer: str) -> None:
        repo.git("checkout", "-q", "-b", f"pr-{number}")
        repo.write("procedures/QP-11.md", doc("QP-11", revision, f"Interval {number}."))
        repo.commit(f"Interval {number}", "--trailer", f"Reviewed-by: {reviewer} <r@example.com>", author=author)
        repo.git("checkout", "-q", "main")
        repo.merge(f"pr-{number}", f"Merge pull request #{number} from org/pr-{number}\n\nInterval {number}",
                   author="Dan Director")

    repo.write("procedures/QP-11.md", doc("QP-11", "1"))
    repo.commit("Add QP-11")
    pull_request(1, "2", "Bob Builder", "Rita Reviewer")
    load_history(repo.path, FOLDERS)  # fills the cache
    pull_request(2, "3", "Carol Coder", "Sam Second")
    repo.write("procedures/QP-12.md", doc("QP-12", "1"))
    repo.commit("Add QP-12")
    load_history(repo.path, FOLDERS)
    repo.git("mv", "procedures/QP-11.md", "procedures/QP-11-renamed.md")
    repo.commit("Rename QP-11")
    history_module.clear_cache()

    assert load_history(repo.path, FOLDERS).changes == load_history(repo.path, FOLDERS, use_cache=False).changes
    newest_merge = load_history(repo.path, FOLDERS).for_path("procedures/QP-11-renamed.md")[1]
    assert newest_merge.authors == ("Carol Coder",) and newest_merge.approved_by == ("Sam Second", "Dan Director")


def test_the_log_parsed_in_pieces_as_git_writes_it_is_the_log_parsed_whole(repo: Repo) -> None:
    for n in range(1, 6):
        repo.write(f"procedures/QP-0{n}.md", doc(f"QP-0{n}", "1", f"Text {n}, é ü 漢字."))
        repo.commit(f"Add QP-0{n}", "--trailer", "Approved-by: Helen Carter <helen@example.com>")
    repo.git("mv", "procedures/QP-01.md", "procedures/QP-01-moved.md")
    repo.commit("Move QP-01")
    from qms.history.git import open_repo
    git_repo = open_repo(repo.path)
    args = history_module.log_args(git_repo.pathspecs(FOLDERS))
    whole = git_repo.run(*args)
    for size in (5, 64, len(whole)):
        pieces = [whole[i:i + size] for i in range(0, len(whole), size)]
        assert list(history_module.parse_log_pieces(pieces)) == history_module.parse_log(whole)
    assert list(history_module.parse_log_pieces(git_repo.stream(*args))) == history_module.parse_log(whole)
    with pytest.raises(QMSError, match="git log failed"):
        list(git_repo.stream("log", "no-such-revision"))


def test_rename_inside_a_pull_request_is_followed_through_the_merge(repo: Repo) -> None:
    repo.write("procedures/QP-08-draft-name.md", doc("QP-08", "1", "Purchasing controls for approved suppliers. " * 4))
    repo.commit("Add QP-08")
    repo.git("checkout", "-q", "-b", "rename")
    repo.git("mv", "procedures/QP-08-draft-name.md", "procedures/QP-08-purchasing.md")
    repo.commit("Give QP-08 its real name", author="Bob Builder")
    repo.git("checkout", "-q", "main")
    merge = repo.merge("rename", "Merge pull request #3 from org/rename\n\nRename QP-08", author="Dan Director")

    changes = load_history(repo.path, FOLDERS).for_path("procedures/QP-08-purchasing.md")

    follow = repo.git("log", "--follow", "--first-parent", "--format=%H", "--", "procedures/QP-08-purchasing.md")
    assert [c.commit for c in changes] == follow.split() and changes[0].commit == merge
    assert changes[0].status == "R" and not changes[0].content_changed
    assert changes[0].old_path == "procedures/QP-08-draft-name.md"


def test_gitlab_merge_request_title_and_number(repo: Repo) -> None:
    repo.write("procedures/QP-02.md", doc("QP-02", "1"))
    repo.commit("Add QP-02")
    repo.git("checkout", "-q", "-b", "fix")
    repo.write("procedures/QP-02.md", doc("QP-02", "2", "Fixed."))
    repo.commit("Fix wording", author="Bob Builder")
    repo.git("checkout", "-q", "main")
    repo.merge("fix", "Merge branch 'fix' into 'main'\n\nFix the wording of QP-02\n\n"
                      "See merge request quality/manual!7", author="Dan Director")

    change = load_history(repo.path, FOLDERS).for_path("procedures/QP-02.md")[0]

    assert (change.summary, change.pr, change.approved_by) == ("Fix the wording of QP-02", "!7", ("Dan Director",))


def test_merging_ones_own_work_is_not_an_approval(repo: Repo) -> None:
    repo.write("procedures/QP-02.md", doc("QP-02", "1"))
    repo.commit("Add QP-02")
    repo.git("checkout", "-q", "-b", "own")
    repo.write("procedures/QP-02.md", doc("QP-02", "2", "Mine."))
    repo.commit("My change")
    repo.git("checkout", "-q", "main")
    repo.merge("own", "Merge branch 'own'")

    change = load_history(repo.path, FOLDERS).for_path("procedures/QP-02.md")[0]

    assert change.via_pr and change.approved_by == () and change.summary == "Merge branch 'own'"


def test_trailers_give_approvers_and_co_authors(repo: Repo) -> None:
    repo.write("procedures/QP-03.md", doc("QP-03", "1"))
    repo.commit("Add QP-03", "--trailer", "Approved-by: Mary Manager <mary@example.com>",
                "--trailer", "Reviewed-by: rita@example.com",
                "--trailer", "Co-authored-by: Carol Coder <c@example.com>")

    change = load_history(repo.path, FOLDERS).for_path("procedures/QP-03.md")[0]

    assert change.approved_by == ("Mary Manager", "rita@example.com")
    assert change.authors == ("Alice Author", "Carol Coder")


def test_a_squash_subject_names_its_pull_request_but_is_not_taken_as_one_from_the_subject_alone(repo: Repo) -> None:
    """'(#31)' is recorded, but a direct commit can write it too: qms.history.approvals verifies it
    (tests/test_approvals.py)."""
    repo.write("procedures/QP-04.md", doc("QP-04", "1"))
    repo.commit("Add QP-04 (#31)")

    change = load_history(repo.path, FOLDERS).for_path("procedures/QP-04.md")[0]

    assert not change.via_pr and change.pr == "#31"


def test_withdrawn_document_keeps_its_history_and_all_changes_are_newest_first(repo: Repo) -> None:
    repo.write("procedures/QP-05.md", doc("QP-05", "1"))
    repo.write("procedures/QP-06.md", doc("QP-06", "1"))
    repo.commit("Add two")
    repo.git("rm", "-q", "procedures/QP-05.md")
    last = repo.commit("Withdraw QP-05")

    history = load_history(repo.path, FOLDERS)
    withdrawn = history.for_path("procedures/QP-05.md")

    assert [c.status for c in withdrawn] == ["D", "A"]
    assert withdrawn[0].doc_id == "QP-05" and withdrawn[0].revision is None and withdrawn[0].previous_revision == "1"
    assert not history.committed("procedures/QP-05.md") and history.committed("procedures/QP-06.md")
    assert [(c.commit == last, c.path) for c in history.all_changes()] == [
        (True, "procedures/QP-05.md"), (False, "procedures/QP-05.md"), (False, "procedures/QP-06.md")]


def test_blob_text_reads_any_earlier_version(repo: Repo) -> None:
    repo.write("procedures/QP-01.md", doc("QP-01", "1", "First words."))
    first = repo.commit("Add")
    repo.write("procedures/QP-01.md", doc("QP-01", "2", "Second words."))
    second = repo.commit("Change")

    history = load_history(repo.path, FOLDERS)

    assert "First words." in (history.blob_text(first, "procedures/QP-01.md") or "")
    texts = history.blob_texts([(first, "procedures/QP-01.md"), (second, "procedures/QP-01.md"),
                                (first, "procedures/none.md")])
    assert "Second words." in (texts[(second, "procedures/QP-01.md")] or "")
    assert texts[(first, "procedures/none.md")] is None


def test_uncommitted_edits_and_never_committed_files_are_drafts(repo: Repo) -> None:
    repo.write("procedures/QP-01.md", doc("QP-01", "1"))
    repo.write("procedures/QP-02.md", doc("QP-02", "1"))
    repo.commit("Add")
    repo.write("procedures/QP-01.md", doc("QP-01", "2", "Edited, not committed."))
    repo.write("procedures/QP-09-new.md", doc("QP-09", "1"))

    history = load_history(repo.path, FOLDERS)

    assert history.uncommitted("procedures/QP-01.md")
    assert history.uncommitted("procedures/QP-09-new.md") and history.for_path("procedures/QP-09-new.md") == []
    assert not history.uncommitted("procedures/QP-02.md")


def test_history_is_cached_by_head(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("procedures/QP-01.md", doc("QP-01", "1"))
    repo.commit("Add")
    first = load_history(repo.path, FOLDERS)
    assert cache_file(repo.path).is_file()
    assert not cache_file(repo.path).is_relative_to(repo.path)  # caches never live in the work tree
    assert not (repo.path / ".qms-cache").exists()

    def fail(*_args: object) -> None:
        raise AssertionError("recomputed although HEAD did not move")

    monkeypatch.setattr(history_module, "_compute", fail)
    assert load_history(repo.path, FOLDERS).changes == first.changes  # in memory
    history_module.clear_cache()
    assert load_history(repo.path, FOLDERS).changes == first.changes  # from the cache folder
    monkeypatch.undo()

    repo.write("procedures/QP-01.md", doc("QP-01", "2", "New."))
    repo.commit("Change")
    assert len(load_history(repo.path, FOLDERS).for_path("procedures/QP-01.md")) == 2


def test_shallow_clone_asks_for_full_history(repo: Repo, tmp_path: Path) -> None:
    for n in (1, 2):
        repo.write("procedures/QP-01.md", doc("QP-01", str(n), f"Text {n}."))
        repo.commit(f"Revision {n}")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)

    with pytest.raises(QMSError) as exc:
        load_history(clone, FOLDERS)

    assert "shallow clone" in str(exc.value) and "git fetch --unshallow" in str(exc.value)
    assert "fetch-depth: 0" in str(exc.value)


def test_folder_outside_git_has_no_history_yet(tmp_path: Path) -> None:
    (tmp_path / "plain/procedures").mkdir(parents=True)

    history = load_history(tmp_path / "plain", FOLDERS)

    assert not history.tracked and history.all_changes() == []
    assert history.uncommitted("procedures/QP-01.md")
    assert [p.severity for p in history.problems] == ["warning"]
    assert "not a git repository" in history.problems[0].message


def test_empty_repository_has_no_history_yet(repo: Repo) -> None:
    repo.write("procedures/QP-01.md", doc("QP-01", "1"))

    history = load_history(repo.path, FOLDERS)

    assert not history.tracked and history.uncommitted("procedures/QP-01.md")
    assert "no commits yet" in history.problems[0].message


def test_detached_head_reads_history_up_to_head(repo: Repo) -> None:
    repo.write("procedures/QP-01.md", doc("QP-01", "1"))
    first = repo.commit("Add")
    repo.write("procedures/QP-01.md", doc("QP-01", "2", "Later."))
    repo.commit("Later")
    repo.git("checkout", "-q", "--detach", first)

    history = load_history(repo.path, FOLDERS)

    assert history.head == first and [c.revision for c in history.for_path("procedures/QP-01.md")] == ["1"]


def test_non_utf8_commit_messages_are_read(repo: Repo, tmp_path: Path) -> None:
    repo.write("procedures/QP-01.md", doc("QP-01", "1"))
    message = tmp_path / "msg.txt"
    message.write_bytes("Révision du procédé".encode("latin-1"))
    repo.git("add", "-A")
    repo.git("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", str(message), env=repo.dates())
    repo.write("procedures/QP-01.md", doc("QP-01", "2", "Again."))
    repo.git("add", "-A")
    tree, parent = repo.git("write-tree"), repo.git("rev-parse", "HEAD")
    raw = (f"tree {tree}\nparent {parent}\nauthor Alice Author <alice@example.com> 1704189600 +0000\n"
           f"committer Alice Author <alice@example.com> 1704189600 +0000\n\n").encode() + b"Broken \xff\xfe bytes\n"
    message.write_bytes(raw)  # `git commit` would repair the bytes as Latin-1; a hand-made commit keeps them
    sha = repo.git("hash-object", "-t", "commit", "-w", str(message))
    repo.git("update-ref", "refs/heads/main", sha)

    broken, latin = load_history(repo.path, FOLDERS).for_path("procedures/QP-01.md")

    assert latin.summary == "Révision du procédé"
    assert broken.summary == "Broken \ufffd\ufffd bytes" and broken.revision == "2"


def test_project_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "mono")
    repo.write("quality/procedures/QP-01.md", doc("QP-01", "1"))
    repo.write("procedures/NOT-1.md", doc("NOT-1", "1"))
    repo.commit("Add")

    history = load_history(repo.path / "quality", FOLDERS)

    assert history.paths() == ["procedures/QP-01.md"]


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed, so a signed commit cannot be made")
def test_signed_commit_is_reported_signed(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gnupg = tmp_path / "g"
    gnupg.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(gnupg)}
    monkeypatch.setenv("GNUPGHOME", str(gnupg))  # git verifies signatures with this throwaway keyring
    try:
        subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Alice Author <alice@example.com>",
                        "ed25519", "sign", "never"], env={**os.environ, **env}, capture_output=True, check=True,
                       timeout=60)
        repo.write("procedures/QP-01.md", doc("QP-01", "1"))
        repo.git("add", "-A")
        repo.git("-c", "user.signingkey=alice@example.com", "commit", "-q", "-S", "-m", "Signed",
                 env={**env, **repo.dates()})
        repo.write("procedures/QP-01.md", doc("QP-01", "2", "Unsigned."))
        repo.commit("Unsigned")
        unsigned, signed = load_history(repo.path, FOLDERS, use_cache=False).for_path("procedures/QP-01.md")
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={**os.environ, **env}, capture_output=True, check=False)

    assert signed.signed and signed.signature in ("G", "U") and signed.verified
    assert not unsigned.signed and unsigned.signature == "N"


def test_remote_urls_become_web_addresses_without_credentials() -> None:
    assert web_url("git@github.com:acme/quality.git") == "https://github.com/acme/quality"
    assert web_url("https://user:token@gitlab.com/acme/qms/manual.git") == "https://gitlab.com/acme/qms/manual"
    assert web_url("ssh://git@gitlab.example.com:2222/acme/manual.git") == "https://gitlab.example.com/acme/manual"
    assert web_url("/srv/git/manual.git") is None


def test_commit_links_use_the_origin_remote(repo: Repo) -> None:
    repo.write("procedures/QP-01.md", doc("QP-01", "1"))
    sha = repo.commit("Add")
    repo.git("remote", "add", "origin", "git@github.com:acme/quality.git")

    history = load_history(repo.path, FOLDERS, use_cache=False)

    assert history.commit_url(sha) == f"https://github.com/acme/quality/commit/{sha}"


@pytest.mark.parametrize("yaml_text, expected", [
    ('id: QP-01\nrevision: "1.10"\n', ("1.10", "QP-01")),
    ("id: QP-01\nrevision: 2\n", ("2", "QP-01")),
    ("revision: B # comment\nid: 'WI-12'\n", ("B", "WI-12")),
    ("id: QP-01\nrevision: >-\n  3\n", ("3", "QP-01")),
    ("id: QP-01\n", (None, "QP-01")),
    ("id: [unclosed\nrevision: 1\n", (None, None)),
    ("id: QP-01\nrevision: yes\n", ("True", "QP-01")),
    ('id: "QP-01"\nrevision: "3" # was 2\n', ("3", "QP-01")),
])
def test_revision_labels_are_read_as_yaml_reads_them(yaml_text: str, expected: tuple) -> None:
    assert front_matter_keys(yaml_text) == expected
