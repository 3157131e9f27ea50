"""The `qms` command line: one subcommand per module in qms.commands."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from . import __version__
from .problems import QMSError

# Each module has register(subparsers) which adds its subcommand(s) with set_defaults(func=run).
COMMAND_MODULES = (
    "check",
    "export",
    "history",
    "init",
    "pdf",
    "record",
    "reports",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms",
        description="Quality manual engine: check, export and report on an ISO 9001 quality system kept in git.",
    )
    parser.add_argument("--version", action="version", version=f"qms {__version__}")
    parser.add_argument("-f", "--config-file", type=Path, default=None,
                        help="mkdocs.yml of the quality manual (default: found from the current folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"qms.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except QMSError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except BrokenPipeError:  # `qms export | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
