"""`qms check` finds every broken reference and bad front matter, each as `path:line: message`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT, run

QP = "procedures/QP-01-control-of-documented-information.md"


def edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def test_example_company_has_no_errors_only_its_overdue_reviews():
    result = run(["qms", "check"], cwd=ROOT)
    assert result.returncode == 0, result.output
    assert "error" not in result.stderr
    # the example deliberately has overdue periodic reviews: warnings, not errors, under its policy
    assert all(": warning: " in line for line in result.stdout.splitlines()), result.stdout
    assert "review overdue" in result.stdout


def test_fresh_project_from_init_has_no_problems(new_project: Path):
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("old,new,expected", [
    ("{{ term('documented information') }}", "{{ term('documented infomation') }}",
     f"{QP}:20: unknown term 'documented infomation' (did you mean 'documented information'?)"),
    ("({{ clause('7.5') }})", "({{ clause('7.9') }})", f"{QP}:21: unknown clause '7.9'"),
    ("related: [QM-01]", "related: [QM-99]", f"{QP}:9: related: unknown document id 'QM-99'"),
    ("owner: quality-manager", "owner: quality-manger",
     f"{QP}:7: owner: unknown role 'quality-manger' (did you mean 'quality-manager' or "),
    ('clauses: ["7.5", "7.5.2", "7.5.3"]', 'clauses: ["7.5", "7.5.22"]', f"{QP}:8: clauses: unknown clause '7.5.22'"),
    ("status: draft", "status: approved", f"{QP}:6: status: 'approved' is not one of 'draft', 'effective', 'obsolete'"),
    ('revision: "1"\n', "", f"{QP}:1: revision: missing — add `revision: 3`"),
    ("review_interval: 24 months", "review_interval: every two years",
     f"{QP}:10: review_interval: 'every two years' does not match"),
    ("id: QP-01", "id: qp 1", f"{QP}:2: id: 'qp 1' does not match: a document id such as QP-07"),
    ("title: Control of documented information", "title: [Control", f"{QP}:4: front matter: invalid YAML"),
    ("    role: quality-manager", "    role: cleaner", f"{QP}:11: tasks: unknown role 'cleaner'"),
    ("    frequency: weekly", "    frequency: fortnightly", f"{QP}:14: tasks[0].frequency: 'fortnightly' is not one of"),
])
def test_each_kind_of_mistake_is_reported_with_file_line_and_reason(new_project: Path, old: str, new: str,
                                                                     expected: str):
    edit(new_project, QP, old, new)
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 1, result.output
    assert expected in result.stdout, result.stdout
    assert "Traceback" not in result.output


def test_a_document_id_used_twice_names_both_files(new_project: Path):
    copy = new_project / "procedures" / "QP-02-copy.md"
    copy.write_text((new_project / QP).read_text())
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 1
    assert "procedures/QP-02-copy.md:2: document id 'QP-01' is already used by " in result.stdout


def test_a_procedure_without_front_matter_is_an_error(new_project: Path):
    (new_project / "procedures" / "QP-05-notes.md").write_text("# Notes\n\nNo header here.\n")
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 1
    assert "procedures/QP-05-notes.md:1: no front matter" in result.stdout


def test_problems_are_sorted_and_summarised(new_project: Path):
    edit(new_project, QP, "owner: quality-manager", "owner: nobody")
    edit(new_project, "docs/manual/QM-01-quality-manual.md", "{{ clause('4.4') }}", "{{ clause('4.33') }}")
    result = run(["qms", "check"], cwd=new_project)
    lines = [line.removeprefix("error: ") for line in result.stdout.splitlines()
             if re.match(r"^(error: )?[^:]+:\d+: ", line)]
    assert len(lines) == 2
    assert lines == sorted(lines, key=lambda s: (s.split(":")[0], int(s.split(":")[1])))
    assert "Found 2 errors" in result.stderr


def test_check_outside_a_manual_says_what_to_do(tmp_path: Path):
    result = run(["qms", "check"], cwd=tmp_path)
    assert result.returncode == 1
    assert "no mkdocs.yml here or in a parent folder" in result.stderr
    assert "Traceback" not in result.output


def test_broken_mkdocs_yml_is_reported_with_its_line(new_project: Path):
    cfg = new_project / "mkdocs.yml"
    cfg.write_text(cfg.read_text() + "extra_css: [unclosed\n")
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 1
    assert "mkdocs.yml:" in result.stderr and "invalid YAML" in result.stderr
    assert "Traceback" not in result.output
