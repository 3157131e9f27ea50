"""Authors who are not programmers: edit links into the repository's web editor, amounts and dates in the
manual's locale."""

from __future__ import annotations

import dataclasses
from pathlib import Path
import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import ROOT, mkdocs_build, page, run
from qms.config import load_settings
from qms.model.project import Project, load_project
from qms.render import docpage, editlinks, formats
from qms.render.registers import register_pages

TODAY = dt.date(2026, 12, 2)


@pytest.fixture(scope="module")
def example() -> Project:
    return load_project(load_settings(ROOT / "mkdocs.yml"))


def with_settings(project: Project, **changes) -> Project:
    return dataclasses.replace(project, settings=dataclasses.replace(project.settings, **changes))


def test_every_controlled_document_links_to_its_source_in_the_github_editor(example: Project):
    project = with_settings(example, repo_url="https://github.com/aldwick/qms", edit_uri="edit/trunk/docs/")
    for doc in project.documents.values():
        block = docpage.metadata_block(project, doc)
        assert f"[Edit on GitHub](https://github.com/aldwick/qms/edit/trunk/{doc.path} " in block, doc.id


def test_gitlab_edit_and_new_file_links_carry_the_branch_path_and_content(example: Project):
    project = with_settings(example, repo_url="https://gitlab.example.com/aldwick/qms.git", edit_uri=None,
                            edit_branch="develop")
    web = editlinks.editor(project.settings)
    assert web is not None and web.kind == "gitlab"
    assert web.edit("procedures/QP-04.md") == "https://gitlab.example.com/aldwick/qms/-/edit/develop/procedures/QP-04.md"
    url = urlsplit(web.new_file("records/calibration/CAL-2026-020.yaml", "id: CAL-2026-020\n"))
    assert url.path == "/aldwick/qms/-/new/develop/records/calibration"
    assert parse_qs(url.query) == {"file_name": ["CAL-2026-020.yaml"], "content": ["id: CAL-2026-020\n"]}


def test_no_edit_links_without_a_known_forge(example: Project):
    assert editlinks.editor(example.settings) is None  # the showcase names no repo_url
    other = with_settings(example, repo_url="https://git.example.com/qms")
    assert editlinks.editor(other.settings) is None
    assert "Edit on" not in docpage.metadata_block(other, next(iter(other.documents.values())))


def test_record_pages_link_each_record_and_a_new_one_with_the_next_free_id(example: Project):
    project = with_settings(example, repo_url="https://github.com/aldwick/qms")
    page = register_pages(project, TODAY)["records/calibration.md"]
    assert "[edit](https://github.com/aldwick/qms/edit/main/records/calibration/CAL-2025-002.yaml " in page
    start = page.index("[Add a record on GitHub](") + len("[Add a record on GitHub](")
    url = urlsplit(page[start:page.index(")", start)])
    query = parse_qs(url.query)
    assert url.path == "/aldwick/qms/new/main"
    assert query["filename"] == ["records/calibration/CAL-2026-022.yaml"]  # after CAL-2026-021, the last
    assert query["value"][0].splitlines()[1] == "id: CAL-2026-022"
    people = register_pages(project, TODAY)["records/person.md"]
    names = {str(r.data["name"]) for r in project.records if r.type == "person"}
    assert not any(name in people for name in names)  # the links carry paths and ids only


def test_the_authoring_guide_explains_proposing_a_change_from_the_site():
    guide = (ROOT / "docs" / "authoring-guide.md").read_text(encoding="utf-8")
    assert "Edit on GitHub" in guide and "pull request" in guide and "Add a record on" in guide


def test_amounts_follow_the_manuals_currency_and_locale(example: Project):
    settings = example.settings
    assert (settings.locale, settings.currency) == ("en_GB", "GBP")
    assert formats.money(settings, 2395) == "£2,395"
    assert formats.money(settings, 85, digits=2) == "£85.00"
    german = dataclasses.replace(settings, locale="de_DE", currency="EUR", date_format="medium")
    assert formats.money(german, 1234.5, digits=2) == "1.234,50\xa0€"
    assert formats.day(german, "2026-11-26") == "26.11.2026"
    assert formats.number(german, 12345) == "12.345"
    assert formats.money(dataclasses.replace(settings, currency=None), 2395) == "2,395"


def test_no_amount_is_printed_when_no_cost_was_recorded(example: Project):
    page = register_pages(example, TODAY)["registers/nonconforming-outputs.md"]
    assert "recorded cost of scrap and rework £2,395" in page
    uncosted = dataclasses.replace(example, record_set=dataclasses.replace(example.record_set, records=[
        dataclasses.replace(r, data={k: v for k, v in r.data.items() if k != "cost"}) if r.type == "nonconforming-output"
        else r for r in example.record_set.records]))
    page = register_pages(uncosted, TODAY)["registers/nonconforming-outputs.md"]
    assert "cost" not in page.split("\n## ")[0].lower().replace("costs", "") and "£" not in page


def test_dates_on_pages_follow_the_manuals_date_format(new_project: Path):
    """`date_format: long` reaches every date a reader sees: the control block, the revision history, the
    signatures, the audit trail and the reports' "as of" day, not only the registers."""
    config = new_project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  - qms:\n", "  - qms:\n      date_format: long\n", 1), encoding="utf-8")
    when = "2026-03-20T09:00:00+00:00"
    env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": "Quality Manager",
           "GIT_AUTHOR_EMAIL": "qm@example.com", "GIT_COMMITTER_NAME": "Quality Manager",
           "GIT_COMMITTER_EMAIL": "qm@example.com"}
    for args in (["git", "add", "-A"], ["git", "commit", "-q", "-m", "The manual as imported"]):
        assert run(args, new_project, env=env).returncode == 0
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output[-3000:]
    site = new_project / "site"
    procedure = page(site, "procedures/QP-01-control-of-documented-information.md")
    control = procedure.split('class="qms-docmeta"', 1)[1].split("</div>", 1)[0]
    assert "20 March 2026" in control and "2026-03-20" not in control
    history = procedure.split('id="revision-history"', 1)[1] if 'id="revision-history"' in procedure else procedure
    assert "20 March 2026" in history
    trail = page(site, "changes/index.md")
    assert "20 March 2026" in trail and "2026-03-20" not in trail.split("<table", 1)[1].split("</table>", 1)[0]
    gap = page(site, "reports/gap-analysis.md")
    assert "2 December 2026" in gap  # the day the report is as of (QMS_TODAY in the tests)


def test_record_dates_in_registers_follow_the_manuals_date_format(example: Project):
    long = with_settings(example, date_format="long")
    calibrations = [r for r in example.records if r.type == "calibration"]
    last = max(calibrations, key=lambda r: str(r.data["date"]))
    shown = formats.day(long.settings, last.data["date"])
    assert shown != str(last.data["date"]) and "20" in shown  # '5 November 2026', not '2026-11-05'
    pages = register_pages(long, TODAY)
    assert shown in pages["registers/calibration-status.md"]
    iso = register_pages(example, TODAY)["registers/calibration-status.md"]
    assert str(last.data["date"]) in iso and shown not in iso


def test_record_pages_write_a_date_field_in_the_manuals_date_format(example: Project):
    long = with_settings(example, date_format="long")
    action = next(r for r in example.records if r.type == "corrective-action" and r.data.get("closed"))
    shown = formats.day(long.settings, action.data["closed"])
    pages = register_pages(long, TODAY)
    assert shown in pages["records/corrective-action.md"]  # a field of format: date in the schema
    assert shown in pages["registers/corrective-actions.md"]


def test_due_done_and_approval_dates_in_registers_follow_the_manuals_date_format(example: Project):
    """The class, not only the examples: next calibration due, an audit programme's approval and each audit's
    day done, a management review action's day done."""
    long = with_settings(example, date_format="long")
    pages = register_pages(long, TODAY)
    calibrations = [r for r in example.records if r.type == "calibration"]
    due = formats.day(long.settings, max(calibrations, key=lambda r: str(r.data["date"])).data["next_due"])
    assert due in pages["registers/calibration-status.md"]
    programme = next(r for r in example.records if r.type == "audit-programme")
    approved = formats.day(long.settings, programme.data["approved"])
    done = next(a["done"] for a in programme.data["audits"] if a.get("done"))
    audits = pages["registers/audit-programme.md"]
    assert approved in audits and formats.day(long.settings, done) in audits
    assert str(done) not in audits
    review_actions = [a for r in example.records if r.type == "management-review"
                      for a in r.data.get("actions") or [] if a.get("status") == "done" and a.get("done")]
    assert review_actions, "the showcase has management review actions done"
    assert formats.day(long.settings, review_actions[0]["done"]) in pages["registers/management-reviews.md"]
