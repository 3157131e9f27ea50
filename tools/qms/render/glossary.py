"""The glossary page: every ISO 9000 term in the standard's order, with an A–Z index of every name.

Each entry shows ISO's number and name, the link to ISO's official entry, our explanation and example (or the
company's, from its glossary.yaml), the Spanish name (marked when it is not verified) and the pages using the term.
The texts come from data files that a pull request can change, so they go through the shared writer like every
other value: nothing in them becomes Markdown, HTML or template syntax.
"""

from __future__ import annotations

import re
from collections import defaultdict

from qms.model.catalogue import Term, Vocabulary
from qms.model.project import Project
from qms.render import paths
from qms.render.writer import SITE as W
from qms.render.writer import Markup

HEADER = "---\nrender_macros: false\nsearch:\n  boost: 0.5\n---\n"  # as pages.GENERATED_HEADER (pages imports us)
INDEX_ANCHOR = "a-z-index"
UNVERIFIED_NOTE = ("A Spanish name marked *unverified* has not yet been checked against the official Spanish "
                   "translation of {standard}: do not quote it as the official term.")
def glossary_pages(project: Project) -> dict[str, str]:
    """The glossary, by docs-relative path."""
    return {paths.GLOSSARY: glossary_page(project)}


def glossary_page(project: Project) -> str:
    """All terms by group, after an A–Z index of every term, second name and word of the company's own."""
    voc = project.vocabulary
    out = [HEADER, f"# Glossary: {voc.name}:{voc.year} vocabulary\n\n",
           f"Every {voc.name} term, explained in our own words for the people who work here, with an example and "
           "the pages of this manual that use it; each entry links to ISO's official definition. Words underlined "
           "with dots in the manual link here and show the explanation when you point at them. Look a word up in "
           f"the [A–Z index](#{INDEX_ANCHOR}), or read the terms below in the standard's order.\n\n"]
    if any(t.es and not t.es_verified for t in voc.terms):
        out.append(UNVERIFIED_NOTE.format(standard=voc.name) + "\n\n")
    out.append(a_to_z(voc))
    by_group: dict[str, list[Term]] = defaultdict(list)
    for term in voc.terms:
        by_group[term.group].append(term)
    groups = dict(voc.groups)
    for group, terms in by_group.items():
        out.append(W.heading(2, f"{group} {groups.get(group, '')}".strip()))
        out.extend(entry(project, term) for term in terms)
    out.append(attribution(voc))
    return "".join(out)


def entry(project: Project, term: Term) -> Markup:
    """One term: heading, facts line, explanation, example and the pages that use it."""
    voc = project.vocabulary
    facts = [W.concat(W.strong(f"{voc.name} {term.number}"), Markup(" · "),
                      W.link("official definition on ISO OBP", term.url))]
    if term.also:
        facts.append(W.concat(Markup("also called: "), W.join(", ", (W.em(a) for a in term.also))))
    if term.company_names:
        facts.append(W.concat(Markup("in our company: "), W.join(", ", (W.em(a) for a in term.company_names))))
    if term.es:
        facts.append(W.concat(Markup("Spanish: " if term.es_verified else "Spanish (unverified): "), W.em(term.es)))
    out = [W.heading(3, term.term, term.anchor), W.paragraph(W.join(" · ", facts)), W.paragraph(term.explanation)]
    if term.example:
        out.append(W.paragraph(W.concat(Markup("*Example:* "), W.text(term.example))))
    users = project.pages_by_term.get(term.number, [])
    if users:
        links = [W.link(page.document.label if page.document else page.src_uri,
                        paths.relative(page.src_uri, paths.GLOSSARY)) for page in users]
        out.append(W.paragraph(W.concat(Markup("Used in: "), W.join(", ", links))))
    return W.concat(*out)


def index_entries(voc: Vocabulary) -> list[tuple[str, Term, str]]:
    """(name, term, kind) for every term, second name and company word, in alphabetical order.

    kind is "term", "also" (a second name in the standard) or "company" (a word of the company's own).
    """
    found = [(t.term, t, "term") for t in voc.terms]
    found += [(name, t, "also") for t in voc.terms for name in t.also]
    found += [(name, t, "company") for t in voc.terms for name in t.company_names]
    return sorted(found, key=lambda item: (_sort_key(item[0]), item[0], item[1].number))


def a_to_z(voc: Vocabulary) -> str:
    """The A–Z index: one paragraph per initial letter, each name linking to its entry."""
    by_letter: dict[str, list[str]] = defaultdict(list)
    for name, term, kind in index_entries(voc):
        link = W.link(name, f"#{term.anchor}")
        if kind == "also":
            link = W.md("{} (see {})", link, W.em(term.term))
        elif kind == "company":
            link = W.md("{} (our word for {})", link, W.em(term.term))
        by_letter[_initial(name)].append(link)
    out = [W.heading(2, "A–Z index", INDEX_ANCHOR)]
    for letter, links in by_letter.items():
        out.append(W.paragraph(W.concat(W.strong(letter), Markup(" · "), W.join(" · ", links))))
    return W.concat(*out)


def _sort_key(name: str) -> str:
    return re.sub(r"[^0-9a-z ]+", "", name.casefold())


def _initial(name: str) -> str:
    key = _sort_key(name).strip()
    return key[:1].upper() if key[:1].isalpha() else "#"


def attribution(voc: Vocabulary) -> str:
    """The copyright line the glossary ends with."""
    return ("\n\n---\n\n"
            f'<p class="qms-attribution">Term numbers and names are cited from {voc.name}:{voc.year}, © ISO. The '
            "explanations and examples are written for this manual and are not ISO text. Read ISO's definitions "
            "on its Online Browsing Platform: each entry links to its own.</p>\n")
