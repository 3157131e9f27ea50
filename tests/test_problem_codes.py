"""Every problem the engine reports carries a machine-readable code, and `qms check --format json` prints it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from conftest import ROOT, run
from qms.history import changecontrol
from qms.problems import CODE, Problem

PACKAGE = ROOT / "tools" / "qms"


def problem_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem":
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


def test_every_problem_the_engine_creates_names_its_code():
    calls = problem_calls()
    assert len(calls) > 100  # the scan sees the engine's problems
    missing = [where for where, call in calls if not any(k.arg == "code" for k in call.keywords)]
    assert missing == []
    literals = [(where, k.value.value) for where, call in calls for k in call.keywords
                if k.arg == "code" and isinstance(k.value, ast.Constant)]
    assert [(w, c) for w, c in literals if not CODE.match(c)] == []  # kebab-case
    assert {"yaml-syntax", "schema", "unknown-term", "duplicate-id", "review-overdue"} <= {c for _, c in literals}


def test_a_problem_without_a_code_cannot_be_made():
    with pytest.raises(TypeError):
        Problem("a.md", 1, "message")  # type: ignore[call-arg]


def test_flag_warnings_are_folded_by_their_code_not_by_their_message():
    """The message may start with anything; the fold counts the code."""
    problems = [Problem("procedures/QP-01.md", 0, f"text {i}: not the flag", "warning", code="no-approval")
                for i in range(3)]
    problems.append(Problem("procedures/QP-02.md", 0, "an error stays", code="no-revision-bump"))
    folded = changecontrol.summarize(problems, "mkdocs.yml")
    assert [(p.path, p.code, p.severity) for p in folded] == [
        ("procedures/QP-02.md", "no-revision-bump", "error"), ("mkdocs.yml", "no-approval", "warning")]
    assert folded[1].message.startswith("no-approval: 3 changes to controlled documents")


def test_qms_check_prints_problems_with_their_codes_as_json(new_project: Path):
    (new_project / "procedures").mkdir(exist_ok=True)
    doc = next((new_project / "procedures").glob("*.md"))
    text = doc.read_text(encoding="utf-8")
    doc.write_text(text + "\nSee {{ term('no such term') }} and {{ doc('QP-99') }}.\n", encoding="utf-8")
    broken = new_project / "procedures" / "QP-98-broken.md"
    broken.write_text("---\nid: QP-98\ntitle: [unclosed\n---\n\nText.\n", encoding="utf-8")

    result = run(["qms", "check", "--format", "json"], cwd=new_project)

    assert result.returncode == 1
    data = json.loads(result.stdout)
    codes = {(p["path"], p["code"]) for p in data["problems"]}
    rel = doc.relative_to(new_project).as_posix()
    assert {(rel, "unknown-term"), (rel, "unknown-document"), ("procedures/QP-98-broken.md", "yaml-syntax")} <= codes
    assert all(set(p) == {"path", "line", "severity", "code", "message"} for p in data["problems"])
    assert data["errors"] == sum(1 for p in data["problems"] if p["severity"] == "error")
    assert data["codes"]["unknown-term"] == 1
    # the text format is unchanged: path:line: message
    text_run = run(["qms", "check"], cwd=new_project)
    assert f"{rel}:" in text_run.stdout and "unknown term 'no such term'" in text_run.stdout
