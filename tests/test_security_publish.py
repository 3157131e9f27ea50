"""A failed build publishes nothing, `qms pdf` prints only a clean build, and a broken document says so."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import mkdocs_build, page, run

QP01 = "procedures/QP-01-control-of-documented-information.md"


def test_a_clean_build_leaves_its_marker(new_project: Path):
    assert mkdocs_build(new_project).returncode == 0
    assert json.loads((new_project / "site" / ".qms-build.json").read_text())["clean"] is True


def test_a_failed_strict_build_leaves_nothing_to_publish_and_qms_pdf_refuses_it(new_project: Path):
    assert mkdocs_build(new_project).returncode == 0
    (new_project / "docs" / "index.md").write_text("# Home\n\nSee {{ doc('QP-77') }}.\n")
    result = mkdocs_build(new_project)
    assert result.returncode != 0
    assert "emptied, because the build failed" in result.output
    assert list((new_project / "site").iterdir()) == []
    pdf = run(["qms", "pdf", "--site", "site"], cwd=new_project)
    assert pdf.returncode == 1
    assert "Traceback" not in pdf.output
    assert "no built site here" in pdf.output or "did not build cleanly" in pdf.output


def test_qms_pdf_refuses_a_site_built_with_warnings(new_project: Path):
    (new_project / "docs" / "index.md").write_text("# Home\n\nSee {{ doc('QP-77') }}.\n")
    result = run(["mkdocs", "build", "--no-strict"], cwd=new_project)
    assert result.returncode == 0, result.output
    assert (new_project / "site" / "index.html").exists()
    pdf = run(["qms", "pdf", "--site", "site"], cwd=new_project)
    assert pdf.returncode == 1
    assert "site: this site was built with 1 warning(s): build it again with 'mkdocs build --strict'" in pdf.output


def test_a_site_without_the_marker_is_refused(new_project: Path, tmp_path: Path):
    fake = tmp_path / "fake-site"
    fake.mkdir()
    (fake / "index.html").write_text("<html>looks complete</html>")
    pdf = run(["qms", "pdf", "--site", str(fake)], cwd=new_project)
    assert pdf.returncode == 1
    assert "did not build cleanly (no .qms-build.json" in pdf.output


def test_a_document_with_broken_front_matter_shows_a_banner_not_its_yaml(new_project: Path):
    target = new_project / QP01
    target.write_text(target.read_text().replace("\nstatus: draft", "\nstatus: [draft", 1))
    result = run(["mkdocs", "build", "--no-strict"], cwd=new_project)
    assert result.returncode == 0, result.output
    html = page(new_project / "site", QP01)
    assert "Invalid document: this page is not a valid controlled document" in html
    assert "front matter: invalid YAML" in html
    assert "review_interval:" not in html and "status: [draft" not in html
    assert "Purpose" in html  # the text itself is still shown
