"""The site's layout at a desktop width (1400 px) and a phone width (400 px), in a real browser: the document
control block is a grid of label/value pairs with every field in view, registers lead with id, status and due
date, and wide tables scroll inside their box with the first column kept in view. Screenshots of each go to
test-output/browser/."""

from __future__ import annotations

import pytest
from browserkit import Tab
from test_browser import PROCEDURE

WIDTHS = (1400, 400)
CALIBRATION = "registers/calibration-status/"
MATRIX = "registers/training-matrix/"


def at_width(tab: Tab, width: int) -> None:  # noqa: F811
    tab.page.set_viewport_size({"width": width, "height": 900})


def in_view(tab: Tab, locator) -> bool:  # noqa: ANN001
    box = locator.bounding_box()
    width = tab.page.viewport_size["width"]
    return box is not None and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= width + 1


def lines_of(locator) -> int:  # noqa: ANN001
    """On how many lines the text of an element is laid out."""
    return locator.evaluate("""el => { const r = document.createRange(); r.selectNodeContents(el);
        return new Set([...r.getClientRects()].filter(c => c.width > 0).map(c => Math.round(c.top))).size; }""")


def no_page_scroll(tab: Tab) -> bool:
    """The page's text column fits the window: nothing of it needs a horizontal scroll of the page."""
    sticking_out = tab.page.evaluate("""() => [...document.querySelectorAll('article *')]
        .filter(e => !e.closest('.md-typeset__scrollwrap, .md-typeset__table') && e.getBoundingClientRect().width > 0
                     && e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className)""")
    assert sticking_out == []
    return True


@pytest.mark.parametrize("width", WIDTHS)
def test_every_field_of_the_control_block_is_in_view(tab: Tab, width: int):  # noqa: F811
    at_width(tab, width)
    tab.goto(PROCEDURE)
    meta = tab.page.locator(".qms-docmeta table")
    labels = meta.locator("th")
    values = meta.locator("td")
    assert labels.count() == values.count() >= 8
    for i in range(labels.count()):
        assert in_view(tab, labels.nth(i)), labels.nth(i).inner_text()
        assert in_view(tab, values.nth(i)), values.nth(i).inner_text()
        # each label sits on the same line as its value, to its left
        lb, vb = labels.nth(i).bounding_box(), values.nth(i).bounding_box()
        assert abs(lb["y"] - vb["y"]) < 2 and lb["x"] < vb["x"]
    assert "Approved by" in meta.inner_text()
    dates = [values.nth(i) for i in range(values.count()) if labels.nth(i).inner_text() in ("Effective", "Approved")]
    tab.screenshot(f"control-block-{width}px", full_page=False)
    for value in dates:  # a date is never broken over two lines
        assert lines_of(value) == 1, value.inner_text()
    assert no_page_scroll(tab)
    tab.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_registers_lead_with_id_status_and_due_date(tab: Tab, width: int):  # noqa: F811
    at_width(tab, width)
    tab.goto(CALIBRATION)
    table = tab.page.locator("article table").first
    headers = table.locator("thead th")
    assert [headers.nth(i).inner_text().strip() for i in range(3)] == ["Equipment", "Status", "Next due"]
    for i in range(3):
        assert in_view(tab, headers.nth(i)), headers.nth(i).inner_text()
    assert no_page_scroll(tab)
    tab.screenshot(f"calibration-register-{width}px")
    tab.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_wide_table_scrolls_in_its_box_and_keeps_its_first_column(tab: Tab, width: int):  # noqa: F811
    at_width(tab, width)
    tab.goto(MATRIX)
    wrapper = tab.page.locator(".qms-matrix .md-typeset__scrollwrap, .qms-matrix .md-typeset__table").first
    box = tab.page.locator(".qms-matrix table").first
    first = box.locator("tbody tr td").first
    scrolls = tab.page.evaluate("el => el.scrollWidth > el.clientWidth", wrapper.element_handle())
    assert no_page_scroll(tab)
    if scrolls:
        tab.page.evaluate("el => { el.scrollLeft = el.scrollWidth; }", wrapper.element_handle())
        left = wrapper.bounding_box()["x"]
        assert tab.page.evaluate("el => el.scrollLeft", wrapper.element_handle()) > 100  # it did scroll
        assert abs(first.bounding_box()["x"] - max(left, 0)) < 2  # the first column stays at the box's edge
        assert in_view(tab, first)
    heads = box.locator("thead th")
    assert heads.count() >= 12  # every document column is there, reachable by scrolling
    tab.screenshot(f"training-matrix-{width}px")
    tab.assert_clean()
