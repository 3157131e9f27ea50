"""The edition a PDF carries is the edition its pages show: `qms pdf` prints a built site only when it was built
from the working tree as it is (the commit and its uncommitted changes), builds it again when it is not, and
leaves a current site alone."""

from __future__ import annotations

import datetime
import re
import subprocess
from pathlib import Path

import pytest
from conftest import SUITE_TODAY, run

QP = "procedures/QP-01-control-of-documented-information.md"


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Dana Author", "-c", "user.email=dana@example.com", *args],
                          cwd=project, capture_output=True, text=True, check=True).stdout.strip()


def commit(project: Path, message: str) -> str:
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", message)
    return git(project, "rev-parse", "--short=7", "HEAD")


def printed_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def qms_pdf(project: Path, *extra: str):
    return run(["qms", "pdf", "--document", "QP-01", "-o", str(project / "out"), *extra], cwd=project)


@pytest.mark.slow
def test_qms_pdf_builds_the_site_only_when_it_is_not_the_working_tree(new_project: Path) -> None:
    first = commit(new_project, "Import the quality manual")
    marker = new_project / "site" / ".qms-build.json"

    built = qms_pdf(new_project)  # no site yet: built, then printed
    assert built.returncode == 0, built.output
    assert "not built again" not in built.output
    pdf = new_project / "out" / "documents" / "QP-01.pdf"
    assert f"Manual edition {first} " in printed_text(pdf)
    built_at = marker.stat().st_mtime_ns

    again = qms_pdf(new_project)  # nothing changed (the PDFs written into out/ are not the manual)
    assert again.returncode == 0, again.output
    assert f"pdf: site/ is current (commit {first}, as of {SUITE_TODAY}): not built again" in again.output
    assert marker.stat().st_mtime_ns == built_at

    # an uncommitted change: the built site is not what would be printed
    path = new_project / QP
    path.write_text(path.read_text().replace('revision: "1"', 'revision: "2"')
                    + "\n9. Copies are withdrawn the same day.\n")
    refused = qms_pdf(new_project, "--site", str(new_project / "site"))
    assert refused.returncode == 1
    assert ("this site was built from the commit as it is, but the working tree has uncommitted changes since: "
            "a PDF of it would carry the working tree's edition on the pages of another. Build it again") \
        in refused.output
    rebuilt = qms_pdf(new_project)
    assert rebuilt.returncode == 0 and "not built again" not in rebuilt.output, rebuilt.output
    text = printed_text(pdf)
    assert "Copies are withdrawn the same day" in text and f"Manual edition {first}+changes " in text

    # committed: the site built from the changes is not that commit's edition either
    second = commit(new_project, "QP-01: withdraw copies the same day")
    refused = qms_pdf(new_project, "--site", str(new_project / "site"))
    assert refused.returncode == 1
    assert (f"this site was built from commit {first}, with uncommitted changes, as of {SUITE_TODAY}, but the "
            f"working tree is at commit {second}") in refused.output
    assert qms_pdf(new_project).returncode == 0
    assert re.search(rf"Manual edition {second} (?!\+)", printed_text(pdf))



def test_a_new_file_changes_the_edition_only_where_the_manual_reads_it(new_project: Path) -> None:
    from qms.config import load_settings
    from qms.site import source

    commit(new_project, "Import the quality manual")
    settings = load_settings(new_project / "mkdocs.yml")
    day = datetime.date.fromisoformat(SUITE_TODAY)
    clean = source.of(settings, day, new_project / "site")
    assert clean is not None and clean.changes is None
    # the next day the site's due dates and overdue marks are out of date: the same edition, but built again
    tomorrow = source.of(settings, day + datetime.timedelta(1), new_project / "site")
    assert tomorrow is not None and tomorrow != clean and tomorrow.same_edition(clean)

    (new_project / "site").mkdir()
    (new_project / "site" / "index.html").write_text("built")  # the output, even when git does not ignore it
    (new_project / "notes.txt").write_text("a note beside the manual")
    assert source.of(settings, day, new_project / "site") == clean

    (new_project / "procedures" / "QP-99-new.md").write_text("---\nid: QP-99\n---\n# New\n")
    new = source.of(settings, day, new_project / "site")
    assert new is not None and new.changes is not None and not new.same_edition(clean)
    (new_project / "procedures" / "QP-99-new.md").unlink()
    (new_project / "docs" / "index.md").write_text("# Changed\n")
    assert not source.of(settings, day, new_project / "site").same_edition(clean)
