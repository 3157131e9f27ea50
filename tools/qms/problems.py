"""Problems found in a quality system: values, not exceptions, reported as `path:line: message`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one file; `line` is 1-based, 0 when unknown."""

    path: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {prefix}{self.message}"


class QMSError(Exception):
    """A problem that stops a command; carries the problems that explain it."""

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Return problems sorted by path, then line, then message."""
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.message))


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """Return only the problems that are errors."""
    return [p for p in problems if p.severity == "error"]


def summary(problems: list[Problem]) -> str:
    """One line: how many errors and warnings."""
    n_err = len(errors(problems))
    n_warn = len(problems) - n_err
    if not problems:
        return "No problems found."
    parts = []
    if n_err:
        parts.append(f"{n_err} error{'s' if n_err != 1 else ''}")
    if n_warn:
        parts.append(f"{n_warn} warning{'s' if n_warn != 1 else ''}")
    return "Found " + " and ".join(parts) + "."
