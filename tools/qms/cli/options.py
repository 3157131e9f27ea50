"""Options several commands share: dates and counts on the command line."""

from __future__ import annotations

import argparse
import datetime as dt


def date_arg(value: str) -> dt.date:
    """argparse type for YYYY-MM-DD, with a message that says the format."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD") from None


def positive_int(value: str) -> int:
    """argparse type for a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return number
