"""Record forms in the published manual, in a real browser: filled in as a person would, the YAML they make passes
`qms check`; a wrong value is refused with a clear message at its field; the form passes the accessibility check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import ROOT, copy_example, run
from browserkit import AXE, Tab

CALIBRATION_FORM = "records/new/calibration/"
NCR_FORM = "records/new/nonconforming-output/"


def fill(tab: Tab, values: dict[str, str]) -> None:  # noqa: F811
    page = tab.page
    for name, value in values.items():
        field = page.locator(f"#qms-f-{name}")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def make(tab: Tab) -> str:  # noqa: F811
    tab.page.get_by_role("button", name="Make the record").click()
    return tab.page.locator("#qms-form-yaml").input_value()


def checked_in_a_copy(tmp_path: Path, type_id: str, yaml_text: str) -> tuple[str, str]:
    """The record written to records/TYPE/ of a copy of the example, and what `qms check` says of it."""
    project = copy_example(tmp_path)
    record_id = re.search(r"^id: (\S+)$", yaml_text, re.M).group(1)
    rel = f"records/{type_id}/{record_id}.yaml"
    (project / rel).write_text(yaml_text, encoding="utf-8")
    result = run(["qms", "check"], cwd=project)
    return rel, result.stdout + result.stderr


def test_the_calibration_form_makes_a_record_that_passes_qms_check(tab: Tab, tmp_path: Path):  # noqa: F811
    tab.goto(CALIBRATION_FORM)
    page = tab.page
    assert page.locator("#qms-f-id").input_value() == "CAL-2026-022"  # the next free id
    equipment = page.locator("#qms-f-equipment option").all_inner_texts()
    assert "APE-MIC-0142" in equipment  # a pick list of the equipment's ids
    fill(tab, {"equipment": "APE-MIC-0142", "date": "2026-11-30", "provider": "in-house", "certificate": "IH-26-114",
               "traceability": "national-standard", "as_found": "in-tolerance", "result": "pass",
               "next_due": "2027-05-30"})
    page.get_by_role("button", name="Make the record").click()
    summary = page.locator("#qms-form-summary").inner_text()
    assert "Performed by: required because Provider is 'in-house'" in summary  # the schema's if/then
    assert page.locator("#qms-f-performed_by").get_attribute("aria-invalid") == "true"
    assert page.locator("#qms-form-yaml").is_hidden()
    fill(tab, {"performed_by": "P-003"})
    text = make(tab)
    assert "id: CAL-2026-022\n" in text and "performed_by: P-003\n" in text and "date: 2026-11-30\n" in text
    download = page.locator("#qms-form-download")
    assert download.get_attribute("download") == "CAL-2026-022.yaml"
    assert "Save it as records/calibration/CAL-2026-022.yaml" in page.locator(".qms-form-path").inner_text()
    tab.screenshot("form-calibration", full_page=True)
    rel, said = checked_in_a_copy(tmp_path, "calibration", text)
    assert rel not in said, said
    tab.assert_clean()


def test_the_nonconformity_form_makes_a_record_that_passes_qms_check(tab: Tab, tmp_path: Path):  # noqa: F811
    tab.goto(NCR_FORM)
    page = tab.page
    fill(tab, {"date": "2026-11-30", "job": "J261099", "part_number": "AP-1142 rev C", "quantity": "12",
               "detected_at": "in-process", "description": "Bore 12.02 mm against 12.00 +0.01: over size",
               "containment": "Batch quarantined; 100 % check of the remaining parts: 12 over size",
               "disposition": "scrap", "decided_by": "quality-manager", "cost": "240.5", "status": "closed"})
    page.get_by_role("button", name="Make the record").click()
    assert "Closed: required because Status is 'closed'" in page.locator("#qms-form-summary").inner_text()
    fill(tab, {"closed": "2026-12-01"})
    text = make(tab)
    assert "quantity: 12\n" in text and "cost: 240.5\n" in text and 'description: "Bore 12.02 mm' in text
    tab.screenshot("form-nonconformity", full_page=True)
    rel, said = checked_in_a_copy(tmp_path, "nonconforming-output", text)
    assert rel not in said, said
    tab.assert_clean()


def test_a_wrong_value_is_refused_with_a_clear_message_at_its_field(tab: Tab):  # noqa: F811
    tab.goto(NCR_FORM)
    page = tab.page
    fill(tab, {"date": "2026-11-30", "job": "261099", "part_number": "AP-1142", "quantity": "0",
               "detected_at": "customer", "description": "Wrong thread", "disposition": "use-as-is",
               "decided_by": "quality-manager"})
    page.get_by_role("button", name="Make the record").click()
    errors = {name: page.locator(f"#qms-f-{name}-error").inner_text() for name in ("job", "quantity", "concession")}
    assert errors == {
        "job": "Job: '261099' does not match: Epicor job number, e.g. J261043",
        "quantity": "Quantity: must be 1 or more",
        "concession": "Concession: required because Disposition is 'use-as-is'",
    }
    assert page.locator("#qms-form-yaml").is_hidden()
    assert page.evaluate("document.activeElement.id") == "qms-f-job"  # the first field to fix has the focus
    tab.screenshot("form-refused", full_page=True)
    tab.assert_clean()


def test_the_form_passes_the_accessibility_check(tab: Tab):  # noqa: F811
    tab.goto(CALIBRATION_FORM)
    page = tab.page
    page.get_by_role("button", name="Make the record").click()  # with its error messages shown
    for name in ("equipment", "date", "traceability"):  # every field is named by its label
        assert page.get_by_label(re.compile(f"^{name.capitalize()}")).count() >= 1
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))""")
    assert violations == []
    tab.assert_clean()


def test_the_forms_hold_only_public_ids(example_site: Path):
    from qms.config import load_settings
    from qms.model.project import load_project
    from qms.model.records import confidential_values

    project = load_project(load_settings(ROOT / "mkdocs.yml"))
    names = {str(r.data["name"]) for r in project.records if r.type == "person"}
    secrets = confidential_values(project.record_set) | names
    specs = list((example_site / "assets" / "qms" / "forms").glob("*.js"))
    assert len(specs) >= 15 and not (example_site / "assets" / "qms" / "forms" / "person.js").exists()
    for spec in specs:
        text = spec.read_text(encoding="utf-8")
        assert not [s for s in secrets if s in text], spec.name
    calibration = json.loads((example_site / "assets" / "qms" / "forms" / "calibration.js").read_text()
                             .split("] = ", 1)[1].rstrip().rstrip(";"))
    person = next(f for f in calibration["fields"] if f["name"] == "performed_by")
    assert person["choices"][0] == ["P-001", "P-001"]  # people by id only
