"""`qms check`: validate documents, references and records; print `path:line: message`; exit 1 on errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qms import clock
from qms.cli import output
from qms.cli.options import date_arg
from qms.config import base_from_environment, load_settings
from qms.problems import errors, problems_json, sort_problems, summary
from qms.site import plan


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="validate the whole quality system (exit 1 on any error)",
                       description="Validate front matter, references (terms, clauses, documents, record types), "
                                   "records and, with --base, change control since a git revision.")
    p.add_argument("--base", metavar="REV", help="judge the branch as one proposed change to REV, its target (e.g. "
                                                  "origin/main): from the merge base to the working tree, a document "
                                                  "whose content changed needs a later revision (default: $QMS_BASE)")
    p.add_argument("--as-of", type=date_arg, metavar="DATE",
                   help="judge what is overdue or due on DATE (default: today)")
    p.add_argument("--warnings-as-errors", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: one 'path:line: message' per problem (default); json: every problem with its "
                        "path, line, severity, code and message, and counts by code")
    p.add_argument("paths", nargs="*", help="only report problems in these files (e.g. the staged ones)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config_file)
    # the same load as the site's; with --base (or QMS_BASE) the branch is judged as one proposed change
    base = args.base or base_from_environment()
    progress = output.Progress("check", plan.load_steps(base))  # on a terminal only: a check is seconds
    loaded = plan.load(settings, clock.today(args.as_of), base=base, progress=progress.step)
    progress.clear()
    problems = list(loaded.problems)
    if args.paths:
        wanted = {settings.rel(Path(p).resolve()) for p in args.paths}
        problems = [p for p in problems if p.path in wanted]
    problems = sort_problems(problems)
    if args.format == "json":
        sys.stdout.write(problems_json(problems))
    else:
        output.print_problems(problems, sys.stdout)
    sys.stdout.flush()
    output.note(summary(problems))
    failing = problems if args.warnings_as_errors else errors(problems)
    return 1 if failing else 0

