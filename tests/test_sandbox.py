"""Pages from a pull request cannot run code during the build: macros render inside a Jinja sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mkdocs_build, page

PAYLOADS = [
    "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "{{ joiner.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "{{ lipsum.__globals__['os'].popen('touch PWNED').read() }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ ()|attr('__class__')|attr('__base__') }}",
    "{{ term.__globals__['os'].popen('touch PWNED').read() }}",
    "{{ macros.term.__globals__ }}",
    "{{ config.__class__.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "{% set x = cycler.__init__ %}{{ x.__globals__.os.system('touch PWNED') }}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_template_injection_fails_the_build_and_runs_nothing(new_project: Path, payload: str):
    target = new_project / "procedures" / "QP-01-control-of-documented-information.md"
    target.write_text(target.read_text() + f"\n\nInjected: {payload}\n")
    result = mkdocs_build(new_project)
    assert result.returncode != 0, result.output
    assert not (new_project / "PWNED").exists()
    assert "uid=" not in result.output
    assert "procedures/QP-01-control-of-documented-information.md:" in result.output, result.output[-2000:]
    assert any(s in result.output for s in ("blocked by the page sandbox", "is undefined", "has no attribute"))
    assert "Traceback" not in result.output


def test_macros_and_plain_variables_still_work_inside_the_sandbox(new_project: Path):
    target = new_project / "procedures" / "QP-01-control-of-documented-information.md"
    target.write_text(target.read_text() + "\n\nSite: {{ config.site_name }}. {% for i in range(2) %}[{{ i }}]{% endfor %}"
                                           " {{ term('audits') }} {{ clause('9.2') }} {{ doc('QM-01', 'the manual') }}\n")
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    html = page(new_project / "site", "procedures/QP-01-control-of-documented-information.md")
    assert "Site: Testing Widgets Ltd — Quality Manual." in html
    assert "[0][1]" in html
    assert ">audits</a>" in html and ">9.2 Internal audit</a>" in html and ">the manual</a>" in html
