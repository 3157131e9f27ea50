"""The starter library of record types that `qms init` ships: neutral, complete for ISO 9001, and shared with the
example company's schemas (which are the library's plus the example's own fields, never a drifting copy)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT

LIBRARY = ROOT / "tools/qms/templates/library"
TYPES = sorted(p.name[: -len(".schema.yaml")] for p in LIBRARY.glob("*.schema.yaml"))


def schema(path: Path, code: str = "APE") -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").replace("{code}", code))


def fields(data: dict, prefix: str = "") -> dict[str, dict]:
    """Every property of a schema by dotted path, objects and array items included."""
    out = {}
    for name, prop in (data.get("properties") or {}).items():
        out[prefix + name] = prop
        if prop.get("type") == "object":
            out.update(fields(prop, f"{prefix}{name}."))
        items = prop.get("items") if prop.get("type") == "array" else None
        if isinstance(items, dict) and items.get("type") == "object":
            out.update(fields(items, f"{prefix}{name}[]."))
    return out


@pytest.mark.parametrize("type_id", TYPES)
def test_the_example_company_schema_is_a_superset_of_the_library(type_id: str):
    library = schema(LIBRARY / f"{type_id}.schema.yaml")
    example = schema(ROOT / "records_schema" / f"{type_id}.schema.yaml")
    mine, theirs = fields(library), fields(example)
    missing = sorted(set(mine) - set(theirs))
    assert missing == [], f"records_schema/{type_id}.schema.yaml lacks the library's fields {missing}"
    for name, prop in mine.items():
        if "type" in prop and "type" in theirs[name]:
            assert prop["type"] == theirs[name]["type"], f"{type_id}.{name}: {prop['type']} vs {theirs[name]['type']}"
    assert set(library["x-qms"]["clauses"]) <= set(example["x-qms"]["clauses"])
    assert library["x-qms"]["confidential"] == example["x-qms"]["confidential"]
    assert set(library["x-qms"].get("confidential_fields", [])) <= set(example["x-qms"].get("confidential_fields", []))
    if library["x-qms"]["confidential"]:  # the example publishes nothing the library keeps confidential
        assert set(example["x-qms"]["public_fields"]) - set(library["x-qms"]["public_fields"]) <= set(theirs) - set(mine)


def test_the_library_has_a_record_type_for_everything_iso_9001_asks_to_retain():
    reference = yaml.safe_load((ROOT / "tools/qms/catalogues/iso9001-2015.yaml").read_text(encoding="utf-8"))
    retain = reference["documented_information"]["retain"]
    assert len(retain) == 21
    clauses = {c for t in TYPES for c in schema(LIBRARY / f"{t}.schema.yaml")["x-qms"]["clauses"]}
    uncovered = [item["clause"] for item in retain if item["clause"].split(" ")[0] not in clauses]
    assert uncovered == []


def test_the_library_is_neutral_and_numbered_by_the_company_code():
    for type_id in TYPES:
        text = (LIBRARY / f"{type_id}.schema.yaml").read_text(encoding="utf-8")
        data = schema(LIBRARY / f"{type_id}.schema.yaml", "BWL")
        assert data["properties"]["id"]["pattern"].startswith("^BWL-"), type_id
        assert data["x-qms"]["id_format"].startswith("BWL-"), type_id
        assert "# a default" in text.split("retention:", 1)[1].splitlines()[0], f"{type_id}: retention is a default"
        for word in ("APE-", "Epicor", "medical", "CNC", "gauge number", "machin", "J[0-9]"):
            assert word not in text, f"{type_id}: '{word}' is the example company's, not every company's"
