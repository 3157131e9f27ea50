"""Literal macro calls are resolved before Jinja runs, without changing what any page shows."""

from __future__ import annotations

from conftest import ROOT
from qms.config import load_settings
from qms.model.project import load_project
from qms.render.links import Linker, resolve_literal_calls

PROJECT = load_project(load_settings(ROOT / "mkdocs.yml"))
LINKER = Linker(PROJECT)
URI = "procedures/QP-13-control-of-nonconforming-outputs.md"


def resolve(text: str) -> str:
    return resolve_literal_calls(LINKER, text, URI, URI)


def test_a_literal_call_becomes_the_same_link_the_macro_renders():
    expected, problem = LINKER.term("nonconformities", None, URI, URI)
    assert problem is None
    assert resolve("A {{ term('nonconformities') }} here.") == f"A {expected} here."
    assert resolve('{{ doc("QP-04", "the calibration procedure") }}').startswith("[the calibration procedure](")


def test_calls_inside_other_expressions_and_raw_blocks_stay_as_written():
    nested = """`{{ "{{ term('audit') }}" }}`"""
    raw = "{% raw %}{{ clause('8.7') }}{% endraw %}"
    assert resolve(nested) == nested
    assert resolve(raw) == raw


def test_unknown_references_are_left_for_the_template_pass_to_report():
    text = "{{ term('nonconfromity') }} and {{ clause('8.77') }}"
    assert resolve(text) == text


def test_line_count_is_kept_so_errors_keep_their_line_numbers():
    text = "one {{ term('audit') }}\ntwo {{ clause('9.2') }}\nthree {{ t }}\n"
    assert resolve(text).count("\n") == text.count("\n")
