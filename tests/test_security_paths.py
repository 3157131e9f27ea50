"""A pull request cannot publish files from outside the repository: every symlink the build would read is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import mkdocs_build, run

from qms import files
from qms.problems import QMSError

SECRET = "TOP-SECRET-MARKER-4711"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    marker = tmp_path / "outside" / "secret.txt"
    marker.parent.mkdir()
    marker.write_text(f"{SECRET}\n")
    return marker


def assert_refused(project: Path, shown: str) -> None:
    """Both the build and `qms check` stop, name the link, and publish nothing of what it points to."""
    build = mkdocs_build(project)
    assert build.returncode != 0, build.output
    assert f"{shown}: is a symlink" in build.output, build.output[-3000:]
    assert "Traceback" not in build.output
    site = project / "site"
    if site.exists():
        for path in site.rglob("*"):
            if path.is_file():
                assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
    check = run(["qms", "check"], cwd=project)
    assert check.returncode == 1, check.output
    assert f"{shown}: is a symlink" in check.output
    assert "Traceback" not in check.output and SECRET not in check.output


def test_a_static_file_linked_to_a_secret_outside_is_refused(new_project: Path, secret: Path):
    (new_project / "docs" / "build-info.txt").symlink_to(secret)
    assert_refused(new_project, "docs/build-info.txt")


def test_a_static_file_linked_to_the_build_environment_is_refused(new_project: Path):
    (new_project / "docs" / "env.txt").symlink_to("/proc/self/environ")
    assert_refused(new_project, "docs/env.txt")


def test_a_page_linked_to_a_file_outside_is_refused(new_project: Path, secret: Path):
    (new_project / "docs" / "leak.md").symlink_to(secret)
    assert_refused(new_project, "docs/leak.md")


def test_a_linked_folder_is_refused(new_project: Path, secret: Path):
    (new_project / "docs" / "stuff").symlink_to(secret.parent, target_is_directory=True)
    assert_refused(new_project, "docs/stuff")


def test_a_folder_linked_to_the_confidential_records_is_refused(new_project: Path):
    person = new_project / "records" / "person"
    person.mkdir(parents=True, exist_ok=True)
    (person / "P-001.yaml").write_text(f"id: P-001\nnotes: {SECRET}\n")
    includes = new_project / "docs" / "_includes"
    includes.mkdir(exist_ok=True)
    (includes / "people").symlink_to(Path("../../records/person"), target_is_directory=True)
    assert_refused(new_project, "docs/_includes/people")


def test_a_procedure_linked_to_another_file_is_refused(new_project: Path, secret: Path):
    (new_project / "procedures" / "QP-99-leak.md").symlink_to(secret)
    assert_refused(new_project, "procedures/QP-99-leak.md")


@pytest.mark.parametrize("name", ["organization.yaml", "records_schema/document.schema.yaml"])
def test_a_configuration_file_that_is_a_link_is_refused(new_project: Path, name: str):
    target = new_project / name
    real = new_project / "real-copy.yaml"
    real.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(real.name if "/" not in name else Path("..") / real.name)
    assert_refused(new_project, name)


def test_a_record_that_is_a_link_is_refused(new_project: Path, secret: Path):
    folder = new_project / "records" / "calibration"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "CAL-2026-001.yaml").symlink_to(secret)
    check = run(["qms", "check"], cwd=new_project)
    assert check.returncode == 1
    assert "records/calibration/CAL-2026-001.yaml: is a symlink" in check.output
    assert SECRET not in check.output and "Traceback" not in check.output


def test_an_include_of_a_linked_file_is_refused(new_project: Path, secret: Path):
    includes = new_project / "includes"
    includes.mkdir()
    (includes / "secret.md").symlink_to(secret)
    mkdocs_yml = new_project / "mkdocs.yml"
    text = mkdocs_yml.read_text()
    assert "include_dir: docs/_includes\n" in text
    mkdocs_yml.write_text(text.replace("include_dir: docs/_includes\n", "include_dir: includes\n"))
    target = new_project / "procedures" / "QP-01-control-of-documented-information.md"
    target.write_text(target.read_text() + "\n{% include 'secret.md' %}\n")
    build = mkdocs_build(new_project)
    assert build.returncode != 0
    assert "includes/secret.md: is a symlink" in build.output, build.output[-2000:]
    assert SECRET not in build.output and "Traceback" not in build.output
    assert not (new_project / "site" / "procedures").exists() or SECRET not in "".join(
        p.read_text() for p in (new_project / "site").rglob("*.html"))


def test_the_include_loader_refuses_a_link_even_in_a_folder_not_scanned(tmp_path: Path, secret: Path):
    from jinja2 import Environment, FileSystemLoader, TemplateNotFound

    from qms.render.sandbox import sandboxed
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "ok.md").write_text("fine")
    (tmp_path / "inc" / "bad.md").symlink_to(secret)
    box = sandboxed(Environment(loader=FileSystemLoader(str(tmp_path / "inc"))))
    assert box.from_string("{% include 'ok.md' %}").render() == "fine"
    with pytest.raises(TemplateNotFound, match="is a symlink"):
        box.from_string("{% include 'bad.md' %}").render()


def test_a_symlink_among_the_paths_is_named_and_nothing_else(tmp_path: Path, secret: Path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "ok.md").write_text("fine\n")
    (docs / "sub" / "bad.md").symlink_to(secret)
    os.mkfifo(docs / "pipe.md")
    found = [str(p) for p in files.escapes(tmp_path, [docs, tmp_path / "missing.yaml"])]
    assert found == ["docs/pipe.md: is not a regular file (a pipe, socket or device): remove it",
                     f"docs/sub/bad.md: is a symlink: {files.SYMLINK_FIX}"]
    assert files.unsafe_reason(tmp_path, tmp_path.parent / "elsewhere").startswith("is outside the repository")
    with pytest.raises(QMSError):
        files.refuse_escapes(tmp_path, [docs])
