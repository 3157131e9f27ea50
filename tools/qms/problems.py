"""Problems found in a quality system: values, not exceptions, reported as `path:line: message`.

Each problem carries a machine-readable `code` (kebab-case: `yaml-syntax`, `schema`, `unknown-term`,
`duplicate-id`, `no-revision-bump`, `review-overdue`, ...), so tools, the JSON output of `qms check` and
the engine itself sort and count problems by what they are, never by parsing their messages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable, Literal

from qms.jsondata import jsondata

Severity = Literal["error", "warning"]
CODE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one file; `line` is 1-based, 0 when unknown; `code` says what kind of problem it is."""

    path: str
    line: int
    message: str
    severity: Severity = "error"
    code: str = field(kw_only=True)

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


def problems_json(problems: Iterable[Problem]) -> str:
    """Problems as a JSON document: counts by severity and by code, then every problem."""
    items = list(problems)
    by_code: dict[str, int] = {}
    for problem in items:
        by_code[problem.code] = by_code.get(problem.code, 0) + 1
    data = {"errors": len(errors(items)), "warnings": len(items) - len(errors(items)),
            "codes": dict(sorted(by_code.items())), "problems": jsondata(items)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def problems_to_json(problems: Iterable[Problem]) -> list[list]:
    """The problems of one file as JSON data for a cache entry (the path is the entry's name)."""
    return [[p.line, p.message, p.severity, p.code] for p in problems]


def problems_from_json(path: str, rows: object) -> list[Problem]:
    """Problems back from `problems_to_json` data; ValueError when the data has another shape."""
    if not isinstance(rows, list):
        raise ValueError("problems: not a list")
    problems = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 4 and isinstance(row[0], int) and isinstance(row[1], str)
                and row[2] in ("error", "warning") and isinstance(row[3], str)):
            raise ValueError(f"problems: {row!r} is not [line, message, severity, code]")
        problems.append(Problem(path, row[0], row[1], row[2], code=row[3]))
    return problems
