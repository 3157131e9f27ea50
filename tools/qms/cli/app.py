"""The `qms` command line: one subcommand per module of qms.cli."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from qms import __version__
from qms.cli import output
from qms.problems import QMSError

# Each module has register(subparsers) which adds its subcommand(s) with set_defaults(func=run).
COMMAND_MODULES = (
    "check",
    "engine",
    "export",
    "history",
    "importing",
    "init",
    "new",
    "pdf",
    "record",
    "reports",
    "spreadsheets",
    "upgrade",
)
# Which module registers each subcommand, so a run imports only what it needs.
MODULE_OF = {
    "check": "check", "export": "export", "init": "init", "pdf": "pdf",
    "history": "history", "audit-trail": "history", "diff": "history",
    "new": "new", "record": "record",
    "gap": "reports", "review-due": "reports", "review-done": "reports", "tasks": "reports",
    "audit-checklist": "reports", "review-pack": "reports", "due": "reports", "training-due": "reports",
    "readiness": "reports",
    "register": "spreadsheets", "import-records": "spreadsheets",
    "upgrade": "upgrade", "upgrade-engine": "engine",
    "import": "importing",
}


def _command_of(argv: list[str]) -> str | None:
    """The subcommand named in argv (after the global options), if any."""
    args = iter(argv)
    for arg in args:
        if arg in ("-f", "--config-file", "--color"):
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with `argv`, only the module of the command it names is imported (for speed)."""
    parser = argparse.ArgumentParser(
        prog="qms",
        description="Quality manual engine: check, export and report on an ISO 9001 quality system kept in git.",
    )
    parser.add_argument("--version", action="version", version=f"qms {__version__}")
    parser.add_argument("-f", "--config-file", type=Path, default=None,
                        help="mkdocs.yml of the quality manual (default: found from the current folder)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only errors and the output asked for: no warnings, summaries or progress (for CI)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the error and warning labels: auto (on a terminal, unless NO_COLOR is set)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = MODULE_OF.get(_command_of(argv) or "") if argv is not None else None
    for name in COMMAND_MODULES if wanted is None else (wanted,):
        importlib.import_module(f"qms.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:  # -q/--quiet works after the command too (`qms check -q`)
        quiet = [a for a in argv if a in ("-q", "--quiet")]
        argv = ([quiet[0]] if quiet else []) + [a for a in argv if a not in ("-q", "--quiet")]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    output.configure(quiet=args.quiet, color=args.color)
    try:
        return int(args.func(args) or 0)
    except QMSError as exc:
        output.print_problems(exc.problems, sys.stderr)
        return 1
    except BrokenPipeError:  # `qms export | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
