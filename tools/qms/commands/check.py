"""`qms check`: validate documents, references and records; print `path:line: message`; exit 1 on errors."""

from __future__ import annotations

import argparse
import sys

from ..changecontrol import base_problems, controlled_folders, judge_history, summarize
from ..checks import check_project
from ..config import load_settings
from ..history import load_history
from ..problems import Problem, errors, sort_problems, summary
from ..project import Project, load_project


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="validate the whole quality system (exit 1 on any error)",
                       description="Validate front matter, references (terms, clauses, documents, record types), "
                                   "records and, with --base, change control since a git revision.")
    p.add_argument("--base", metavar="REV", help="also check change control since REV (e.g. origin/main): "
                                                  "a document whose content changed needs a revision bump")
    p.add_argument("--warnings-as-errors", action="store_true", help="exit 1 on warnings too")
    p.add_argument("paths", nargs="*", help="only report problems in these files (e.g. the staged ones)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config_file)
    project = load_project(settings)
    problems = check_project(project)
    problems += extra_checks(project, args)
    if args.paths:
        wanted = {settings.rel(__import__("pathlib").Path(p).resolve()) for p in args.paths}
        problems = [p for p in problems if p.path in wanted]
    problems = sort_problems(problems)
    for problem in problems:
        print(problem)
    sys.stdout.flush()
    print(summary(problems), file=sys.stderr)
    failing = problems if args.warnings_as_errors else errors(problems)
    return 1 if failing else 0


def extra_checks(project: Project, args: argparse.Namespace) -> list[Problem]:
    """Checks beyond the core: git history under the change-control policy, and --base for pull requests."""
    settings = project.settings
    history = load_history(settings.root, controlled_folders(settings))
    found = list(history.problems)
    found += summarize(judge_history(history, settings.policy), settings.rel(settings.config_file))
    if args.base:
        found += base_problems(project, args.base)
    return found
