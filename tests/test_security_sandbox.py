"""A page cannot change what other pages show, and cannot make the build hang or run out of memory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import mkdocs_build, page, run

QP01 = "procedures/QP-01-control-of-documented-information.md"


def add_to_page(project: Path, text: str, rel: str = QP01) -> int:
    """Append `text` to a page; returns the line it starts on."""
    target = project / rel
    before = target.read_text()
    target.write_text(before + "\n\n" + text + "\n")
    return before.count("\n") + 3


MUTATIONS = [
    "{{ navigation.items.clear() }}",
    "{% for p in navigation.pages %}{{ p.__setattr__('title', 'HACKED') }}{% endfor %}",
    "{{ config.extra.status.update({'draft': '\"><script>alert(1)</script>'}) }}",
    "{{ config.extra.update({'x': 1}) }}",
    "{{ extra.status.update({'draft': 'HACKED'}) }}",
    "{{ status.update({'draft': 'HACKED'}) }}",
    "{{ files.documentation_pages().clear() }}",
    "{{ page.meta.update({'title': 'HACKED'}) }}",
    "{{ context() }}",
    "{{ plugin }}",
    "{{ git }}",
    "{{ environment }}",
]


@pytest.mark.parametrize("payload", MUTATIONS)
def test_a_page_cannot_change_shared_build_state(new_project: Path, payload: str):
    line = add_to_page(new_project, payload)
    result = mkdocs_build(new_project)
    assert result.returncode != 0, result.output
    assert f"{QP01}:{line}:" in result.output, result.output[-2000:]
    assert "Traceback" not in result.output
    assert "HACKED" not in result.output


def test_a_page_still_reads_its_own_title_its_meta_and_the_site_settings(new_project: Path):
    add_to_page(new_project, "Page: {{ page.meta.id }} / {{ config.site_name }} / {{ config.extra.status.draft }}"
                             " / {{ [3, 1, 2] | sort | join(',') }} / {{ {'a': 1}.items() | list | length }}")
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    html = page(new_project / "site", QP01)
    assert "Page: QP-01 / Testing Widgets Ltd — Quality Manual / Draft: not yet in force / 1,2,3 / 1" in html


def test_a_document_title_holding_template_syntax_is_shown_as_written(new_project: Path):
    target = new_project / QP01
    text = target.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    target.write_text(text.replace(title, "title: \"Control {{ 6*7 }} {# x #} {{ navigation.items.clear() or '' }}\""))
    add_to_page(new_project, "See {{ doc('QP-01') }}.", "docs/manual/QM-01-quality-manual.md")
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    html = page(new_project / "site", "manual/QM-01-quality-manual.md")
    assert "42" not in html.split("See", 1)[1][:400]
    assert "Control &#123;&#123; 6*7 &#125;&#125;" in html or "Control {{ 6*7 }}" in html
    assert "navigation.items.clear()" in html  # shown, not run: the navigation is still there
    assert 'class="md-nav__link"' in html


DOS = [
    ("{{ 10**(10**8) }}", "too large a number"),
    ("{{ 'x' * 10**10 }}", "makes more than"),
    ("{{ [0] * 10**9 }}", "makes more than"),
    ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", "took more than"),
    ("{% for a in range(100000) %}{% for b in range(100000) %}xxxxxxxxxxxxxxxx{% endfor %}{% endfor %}",
     "more than"),
    ("{{ '%0999999999d' % 1 }}", "width"),
    ("{{ '{:999999999}'.format(1) }}", "width"),
    ("{{ 'x' | center(10**9) }}", "too wide"),
    ("{{ 'x' | indent(10**9) }}", "too wide"),
]


@pytest.mark.realclock  # the 5-second budget is a timer; libfaketime (make test-clock) stops it from firing
@pytest.mark.parametrize("payload,reason", DOS)
def test_a_page_that_would_hang_or_exhaust_the_build_fails_within_seconds(new_project: Path, payload: str,
                                                                         reason: str):
    line = add_to_page(new_project, payload)
    started = time.monotonic()
    result = mkdocs_build(new_project)
    assert time.monotonic() - started < 40
    assert result.returncode != 0, result.output
    assert f"{QP01}:{line}: the page does too much work:" in result.output, result.output[-2000:]
    assert reason in result.output
    assert "Traceback" not in result.output and "MemoryError" not in result.output
    started = time.monotonic()
    check = run(["qms", "check"], cwd=new_project, timeout=60)  # it parses the page, never computes it
    assert time.monotonic() - started < 30 and "Traceback" not in check.output
