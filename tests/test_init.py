"""`qms init DIR` creates a new company's manual that builds strictly against the installed engine."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT, mkdocs_build, page, run


def test_init_creates_the_layout_and_it_builds_strictly(new_project: Path):
    for rel in ("mkdocs.yml", "organization.yaml", "docs/index.md",
                "records_schema/document.schema.yaml", "procedures/QP-01-control-of-documented-information.md"):
        assert (new_project / rel).is_file(), rel
    assert (new_project / ".git").is_dir()
    assert not list(new_project.rglob("*.py")), "a new manual has no Python file of the engine's to copy"
    config = (new_project / "mkdocs.yml").read_text()
    assert "- qms:" in config and "hooks:" not in config and "extra:" not in config
    assert "tools/qms" not in config and "qms.adapters" not in config  # no path into the engine
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    html = page(new_project / "site", "procedures/QP-01-control-of-documented-information.md")
    assert "QP-01 Control of documented information" in html
    assert "Testing Widgets Ltd" in html


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path):
    (tmp_path / "keep.txt").write_text("mine")
    result = run(["qms", "init", str(tmp_path)], cwd=tmp_path)
    assert result.returncode == 1
    assert "folder is not empty" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_init_ships_the_same_front_matter_schema_as_this_repository():
    shipped = ROOT / "tools/qms/templates/init/records_schema/document.schema.yaml"
    assert shipped.read_text() == (ROOT / "records_schema/document.schema.yaml").read_text()
