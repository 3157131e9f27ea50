"""The managers' task calendar: recurring tasks from documents' front matter, as schedules and iCalendar.

A document gives a role a recurring task (`tasks:` in its front matter: what, role, frequency and
an optional day). Each task becomes a `Schedule`: a readable rule ("every Friday", "monthly on the
15th") and an RFC 5545 recurrence rule, so the same data drives the manual's calendar pages and an
.ics file that calendar programs import. Days are read leniently (`Friday`, `fri`, `15`, `last`,
`first Monday`, `March`, `March 15`); a day that cannot be read is a warning at the document's
`tasks` line and the task keeps the frequency's default day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Iterable

from dateutil import rrule
from icalendar import Calendar, Event

from qms.model.documents import Document, Task
from qms.problems import Problem

FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "yearly")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WORKING_DAYS = WEEKDAYS[:5]
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}
PRODID = "-//qms//Quality manual task calendar//EN"


@dataclass(frozen=True)
class Schedule:
    """When a task recurs: a readable rule and the iCalendar RRULE parts (upper-case keys)."""

    frequency: str
    text: str  # e.g. "every Friday", "monthly on the 15th", "quarterly (Jan, Apr, Jul, Oct) on the 1st"
    rule: dict[str, object]  # e.g. {"FREQ": "WEEKLY", "BYDAY": ["FR"]}
    sort_key: tuple[int, ...]  # orders tasks within a frequency: weekday, day of month, month
    anchor_month: int = 1  # quarterly: the first month of the cycle

    def rrule_text(self) -> str:
        """'FREQ=WEEKLY;BYDAY=FR' as in an .ics file."""
        parts = []
        for key, value in self.rule.items():
            text = ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
            parts.append(f"{key}={text}")
        return ";".join(parts)


@dataclass(frozen=True)
class ScheduledTask:
    """A task with the document that requires it and when it recurs."""

    task: Task
    document: Document
    schedule: Schedule

    @property
    def role(self) -> str:
        return self.task.role

    @property
    def uid(self) -> str:
        """A UID that stays the same as long as the document, role, task and frequency do."""
        key = "\x1f".join((self.document.id, self.task.role, self.task.frequency, " ".join(self.task.what.split())))
        return f"{self.document.id.lower()}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:16]}"


# ----------------------------------------------------------------------------------------------
# Reading the `day` of a task


def _ordinal(n: int) -> str:
    if n == -1:
        return "last day"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _weekday(word: str) -> int | None:
    """0 for 'Monday', 'mon' or 'MO'; None when the word is not a weekday."""
    word = word.strip().lower().rstrip(".")
    if len(word) < 2:
        return None
    for i, name in enumerate(WEEKDAY_NAMES):
        if name.lower().startswith(word) and (len(word) >= 3 or word == WEEKDAYS[i].lower()):
            return i
    return None


def _month(word: str) -> int | None:
    """1 for 'January' or 'jan'; None when the word is not a month."""
    word = word.strip().lower().rstrip(".")
    if len(word) < 3:
        return None
    for i, name in enumerate(MONTH_NAMES):
        if name.lower().startswith(word):
            return i + 1
    return None


def _day_of_month(word: str) -> int | None:
    """15 from '15', '15th'; -1 from 'last'; None otherwise."""
    word = word.strip().lower()
    if word in ("last", "last day"):
        return -1
    match = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)?", word)
    if match and 1 <= int(match.group(1)) <= 31:
        return int(match.group(1))
    return None


def _month_and_day(text: str) -> tuple[int | None, int | None]:
    """(month, day of month) from 'March', 'March 15', '15 March', '15'; Nones for what is absent or unreadable."""
    words = text.replace(",", " ").split()
    month = day = None
    for word in words:
        if month is None and _month(word) is not None:
            month = _month(word)
        elif day is None and _day_of_month(word) is not None:
            day = _day_of_month(word)
        else:
            return None, None
    return month, day


class DayError(ValueError):
    """A task's `day` that cannot be read for its frequency."""


def schedule_for(frequency: str, day: str | None) -> Schedule:
    """The schedule of a task; raises DayError when `day` does not fit the frequency."""
    day = None if day is None or not str(day).strip() else str(day).strip()
    if frequency == "daily":
        return Schedule("daily", "every working day", {"FREQ": "DAILY", "BYDAY": list(WORKING_DAYS)}, (0,))
    if frequency == "weekly":
        weekday = 0 if day is None else _weekday(day)
        if weekday is None:
            raise DayError(f"'{day}' is not a weekday (use Monday to Sunday)")
        return Schedule("weekly", f"every {WEEKDAY_NAMES[weekday]}", {"FREQ": "WEEKLY", "BYDAY": [WEEKDAYS[weekday]]},
                        (weekday,))
    if frequency == "monthly":
        return _monthly(day)
    if frequency == "quarterly":
        return _quarterly(day)
    if frequency == "yearly":
        month, mday = (1, 1) if day is None else _month_and_day(day)
        if month is None and mday is None:
            raise DayError(f"'{day}' is not a month or a month and day (use e.g. March or March 15)")
        month, mday = month or 1, mday or 1
        when = MONTH_NAMES[month - 1] if mday == 1 else f"{MONTH_NAMES[month - 1]}, on the {_ordinal(mday)}"
        return Schedule("yearly", f"every year in {when}",
                        {"FREQ": "YEARLY", "BYMONTH": [month], "BYMONTHDAY": [mday]}, (month, _day_rank(mday)))
    raise DayError(f"unknown frequency '{frequency}' (use one of {', '.join(FREQUENCIES)})")


def _day_rank(mday: int) -> int:
    return 32 if mday == -1 else mday


def _monthly(day: str | None) -> Schedule:
    if day is None:
        return Schedule("monthly", "every month, on the 1st", {"FREQ": "MONTHLY", "BYMONTHDAY": [1]}, (1,))
    mday = _day_of_month(day)
    if mday is not None:
        return Schedule("monthly", f"every month, on the {_ordinal(mday)}", {"FREQ": "MONTHLY", "BYMONTHDAY": [mday]},
                        (_day_rank(mday),))
    words = day.lower().split()
    if len(words) == 2 and words[0] in ORDINALS and _weekday(words[1]) is not None:
        n, weekday = ORDINALS[words[0]], _weekday(words[1])
        assert weekday is not None
        which = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}[n]
        return Schedule("monthly", f"every month, on the {which} {WEEKDAY_NAMES[weekday]}",
                        {"FREQ": "MONTHLY", "BYDAY": [f"{n}{WEEKDAYS[weekday]}"]},
                        (_day_rank(7 * (n - 1) + weekday + 1 if n > 0 else 29),))
    weekday = _weekday(day)
    if weekday is not None:
        return Schedule("monthly", f"every month, on the first {WEEKDAY_NAMES[weekday]}",
                        {"FREQ": "MONTHLY", "BYDAY": [f"1{WEEKDAYS[weekday]}"]}, (weekday + 1,))
    raise DayError(f"'{day}' is not a day of the month (use 1 to 31, 'last', or e.g. 'first Monday')")


def _quarterly(day: str | None) -> Schedule:
    month, mday = (1, 1) if day is None else _month_and_day(day)
    if month is None and mday is None:
        raise DayError(f"'{day}' is not a month or a day of the month (use e.g. January, 15 or January 15)")
    month, mday = month or 1, mday or 1
    first = (month - 1) % 3 + 1
    months = ", ".join(MONTH_NAMES[m - 1][:3] for m in range(first, 13, 3))
    return Schedule("quarterly", f"every quarter ({months}), on the {_ordinal(mday)}",
                    {"FREQ": "MONTHLY", "INTERVAL": 3, "BYMONTHDAY": [mday]}, (first, _day_rank(mday)), anchor_month=first)


# ----------------------------------------------------------------------------------------------
# Tasks of a project


def scheduled_tasks(documents: Iterable[Document]) -> tuple[list[ScheduledTask], list[Problem]]:
    """Every task of every effective document, with its schedule, and warnings for unreadable days.

    A draft is not in force yet and an obsolete document no longer is, so their tasks are left out.

    Tasks are sorted by frequency (daily first), then by when they fall, then by document.
    """
    out: list[ScheduledTask] = []
    problems: list[Problem] = []
    for doc in sorted(documents, key=lambda d: d.id):
        if doc.status != "effective":
            continue
        for i, task in enumerate(doc.tasks):
            try:
                schedule = schedule_for(task.frequency, task.day)
            except DayError as exc:
                problems.append(Problem(doc.path, doc.line_of("tasks"),
                                        f"tasks[{i}].day: {exc}; the task is shown on the default day", "warning",
                                        code="task-day"))
                schedule = schedule_for(task.frequency, None)
            out.append(ScheduledTask(task, doc, schedule))
    return sorted(out, key=task_order), problems


def task_problems(documents: Iterable[Document]) -> list[Problem]:
    """Warnings for task days that cannot be read, for `qms check`."""
    return scheduled_tasks(documents)[1]


def task_order(item: ScheduledTask) -> tuple:
    """Frequency (daily first), when in the period, role, document, text."""
    return (FREQUENCIES.index(item.schedule.frequency), item.schedule.sort_key, item.role, item.document.id,
            item.task.what)


def by_role(items: Iterable[ScheduledTask]) -> dict[str, list[ScheduledTask]]:
    """Role id -> its tasks, roles in order of first appearance of each role id sorted."""
    out: dict[str, list[ScheduledTask]] = {}
    for item in sorted(items, key=lambda t: t.role):
        out.setdefault(item.role, []).append(item)
    for tasks in out.values():
        tasks.sort(key=task_order)
    return out


def by_frequency(items: Iterable[ScheduledTask]) -> dict[str, list[ScheduledTask]]:
    """Frequency -> tasks, every frequency present as a key, in FREQUENCIES order."""
    out: dict[str, list[ScheduledTask]] = {f: [] for f in FREQUENCIES}
    for item in items:
        out[item.schedule.frequency].append(item)
    for tasks in out.values():
        tasks.sort(key=task_order)
    return out


# ----------------------------------------------------------------------------------------------
# iCalendar


def first_occurrence(schedule: Schedule, start: dt.date) -> dt.date:
    """The first date on or after `start` on which the schedule falls."""
    rule = schedule.rule
    kwargs: dict = {}
    freq = {"DAILY": rrule.DAILY, "WEEKLY": rrule.WEEKLY, "MONTHLY": rrule.MONTHLY, "YEARLY": rrule.YEARLY}[str(rule["FREQ"])]
    anchor = dt.datetime(start.year - 1, schedule.anchor_month, 1)
    if "INTERVAL" in rule:
        kwargs["interval"] = int(rule["INTERVAL"])  # type: ignore[arg-type]
    if "BYMONTH" in rule:
        kwargs["bymonth"] = rule["BYMONTH"]
    if "BYMONTHDAY" in rule:
        kwargs["bymonthday"] = rule["BYMONTHDAY"]
    if "BYDAY" in rule:
        kwargs["byweekday"] = [_rrule_weekday(d) for d in rule["BYDAY"]]  # type: ignore[union-attr]
    found = rrule.rrule(freq, dtstart=anchor, **kwargs).after(dt.datetime.combine(start, dt.time()), inc=True)
    assert found is not None  # every schedule here recurs at least once a year
    return found.date()


def _rrule_weekday(text: str) -> rrule.weekday:
    match = re.fullmatch(r"(-?\d)?([A-Z]{2})", text)
    assert match is not None
    day = getattr(rrule, match.group(2))
    return day(int(match.group(1))) if match.group(1) else day


def calendar_name(company: str) -> str:
    return f"{company}: quality system tasks"


def uid_domain(company: str) -> str:
    """'aldwick-precision.qms' from 'Aldwick Precision'."""
    slug = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") or "company"
    return f"{slug}.qms"


def to_ical(items: Iterable[ScheduledTask], company: str, start: dt.date, stamp: dt.datetime,
             role_titles: dict[str, str] | None = None, document_urls: dict[str, str] | None = None,
             dues: Iterable = ()) -> bytes:
    """An iCalendar file with one recurring all-day event per task.

    `start` is the date from which the first occurrences are counted; `stamp` is the DTSTAMP (UTC).
    UIDs depend only on the document, role, frequency and task text, so importing an updated file
    updates the events rather than duplicating them.
    """
    role_titles = role_titles or {}
    document_urls = document_urls or {}
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name(company))
    stamp = stamp.astimezone(dt.timezone.utc) if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
    domain = uid_domain(company)
    for item in items:
        role = role_titles.get(item.role, item.role)
        first = first_occurrence(item.schedule, start)
        event = Event()
        event.add("uid", f"{item.uid}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", first)
        event.add("dtend", first + dt.timedelta(days=1))
        event.add("rrule", {k.lower(): v for k, v in item.schedule.rule.items()})
        event.add("summary", item.task.what)
        event.add("description", f"{role}, {item.schedule.text}. Required by {item.document.id} "
                                 f"{item.document.title} (revision {item.document.revision}).")
        event.add("categories", [role])
        event.add("transp", "TRANSPARENT")  # a reminder, not a busy block
        if item.document.id in document_urls:
            event.add("url", document_urls[item.document.id])
        cal.add_component(event)
    for due in dues:  # qms.analysis.due.DueItem: one all-day event on its due date (an overdue one: on `start`)
        role = role_titles.get(due.owner or "", due.owner or "")
        day = max(due.due, start)
        event = Event()
        event.add("uid", f"due-{uid_part(due.kind)}-{uid_part(due.id)}-{due.due.isoformat()}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("summary", f"Due: {due.what}" if due.due >= start else f"Overdue since {due.due.isoformat()}: "
                                                                          f"{due.what}")
        event.add("description", f"{due.kind} due on {due.due.isoformat()}" + (f" ({role})" if role else "")
                  + (f", kept in {due.path}" if due.path else "") + ".")
        if role:
            event.add("categories", [role])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


def uid_part(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
