"""Approvals an auditor can rely on: people resolved from git identities, signatures with meaning, and evidence
from acts (merging, committing, signing), not from what an author writes in a trailer."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import mkdocs_build, page
from qms.config import load_settings
from qms.history.approvals import signatures_of
from qms.history.changecontrol import flags_for
from qms.site import plan

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("isolated_git")
QP = "procedures/QP-01-control.md"
TODAY = dt.date(2026, 12, 2)

PEOPLE = {
    "Sarah Quinn": ("P-001", "quality-manager"),
    "Helen Carter": ("P-002", "quality-manager"),
    "Frank Fisher": ("P-003", "engineer"),
    "Bob Builder": ("P-004", "engineer"),
    "Olga Owner": ("P-005", "operations-manager"),
}


def email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@aldwick.example"


class Manual:
    """A small quality manual in a real git repository, with a person register in organization.yaml; the N-th
    commit is dated 2026-01-N (judged from 2026-01-01)."""

    def __init__(self, path: Path, policy: str = ""):
        self.path = path
        self.day = 0
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "commit.gpgsign", "false")
        self.write("mkdocs.yml", "site_name: Test manual\nplugins:\n  - qms:\n      policy:\n"
                                 f"        judge_from: 2026-01-01\n{policy}")
        people = "".join(f"  - {{id: {pid}, roles: [{role}], git: ['{name} <{email(name)}>']}}\n"
                         for name, (pid, role) in PEOPLE.items())
        self.write("organization.yaml", "company:\n  name: Aldwick Test Ltd\nroles:\n"
                   + "".join(f"  - id: {r}\n    title: {r.replace('-', ' ').title()}\n"
                             for r in ("quality-manager", "engineer", "operations-manager"))
                   + "people:\n" + people)
        (path / "records_schema").mkdir()
        shutil.copy(ROOT / "records_schema" / "document.schema.yaml", path / "records_schema")
        self.write("docs/index.md", "# Home\n")
        self.edit("1", "First text.")
        self.commit("Add QP-01", who="Sarah Quinn")

    def git(self, *args: str, who: str = "Sarah Quinn", committer: str | None = None) -> str:
        self.day += args[0] in ("commit", "merge")
        when = f"2026-01-{self.day:02d}T10:00:00+00:00"
        committer = committer or who
        name, mail = (who.split(" <")[0], who.split(" <")[1].rstrip(">")) if "<" in who else (who, email(who))
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
               "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": mail,
               "GIT_COMMITTER_NAME": committer.split(" <")[0],
               "GIT_COMMITTER_EMAIL": committer.split(" <")[1].rstrip(">") if "<" in committer else email(committer)}
        return subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, check=True,
                              text=True).stdout.strip()

    def write(self, rel: str, text: str) -> None:
        (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.path / rel).write_text(text, encoding="utf-8")

    def edit(self, revision: str, body: str, owner: str = "quality-manager", kind: str = "procedure") -> None:
        self.write(QP, f"---\nid: QP-01\ntitle: Control\ntype: {kind}\nrevision: \"{revision}\"\nstatus: effective\n"
                       f"owner: {owner}\nclauses: ['8.7']\nreview_interval: 12 months\n---\n\n# Control\n\n{body}\n")

    def commit(self, message: str, who: str = "Sarah Quinn", committer: str | None = None) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, who=who, committer=committer)
        return self.git("rev-parse", "HEAD")

    def pull_request(self, number: int, revision: str, author: str, merger: str, trailers: str = "",
                     **edit: str) -> str:
        """A branch with one commit by `author`, merged with --no-ff by `merger` as GitHub writes the message."""
        self.git("checkout", "-q", "-b", f"pr-{number}")
        self.edit(revision, f"Text of revision {revision}.", **edit)
        self.commit(f"Revision {revision}" + (f"\n\n{trailers}" if trailers else ""), who=author)
        self.git("checkout", "-q", "main")
        self.git("merge", "-q", "--no-ff", f"pr-{number}", "-m",
                 f"Merge pull request #{number} from aldwick/pr-{number}\n\nRevision {revision}", who=merger)
        return self.git("rev-parse", "HEAD")

    def load(self) -> plan.Loaded:
        return plan.load(load_settings(self.path / "mkdocs.yml"), TODAY)

    def newest(self):  # noqa: ANN201 - the newest change to QP-01, judged
        return self.load().history.for_path(QP)[0]


def approved(change) -> list[tuple[str, str, str]]:  # noqa: ANN001
    return [(s.name, s.person, s.status) for s in signatures_of(change) if s.meaning == "approved"]


@pytest.fixture
def manual(tmp_path: Path) -> Manual:
    return Manual(tmp_path / "manual")


def test_a_pull_request_merged_by_the_quality_manager_is_approved_with_a_verified_signature(manual: Manual):
    manual.pull_request(2, "2", author="Bob Builder", merger="Helen Carter")

    change = manual.newest()

    assert change.via_pr and change.approved_by == ("Helen Carter",)
    assert approved(change) == [("Helen Carter", "P-002", "counted")]
    authored = [(s.name, s.person, s.role) for s in signatures_of(change) if s.meaning == "authored"]
    assert authored == [("Bob Builder", "P-004", "engineer")]
    assert flags_for(change) == ("unsigned",)


def test_approving_ones_own_change_is_self_approval_an_error_by_default(manual: Manual):
    manual.edit("2", "Sarah's change.")
    manual.commit("Revision 2\n\nApproved-by: Sarah Quinn <sarah.quinn@aldwick.example>", who="Sarah Quinn")

    loaded = manual.load()
    change = loaded.history.for_path(QP)[0]

    assert change.approved_by == () and approved(change) == [("Sarah Quinn", "P-001", "self")]
    assert {"self-approval", "no-approval"} <= set(flags_for(change))
    errors = [p for p in loaded.problems if p.severity == "error"]
    assert [p.code for p in errors] == ["self-approval"]
    assert "Sarah Quinn (P-001): approved" in errors[0].message


def test_merging_ones_own_pull_request_is_self_approval(manual: Manual):
    manual.pull_request(2, "2", author="Helen Carter", merger="Helen Carter",
                        trailers="Approved-by: Helen Carter <helen.carter@aldwick.example>")

    change = manual.newest()

    assert change.approved_by == () and set(approved(change)) == {("Helen Carter", "P-002", "self")}
    assert "self-approval" in flags_for(change)


def test_a_trailer_naming_someone_else_written_by_the_author_is_a_claim(tmp_path: Path):
    manual = Manual(tmp_path / "strict")
    manual.edit("2", "Bob's change.")
    manual.commit("Revision 2\n\nApproved-by: Helen Carter <helen.carter@aldwick.example>", who="Bob Builder")

    change = manual.newest()

    assert change.approved_by == () and approved(change) == [("Helen Carter", "P-002", "claim")]
    assert {"unverified-approval", "no-approval"} <= set(flags_for(change))
    assert "written by Bob Builder" in signatures_of(change)[-1].how

    lenient = Manual(tmp_path / "lenient", policy="        claims_count: true\n")
    lenient.edit("2", "Bob's change.")
    lenient.commit("Revision 2\n\nApproved-by: Helen Carter <helen.carter@aldwick.example>", who="Bob Builder")
    change = lenient.newest()
    assert change.approved_by == ("Helen Carter",) and "unverified-approval" in flags_for(change)
    assert "no-approval" not in flags_for(change)


def test_the_approver_who_committed_the_change_acted_on_it(manual: Manual):
    manual.edit("2", "Bob's change, applied by Helen.")
    manual.commit("Revision 2\n\nApproved-by: Helen Carter <helen.carter@aldwick.example>", who="Bob Builder",
                  committer="Helen Carter")

    change = manual.newest()

    assert change.approved_by == ("Helen Carter",) and approved(change) == [("Helen Carter", "P-002", "counted")]
    assert "committed it" in [s for s in signatures_of(change) if s.meaning == "approved"][0].how


def test_a_variant_spelling_of_the_authors_name_merging_is_still_the_author(manual: Manual):
    manual.pull_request(2, "2", author="Frank Fisher", merger="frank fisher <ff@home.example>")

    change = manual.newest()

    assert change.approved_by == ()
    assert approved(change) == [("frank fisher", "", "self")]
    assert "self-approval" in flags_for(change) and "no-approval" in flags_for(change)


def test_an_approver_nobody_is_mapped_to_does_not_count(manual: Manual):
    manual.pull_request(2, "2", author="Bob Builder", merger="Mallory Merger <mallory@example.com>")

    change = manual.newest()

    assert change.approved_by == () and approved(change) == [("Mallory Merger", "", "unknown")]
    assert {"unknown-approver", "no-approval"} <= set(flags_for(change))


def test_an_author_nobody_is_mapped_to_is_flagged(manual: Manual):
    manual.pull_request(2, "2", author="Eve Outsider <eve@example.com>", merger="Helen Carter")

    change = manual.newest()

    assert change.approved_by == ("Helen Carter",) and "unknown-author" in flags_for(change)
    problems = [p for p in manual.load().problems if p.code == "unknown-author"]
    assert problems and problems[0].severity == "warning"


def test_an_approver_whose_role_may_not_approve_the_document_does_not_count(tmp_path: Path):
    manual = Manual(tmp_path / "default")
    manual.pull_request(2, "2", author="Bob Builder", merger="Frank Fisher")  # an engineer, not the owner

    change = manual.newest()

    assert change.approved_by == () and approved(change) == [("Frank Fisher", "P-003", "no-authority")]
    assert {"approver-without-authority", "no-approval"} <= set(flags_for(change))

    # the owner role approves by default: the operations manager owns this one
    manual.pull_request(3, "3", author="Bob Builder", merger="Olga Owner", owner="operations-manager")
    assert manual.newest().approved_by == ("Olga Owner",)

    # the policy gives work instructions to engineers
    by_policy = Manual(tmp_path / "policy", policy="        approvers: {work instruction: [engineer], "
                                                    "default: [quality-manager]}\n")
    by_policy.pull_request(2, "2", author="Bob Builder", merger="Frank Fisher", kind="work instruction")
    assert by_policy.newest().approved_by == ("Frank Fisher",)


def test_a_kind_that_needs_two_approvals_is_not_approved_by_one(tmp_path: Path):
    manual = Manual(tmp_path / "two", policy="        two_approvals: [procedure]\n        errors: [no-approval]\n")
    manual.pull_request(2, "2", author="Bob Builder", merger="Helen Carter")

    loaded = manual.load()
    change = loaded.history.for_path(QP)[0]
    assert change.approved_by == ("Helen Carter",) and "no-approval" in flags_for(change)
    assert any("needs 2" in p.message for p in loaded.problems if p.code == "no-approval")

    # a second approver who acted: Sarah committed Bob's work on the branch and signed it off
    manual.git("checkout", "-q", "-b", "pr-3")
    manual.edit("3", "Bob's text, reviewed.")
    manual.commit("Revision 3\n\nApproved-by: Sarah Quinn <sarah.quinn@aldwick.example>", who="Bob Builder",
                  committer="Sarah Quinn")
    manual.git("checkout", "-q", "main")
    manual.git("merge", "-q", "--no-ff", "pr-3", "-m", "Merge pull request #3 from aldwick/pr-3\n\nRevision 3",
               who="Helen Carter")
    change = manual.newest()
    assert set(change.approved_by) == {"Helen Carter", "Sarah Quinn"} and "no-approval" not in flags_for(change)


def test_a_direct_commit_with_a_pull_request_subject_is_a_direct_change(manual: Manual):
    manual.edit("2", "Direct.")
    manual.commit("Tidy QP-01 (#77)", who="Bob Builder")
    manual.edit("3", "Direct again.")
    manual.commit("Merge pull request #78 from aldwick/tidy", who="Bob Builder")

    newest, squash = manual.load().history.for_path(QP)[:2]

    assert not newest.via_pr and not squash.via_pr
    assert "direct-change" in flags_for(newest) and "direct-change" in flags_for(squash)
    assert squash.pr == "#77"  # the reference is shown as written, but not taken as a pull request


def test_a_squash_counts_as_a_pull_request_when_the_platforms_ref_confirms_it(manual: Manual):
    manual.edit("2", "Squashed.")
    squash = manual.commit("Tidy QP-01 (#77)", who="Bob Builder")
    assert not manual.newest().via_pr

    manual.git("update-ref", "refs/pull/77/head", squash)  # as GitHub's ref of the pull request, fetched by CI

    assert manual.newest().via_pr


def test_a_replace_object_does_not_change_the_history(manual: Manual):
    manual.edit("2", "Bob's change.")
    original = manual.commit("Revision 2", who="Bob Builder")
    forged = manual.git("commit-tree", f"{original}^{{tree}}", "-p", f"{original}^", "-m",
                        "Revision 2\n\nApproved-by: Helen Carter <helen.carter@aldwick.example>", who="Helen Carter")
    manual.git("replace", original, forged)
    assert "Helen Carter" in manual.git("log", "-1", "--format=%an")  # git itself now shows the forgery

    change = manual.newest()

    assert change.commit == original and change.authors == ("Bob Builder",) and change.approved_by == ()


def test_a_rewrite_of_the_published_branch_is_reported_with_the_changes_that_vanished(tmp_path: Path):
    manual = Manual(tmp_path / "manual", policy="        errors: [no-revision-bump, history-rewritten]\n")
    manual.edit("2", "Bob's change.")
    manual.commit("Revision 2", who="Bob Builder")
    first = manual.load()
    assert "no-approval" in flags_for(first.history.for_path(QP)[0])
    assert not [p for p in first.problems if p.code == "history-rewritten"]

    # force-push: the old commit given an approval it never had
    manual.git("commit", "-q", "--amend", "-m", "Revision 2\n\nApproved-by: Helen Carter <helen.carter@aldwick.example>",
               who="Bob Builder", committer="Helen Carter")
    rewritten = manual.load()
    problems = [p for p in rewritten.problems if p.code == "history-rewritten"]
    assert len(problems) == 1 and problems[0].severity == "error"
    assert "QP-01" in problems[0].message and "'Revision 2'" in problems[0].message
    assert [p.code for p in manual.load().problems if p.severity == "error"] == ["history-rewritten"]  # it stays


def test_a_commit_signed_with_the_approvers_key_is_their_act(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed: no signed commit (tests/test_signatures.py needs it too)")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    run_gpg = ["gpg", "--batch", "--passphrase", ""]
    subprocess.run([*run_gpg, "--quick-gen-key", "Helen Carter <helen.carter@aldwick.example>", "ed25519", "sign",
                    "never"], capture_output=True, check=True, timeout=60)
    listing = subprocess.run(["gpg", "--with-colons", "--list-keys"], capture_output=True, text=True, check=True)
    fingerprint = next(line.split(":")[9] for line in listing.stdout.splitlines() if line.startswith("fpr:"))
    manual = Manual(tmp_path / "manual")
    org = manual.path / "organization.yaml"
    org.write_text(org.read_text().replace("git: ['Helen Carter <helen.carter@aldwick.example>']",
                                           f"git: ['Helen Carter <helen.carter@aldwick.example>'], "
                                           f"signing_keys: ['{fingerprint}']"))
    manual.edit("2", "Bob's change, signed off by Helen with her key.")
    manual.git("add", "-A")
    manual.git("-c", "user.signingkey=helen.carter@aldwick.example", "commit", "-q", "-S", "-m",
               "Revision 2\n\nApproved-by: Helen Carter <helen.carter@aldwick.example>", who="Bob Builder")
    try:
        change = manual.newest()
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], capture_output=True, check=False)

    assert change.signed and change.approved_by == ("Helen Carter",)
    assert "signed the commit with their key" in [s for s in signatures_of(change) if s.meaning == "approved"][0].how


def test_the_document_page_shows_the_signature_block_of_its_revision(manual: Manual):
    manual.pull_request(2, "2", author="Bob Builder", merger="Helen Carter",
                        trailers="Reviewed-by: Frank Fisher <frank.fisher@aldwick.example>")
    manual.write("mkdocs.yml", "site_name: Test manual\ntheme:\n  name: material\n  font: false\nplugins:\n"
                               "  - search\n  - qms:\n      policy:\n        judge_from: 2026-01-01\n"
                               "  - macros:\n      on_undefined: strict\n      on_error_fail: true\n"
                               "markdown_extensions: [abbr, admonition, attr_list, md_in_html, tables]\n")

    result = mkdocs_build(manual.path)

    assert result.returncode == 0, result.output
    html = page(manual.path / "site", QP)
    block = html.split('class="qms-signatures"')[1].split("</div>")[0]
    assert "Signatures of revision 2" in block
    assert "Helen Carter (P-002)" in block and "Quality Manager" in block and "2026-01-03" in block
    assert "Approved" in block and "merged it" in block and "verified" in block
    assert "Bob Builder (P-004)" in block and "Authored" in block
    assert "Reviewed" in block and "claimed in a trailer, not verified" in block  # Bob wrote Frank's trailer
    history = html.split('class="qms-history"')[1]
    assert "Approved: Helen Carter (P-002), Quality Manager" in history
