"""Options several commands share: dates on the command line."""

from __future__ import annotations

import argparse
import datetime as dt


def date_arg(value: str) -> dt.date:
    """argparse type for YYYY-MM-DD, with a message that says the format."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD") from None
