"""The glossary page: every ISO 9000 term in the standard's order, with an A–Z index of every name.

Each entry shows ISO's number and name, the link to ISO's official entry, our explanation and example (or the
company's, from its glossary.yaml), the Spanish name (marked when it is not verified) and the pages using the term.
The texts come from data files that a pull request can change, so they are written as plain text: nothing in
them becomes Markdown or HTML.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

from qms.model.catalogue import Term, Vocabulary
from qms.model.project import Project
from qms.render import paths

HEADER = "---\nrender_macros: false\nsearch:\n  boost: 0.5\n---\n"  # as pages.GENERATED_HEADER (pages imports us)
INDEX_ANCHOR = "a-z-index"
UNVERIFIED_NOTE = ("A Spanish name marked *unverified* has not yet been checked against the official Spanish "
                   "translation of {standard}: do not quote it as the official term.")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")  # characters Python-Markdown lets a backslash escape


def plain(text: str) -> str:
    """Text shown as written: no Markdown, no HTML, one line."""
    return html.escape(_MARKDOWN.sub(r"\\\1", " ".join(text.split())), quote=False)


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
        out.append(f"## {group} {plain(groups.get(group, ''))}\n\n")
        out.extend(entry(project, term) for term in terms)
    out.append(attribution(voc))
    return "".join(out)


def entry(project: Project, term: Term) -> str:
    """One term: heading, facts line, explanation, example and the pages that use it."""
    voc = project.vocabulary
    facts = [f"**{voc.name} {term.number}** · [official definition on ISO OBP]({term.url})"]
    if term.also:
        facts.append("also called: " + ", ".join(f"*{plain(a)}*" for a in term.also))
    if term.company_names:
        facts.append("in our company: " + ", ".join(f"*{plain(a)}*" for a in term.company_names))
    if term.es:
        facts.append(f"Spanish: *{plain(term.es)}*" if term.es_verified else f"Spanish (unverified): *{plain(term.es)}*")
    out = [f"### {plain(term.term)} {{ #{term.anchor} }}\n\n", " · ".join(facts) + "\n\n", f"{plain(term.explanation)}\n\n"]
    if term.example:
        out.append(f"*Example:* {plain(term.example)}\n\n")
    users = project.pages_by_term.get(term.number, [])
    if users:
        links = []
        for page in users:
            label = page.document.label if page.document else page.src_uri
            links.append(f"[{plain(label)}]({paths.relative(page.src_uri, paths.GLOSSARY)})")
        out.append("Used in: " + ", ".join(links) + "\n\n")
    return "".join(out)


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
        link = f"[{plain(name)}](#{term.anchor})"
        if kind == "also":
            link += f" (see *{plain(term.term)}*)"
        elif kind == "company":
            link += f" (our word for *{plain(term.term)}*)"
        by_letter[_initial(name)].append(link)
    out = [f"## A–Z index {{ #{INDEX_ANCHOR} }}\n\n"]
    for letter, links in by_letter.items():
        out.append(f"**{plain(letter)}** · " + " · ".join(links) + "\n\n")
    return "".join(out)


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
