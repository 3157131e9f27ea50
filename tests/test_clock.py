"""The engine's "today" comes from one place: --as-of, else QMS_TODAY, else the calendar, never read elsewhere."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import ROOT, SUITE_TODAY, mkdocs_build, page, run
from qms import clock
from qms.problems import QMSError

ENGINE = ROOT / "tools" / "qms"
READS_THE_CLOCK = re.compile(r"\b(?:date\.today|datetime\.(?:now|today|utcnow)|time\.(?:time|localtime|gmtime))\(")


def test_only_the_clock_module_reads_the_calendar():
    offenders = []
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name == "clock.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if READS_THE_CLOCK.search(line.split("#", 1)[0]):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "read the day from qms.clock.today() instead:\n" + "\n".join(offenders)


def test_as_of_wins_over_the_environment_which_wins_over_the_calendar(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QMS_TODAY", "2030-02-03")
    assert clock.today() == dt.date(2030, 2, 3)
    assert clock.today(dt.date(2029, 1, 1)) == dt.date(2029, 1, 1)
    monkeypatch.delenv("QMS_TODAY")
    assert clock.today() == dt.date.today()  # the only assertion in the suite that reads the real calendar


def test_a_bad_qms_today_is_a_plain_message_not_a_traceback(tmp_path: Path, new_project: Path):
    result = run(["qms", "check"], cwd=new_project, env={"QMS_TODAY": "02/12/2026"})
    assert result.returncode == 1
    assert "QMS_TODAY: '02/12/2026' is not a date: use YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output
    build = run(["mkdocs", "build", "--strict"], cwd=new_project, env={"QMS_TODAY": "2026-13-01"})
    assert build.returncode == 1 and "QMS_TODAY: '2026-13-01' is not a date" in build.output
    assert "Traceback" not in build.output


def test_the_build_is_as_of_qms_today_on_dated_pages_and_in_the_sitemap(new_project: Path):
    config = new_project / "mkdocs.yml"
    config.write_text("site_url: https://qms.example.com/\n" + config.read_text())
    result = run(["mkdocs", "build", "--strict"], cwd=new_project, env={"QMS_TODAY": "2027-03-01"})
    assert result.returncode == 0, result.output
    schedule = page(new_project / "site", "reports/review-schedule.md")
    assert "As of 2027-03-01." in schedule
    sitemap = (new_project / "site" / "sitemap.xml").read_text()
    assert "<lastmod>2027-03-01</lastmod>" in sitemap


def test_the_suite_runs_as_of_its_own_day():
    assert clock.today() == dt.date.fromisoformat(SUITE_TODAY)


def test_mkdocs_build_of_the_suite_uses_the_suite_day(new_project: Path):
    assert mkdocs_build(new_project).returncode == 0
    assert f"As of {SUITE_TODAY}." in page(new_project / "site", "reports/review-schedule.md")


def test_clock_errors_name_the_variable():
    with pytest.raises(QMSError) as info:
        clock.parse_day("tomorrow")
    assert str(info.value) == "QMS_TODAY: 'tomorrow' is not a date: use YYYY-MM-DD, e.g. 2027-03-01"
