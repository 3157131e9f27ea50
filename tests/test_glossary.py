"""The glossary: a company adapts it in glossary.yaml without forking the catalogue; an A–Z index beside the
order by number; Spanish names marked when they are not verified."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, mkdocs_build, page, run
from qms.model import catalogue

QP = "procedures/QP-01-control-of-documented-information.md"
VOCABULARY = catalogue.load_vocabulary(catalogue.find_catalogue("iso9000-2015"))
ENGINE = {t.term: t for t in VOCABULARY.terms}

OVERLAY = """\
# Our own words for a few ISO 9000 terms.
terms:
  - term: documented information
    explanation: >-
      Everything we keep in the label-press folders (job bags, proofs, press settings) that someone
      must be able to trust: "the current one" or 'the proof' <script>alert(1)</script>.
  - term: "3.6.9"
    example: A reel of 5,000 labels printed with last week's batch code [see](javascript:alert(1)).
    also: [misprint]
    forms: [misprints]
"""


def tooltips(html_text: str) -> dict[str, str]:
    """Glossary anchor -> the tooltip of the term links on a page, as a reader sees it."""
    found = re.findall(r'<a class="qms-term" href="[^"]*#([a-z0-9-]+)" title="([^"]*)">', html_text)
    return {anchor: html.unescape(title) for anchor, title in found}


def as_tooltip(text: str) -> str:
    """A text the way a link title shows it: as written, on one line (quotes and parentheses survive)."""
    return " ".join(text.split())


def entry(glossary_html: str, anchor: str) -> str:
    """The HTML of one glossary entry, from its heading to the next."""
    return glossary_html.split(f'<h3 id="{anchor}"', 1)[1].split("<h3", 1)[0]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def a_to_z(glossary_html: str) -> str:
    return glossary_html.split('<h2 id="a-z-index"', 1)[1].split("<h2", 1)[0]


# --- a company's own words -------------------------------------------------------------------------------------

def test_a_replaced_explanation_reaches_the_glossary_and_every_tooltip_in_a_strict_build(new_project: Path):
    (new_project / "glossary.yaml").write_text(OVERLAY)
    qp = new_project / QP
    qp.write_text(qp.read_text() + "\nA {{ term('misprints') }} is a {{ term('nonconformity') }}: see "
                                   "{{ term('documented information', 'our job bags') }}.\n")
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    site = new_project / "site"
    ours = ("Everything we keep in the label-press folders (job bags, proofs, press settings) that someone must be "
            "able to trust: \"the current one\" or 'the proof' <script>alert(1)</script>.")

    glossary = page(site, "glossary.md")
    info = entry(glossary, "documented-information")
    assert ours in text_of(info)
    assert ENGINE["documented information"].explanation not in text_of(info)
    assert ENGINE["documented information"].example in text_of(info)  # only the explanation was replaced
    nonconformity = text_of(entry(glossary, "nonconformity"))
    assert "A reel of 5,000 labels printed with last week's batch code" in nonconformity
    assert ENGINE["nonconformity"].example not in nonconformity
    assert ENGINE["nonconformity"].explanation in nonconformity
    assert "in our company: misprint" in nonconformity
    assert '<a href="#nonconformity">misprint</a> (our word for <em>nonconformity</em>)' in a_to_z(glossary)
    # the company's text is shown as written: it cannot add markup, scripts or links to the site
    assert "<script>alert" not in glossary and 'href="javascript:' not in glossary

    tips = tooltips(page(site, QP))
    assert tips["documented-information"] == f"documented information (ISO 9000 3.8.6): {as_tooltip(ours)}"
    assert tips["nonconformity"] == f"nonconformity (ISO 9000 3.6.9): {as_tooltip(ENGINE['nonconformity'].explanation)}"
    assert re.search(r'<a class="qms-term" href="\.\./\.\./glossary/#nonconformity" title="[^"]*">misprints</a>',
                     page(site, QP))
    assert "<script>alert" not in page(site, QP)

    model = json.loads(run(["qms", "export"], cwd=new_project).stdout)
    exported = {t["number"]: t for t in model["terms"]}
    assert exported["3.8.6"]["explanation"] == ours and exported["3.8.6"]["adapted"] == ["explanation"]
    assert exported["3.6.9"]["adapted"] == ["example"] and exported["3.6.9"]["company_names"] == ["misprint"]
    assert exported["3.6.9"]["company_forms"] == ["misprints"] and exported["3.1.1"]["adapted"] == []


def test_the_example_company_adapts_examples_and_keeps_the_engine_explanations(example_site: Path):
    glossary = page(example_site, "glossary.md")
    nonconformity = text_of(entry(glossary, "nonconformity"))
    assert "NCR-2026-004" in nonconformity and ENGINE["nonconformity"].example not in nonconformity
    assert ENGINE["nonconformity"].explanation in nonconformity
    tips = tooltips(page(example_site, next(p.relative_to(ROOT).as_posix()
                                            for p in (ROOT / "procedures").glob("QP-13-*.md"))))
    assert tips["nonconformity"] == f"nonconformity (ISO 9000 3.6.9): {as_tooltip(ENGINE['nonconformity'].explanation)}"


def test_every_tooltip_of_the_example_site_is_the_explanation_of_its_term(example_site: Path):
    by_anchor = {t.anchor: t for t in VOCABULARY.terms}
    seen = set()
    for path in example_site.rglob("*.html"):
        for anchor, tip in tooltips(path.read_text(encoding="utf-8")).items():
            term = by_anchor[anchor]
            assert tip == f"{term.term} (ISO 9000 {term.number}): {as_tooltip(term.explanation)}", path
            seen.add(anchor)
    assert len(seen) >= 30


def test_an_unknown_term_in_the_glossary_file_fails_check_and_build_with_its_line(new_project: Path):
    (new_project / "glossary.yaml").write_text(OVERLAY + "  - term: nonconfromity\n    example: A label.\n")
    expected = ("glossary.yaml:11: terms[2].term: unknown ISO 9000 term 'nonconfromity' (did you mean "
                "'nonconformity'")
    check = run(["qms", "check"], cwd=new_project)
    assert check.returncode == 1 and expected in check.stdout, check.output
    build = mkdocs_build(new_project)
    assert build.returncode == 1 and expected in build.output, build.output[-3000:]
    assert "Traceback" not in check.output + build.output


@pytest.mark.parametrize("text,expected", [
    ("terms:\n  - term: audit\n    example: [unclosed\n", "glossary.yaml:4: invalid YAML"),
    ("- term: audit\n  example: x\n", "glossary.yaml:1: the glossary file must be a YAML mapping with a list of 'terms:'"),
    ("terms: audit\n", "glossary.yaml:1: terms: 'audit' is not of type 'array'"),
    ("terms:\n  - term: audit\n    explanation: [one, two]\n", "glossary.yaml:3: terms[0].explanation: must be of type string"),
    ("terms:\n  - term: audit\n    explanation: \"  \"\n", "glossary.yaml:3: terms[0].explanation: '  ' does not match"),
    ("terms:\n  - term: audit\n    exampel: x\n", "glossary.yaml:3: terms[0]: unknown field(s) 'exampel'"),
    ("term:\n  - term: audit\n", "glossary.yaml:1: unknown field(s) 'term'"),
    ("terms:\n  - example: x\n", "glossary.yaml:2: terms[0].term: missing — add `term: nonconformity`"),
    ("terms:\n  - term: audit\n    example: x\n    example: y\n",
     "glossary.yaml:4: invalid YAML: 'example' is given twice (first on line 3): keep only one"),
    ("terms:\n  - term: audit\n    example: x\n  - term: audits\n    example: y\n",
     "glossary.yaml:4: terms[1].term: 3.13.1 audit is already adapted on line 2"),
    ("terms:\n  - term: audit\n", "glossary.yaml:2: terms[0]: 'audit' changes nothing"),
    ("terms:\n  - term: audit\n    also:\n      - release\n",
     "glossary.yaml:4: terms[0].also[0]: 'release' already links to 3.12.7 release: a word can link to one term only"),
    ("terms:\n  - term: audit\n    also: [check-up]\n  - term: review\n    forms: [Check-up]\n",
     "glossary.yaml:5: terms[1].forms[0]: 'Check-up' is already given for audit on line 2"),
    ("terms:\n  - term: 3.6.99\n    example: x\n", "glossary.yaml:2: terms[0].term: unknown ISO 9000 term '3.6.99' "
                                                  "(did you mean '3.6.9'"),
])
def test_a_broken_glossary_file_is_a_plain_message_with_file_and_line(new_project: Path, text: str, expected: str):
    (new_project / "glossary.yaml").write_text(text)
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 1, result.output
    assert expected in result.stdout, result.stdout
    assert "Traceback" not in result.output


def test_a_glossary_file_that_is_not_utf8_is_a_plain_message(new_project: Path):
    (new_project / "glossary.yaml").write_bytes("terms:\n  - term: audit\n    example: Caf\xe9\n".encode("latin-1"))
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 1 and "glossary.yaml: not UTF-8 text" in result.stdout, result.output


def test_a_word_already_linking_to_the_same_term_is_only_a_warning_and_an_empty_file_is_fine(new_project: Path):
    glossary = new_project / "glossary.yaml"
    glossary.write_text("terms:\n  - term: audit\n    forms: [audits, spot checks]\n")
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 0, result.output
    assert "glossary.yaml:3: warning: terms[0].forms[0]: 'audits' already links to audit: remove it" in result.stdout
    glossary.write_text("# nothing adapted yet\n")
    result = run(["qms", "check"], cwd=new_project)
    assert result.returncode == 0 and "glossary.yaml" not in result.output, result.output


# --- the A–Z index and the Spanish names ----------------------------------------------------------------------

def test_the_a_to_z_index_lists_every_term_and_second_name_linking_to_its_entry(example_site: Path):
    glossary = page(example_site, "glossary.md")
    index = a_to_z(glossary)
    links = re.findall(r'<a href="#([a-z0-9-]+)">([^<]+)</a>', index)
    names = [html.unescape(name) for _, name in links]
    expected = [t.term for t in VOCABULARY.terms] + [a for t in VOCABULARY.terms for a in t.also]
    assert sorted(names) == sorted(expected)
    assert names == sorted(names, key=lambda n: re.sub(r"[^0-9a-z ]+", "", n.casefold()))  # alphabetical
    ids = set(re.findall(r'id="([^"]+)"', glossary))
    by_name = {n: t for t in VOCABULARY.terms for n in (t.term, *t.also)}
    for anchor, name in links:
        assert anchor in ids and anchor == by_name[html.unescape(name)].anchor, name
    assert '<a href="#interested-party">stakeholder</a> (see <em>interested party</em>)' in index
    letters = re.findall(r"<p><strong>([A-Z#])</strong>", index)
    assert letters == sorted(letters) and {"A", "C", "Q", "V"} <= set(letters)
    # the index sits before the terms in the standard's order, and the introduction links to it
    assert glossary.index('id="a-z-index"') < glossary.index('<h3 id="top-management"')
    assert 'href="#a-z-index"' in glossary.split('id="a-z-index"', 1)[0]


def test_spanish_names_not_yet_verified_are_marked_so(example_site: Path):
    glossary = page(example_site, "glossary.md")
    assert "Spanish (unverified): <em>ensayo</em>" in entry(glossary, "test")
    assert "Spanish (unverified): <em>contratar externamente</em>" in entry(glossary, "outsource")
    assert "Spanish (unverified): <em>programa de la auditoría</em>" in entry(glossary, "audit-programme")
    assert "Spanish: <em>no conformidad</em>" in entry(glossary, "nonconformity")
    assert "Spanish" not in entry(glossary, "quality-management-system-consultant")  # no Spanish name known
    assert glossary.count("Spanish (unverified)") == 3
    assert "has not yet been checked against the official Spanish translation" in glossary
