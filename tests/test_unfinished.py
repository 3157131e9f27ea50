"""Unfinished text is found: placeholders, TBD, empty sections, and a body with no substance; code is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from qms.analysis.unfinished import (
    find_unfinished,
    has_substance,
    load_rules,
    word_count,
)
from qms.problems import QMSError

BODY = """\
## Purpose

This procedure describes how <enter role of process owner> approves purchase orders.

## Scope

TBD.

## Responsibilities

## Records

Keep the [insert form number] for XXX years.

```text
<enter customer name> is a field of the letter template, shown here as an example.
```

An inline example: `[placeholder]` stays as it is.
"""


def test_placeholders_and_empty_sections_are_found_with_their_file_lines():
    found = find_unfinished(BODY, first_line=12)
    assert [(u.line, u.kind, u.text) for u in found] == [
        (14, "fill-in", "<enter role of process owner>"),
        (18, "to-be-done", "TBD"),
        (20, "empty-section", "## Responsibilities"),
        (24, "bracketed-placeholder", "[insert form number]"),
        (24, "xxx", "XXX"),
    ]
    problem = found[0].problem("procedures/QP-08-purchasing.md")
    assert str(problem) == ("procedures/QP-08-purchasing.md:14: warning: unfinished text (fill-in): "
                            "'<enter role of process owner>': replace the placeholder with the real text")


def test_a_heading_whose_content_is_its_subsections_is_not_empty():
    assert find_unfinished("## Roles\n\n### Buyer\n\nPlaces orders with approved suppliers only.\n") == []


def test_words_in_identifiers_are_not_placeholders():
    text = "The TBD-2026 board and the XXXL pallet stay; MAX TODOS is a name. Fixture TODO-7 is a part number.\n"
    assert find_unfinished(text) == []


def test_a_body_of_tbd_or_headings_alone_has_no_substance():
    assert not has_substance("TBD.\n")
    assert not has_substance("## Purpose\n\n## Scope\n\n<enter scope here>\n")
    real = ("Purchase orders above 5,000 euros are approved by the operations manager before they are sent; "
            "the buyer checks that the supplier is on the approved list.\n")
    assert has_substance(real)


def test_macro_links_count_with_the_words_they_show():
    text = "{{ term('nonconformities') }} are recorded on {{ doc('F-01', 'the report form') }}."
    assert word_count(text) == 7  # nonconformities are recorded on the report form


def test_rules_are_data_and_a_bad_rules_file_names_its_line(tmp_path: Path):
    rules = tmp_path / "unfinished.yaml"
    rules.write_text("patterns:\n  - name: ours\n    regex: '\\bTK\\b'\n    advice: fill in\nmin_words: 3\n")
    custom = load_rules(rules)
    assert [u.kind for u in find_unfinished("Price TK per unit.\n", rules=custom)] == ["ours"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("patterns:\n  - name: broken\n    regex: '(unclosed'\n")
    with pytest.raises(QMSError) as info:
        load_rules(bad, "unfinished.yaml")
    assert str(info.value).startswith("unfinished.yaml:2: patterns[0].regex: not a regular expression")
