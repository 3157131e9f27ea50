"""The `qms` command line: `app` parses and dispatches; each other module registers its subcommands."""

from qms.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
