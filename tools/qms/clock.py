"""The engine's "today": the one place that reads the calendar.

Every verdict that depends on the date (reviews overdue or due soon, calibrations and corrective
actions past due, the review pack's default period, the task calendar's first occurrences, the
"generated on" and "printed" dates) is computed for a day passed in explicitly. That day comes from
here: `QMS_TODAY=YYYY-MM-DD` in the environment when it is set (a reproducible rebuild of a past
publication, a test), else the machine's calendar. Commands that report take `--as-of DATE`, which
wins over both.
"""

from __future__ import annotations

import datetime as dt
import os

from qms.problems import Problem, QMSError

ENV = "QMS_TODAY"


def parse_day(text: str, where: str = ENV) -> dt.date:
    """A date from 'YYYY-MM-DD'; a QMSError naming `where` and the fix otherwise."""
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise QMSError(Problem(where, 0, f"{text!r} is not a date: use YYYY-MM-DD, e.g. 2027-03-01",
                               code="bad-date")) from None


def as_date(value: object) -> dt.date | None:
    """A date from a date or from 'YYYY-MM-DD' text (as front matter and records hold dates); None for
    anything else (no value, another format, a day that does not exist)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def today(as_of: dt.date | None = None) -> dt.date:
    """`as_of` when given, else $QMS_TODAY when set, else the machine's date."""
    if as_of is not None:
        return as_of
    value = os.environ.get(ENV, "").strip()
    if value:
        return parse_day(value)
    return dt.date.today()


def machine_day() -> dt.date:
    """The machine's own calendar day (UTC), whatever $QMS_TODAY says: for what other programs judge by
    the real clock, such as whether gpg still accepts a key (see qms.history.git.keyring_fingerprint)."""
    return dt.datetime.now(dt.timezone.utc).date()


def is_fixed() -> bool:
    """True when $QMS_TODAY sets the day (so the build should also fix its own timestamps)."""
    return bool(os.environ.get(ENV, "").strip())


def epoch_seconds(day: dt.date) -> int:
    """Midnight UTC of `day` as a Unix time (for SOURCE_DATE_EPOCH)."""
    return int(dt.datetime.combine(day, dt.time(), dt.timezone.utc).timestamp())
