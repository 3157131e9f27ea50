"""What the `qms` command prints: problems labelled `error:` or `warning:` (coloured on a terminal unless
NO_COLOR is set), progress on long work, aligned Markdown tables, and `--quiet` for CI.

Every command prints through these functions, so one setting (`configure`) decides for all of them.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass
from typing import IO, Iterable

from qms.problems import Problem

_RED, _YELLOW, _BOLD, _DIM, _RESET = "\033[31m", "\033[33m", "\033[1m", "\033[2m", "\033[0m"


@dataclass
class _State:
    quiet: bool = False
    color: str = "auto"  # auto, always, never


STATE = _State()


def configure(quiet: bool = False, color: str = "auto") -> None:
    """Set how this run prints (from the global options)."""
    STATE.quiet, STATE.color = quiet, color


def use_color(stream: IO[str]) -> bool:
    """Colour when asked, or on a terminal unless NO_COLOR is set (https://no-color.org) or TERM is dumb."""
    if STATE.color != "auto":
        return STATE.color == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def problem_line(problem: Problem, color: bool = False) -> str:
    """`error: path:line: message` or `path:line: warning: message` (as the site's build log words warnings),
    the label coloured when `color`. The location stays whole, so editors and CI annotations find it."""
    where = f"{problem.path}:{problem.line}" if problem.line else problem.path
    if problem.severity == "error":
        label = f"{_BOLD}{_RED}error:{_RESET}" if color else "error:"
        return f"{label} {where}: {problem.message}"
    label = f"{_BOLD}{_YELLOW}warning:{_RESET}" if color else "warning:"
    return f"{where}: {label} {problem.message}"


def print_problems(problems: Iterable[Problem], stream: IO[str] | None = None) -> None:
    """Each problem on its own line; with --quiet, the errors only."""
    stream = stream or sys.stderr
    color = use_color(stream)
    for problem in problems:
        if STATE.quiet and problem.severity != "error":
            continue
        print(problem_line(problem, color), file=stream)


def note(message: str) -> None:
    """A line for the person at the terminal (summaries, what was written), on standard error; not with --quiet."""
    if not STATE.quiet:
        print(message, file=sys.stderr)


class Progress:
    """`label: 3/29 QP-04…` on standard error while long work runs: rewritten in place on a terminal, one line per
    tenth of the work elsewhere (CI logs); nothing with --quiet."""

    def __init__(self, label: str, total: int, stream: IO[str] | None = None, min_lines: int = 50):
        self.label, self.total, self.done = label, max(total, 0), 0
        self.min_lines = min_lines  # off a terminal, smaller work shows only its closing line
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._shown = -1

    def step(self, what: str = "") -> None:
        self.done += 1
        if STATE.quiet or not self.total:
            return
        if self.tty:
            self.stream.write(f"\r\033[K{self.label}: {self.done}/{self.total} {what}")
            self.stream.flush()
            return
        tenth = self.done * 10 // self.total
        if self.total >= self.min_lines and tenth != self._shown:
            self._shown = tenth
            print(f"{self.label}: {self.done}/{self.total} {what}".rstrip(), file=self.stream, flush=True)

    def clear(self) -> None:
        """Take the progress line off the terminal, saying nothing (the caller prints its own summary)."""
        if self.tty and not STATE.quiet and self.done:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def finish(self, message: str = "") -> None:
        if STATE.quiet:
            return
        seconds = time.monotonic() - self.started
        if self.tty:
            self.stream.write("\r\033[K")
        text = message or f"{self.label}: done"
        print(f"{text} ({seconds:.1f} s)", file=self.stream, flush=True)


MAX_PAD = 40  # a longer cell is left as it is rather than widening its whole column
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def align_tables(markdown: str) -> str:
    """The Markdown with each pipe table's columns padded to one width, so it reads as a table in a terminal
    (still the same Markdown for any renderer)."""
    lines = markdown.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not (lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|(\s*:?-+:?\s*\|)+\s*$", lines[i + 1])):
            out.append(lines[i])
            i += 1
            continue
        block = []
        while i < len(lines) and lines[i].startswith("|"):
            block.append(lines[i])
            i += 1
        rows = [[c.strip() for c in _CELL_SPLIT.split(line.strip())[1:-1]] for line in block]
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        sizes = [min(MAX_PAD, max(3, *(len(r[c]) for j, r in enumerate(rows) if j != 1))) for c in range(width)]
        for j, row in enumerate(rows):
            if j == 1:
                out.append("|" + "|".join("-" * (sizes[c] + 2) for c in range(width)) + "|")
            else:
                out.append("| " + " | ".join(cell.ljust(sizes[c]) for c, cell in enumerate(row)) + " |")
    return "\n".join(out)
