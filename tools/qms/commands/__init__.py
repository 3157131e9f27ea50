"""Subcommands of the `qms` command line; each module has `register(subparsers)`."""
