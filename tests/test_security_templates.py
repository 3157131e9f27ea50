"""Code is shown as written, and `qms check` finds the template errors the build would, with how to write `{{`."""

from __future__ import annotations

from pathlib import Path

from conftest import mkdocs_build, page, run

QP01 = "procedures/QP-01-control-of-documented-information.md"
HINT = "to show braces literally, write {{ '{{' }}"


def append(project: Path, text: str) -> int:
    target = project / QP01
    before = target.read_text()
    target.write_text(before + "\n" + text + "\n")
    return before.count("\n") + 2


def test_code_blocks_and_inline_code_are_shown_as_written(new_project: Path):
    append(new_project, "Dear customer:\n\n```text\nDear {{customer_name}},\n{% if x %}{# note #}\n```\n\n"
                        "Write `{{ doc('QP-01') }}` to link a document, or ``{% raw %}``.\n\n"
                        "~~~\n{{ 6 * 7 }}\n~~~\n")
    assert run(["qms", "check"], cwd=new_project).returncode == 0
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output[-2000:]
    html = page(new_project / "site", QP01)
    assert "Dear &#123;&#123;customer_name&#125;&#125;," in html or "Dear {{customer_name}}," in html
    assert "{{ doc(&#39;QP-01&#39;) }}" in html or "{{ doc('QP-01') }}" in html
    assert "{% raw %}" in html
    assert "{{ 6 * 7 }}" in html and ">42<" not in html


def test_an_undefined_placeholder_in_prose_is_found_by_qms_check_with_the_fix(new_project: Path):
    line = append(new_project, "Dear {{customer_name}},")
    check = run(["qms", "check"], cwd=new_project)
    assert check.returncode == 1
    assert f"{QP01}:{line}: 'customer_name' is undefined" in check.output, check.output
    assert HINT in check.output and "{% raw %}" in check.output
    build = mkdocs_build(new_project)
    assert build.returncode != 0
    assert f"{QP01}:{line}:" in build.output and HINT in build.output


def test_a_template_syntax_error_is_found_by_qms_check_at_its_line(new_project: Path):
    line = append(new_project, "Intro.\n\n{% if %}\n")
    check = run(["qms", "check"], cwd=new_project)
    assert check.returncode == 1
    assert f"{QP01}:{line + 2}: template syntax error:" in check.output, check.output
    assert HINT in check.output


def test_names_a_page_may_use_are_not_reported(new_project: Path):
    append(new_project, "{{ config.site_name }} {{ page.meta.id }} {{ title }} "
                        "{% for i in range(2) %}{{ loop.index }}{% endfor %}")
    check = run(["qms", "check"], cwd=new_project)
    assert check.returncode == 0, check.output
