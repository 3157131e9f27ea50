"""The managers' task calendar: schedules from front matter, pages per role, and an .ics file that parses back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import strip_starter
from dateutil.rrule import rrulestr
from icalendar import Calendar, vRecur
from qms.analysis import tasks
from qms.cli import app as cli
from qms.cli.init import create
from qms.config import load_settings
from qms.model.project import Project, load_project
from qms.render import reports

START = dt.date(2026, 11, 26)  # a Thursday

ORGANIZATION = """\
company:
  name: Task Testing Ltd
  short_name: Task Testing
roles:
  - {id: managing-director, title: Managing Director}
  - {id: quality-manager, title: Quality Manager, reports_to: managing-director}
  - {id: production-supervisor, title: Production Supervisor, reports_to: managing-director}
  - {id: sales-manager, title: Sales Manager, reports_to: managing-director}
"""


def document(doc_id: str, tasks_yaml: str, status: str = "effective") -> str:
    return (f"---\nid: {doc_id}\ntitle: Procedure {doc_id}\ntype: procedure\nrevision: \"3\"\nstatus: {status}\n"
            f"owner: quality-manager\nclauses: [\"9.1\"]\nreview_interval: 12 months\ntasks:\n{tasks_yaml}---\n\nBody.\n")


def task(what: str, role: str, frequency: str, day: str | None = None) -> str:
    return f"  - what: {what}\n    role: {role}\n    frequency: {frequency}\n" + (f"    day: {day}\n" if day else "")


DOCS = {
    "QP-09": document("QP-09", task("Release jobs for the shift", "production-supervisor", "daily")
                      + task("Run the scheduling meeting", "production-supervisor", "weekly", "Monday")),
    "QP-13": document("QP-13", task("Review open NCRs", "quality-manager", "weekly", "Friday")
                      + task("Review the corrective action log", "quality-manager", "monthly", "12")),
    "QP-16": document("QP-16", task("Review objectives with owners", "managing-director", "quarterly", "February")
                      + task("Chair the management review", "managing-director", "yearly", "March")),
    "QP-14": document("QP-14", task("Send the satisfaction survey", "sales-manager", "yearly", "May"), status="draft"),
}


def make_project(tmp_path: Path, docs: dict[str, str] = DOCS) -> Path:
    root = tmp_path / "qms"
    create(root, "Task Testing Ltd", START)
    (root / "organization.yaml").write_text(ORGANIZATION)
    strip_starter(root)
    for name, text in docs.items():
        (root / "procedures" / f"{name}.md").write_text(text)
    return root


def load(root: Path) -> Project:
    return load_project(load_settings(root / "mkdocs.yml"))


@pytest.mark.parametrize("frequency,day,rule,text", [
    ("daily", None, "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "every working day"),
    ("weekly", "Friday", "FREQ=WEEKLY;BYDAY=FR", "every Friday"),
    ("weekly", "tue", "FREQ=WEEKLY;BYDAY=TU", "every Tuesday"),
    ("weekly", None, "FREQ=WEEKLY;BYDAY=MO", "every Monday"),
    ("monthly", "15", "FREQ=MONTHLY;BYMONTHDAY=15", "every month, on the 15th"),
    ("monthly", "last", "FREQ=MONTHLY;BYMONTHDAY=-1", "every month, on the last day"),
    ("monthly", "first Monday", "FREQ=MONTHLY;BYDAY=1MO", "every month, on the first Monday"),
    ("quarterly", "January", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1", "every quarter (Jan, Apr, Jul, Oct), on the 1st"),
    ("quarterly", "March 10", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=10", "every quarter (Mar, Jun, Sep, Dec), on the 10th"),
    ("yearly", "September", "FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=1", "every year in September"),
    ("yearly", "March 15", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15", "every year in March, on the 15th"),
])
def test_a_task_day_becomes_a_recurrence_rule(frequency: str, day: str | None, rule: str, text: str):
    schedule = tasks.schedule_for(frequency, day)
    assert (schedule.rrule_text(), schedule.text) == (rule, text)


@pytest.mark.parametrize("frequency,day,first", [
    ("daily", None, dt.date(2026, 11, 26)),
    ("weekly", "Monday", dt.date(2026, 11, 30)),
    ("monthly", "12", dt.date(2026, 12, 12)),
    ("monthly", "26", dt.date(2026, 11, 26)),
    ("quarterly", "February", dt.date(2027, 2, 1)),
    ("quarterly", "November 30", dt.date(2026, 11, 30)),
    ("yearly", "March", dt.date(2027, 3, 1)),
])
def test_the_first_occurrence_is_on_or_after_the_start(frequency: str, day: str | None, first: dt.date):
    assert tasks.first_occurrence(tasks.schedule_for(frequency, day), START) == first


def test_a_day_that_cannot_be_read_is_a_warning_at_the_tasks_line(tmp_path: Path):
    docs = {"QP-01": document("QP-01", task("Check boards", "quality-manager", "weekly", "Fryday"))}
    items, problems = tasks.scheduled_tasks(load(make_project(tmp_path, docs)).documents.values())
    [problem] = problems
    assert (problem.path, problem.line, problem.severity) == ("procedures/QP-01.md", 10, "warning")
    assert "tasks[0].day: 'Fryday' is not a weekday" in problem.message
    assert items[0].schedule.text == "every Monday"


def test_the_ics_file_parses_back_with_recurrence_rules(tmp_path: Path):
    config = str(make_project(tmp_path) / "mkdocs.yml")
    out = tmp_path / "tasks.ics"
    assert cli.main(["-f", config, "tasks", "--format", "ics", "--start", START.isoformat(), "-o", str(out)]) == 0
    cal = Calendar.from_ical(out.read_bytes())
    assert str(cal["version"]) == "2.0" and "Task Testing" in str(cal["x-wr-calname"])
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Release jobs for the shift", "Run the scheduling meeting", "Review open NCRs",
                           "Review the corrective action log", "Review objectives with owners",
                           "Chair the management review"}  # not the draft's task
    expected = {
        "Release jobs for the shift": ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", dt.date(2026, 11, 26)),
        "Run the scheduling meeting": ("FREQ=WEEKLY;BYDAY=MO", dt.date(2026, 11, 30)),
        "Review open NCRs": ("FREQ=WEEKLY;BYDAY=FR", dt.date(2026, 11, 27)),
        "Review the corrective action log": ("FREQ=MONTHLY;BYMONTHDAY=12", dt.date(2026, 12, 12)),
        "Review objectives with owners": ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1", dt.date(2027, 2, 1)),
        "Chair the management review": ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", dt.date(2027, 3, 1)),
    }
    for summary, (rule, first) in expected.items():
        event = events[summary]
        assert event["rrule"] == vRecur.from_ical(rule)
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert type(start) is dt.date and start == first and end == first + dt.timedelta(days=1)  # all-day
        assert event.decoded("dtstamp") == dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)
        assert str(event["uid"]).endswith("@task-testing.qms")
        # The rule, read by an independent implementation, starts on DTSTART.
        occurrences = rrulestr(rule, dtstart=dt.datetime.combine(first, dt.time()))
        assert occurrences[0].date() == first and occurrences[1].date() > first
    assert "Required by QP-13 Procedure QP-13 (revision 3)" in str(events["Review open NCRs"]["description"])
    assert [str(c) for c in events["Review open NCRs"]["categories"].cats] == ["Quality Manager"]


def test_uids_are_stable_across_exports_and_start_dates(tmp_path: Path):
    project = load(make_project(tmp_path))
    items, _ = tasks.scheduled_tasks(project.documents.values())

    def uids(start: dt.date) -> dict[str, str]:
        cal = Calendar.from_ical(reports.calendar_text(project, items, start))
        return {str(e["summary"]): str(e["uid"]) for e in cal.walk("VEVENT")}

    first, later = uids(START), uids(dt.date(2027, 6, 1))
    assert first == later and len(set(first.values())) == len(first)


def test_one_roles_calendar(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = str(make_project(tmp_path) / "mkdocs.yml")
    assert cli.main(["-f", config, "tasks", "--format", "ics", "--role", "quality-manager"]) == 0
    cal = Calendar.from_ical(capsys.readouterr().out)
    assert sorted(str(e["summary"]) for e in cal.walk("VEVENT")) == ["Review open NCRs",
                                                                      "Review the corrective action log"]
    assert cli.main(["-f", config, "tasks", "--role", "cleaner"]) == 1
    assert "unknown role 'cleaner'" in capsys.readouterr().err


def test_pages_per_role_and_a_combined_calendar(tmp_path: Path):
    pages = reports.task_pages(load(make_project(tmp_path)), START)
    assert set(pages) == {
        "reports/tasks/index.md", "reports/tasks/all-tasks.ics",
        *(f"reports/tasks/{r}{s}" for r in ("managing-director", "quality-manager", "production-supervisor")
          for s in (".md", "-tasks.ics")),
    }
    index = pages["reports/tasks/index.md"]
    assert index.startswith("---\nrender_macros: false\n---\n# Managers' task calendar")
    assert "| [Quality Manager](quality-manager.md) |  | 1 | 1 |  |  |" in index  # tasks per frequency
    assert "| Monday | [Production Supervisor](production-supervisor.md) | Run the scheduling meeting | " \
           "[QP-09 Procedure QP-09](../../procedures/QP-09.md) |" in index
    assert "[Import into your calendar (.ics)](all-tasks.ics)" in index
    for heading in ("## Every working day", "## Every week", "## Every month", "## Every quarter", "## Every year"):
        assert heading in index
    role = pages["reports/tasks/quality-manager.md"]
    assert "# Tasks of the Quality Manager" in role
    assert "| Friday | Review open NCRs | [QP-13 Procedure QP-13](../../procedures/QP-13.md) |" in role
    assert "| 12th | Review the corrective action log |" in role
    assert "(quality-manager-tasks.ics)" in role and "qms-attribution" in role
    Calendar.from_ical(pages["reports/tasks/quality-manager-tasks.ics"])


def test_the_example_company_has_tasks_for_at_least_three_roles():
    root = Path(__file__).resolve().parents[1]
    items, problems = tasks.scheduled_tasks(load(root).documents.values())
    assert not problems
    assert len(tasks.by_role(items)) >= 3
    assert {t.schedule.frequency for t in items} >= {"daily", "weekly", "monthly"}
