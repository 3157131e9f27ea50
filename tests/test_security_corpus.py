"""A corpus of malformed inputs through `qms check` and `mkdocs build --strict`: each fails with a message naming
the file, and never with a traceback."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Callable

import pytest
from conftest import ROOT, run

QP01 = "procedures/QP-01-control-of-documented-information.md"
Step = Callable[[Path], None]


def in_qp01(old: str, new: str) -> Step:
    def step(project: Path) -> None:
        text = (project / QP01).read_text()
        assert old in text, old
        (project / QP01).write_text(text.replace(old, new, 1))
    return step


def in_file(rel: str, pattern: str, new: str) -> Step:
    def step(project: Path) -> None:
        text = (project / rel).read_text()
        assert re.search(pattern, text), pattern
        (project / rel).write_text(re.sub(pattern, new, text, count=1))
    return step


def write(rel: str, data: str | bytes) -> Step:
    def step(project: Path) -> None:
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return step


def schema(name: str) -> Step:
    def step(project: Path) -> None:
        shutil.copy(ROOT / "records_schema" / f"{name}.schema.yaml", project / "records_schema")
    return step


def option(line: str) -> Step:
    def step(project: Path) -> None:
        text = (project / "mkdocs.yml").read_text()
        assert "  - qms:\n" in text
        (project / "mkdocs.yml").write_text(text.replace("  - qms:\n", f"  - qms:\n      {line}\n", 1))
    return step


EQUIPMENT = "records/equipment/APE-MIC-0001.yaml"
CORPUS: dict[str, tuple[list[Step], str]] = {
    "revision of 5000 digits": ([in_qp01('revision: "1"', "revision: " + "9" * 5000)], QP01),
    "tab in front matter": ([in_qp01("\nstatus:", "\n\tstatus:")], QP01),
    "front matter a list": ([in_qp01("---\n", "---\n- a\n- b\n---\n")], QP01),
    "id a list": ([in_qp01("\nid: QP-01", "\nid: [QP-01, QP-02]")], QP01),
    "impossible date": ([in_qp01("\nstatus:", "\nlast_review: 2026-13-45\nstatus:")], QP01),
    "deeply nested front matter": ([in_qp01("\nstatus:", "\nx: " + "[" * 3000 + "]" * 3000 + "\nstatus:")], QP01),
    "empty front matter": ([write("procedures/QP-02-x.md", "---\n---\n\nBody\n")], "procedures/QP-02-x.md"),
    "binary page": ([write("docs/scan.md", b"\x89PNG\r\n\x1a\n\x00\x00")], "docs/scan.md"),
    "latin-1 page": ([write("docs/cafe.md", "Caf\xe9\n".encode("latin-1"))], "docs/cafe.md"),
    "organization binary": ([write("organization.yaml", b"\x00\xff\xfe garbage")], "organization.yaml"),
    "organization a list": ([write("organization.yaml", "- a\n- b\n")], "organization.yaml"),
    "organization company a word": ([write("organization.yaml", "company: Acme\nroles: 5\n")], "organization.yaml"),
    "schema not YAML": ([write("records_schema/widget.schema.yaml", "type: [object\n")],
                        "records_schema/widget.schema.yaml"),
    "schema not a schema": ([write("records_schema/widget.schema.yaml", "type: 5\nproperties: 3\n")],
                            "records_schema/widget.schema.yaml"),
    "record number of 5000 digits": ([schema("equipment"), write(EQUIPMENT, "id: APE-MIC-0001\n"
                                      "calibration_interval_months: " + "9" * 5000 + "\n")], EQUIPMENT),
    "record with NUL": ([schema("equipment"), write(EQUIPMENT, b"id: APE\x00\n")], EQUIPMENT),
    "record latin-1": ([schema("equipment"), write(EQUIPMENT, "id: Caf\xe9\n".encode("latin-1"))], EQUIPMENT),
    "record a list": ([schema("equipment"), write(EQUIPMENT, "- 1\n")], EQUIPMENT),
    "glossary not YAML": ([write("glossary.yaml", "terms: [\n")], "glossary.yaml"),
    "glossary a list": ([write("glossary.yaml", "- 1\n")], "glossary.yaml"),
    "gap assessment not YAML": ([write("gap-assessment.yaml", "clauses: {\n")], "gap-assessment.yaml"),
    "gap assessment a list": ([write("gap-assessment.yaml", "- 1\n")], "gap-assessment.yaml"),
    "judge_from not a date": ([in_file("mkdocs.yml", r"judge_from: \S+", "judge_from: 02/12/2026")], "mkdocs.yml"),
    "compare_revisions a word": ([option("compare_revisions: many")], "mkdocs.yml"),
    "unknown option": ([option("colour: red")], "mkdocs.yml"),
    "allow_html wrong shape": ([option("allow_html: {tags: 5}")], "mkdocs.yml"),
    "mkdocs.yml not YAML": ([write("mkdocs.yml", "site_name: [x\n")], "mkdocs.yml"),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_malformed_input_is_named_without_a_traceback(new_project: Path, name: str):
    steps, named = CORPUS[name]
    for step in steps:
        step(new_project)
    for args in (["qms", "check"], ["mkdocs", "build", "--strict"]):
        result = run(args, cwd=new_project, timeout=120)
        assert result.returncode != 0, (args, result.output[-1500:])
        assert "Traceback" not in result.output, (args, result.output[-3000:])
        assert named in result.output, (args, result.output[-1500:])


def test_a_damaged_cache_is_rebuilt_without_a_traceback(new_project: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    env = {**os.environ, "QMS_CACHE_DIR": str(cache)}
    assert run(["qms", "check"], cwd=new_project, env=env).returncode == 0
    damaged = [p for p in cache.rglob("*") if p.is_file()]
    assert damaged
    for path in damaged:
        path.write_bytes(b"\x00garbage{[")
    for args in (["qms", "check"], ["mkdocs", "build", "--strict"]):
        result = run(args, cwd=new_project, env=env)
        assert result.returncode == 0, result.output[-2000:]
        assert "Traceback" not in result.output


def test_a_record_id_with_a_line_break_is_refused(new_project: Path):
    schema("calibration")(new_project)
    result = run(["qms", "new", "record", "calibration", "--id", "CAL-2026-050\n"], cwd=new_project)
    assert result.returncode == 1
    assert "is not an id: use letters, digits" in result.output and "Traceback" not in result.output
    assert not (new_project / "records" / "calibration").exists() or \
        list((new_project / "records" / "calibration").iterdir()) == []
