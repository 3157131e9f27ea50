"""The ISO catalogues are data: every clause and term, our own explanations, OBP links."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from conftest import ROOT, mkdocs_build, page, run
from qms.model import catalogue

# The shared reference data lives beside the checkout (or beside the folder of worktrees).
REFERENCE_TERMS = next((folder / "shared" / "reference" / "iso9000-2015-terms.yaml" for folder in ROOT.parents
                        if (folder / "shared" / "reference" / "iso9000-2015-terms.yaml").is_file()),
                       ROOT.parent / "shared" / "reference" / "iso9000-2015-terms.yaml")


def export(cwd: Path = ROOT) -> dict:
    result = run(["qms", "export"], cwd=cwd)
    assert result.returncode == 0, result.output
    return json.loads(result.stdout)


def test_export_lists_all_94_numbered_iso9001_clauses_with_titles_or_our_labels():
    model = export()
    clauses = [c for c in model["clauses"] if c["standard"] == "iso9001-2015"]
    assert len(clauses) == 94
    ids = [c["id"] for c in clauses]
    assert ids[0] == "1" and ids[-1] == "10.3" and "7.1.5.1" in ids and "8.7.2" in ids
    by_id = {c["id"]: c for c in clauses}
    assert by_id["8.7"]["title"] == "Control of nonconforming outputs"
    # an untitled numbered item has no ISO title, only a label of ours
    assert by_id["8.7.2"]["title"] is None and by_id["8.7.2"]["label"]
    assert all(c["title"] or c["label"] for c in clauses)


def test_export_lists_all_138_terms_with_our_explanation_example_and_obp_link():
    model = export()
    terms = model["terms"]
    assert len(terms) == 138
    assert len({t["number"] for t in terms}) == 138
    for t in terms:
        assert len(t["explanation"].split()) >= 12, t
        assert len(t["example"].split()) >= 6, t
        assert t["url"] == f"https://www.iso.org/obp/ui/#iso:std:iso:9000:ed-4:v1:en:term:{t['number']}"
    by_name = {t["term"]: t for t in terms}
    assert by_name["nonconformity"]["number"] == "3.6.9"
    assert "stakeholder" in by_name["interested party"]["also"]
    assert "supplier" in by_name["provider"]["also"]


def reference_terms() -> list[dict]:
    if not REFERENCE_TERMS.exists():
        import pytest

        pytest.skip("shared/reference is not beside this checkout")
    return yaml.safe_load(REFERENCE_TERMS.read_text())["terms"]


def test_term_numbers_and_names_match_the_reference_list():
    reference = reference_terms()
    voc = catalogue.load_vocabulary(catalogue.find_catalogue("iso9000-2015"))
    assert [(t["number"], t["term"]) for t in reference] == [(t.number, t.term) for t in voc.terms]


def test_spanish_names_and_their_verification_match_the_reference_list():
    """A Spanish name the reference marks unverified is never shown, or exported, as a verified one."""
    reference = reference_terms()
    voc = catalogue.load_vocabulary(catalogue.find_catalogue("iso9000-2015"))
    assert [(t["number"], t.get("es"), bool(t.get("es")) and not t.get("es_unverified")) for t in reference] == [
        (t.number, t.es, t.es_verified) for t in voc.terms]
    unverified = {t.number for t in voc.terms if t.es and not t.es_verified}
    assert unverified == {"3.4.6", "3.11.8", "3.13.4"}
    exported = {t["number"]: t["es"] for t in export()["terms"]}
    assert {n for n, es in exported.items() if es and not es["verified"]} == unverified
    assert exported["3.11.8"] == {"name": "ensayo", "verified": False}
    assert exported["3.6.9"] == {"name": "no conformidad", "verified": True}
    assert exported["3.1.2"] is None


def test_lookup_finds_plurals_second_names_and_is_case_insensitive():
    voc = catalogue.load_vocabulary(catalogue.find_catalogue("iso9000-2015"))
    assert voc.lookup("Nonconformities").term == "nonconformity"
    assert voc.lookup("stakeholders").term == "interested party"
    assert voc.lookup("external suppliers").term == "external provider"
    assert voc.lookup("corrective actions").term == "corrective action"
    assert voc.lookup("audit").term == "audit" and voc.lookup("audit programme").term == "audit programme"
    assert voc.lookup("nonconfromity") is None
    assert "nonconformity" in voc.suggest("nonconfromity")


def test_no_name_or_form_belongs_to_two_terms():
    data = yaml.safe_load((catalogue.PACKAGE_CATALOGUES / "iso9000-2015.yaml").read_text())
    seen: dict[str, str] = {}
    for t in data["terms"]:
        for name in [t["term"], *(t.get("also") or []), *(t.get("forms") or [])]:
            key = name.lower()
            assert key not in seen or seen[key] == t["number"], f"{name!r} in {seen.get(key)} and {t['number']}"
            seen[key] = t["number"]


def test_explanations_are_not_iso_definition_text():
    """A few well-known phrases of ISO 9000 definitions must not appear in our explanations."""
    text = (catalogue.PACKAGE_CATALOGUES / "iso9000-2015.yaml").read_text().lower()
    for phrase in ("non-fulfilment of a requirement", "degree to which a set of inherent characteristics",
                   "need or expectation that is stated, generally implied or obligatory",
                   "effect of uncertainty", "set of interrelated or interacting activities"):
        assert phrase not in text


def test_a_new_standard_is_added_as_a_data_file_without_code(new_project: Path):
    """A company adds ISO 14001 by dropping a catalogue file into catalogues/ and naming it."""
    (new_project / "catalogues").mkdir()
    (new_project / "catalogues" / "iso14001-2015.yaml").write_text(
        "standard: {id: iso14001-2015, name: ISO 14001, year: 2015, title: Environmental management systems,\n"
        "           url: 'https://www.iso.org/obp/ui/#iso:std:iso:14001:ed-3:v1:en', requirements_from: '4'}\n"
        "clauses:\n"
        "  - {id: '6', title: Planning}\n"
        "  - {id: '6.1', title: Actions to address risks and opportunities}\n"
        "  - {id: '6.1.2', title: Environmental aspects}\n"
    )
    cfg = new_project / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace("standards: [iso9001-2015]", "standards: [iso9001-2015, iso14001-2015]"))
    qp = new_project / "procedures" / "QP-01-control-of-documented-information.md"
    qp.write_text(qp.read_text().replace('clauses: ["7.5", "7.5.2", "7.5.3"]',
                                         'clauses: ["7.5", "7.5.2", "7.5.3", "iso14001-2015:6.1.2"]')
                  + "\nSee {{ clause('iso14001-2015:6.1.2') }}.\n")
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    html = page(new_project / "site", "iso14001/6-1-2.md")
    assert "Environmental aspects" in html and "QP-01" in html
    assert re.search(r'href="[./]*iso14001/6-1-2/"', page(new_project / "site",
                                                        "procedures/QP-01-control-of-documented-information.md"))


def catalogue_terms() -> list[dict]:
    return yaml.safe_load((catalogue.PACKAGE_CATALOGUES / "iso9000-2015.yaml").read_text())["terms"]


def test_every_term_has_its_own_explanation_and_example():
    seen: dict[str, str] = {}
    for t in catalogue_terms():
        for key in ("explanation", "example"):
            text = " ".join(str(t.get(key) or "").split())
            assert text, f"{t['number']} {t['term']}: no {key}"
            assert text.lower() not in seen, f"{t['number']} {key} repeats {seen.get(text.lower())}"
            seen[text.lower()] = f"{t['number']} {key}"


# Words of one industry (the showcase's machine shop). An explanation is also the tooltip of every link to its
# term in every company's manual, so it speaks to any sector; examples may use them now and then, not always.
MACHINE_SHOP = re.compile(r"\b(cnc|lathes?|machin\w*|bores?|burrs?|castings?|shop floor|gauges?|"
                          r"tolerances?|shafts?|brackets?|fixtures?)\b", re.I)


def test_explanations_speak_to_any_sector_and_examples_vary_across_industries():
    terms = catalogue_terms()
    for t in terms:
        assert not MACHINE_SHOP.search(t["explanation"]), (t["number"], MACHINE_SHOP.search(t["explanation"]))
    shop_examples = [t["number"] for t in terms if MACHINE_SHOP.search(t["example"])]
    assert len(shop_examples) <= len(terms) // 10, shop_examples


def test_the_meanings_an_auditor_checks_are_stated_rightly():
    """The slips a lead auditor found in earlier explanations (issue 16) stay fixed."""
    by_number = {t["number"]: " ".join(f"{t['explanation']} {t['example']}".split()) for t in catalogue_terms()}
    observer, team = by_number["3.13.17"], by_number["3.13.14"]
    assert "not a member of the audit team" in observer and "auditor in training is" in observer
    assert "trainee" not in observer.split("An observer is not")[0]  # a trainee auditor is not an observer
    assert "auditors in training" in team
    record = by_number["3.8.10"]
    assert "protected against accidental or unauthorized change" in record and "never" not in record
    assert "not always" in by_number["3.12.4"]  # a regrade is not necessarily to a lower grade
    assert "usually from the customer" not in by_number["3.12.5"] and "whoever owns the requirement" in by_number["3.12.5"]
    assert "scale" in by_number["3.6.2"] and "not in a simple pass or fail" in by_number["3.6.2"]  # a degree
    assert "names the result, not the effort" in by_number["3.6.15"]  # innovation is the new or changed object
    assert "might in future" in by_number["3.2.4"]  # a customer includes one who could receive
    assert "shelf" not in by_number["3.7.6"] and "only once an order arrives" in by_number["3.7.6"]
    capability = by_number["3.6.12"]
    assert "process capability" in capability and "1.33 is a usual minimum" in capability
