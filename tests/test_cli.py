"""The command line: every subcommand is reachable, and each run imports only its own module."""

from __future__ import annotations

import argparse

from conftest import ROOT, run
from qms.cli.app import MODULE_OF, build_parser


def subcommands(parser: argparse.ArgumentParser) -> set[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    return set(action.choices)


def test_every_subcommand_is_mapped_to_the_module_that_registers_it():
    assert subcommands(build_parser()) == set(MODULE_OF)
    for command, module in MODULE_OF.items():
        assert command in subcommands(build_parser([command])), (command, module)


def test_an_unknown_command_lists_the_known_ones():
    result = run(["qms", "chek"], cwd=ROOT)
    assert result.returncode == 2
    assert "invalid choice: 'chek'" in result.stderr and "check" in result.stderr
