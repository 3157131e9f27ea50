"""The manual printed in parts: its sections laid out apart (in worker processes, see qms.publish.pdfjobs),
each controlled document's own PDF cut from its pages of the manual, the parts joined into one PDF.

Laying out is what costs (WeasyPrint: about a fifth of a second a page, on one core), so every page is laid out
once: a document's PDF is its pages of the manual, not a second layout of the same text. Pages are numbered
within their section ("Page 2 of 5", print.css), so a part can be laid out without knowing how many pages come
before it, and the pages cut for a document carry the document's own numbers.

A link to a section of another part cannot be resolved while that part is laid out: it is written as the URI
`qms-anchor:NAME` and becomes a link inside the PDF when the parts are joined (pypdf), where every part's
named destinations are merged. In a document's own PDF, a link to another section leads to the published
site (`site_url`); without one, to that place in the manual's PDF beside it (`../quality-manual.pdf#nameddest=`,
when the same run writes the manual), else it is left as text.
"""

from __future__ import annotations

import copy
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import quote, urljoin

from qms import files
from qms.publish import pdf

PART_LINK = "qms-anchor:"


@dataclass(frozen=True)
class Cut:
    """A controlled document's own PDF, cut from the section that prints it."""

    section: str  # the section's anchor
    document: str  # its id
    title: str  # the PDF's title
    output: Path
    grouped: bool  # the section sits under a navigation section's outline entry (one level deeper)


@dataclass(frozen=True)
class ManualLink:
    """The manual's PDF as a document's own PDF reaches it: its path from there, and the sections it holds."""

    path: str  # "../quality-manual.pdf"
    sections: frozenset[str]

    def url(self, anchor: str) -> str | None:
        """A link to the place `anchor` names in the manual's PDF; None when the manual does not print it."""
        if pdf.section_of(anchor) not in self.sections:
            return None
        return f"{self.path}#nameddest={quote(anchor)}"


@dataclass(frozen=True)
class Part:
    """Consecutive sections of the manual, laid out together."""

    index: int
    html: str
    sections: tuple[str, ...]  # anchors, in order
    label: str  # what the progress line names: its first and last page
    cuts: tuple[Cut, ...] = ()
    output: Path | None = None  # where its PDF goes (None: only its cuts are wanted)
    cost: int = 0  # about how long it takes to lay out: the length of its HTML


@dataclass(frozen=True)
class Printed:
    """A part laid out: its PDF, its page count, the page each section starts on, the documents cut from it."""

    index: int
    pages: int
    starts: dict[str, int]  # section anchor -> first page within the part, from 0
    written: tuple[Path, ...]
    output: Path | None


def parts_of(pages: Sequence[pdf.SitePage], sections: Sequence[ET.Element], edition: pdf.Edition, count: int,
             cuts: dict[str, Cut], folder: Path | None, title: str, start: int = 0) -> list[Part]:
    """`sections` (the print sections of `pages`) in about `count` parts of about the same size, numbered from
    `start`, each part's links to sections of other parts written as `qms-anchor:` URIs; `folder` gets the
    parts' PDFs (None: only the documents cut from them are written)."""
    texts = [ET.tostring(section, encoding="unicode", method="html") for section in sections]
    groups = balanced([len(t) for t in texts], count)
    owner = {sections[i].get("id", ""): n for n, group in enumerate(groups) for i in group}
    parts = []
    for n, group in enumerate(groups):
        own = [sections[i] for i in group]
        _mark_links_to_other_parts(own, owner, n)
        anchors = tuple(s.get("id", "") for s in own)
        label = pages[group[0]].title if len(group) == 1 else f"{pages[group[0]].title} … {pages[group[-1]].title}"
        parts.append(Part(start + n, pdf.html_document(own, edition, title), anchors, label,
                          tuple(cuts[a] for a in anchors if a in cuts),
                          folder / f"part-{start + n:03d}.pdf" if folder is not None else None,
                          sum(len(texts[i]) for i in group)))
    return parts


def balanced(sizes: Sequence[int], count: int) -> list[list[int]]:
    """The indexes of `sizes` in at most `count` runs of consecutive items of about the same total; one item a
    run when there are no more items than runs."""
    if count >= len(sizes):
        return [[i] for i in range(len(sizes))]
    total = sum(sizes) or 1
    groups: list[list[int]] = [[]]
    size = 0
    for i, item in enumerate(sizes):
        if groups[-1] and size >= total * len(groups) / count and len(groups) < count:
            groups.append([])
        groups[-1].append(i)
        size += item
    return groups


def _mark_links_to_other_parts(sections: list[ET.Element], owner: dict[str, int], part: int) -> None:
    for section in sections:
        for a in section.iter("a"):
            href = a.get("href", "")
            if href.startswith("#") and owner.get(pdf.section_of(href[1:]), part) != part:
                a.set("href", PART_LINK + href[1:])


def print_part(part: Part, edition: pdf.Edition, resources: pdf.Resources, base: Path, targets: dict[str, str],
               manual: ManualLink | None = None) -> Printed:
    """Lay out one part; write its PDF (when wanted) and the PDFs of the documents cut from it (`manual`: the
    manual's PDF from theirs, when this run writes it)."""
    import weasyprint

    shared = resources.load()
    document = weasyprint.HTML(string=part.html, base_url=str(base) + "/").render(
        stylesheets=[shared.css], font_config=shared.fonts, cache=shared.cache)
    starts = _section_starts(document.pages, part.sections)
    if part.output is not None:
        part.output.parent.mkdir(parents=True, exist_ok=True)
        document.write_pdf(part.output, pdf_identifier=False)
    written = []
    for cut in part.cuts:
        first = starts[cut.section]
        later = [starts[a] for a in part.sections if starts.get(a, -1) > first]
        pages = document.pages[first: min(later) if later else len(document.pages)]
        own = document.copy([_page_for_cut(page, cut, targets, edition.site_url, manual) for page in pages])
        own.metadata = copy.copy(document.metadata)
        own.metadata.title = f"{cut.title} — {edition.company}"
        files.write_atomic(cut.output, own.write_pdf(pdf_identifier=False))
        written.append(cut.output)
    return Printed(part.index, len(document.pages), starts, tuple(written), part.output)


def _section_starts(pages: Sequence[Any], sections: Sequence[str]) -> dict[str, int]:
    wanted = set(sections)
    starts: dict[str, int] = {}
    for number, page in enumerate(pages):
        for anchor in page.anchors:
            if anchor in wanted and anchor not in starts:
                starts[anchor] = number
    return starts


def _page_for_cut(page: Any, cut: Cut, targets: dict[str, str], site_url: str | None,
                  manual: ManualLink | None) -> Any:
    """A page of the manual as a page of a document's own PDF: links that leave the document go to the
    published site, else to the manual's PDF, or are dropped; the outline one level up when the document sat
    under a section's entry."""
    own = copy.copy(page)
    own.links = []
    for link in page.links:
        kind, target, rectangle, box = link
        name = target[len(PART_LINK):] if kind == "external" and target.startswith(PART_LINK) else \
            target if kind == "internal" else None
        if name is None or (kind == "internal" and pdf.section_of(name) == cut.section):
            own.links.append(link)
            continue
        url = _site_url(name, targets, site_url) or (manual.url(name) if manual else None)
        if url is not None:
            own.links.append(("external", url, rectangle, box))
    if cut.grouped:
        own.bookmarks = [(level - 1, *rest) for level, *rest in page.bookmarks if level > 1]
    return own


def _site_url(anchor: str, targets: dict[str, str], site_url: str | None) -> str | None:
    if not site_url:
        return None
    if anchor in targets:
        return urljoin(site_url, targets[anchor])
    section = pdf.section_of(anchor)
    if section not in targets:
        return None
    return urljoin(site_url, targets[section]) + "#" + anchor.split("--", 1)[1]


def join(front: bytes, printed: Sequence[Printed], output: Path, title: str, edition: pdf.Edition) -> Path:
    """One PDF of the front matter and the parts, in order, with every `qms-anchor:` link made a link to the
    named destination inside it."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(front)))
    for part in sorted(printed, key=lambda p: p.index):
        assert part.output is not None
        writer.append(PdfReader(part.output))
    for page in writer.pages:
        for ref in page.get("/Annots", None) or []:
            annotation = ref.get_object()
            action = annotation.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if uri.startswith(PART_LINK):
                del annotation[NameObject("/A")]
                annotation[NameObject("/Dest")] = TextStringObject(uri[len(PART_LINK):])
    writer.add_metadata({"/Title": f"{title} — {edition.company}", "/Author": edition.company,
                         "/Subject": f"{edition.title}, {edition.version}", "/Creator": "qms pdf",
                         "/Producer": "qms pdf (WeasyPrint, pypdf)"})
    joined = io.BytesIO()
    writer.write(joined)
    files.write_atomic(output, joined.getvalue())  # a reader never sees half a manual
    return output
