"""What the qms command prints: labelled problems (coloured only on request or on a terminal, never with NO_COLOR),
--quiet for CI, aligned Markdown tables without HTML, and no CSV on the terminal unless asked."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import BIN, ENV, ROOT, copy_example, run
from qms.cli import output
from qms.cli.app import main as qms
from qms.problems import Problem

CONFIG = str(ROOT / "mkdocs.yml")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True




def test_errors_and_warnings_are_labelled_and_coloured_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch):
    problems = [Problem("a.yaml", 3, "quantity: empty — enter a whole number", code="schema"),
                Problem("b.md", 0, "review overdue", "warning", code="review-overdue")]
    plain = io.StringIO()
    output.print_problems(problems, plain)
    assert plain.getvalue().splitlines() == ["error: a.yaml:3: quantity: empty — enter a whole number",
                                             "b.md: warning: review overdue"]
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = Terminal()
    output.print_problems(problems, terminal)
    assert "\033[31m" in terminal.getvalue() and "\033[33m" in terminal.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = Terminal()
    output.print_problems(problems, terminal)
    assert "\033[" not in terminal.getvalue()
    output.configure(color="always")
    forced = io.StringIO()
    output.print_problems(problems, forced)
    assert "\033[31merror:" in forced.getvalue().replace("\033[1m", "")


def test_quiet_prints_only_the_errors(tmp_path: Path):
    project = copy_example(tmp_path)
    loud = run(["qms", "check"], cwd=project)
    quiet = run(["qms", "check", "--quiet"], cwd=project)
    assert "warning:" in loud.stdout and "Found" in loud.stderr
    assert quiet.returncode == loud.returncode == 0
    assert quiet.stdout == "" and quiet.stderr == ""


def test_markdown_tables_are_aligned_and_hold_no_html(capsys: pytest.CaptureFixture):
    assert qms(["-f", CONFIG, "review-due"]) in (0, 1)
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert table and "<span" not in out
    assert len(table[0]) == len(table[1])  # the header lines up with its rule
    short = [line for line in table[2:] if len(line) == len(table[0])]
    assert short  # and so does every row whose cells fit the column widths


def test_the_audit_trail_is_a_table_on_the_terminal_and_csv_when_asked(capsys: pytest.CaptureFixture, tmp_path: Path):
    assert qms(["-f", CONFIG, "audit-trail"]) == 0
    assert capsys.readouterr().out.lstrip().startswith(("#", "|", "*"))
    assert qms(["-f", CONFIG, "audit-trail", "--format", "csv"]) == 0
    assert "," in capsys.readouterr().out.splitlines()[0]
    target = tmp_path / "trail.csv"
    assert qms(["-f", CONFIG, "audit-trail", "-o", str(target)]) == 0
    assert "," in target.read_text().splitlines()[0]


def test_align_tables_keeps_escaped_pipes_inside_their_cell():
    text = "| a | b |\n|---|---|\n| x \\| y | 2 |\n"
    assert output.align_tables(text).splitlines() == ["| a      | b   |", "|--------|-----|", "| x \\| y | 2   |"]


def test_a_check_shows_its_steps_on_a_terminal_and_nothing_elsewhere(tmp_path: Path):
    """On a terminal the line `check: 2/3 git history read` is rewritten in place while the check runs, then
    erased before the problems and the summary; in a pipe (CI) nothing of it is printed."""
    import os
    import pty
    import subprocess

    project = copy_example(tmp_path)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(BIN / "qms"), "check"], cwd=project, stdout=follower, stderr=follower,
                            env={**ENV, "NO_COLOR": "1"})
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.wait(timeout=300) == 0
    text = seen.decode("utf-8", "replace")
    steps = [text.index(f"\r\033[Kcheck: {n}/3 ") for n in (1, 2, 3)]
    assert steps == sorted(steps) and "check: 2/3 git history read" in text
    assert text.index("Found ", steps[-1]) > text.index("\r\033[K", steps[-1] + 1)  # erased before the summary
    piped = run(["qms", "check"], cwd=project)
    assert "check: 1/3" not in piped.output and "Found " in piped.stderr
