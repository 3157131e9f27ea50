"""Revisions an auditor can rely on: titles of merged changes as GitHub and GitLab write them, revision labels
that only go forward, the content key of the document as published, a pull request judged as one change, and
every past revision readable in full."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from gitmanual import GitManual
from qms.history.revisions import load_history, titled

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("isolated_git")

FOLDERS = ("procedures", "docs")
QP = "procedures/QP-02-nonconforming-output.md"


class Repo(GitManual):
    """A small quality manual with one role and no people register."""

    def __init__(self, path: Path, mkdocs_extra: str = ""):
        super().__init__(path, "site_name: Test manual\nplugins:\n  - search\n  - qms:\n      policy:\n"
                               "        errors: [no-revision-bump, revision-not-increased]\n" + mkdocs_extra,
                         "company:\n  name: Testing Widgets Ltd\nroles:\n"
                         "  - id: quality-manager\n    title: Quality Manager\n")


def doc(revision: str, body: str = "Body text.", doc_id: str = "QP-02") -> str:
    return (f"---\nid: {doc_id}\ntitle: Nonconforming output\ntype: procedure\nrevision: \"{revision}\"\n"
            f"status: effective\nowner: quality-manager\nclauses: ['8.7']\nrecords: []\n"
            f"review_interval: 12 months\n---\n\n# Nonconforming output\n\n{body}\n")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "manual")
    r.write(QP, doc("1"))
    r.commit("Add QP-02")
    return r


def branch_with_a_change(repo: Repo, name: str = "ncr-shift") -> None:
    repo.git("checkout", "-q", "-b", name)
    repo.write(QP, doc("2", "An NCR is raised within the shift."))
    repo.commit("Raise NCRs within the shift", author="Bob Builder")
    repo.git("checkout", "-q", "main")


def newest(repo: Repo):
    return load_history(repo.path, FOLDERS).for_path(QP)[0]


# ------------------------------------------------------------------------------------------------ titles


def test_github_merge_commit_title_that_looks_like_a_trailer_is_the_summary(repo: Repo) -> None:
    branch_with_a_change(repo)
    # GitHub's merge commit: "Merge pull request #N from OWNER/BRANCH", a blank line, the pull request's title
    repo.merge("ncr-shift", "Merge pull request #2 from aldwick/ncr-shift\n\nQP-02: NCR raised within the shift")

    change = newest(repo)

    assert (change.summary, change.pr) == ("QP-02: NCR raised within the shift", "#2")
    assert titled(change.summary, change.pr) == "QP-02: NCR raised within the shift (#2)"


def test_github_merge_commit_with_title_and_description(repo: Repo) -> None:
    branch_with_a_change(repo)
    repo.merge("ncr-shift", "Merge pull request #3 from aldwick/ncr-shift\n\nQP-02: NCR raised within the shift\n\n"
                            "The shift leader raises the NCR.\n\nCo-authored-by: Carol Coder <carol@example.com>")

    assert newest(repo).summary == "QP-02: NCR raised within the shift"


def test_github_squash_subject_keeps_one_pull_request_number(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    branch_with_a_change(repo)
    # GitHub's squash commit: the title with " (#N)", the squashed commits as a list, co-authors as trailers
    repo.squash("ncr-shift", "QP-02: NCR raised within the shift (#4)\n\n* Raise NCRs within the shift\n\n"
                             "Co-authored-by: Bob Builder <bob@example.com>")

    change = newest(repo)
    assert (change.summary, change.pr) == ("QP-02: NCR raised within the shift (#4)", "#4")
    assert titled(change.summary, change.pr) == "QP-02: NCR raised within the shift (#4)"
    code, out, _ = repo.qms("history", "QP-02", capsys=capsys)
    assert code == 0 and "(#4) (#4)" not in out and "QP-02: NCR raised within the shift (#4)" in out


def test_github_rebase_merge_keeps_each_commit_subject(repo: Repo) -> None:
    branch_with_a_change(repo)
    repo.git("rebase", "-q", "main", "ncr-shift")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "ncr-shift")

    change = newest(repo)
    assert (change.summary, change.pr) == ("Raise NCRs within the shift", None)


def test_gitlab_merge_commit_title_and_merge_request(repo: Repo) -> None:
    branch_with_a_change(repo)
    # GitLab's merge commit: "Merge branch 'SOURCE' into 'TARGET'", the title, the description, the reference
    repo.merge("ncr-shift", "Merge branch 'ncr-shift' into 'main'\n\nQP-02: NCR raised within the shift\n\n"
                            "Closes #12\n\nSee merge request quality/manual!9")

    change = newest(repo)
    assert (change.summary, change.pr) == ("QP-02: NCR raised within the shift", "!9")
    assert titled(change.summary, change.pr) == "QP-02: NCR raised within the shift (!9)"


def test_gitlab_squash_with_merge_commit(repo: Repo) -> None:
    branch_with_a_change(repo)
    # GitLab squashes the branch into one commit titled like the merge request, then merges that commit
    repo.git("checkout", "-q", "-b", "squashed", "main")
    repo.squash("ncr-shift", "QP-02: NCR raised within the shift", author="Bob Builder")
    repo.git("checkout", "-q", "main")
    repo.merge("squashed", "Merge branch 'ncr-shift' into 'main'\n\nQP-02: NCR raised within the shift\n\n"
                           "See merge request quality/manual!10")

    change = newest(repo)
    assert (change.summary, change.pr, change.authors) == ("QP-02: NCR raised within the shift", "!10",
                                                           ("Bob Builder",))


# ------------------------------------------------------------------------------------------------ labels go forward


def flags(repo: Repo, path: str = QP) -> list[tuple[str | None, tuple[str, ...]]]:
    from qms.config import load_settings
    from qms.history.changecontrol import flags_for

    scheme = load_settings(repo.path / "mkdocs.yml").revision_scheme
    chain = load_history(repo.path, FOLDERS, revision_scheme=scheme).for_path(path)
    return [(c.revision, tuple(f for f in flags_for(c) if "revision" in f)) for c in chain]


def test_revision_going_backwards_with_other_text_fails_the_check(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    repo.write(QP, doc("2", "Second text."))
    repo.commit("Revise QP-02")
    repo.write(QP, doc("1", "Third text, labelled as the first."))
    repo.commit("Back to revision 1")

    assert flags(repo) == [("1", ("revision-not-increased",)), ("2", ()), ("1", ())]
    code, out, _ = repo.qms("check", capsys=capsys)
    assert code == 1
    assert f"{QP}: revision-not-increased: revision label not after an earlier label" in out
    assert "(revision 2 → 1: give it a label after every earlier one" in out


def test_a_label_given_to_two_texts_is_not_increased_even_when_the_previous_label_differs(repo: Repo) -> None:
    repo.write(QP, doc("3", "Revision three."))
    repo.commit("Revise QP-02")
    repo.write(QP, doc("2", "Revision two, written after three."))
    repo.commit("Relabel")
    repo.write(QP, doc("4", "Revision four."))
    repo.commit("Revise again")

    assert flags(repo) == [("4", ()), ("2", ("revision-not-increased",)), ("3", ()), ("1", ())]


def test_letters_go_from_z_to_aa_and_major_minor_compares_numbers(tmp_path: Path) -> None:
    from qms.history.revisions import goes_forward, revision_order

    assert goes_forward("AA", "Z", "letter") and goes_forward("B", "A", "auto") and not goes_forward("A", "B", "auto")
    assert goes_forward("1.10", "1.9", "major.minor") and not goes_forward("2", "2.0", "major.minor")
    assert goes_forward("10", "9", "integer") and not goes_forward("1.1", "1", "integer")
    assert not goes_forward("A", "3", "auto")  # one kind of label per document
    assert revision_order("B", "integer") is None and revision_order("2.1", "letter") is None


def test_a_label_outside_the_scheme_is_an_error_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    repo = Repo(tmp_path / "manual", mkdocs_extra="      revision_scheme: integer\n")
    repo.write(QP, doc("B"))
    repo.commit("Add QP-02")

    code, out, _ = repo.qms("check", capsys=capsys)

    assert code == 1
    assert (f"{QP}:5: revision: 'B' does not fit the revision scheme integer of mkdocs.yml (whole numbers: 1, 2, 3)"
            in out)


def test_check_base_refuses_a_lower_label_with_changed_text(repo: Repo) -> None:
    from qms.config import load_settings
    from qms.history.pullrequest import base_problems
    from qms.model.project import load_project

    repo.write(QP, doc("5", "Revision five."))
    repo.commit("Revise QP-02")
    repo.git("checkout", "-q", "-b", "relabel")
    repo.write(QP, doc("4", "Revision five, edited."))
    repo.commit("Edit")

    problems = base_problems(load_project(load_settings(repo.path / "mkdocs.yml"), with_records=False), "main")

    assert [(p.code, p.line) for p in problems] == [("revision-not-increased", 5)]
    assert "QP-02: revision 4 is not after revision 5 of main" in problems[0].message


# ------------------------------------------------------------------------------------------------ content key


def flow_doc(revision: str, title: str, body: str = "Body text.") -> str:
    return (f"---\n{{id: QP-02, revision: \"{revision}\", title: {title},\n type: procedure, status: effective,"
            f" owner: quality-manager, clauses: ['8.7'], review_interval: 12 months}}\n---\n\n# Output\n\n{body}\n")


def test_a_field_changed_on_the_revision_line_of_a_flow_style_front_matter_is_a_change(tmp_path: Path,
                                                                                     capsys: pytest.CaptureFixture):
    repo = Repo(tmp_path / "manual")
    repo.write(QP, flow_doc("1", "Nonconforming output"))
    repo.commit("Add QP-02")
    repo.write(QP, flow_doc("1", "Nonconforming output and concessions"))
    repo.commit("Retitle without a bump")
    repo.write(QP, flow_doc("2", "Nonconforming output and concessions"))
    repo.commit("Bump only")

    bumped, retitled, _ = load_history(repo.path, FOLDERS).for_path(QP)

    assert retitled.content_changed and not retitled.revision_bumped
    assert bumped.revision_bumped and not bumped.content_changed
    code, out, _ = repo.qms("check", capsys=capsys)
    assert code == 1 and "no-revision-bump: content changed without a revision bump (revision stays 1)" in out


def test_review_date_and_label_are_still_neutral(repo: Repo) -> None:
    repo.write(QP, doc("2").replace("review_interval", "last_review: 2024-01-05\nreview_interval"))
    repo.commit("Bump and review")

    change = load_history(repo.path, FOLDERS).for_path(QP)[0]
    assert change.revision_bumped and not change.content_changed


@pytest.mark.parametrize("statement, line", [("{% include 'ncr-steps.md' %}", 17),
                                             ("{%- include \"ncr-steps.md\" -%}", 17),
                                             ("{%\n  include 'ncr-steps.md'\n%}", 18),
                                             ("{% import 'ncr-steps.md' as steps %}", 17)])
def test_an_include_in_a_controlled_document_is_refused(repo: Repo, statement: str, line: int,
                                                         capsys: pytest.CaptureFixture) -> None:
    repo.write("docs/_includes/ncr-steps.md", "1. Stop the machine.\n")
    repo.write(QP, doc("1", f"The steps:\n\n{statement}\n"))
    repo.write("docs/notes.md", "# Notes\n\n{% include 'ncr-steps.md' %}\n")  # not a controlled document

    code, out, _ = repo.qms("check", capsys=capsys)

    assert code == 1
    lines = [line for line in out.splitlines() if "include-in-controlled-document" in line or "in a controlled" in line]
    assert len(lines) == 1 and lines[0].removeprefix("error: ").startswith(f"{QP}:{line}: {{% ")
    assert "in a controlled document: text from another file would be published as part of this document" in lines[0]
    assert "docs/notes.md" not in out


# ------------------------------------------------------------------------------------------------ one proposed change


def branch_bumped_later(repo: Repo) -> None:
    """A branch whose first commit changes the text without a bump, and whose second raises the revision; meanwhile
    the target branch moved on with a change of another document."""
    repo.git("checkout", "-q", "-b", "web-editor")
    repo.write(QP, doc("1", "An NCR is raised within the shift."))
    repo.commit("Update QP-02.md", author="Bob Builder")
    repo.write(QP, doc("2", "An NCR is raised within the shift."))
    repo.commit("Raise the revision of QP-02", author="Bob Builder")
    repo.git("checkout", "-q", "main")
    repo.write("procedures/QP-03.md", doc("1", doc_id="QP-03"))
    repo.commit("Add QP-03")
    repo.git("checkout", "-q", "web-editor")


def test_a_bump_in_a_later_commit_of_the_branch_passes_check_base(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    branch_bumped_later(repo)

    code, out, _ = repo.qms("check", "--base", "main", capsys=capsys)
    assert code == 0, out
    assert "no-revision-bump" not in out

    code, out, _ = repo.qms("check", capsys=capsys)  # without --base each commit is judged: the first fails
    assert code == 1 and "no-revision-bump: content changed without a revision bump (revision stays 1)" in out

    code, out, _ = repo.qms("diff", "--base", "main", "--format", "json", capsys=capsys)
    assert code == 0 and '"doc_id": "QP-02"' in out and "QP-03" not in out  # from the merge base: QP-03 is main's


def test_the_net_change_of_a_branch_still_needs_a_later_revision(repo: Repo, capsys: pytest.CaptureFixture) -> None:
    repo.git("checkout", "-q", "-b", "quiet")
    repo.write(QP, doc("2", "Interim text."))
    repo.commit("Raise and edit")
    repo.write(QP, doc("1", "Final text, labelled back."))
    repo.commit("Back to 1")

    code, out, _ = repo.qms("check", "--base", "main", capsys=capsys)

    assert code == 1
    assert f"{QP}:5: QP-02: the content changed since main but the revision is still 1" in out


def test_the_build_of_a_branch_judges_it_as_one_change_when_the_pipeline_names_the_target(new_project: Path) -> None:
    from conftest import run

    init = "procedures/QP-01-control-of-documented-information.md"

    def git(*args: str, day: int) -> None:
        when = f"2026-11-{day:02d}T10:00:00"
        assert run(["git", "-c", "user.name=Dana Author", "-c", "user.email=dana@example.com", *args], cwd=new_project,
                   env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}).returncode == 0

    def edit(old: str, new: str, text: str) -> None:
        path = new_project / init
        path.write_text(path.read_text().replace(f'revision: "{old}"', f'revision: "{new}"') + text)

    (new_project / "mkdocs.yml").write_text(
        (new_project / "mkdocs.yml").read_text().replace("judge_from: ", "judge_from: 2026-11-01 #"))
    git("add", "-A", day=20)
    git("commit", "-q", "-m", "Import the quality manual", day=20)
    git("branch", "-M", "main", day=20)
    git("checkout", "-q", "-b", "web-editor", day=21)
    edit("1", "1", "\nObsolete copies are removed within a day.\n")
    git("commit", "-q", "-am", "Update QP-01", day=21)
    edit("1", "2", "")
    git("commit", "-q", "-am", "Raise the revision of QP-01", day=22)

    build = ["mkdocs", "build", "--strict", "-d", str(new_project / "site")]
    failing = run(build, cwd=new_project)
    assert failing.returncode == 1 and "no-revision-bump" in failing.output
    passing = run(build, cwd=new_project, env={"QMS_BASE": "main"})
    assert passing.returncode == 0, passing.output


# ------------------------------------------------------------------------------------------------ past revisions

INIT_QP = "procedures/QP-01-control-of-documented-information.md"


def manual_with_three_revisions(project: Path) -> None:
    """qms init's manual with QP-01 at revisions 1, 2 (linking a page that is later deleted) and 3."""
    from conftest import run

    def commit(message: str, day: int) -> None:
        when = f"2026-11-{day:02d}T10:00:00"
        for args in (["add", "-A"], ["commit", "-q", "-m", message]):
            assert run(["git", "-c", "user.name=Dana Author", "-c", "user.email=dana@example.com", *args],
                       cwd=project, env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}).returncode == 0

    path = project / INIT_QP
    original = path.read_text()
    commit("Import the quality manual", 10)
    (project / "docs/forms.md").write_text("# Forms\n")
    path.write_text(original.replace('revision: "1"', 'revision: "2"')
                    + "\n4. Forms are listed in [the forms page](../forms.md#list) and in "
                      "[the manual](../manual/QM-01-quality-manual.md).\n5. Shown as written: {{ 7 * 6 }}.\n")
    commit("QP-01: forms page (#3)", 12)
    (project / "docs/forms.md").unlink()
    path.write_text(original.replace('revision: "1"', 'revision: "3"') + "\n4. Copies are withdrawn the same day.\n")
    commit("QP-01: withdraw copies the same day", 15)


def test_each_revision_row_links_the_document_as_it_stood(new_project: Path) -> None:
    from conftest import mkdocs_build, page
    import json
    import re

    manual_with_three_revisions(new_project)
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output

    site = new_project / "site"
    html = page(site, INIT_QP)
    history = re.search(r'<div class="qms-history">(.*?)</div>', html, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)" title="QP-01 as it stood at revision (\d)">', history)
    assert [rev for _, rev in links] == ["2", "1"]  # revision 3 is this page
    past = (site / "procedures" / Path(INIT_QP).stem / links[0][0] / "index.html").resolve()
    text = past.read_text()
    assert "Superseded: revision 2 of 2026-11-12" in text
    assert "replaced on 2026-11-15 by revision 3" in text
    assert "Forms are listed in the forms page and in" in text  # the deleted page's link keeps its text
    assert re.search(r'<a href="[./]*manual/QM-01-quality-manual/">the manual</a>', text)
    assert "Shown as written: {{ 7 * 6 }}." in text  # old text never runs as a template
    assert 'class="qms-term"' in text  # its literal macro calls are resolved
    assert "Copies are withdrawn the same day" not in text
    # outside the navigation and the search index
    assert "revision-2-" not in page(site, "index.md")
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert not [d for d in index["docs"] if "revision-2-" in d["location"]]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed (.ci/run installs it)")
def test_qms_pdf_prints_a_past_revision(new_project: Path) -> None:
    from conftest import mkdocs_build, run

    manual_with_three_revisions(new_project)
    site = new_project / "site"
    assert mkdocs_build(new_project).returncode == 0

    result = run(["qms", "pdf", "--site", str(site), "--document", "QP-01", "--revision", "2", "-o",
                  str(new_project / "out")], cwd=new_project)
    assert result.returncode == 0, result.output
    pdf = new_project / "out" / "documents" / "QP-01-revision-2.pdf"
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "QP-01 Control of documented information Revision 2 (superseded)" in text
    assert "Superseded: revision 2 of 2026-11-12" in text and "Forms are listed in the forms page" in text
    assert "Copies are withdrawn the same day" not in text

    unknown = run(["qms", "pdf", "--site", str(site), "--document", "QP-01", "--revision", "9"], cwd=new_project)
    assert unknown.returncode != 0
    assert "QP-01 has no revision '9' in its history (revisions: 3, 2, 1)" in unknown.output
    assert "Traceback" not in unknown.output
