"""The quality manual as PDF: the pages of the built site, assembled into print documents and rendered by WeasyPrint.

The built site is the manual as its readers see it (macros resolved, metadata blocks, revision histories,
registers), so the PDF is made from its HTML: every page in the site's navigation order (each page's
`<link rel="next">`), behind a cover and a table of contents, with a running header (document id, title,
revision) and footer (company, "uncontrolled when printed" with the print date, page X of Y) on every page.
The project model supplies each document's id and revision. Nothing here imports MkDocs.

Links between pages in the PDF become links inside it; a link to a page left out (a clause page) goes to the
table row that lists that page, else to the published site when `site_url` is set, else it is shown as text.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import os
import posixpath
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import tinyhtml5
import tinyhtml5.inputstream

from qms import files, package
from qms.config import read_mkdocs_yml
from qms.history.git import GIT_ENV
from qms.model.documents import Document
from qms.model.project import Project
from qms.render import formats
from qms.site.source import Source

log = logging.getLogger(__name__)

PRINT_CSS = package.ASSETS / "print.css"
MANUAL_FILE = "quality-manual.pdf"
DOCUMENTS_DIR = "documents"
WIDE_TABLE_COLUMNS = 10  # a page holding a table this wide is printed in landscape
VERY_WIDE_TABLE_COLUMNS = 20  # and this wide, with equal columns whose words may break (the training matrix)
_DROP = {"script", "style", "form", "input", "button", "noscript", "template"}
_DROP_CLASSES = {"headerlink", "md-source-file", "md-content__button", "md-feedback", "md-top", "md-dialog",
                 "md-annotation__index"}
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
END_MARK = "--qms-pdf-end"  # the id suffix of the empty element that ends each print section


# ----------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Edition:
    """Which manual a PDF shows: company, the commit and date it was built from, its status, the print date."""

    company: str
    title: str
    printed: dt.date
    commit: str | None = None
    commit_date: str | None = None
    branch: str | None = None
    dirty: bool = False
    site_url: str | None = None
    document_counts: tuple[tuple[str, int], ...] = ()
    printed_label: str = ""  # the print date as the manual writes dates (its date_format); ISO when empty

    @property
    def printed_text(self) -> str:
        return self.printed_label or self.printed.isoformat()

    @property
    def version(self) -> str:
        """'commit 1a2b3c4 of 2026-11-26', or why there is none."""
        if not self.commit:
            return "not under version control (no git commit)"
        text = f"commit {self.commit} of {self.commit_date}"
        if self.branch:
            text += f" (branch {self.branch})"
        return text + (", with uncommitted changes" if self.dirty else "")

    @property
    def short_version(self) -> str:
        return "working copy" if not self.commit else self.commit + ("+changes" if self.dirty else "")

    @property
    def status(self) -> str:
        """Issued when built from a clean commit; a draft otherwise."""
        if not self.commit:
            return "Draft: not built from a git commit, so not an issued edition"
        if self.dirty:
            return "Draft: built with uncommitted changes, so not an issued edition"
        return "Issued: built from a committed version of the manual"

    @property
    def documents_line(self) -> str:
        total = sum(n for _, n in self.document_counts)
        parts = ", ".join(f"{n} {status}" for status, n in self.document_counts)
        return f"{total} controlled documents" + (f": {parts}" if parts else "")


@dataclass(frozen=True)
class SitePage:
    """One page of the built site, as it goes into a PDF."""

    url: str  # site-relative: "" for the home page, "procedures/QP-09-x/" (or "…/x.html")
    path: Path  # the HTML file
    title: str
    section: str  # the navigation section it is listed under, "" at the top level
    document: Document | None = None
    revision: str | None = None  # a superseded revision of `document` this page shows (see write_past_revision)

    @property
    def anchor(self) -> str:
        """Id of the page's section in a PDF."""
        return "p-" + (re.sub(r"[^a-z0-9]+", "-", self.url.lower()).strip("-") or "home")

    @property
    def header_id(self) -> str:
        return self.document.id if self.document else ""

    @property
    def header_title(self) -> str:
        return self.document.title if self.document else self.title

    @property
    def header_revision(self) -> str:
        if self.document and self.revision is not None:
            return f"Revision {self.revision} (superseded)"
        return f"Revision {self.document.revision}" if self.document else ""


@dataclass
class _Links:
    """Where each site URL lands inside one PDF."""

    pages: dict[str, SitePage]
    site_url: str | None
    rows: dict[str, str] = field(default_factory=dict)  # url of a page left out -> id of the row listing it


# ----------------------------------------------------------------------------------------------
# The edition: git and the project


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60,
                              env={**os.environ, **GIT_ENV})
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def read_edition(project: Project, printed: dt.date, built: Source | None = None) -> Edition:
    """The edition of the manual in the project's working tree: HEAD's commit and date, and whether it is clean.
    `built`, what the printed site was made from, says whether it is clean: any change from the commit, a new
    file included, makes a draft (the pages show it)."""
    root = project.settings.root
    raw = read_mkdocs_yml(project.settings.config_file)
    site_url = str(raw["site_url"]).rstrip("/") + "/" if raw.get("site_url") else None
    counts: dict[str, int] = {}
    for doc in project.documents.values():
        counts[doc.status] = counts.get(doc.status, 0) + 1
    order = {"effective": 0, "draft": 1, "obsolete": 2}
    base = dict(company=project.organization.name, title=project.settings.site_name, printed=printed,
                site_url=site_url, printed_label=formats.day(project.settings, printed),
                document_counts=tuple(sorted(counts.items(), key=lambda kv: (order.get(kv[0], 9), kv[0]))))
    head = _git(root, "log", "-1", "--format=%h%x00%cs")
    if not head:
        return Edition(**base)
    commit, date = head.split("\x00")
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    if built is not None:
        dirty = built.changes is not None
    else:
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no", "--", "."))
    return Edition(**base, commit=commit, commit_date=date, branch=None if branch in (None, "HEAD") else branch,
                   dirty=dirty)


# ----------------------------------------------------------------------------------------------
# The built site


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _CharsUntilPatterns(dict):
    """tinyhtml5's cache of the patterns its tokenizer scans with (`characters_until_regex`) stores each pattern
    under the compiled pattern instead of the characters it was made for (tinyhtml5 2.1.0,
    `HTMLUnicodeInputStream.chars_until`), so it never hits, and every scan builds its pattern again: about a
    third of the time of parsing the site's pages, in `qms pdf` and in WeasyPrint alike. A dict that makes a
    missing pattern itself, the same way, makes the cache work."""

    def __missing__(self, key: tuple) -> re.Pattern:
        characters, opposite = key
        pattern = "".join(f"\\x{ord(c):02x}" for c in characters)
        compiled = re.compile(f"[{pattern}]+" if opposite else f"[^{pattern}]+")
        self[key] = compiled
        return compiled


if not isinstance(tinyhtml5.inputstream.characters_until_regex, _CharsUntilPatterns):
    tinyhtml5.inputstream.characters_until_regex = _CharsUntilPatterns()


def parse_html(path: Path) -> ET.Element:
    """A built page as an ElementTree without namespaces (SVG and MathML tags keep their local names)."""
    return _parsed(path.read_bytes())


_ARTICLE_START = re.compile(rb'<article\b[^>]*\bclass="md-content__inner\b')


def parse_page(path: Path) -> ET.Element:
    """What printing needs of a built page, parsed: its head (title, the next page's link) and its article.
    The navigation, header and footer around them are three quarters of a page of the theme, the same on
    every page; parsing them for each of some ninety pages took most of `qms pdf`'s time before its workers
    could start. A page without the theme's article is parsed whole."""
    data = path.read_bytes()
    head = data.find(b"</head>")
    start = _ARTICLE_START.search(data, max(head, 0))
    end = data.rfind(b"</article>")
    if head < 0 or start is None or end < start.start():
        return _parsed(data)
    return _parsed(data[:head] + b"</head><body>" + data[start.start():end + len(b"</article>")] + b"</body></html>")


def _parsed(data: bytes) -> ET.Element:
    root = tinyhtml5.parse(data, namespace_html_elements=False)
    for el in root.iter():
        el.tag = _local(el.tag) or el.tag
        for key in [k for k in el.attrib if k.startswith("{")]:
            value = el.attrib.pop(key)
            name = _local(key)
            el.set("xlink:href" if name == "href" and "xlink" in key else name, value)
    return root


def _classes(el: ET.Element) -> set[str]:
    return set((el.get("class") or "").split())


def _find(root: ET.Element, tag: str, cls: str | None = None) -> ET.Element | None:
    return next(_find_all(root, tag, cls), None)


def _find_all(root: ET.Element, tag: str, cls: str | None = None) -> Iterator[ET.Element]:
    for el in root.iter(tag):
        if cls is None or cls in _classes(el):
            yield el


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def url_of(site: Path, html: Path) -> str:
    """Site-relative URL of a built page: 'procedures/QP-09-x/' for procedures/QP-09-x/index.html."""
    rel = html.relative_to(site).as_posix()
    return rel[: -len("index.html")] if rel == "index.html" or rel.endswith("/index.html") else rel


def _normalise(url: str) -> str:
    url = url.lstrip("/")
    return url[: -len("index.html")] if url == "index.html" or url.endswith("/index.html") else url


def page_urls_of_document(doc: Document) -> tuple[str, str]:
    """The URLs a document's page has with and without directory URLs."""
    stem = doc.src_uri[: -len(".md")] if doc.src_uri.endswith(".md") else doc.src_uri
    if stem == "index" or stem.endswith("/index"):
        folder = stem[: -len("index")]
        return folder, folder + "index.html"
    return stem + "/", stem + ".html"


def navigation_sections(home: ET.Element) -> dict[str, str]:
    """URL -> title of the navigation section that lists it, read from the primary navigation of a page."""
    nav = next((n for n in _find_all(home, "nav", "md-nav--primary")), None)
    sections: dict[str, str] = {}
    if nav is None:
        return sections

    def walk(el: ET.Element, section: str) -> None:
        for child in el:
            if "md-nav--secondary" in _classes(child):  # a page's own table of contents
                continue
            if child.tag == "li" and "md-nav__item--nested" in _classes(child):
                nested = next((c for c in child if c.tag == "nav"), None)
                if nested is not None and nested.get("data-md-level") == "1":  # a top-level section, index included
                    walk(child, _text(_find(nested, "label", "md-nav__title")))
                    continue
            if child.tag == "a" and "md-nav__link" in _classes(child) and child.get("href"):
                sections.setdefault(_normalise(urljoin("/", child.get("href", ""))[1:]), section)
            walk(child, section)

    walk(nav, "")
    return sections


def site_pages(site: Path, project: Project, trees: dict[Path, ET.Element] | None = None) -> list[SitePage]:
    """Every page of the built site's navigation, in its order, from the home page along `<link rel="next">`;
    each page's parsed HTML goes into `trees` when given, so that it is parsed once."""
    home = site / "index.html"
    if not home.is_file():
        raise FileNotFoundError(f"{home}: no built site here; build it first with 'mkdocs build'")
    docs: dict[str, Document] = {}
    for doc in project.documents.values():
        for url in page_urls_of_document(doc):
            docs[url] = doc
    sections = navigation_sections(parse_html(home))
    pages: list[SitePage] = []
    seen: set[Path] = set()
    path: Path | None = home
    while path is not None and path.is_file() and path.resolve() not in seen:
        seen.add(path.resolve())
        tree = parse_page(path)
        if trees is not None:
            trees[path] = tree
        url = url_of(site, path)
        article = _find(tree, "article", "md-content__inner")
        h1 = _find(article, "h1") if article is not None else None
        if h1 is not None:
            h1 = copy.deepcopy(h1)
            _clean(h1)
        title = _text(h1) or _text(_find(tree, "title")).split(" - ")[0]
        pages.append(SitePage(url, path, title, sections.get(url, ""), docs.get(url)))
        nxt = next((link.get("href") for link in _find_all(tree, "link") if link.get("rel") == "next"), None)
        path = path_of(site, url, nxt) if nxt and not _EXTERNAL.match(nxt) else None
    return pages


def path_of(site: Path, from_url: str, href: str) -> Path:
    """The HTML file a relative link of the page at `from_url` points to."""
    url = _resolve(from_url, href)[0]
    target = site / url
    return target / "index.html" if url == "" or url.endswith("/") else target


def _resolve(from_url: str, href: str) -> tuple[str, str]:
    """(site-relative URL, fragment) of a relative link on the page at `from_url`."""
    parts = urlsplit(urljoin("/" + from_url, href))
    return _normalise(posixpath.normpath(parts.path) + ("/" if parts.path.endswith("/") else "")
                      if parts.path not in ("", "/") else ""), parts.fragment


# ----------------------------------------------------------------------------------------------
# Assembling one print document


def _remove(parent: ET.Element, child: ET.Element) -> None:
    """Remove `child`, keeping the text that follows it."""
    index = list(parent).index(child)
    if child.tail:
        if index:
            prev = parent[index - 1]
            prev.tail = (prev.tail or "") + child.tail
        else:
            parent.text = (parent.text or "") + child.tail
    parent.remove(child)


def _unwrap(parent: ET.Element, child: ET.Element) -> None:
    """Replace `child` by its content (a link shown as text)."""
    index = list(parent).index(child)
    span = ET.Element("span", {"class": "qms-pdf-unlinked"})
    span.text, span.tail = child.text, child.tail
    span.extend(list(child))
    parent[index] = span


def _clean(article: ET.Element) -> None:
    """Drop what only works on screen: scripts, permalinks, edit buttons; open collapsed blocks."""
    for parent in list(article.iter()):
        for child in list(parent):
            if child.tag in _DROP or _classes(child) & _DROP_CLASSES:
                _remove(parent, child)
    for details in article.iter("details"):
        details.set("open", "open")


def _mermaid(article: ET.Element) -> None:
    """Diagrams drawn by JavaScript on screen: in print, their boxes and arrows as a list, with a pointer online."""
    for parent in list(article.iter()):
        for i, child in enumerate(list(parent)):
            if "mermaid" not in _classes(child):
                continue
            source = "".join(child.itertext())
            figure = ET.Element("div", {"class": "qms-pdf-diagram"})
            title = ET.SubElement(figure, "p", {"class": "qms-pdf-diagram-title"})
            title.text = "Diagram (drawn in the online manual). Its boxes and connections:"
            ET.SubElement(figure, "pre").text = describe_diagram(source)
            figure.tail = child.tail
            parent[i] = figure


_SHAPE = re.compile(r"^([A-Za-z0-9_]+)\s*(?:(?:\(\[|\[\[|\[\(|\(\(|\[|\(|\{\{|\{|>)(.+?)"
                    r"(?:\]\)|\]\]|\)\]|\)\)|\]|\)|\}\}|\}))?\s*$")
_ARROW = re.compile(r"\s*(?:-->|---|-\.->|==>|--\s[^-]+?\s-->)\s*(?:\|([^|]*)\|)?\s*")


def describe_diagram(source: str) -> str:
    """A mermaid flowchart as readable text: its groups with their boxes, then 'A → B' for each arrow."""
    labels: dict[str, str] = {}
    lines_out: list[str] = []
    edges: list[tuple[str, str, str]] = []

    def node(text: str, listed: bool) -> str | None:
        match = _SHAPE.match(text.strip())
        if not match:
            return None
        if match.group(2):
            labels[match.group(1)] = match.group(2).strip().strip('"')
            if listed:
                lines_out.append(f"  - {labels[match.group(1)]}")
        return match.group(1)

    for raw in source.splitlines():
        line = raw.strip().rstrip(";")
        if not line or line.startswith(("%%", "direction", "classDef", "class ", "style ", "linkStyle", "click ")) \
                or re.match(r"^(flowchart|graph)\b", line):
            continue
        if line.startswith("subgraph"):
            match = re.match(r"subgraph\s+(\S+?)\s*\[(.+)\]\s*$", line) or re.match(r"subgraph\s+((.+))$", line)
            if match:
                labels[match.group(1)] = match.group(2).strip().strip('"')
            lines_out.append(labels[match.group(1)] + ":" if match else line)
            continue
        if line == "end":
            lines_out.append("")
            continue
        parts = _ARROW.split(line)
        if len(parts) == 1:
            node(line, listed=True)
            continue
        ids = [node(part, listed=False) for part in parts[0::2]]
        for i, label in enumerate(parts[1::2]):
            if ids[i] and ids[i + 1]:
                edges.append((ids[i], (label or "").strip(), ids[i + 1]))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines_out)).strip("\n")
    if edges:
        arrows = [f"{labels.get(a, a)} → {labels.get(b, b)}" + (f" ({label})" if label else "") for a, label, b in edges]
        text += ("\n\n" if text else "") + "Connections:\n" + "\n".join(f"  {a}" for a in arrows)
    return text or source.strip()


def _docmeta_in_pairs(article: ET.Element) -> None:
    """The document control block (one header row, one value row) as label-value pairs, two pairs a row:
    on a portrait page its many columns would otherwise squeeze every value into a narrow cell."""
    for block in _find_all(article, "div", "qms-docmeta"):
        table = _find(block, "table")
        rows = list(table.iter("tr")) if table is not None else []
        if table is None or len(rows) != 2:
            continue
        labels = [c for c in rows[0] if c.tag in ("th", "td")]
        values = [c for c in rows[1] if c.tag in ("th", "td")]
        if len(labels) != len(values):
            continue
        pairs = ET.Element("table", {"class": "qms-pdf-meta"})
        body = ET.SubElement(pairs, "tbody")
        for i in range(0, len(labels), 2):
            tr = ET.SubElement(body, "tr")
            for label, value in zip(labels[i:i + 2], values[i:i + 2]):
                th = copy.deepcopy(label)
                th.tag, th.tail = "th", None
                th.set("scope", "row")
                td = copy.deepcopy(value)
                td.tag, td.tail = "td", None
                tr.extend([th, td])
        for parent in list(block.iter()):
            if table in list(parent):
                index = list(parent).index(table)
                pairs.tail = table.tail
                parent[index] = pairs
                break


def _prefix_ids(article: ET.Element, page: SitePage) -> None:
    for el in article.iter():
        if el.get("id"):
            el.set("id", f"{page.anchor}--{el.get('id')}")


def _row_anchors(article: ET.Element, page: SitePage, links: _Links) -> None:
    """Give ids to the table rows that list a page the PDF leaves out, and remember the first row for each."""
    count = 0
    for row in article.iter("tr"):
        cell = next((c for c in row if c.tag in ("td", "th")), None)
        anchor = _find(cell, "a") if cell is not None else None
        href = anchor.get("href") if anchor is not None else None
        if not href or _EXTERNAL.match(href) or href.startswith("#"):
            continue
        url, fragment = _resolve(page.url, href)
        if fragment or url in links.pages:
            continue
        if not row.get("id"):
            count += 1
            row.set("id", f"row-{count}")
        links.rows.setdefault(url, f"{page.anchor}--{row.get('id')}")


def _rewrite_links(article: ET.Element, page: SitePage, links: _Links, site: Path) -> None:
    """Links to pages in the PDF point inside it; others go to the published site, or become text."""
    for parent in list(article.iter()):
        for child in list(parent):
            if child.tag == "a" and child.get("href") is not None:
                _rewrite_link(parent, child, page, links)
            elif child.tag in ("img", "source") and child.get("src") and not _EXTERNAL.match(child.get("src", "")):
                url, _ = _resolve(page.url, child.get("src", ""))
                child.set("src", (site / url).resolve().as_uri())


def _rewrite_link(parent: ET.Element, a: ET.Element, page: SitePage, links: _Links) -> None:
    href = a.get("href", "")
    if _EXTERNAL.match(href):
        return
    if href.startswith("#"):
        a.set("href", f"#{page.anchor}--{href[1:]}" if href[1:] else f"#{page.anchor}")
        return
    url, fragment = _resolve(page.url, href)
    target = links.pages.get(url)
    if target is not None:
        a.set("href", f"#{target.anchor}--{fragment}" if fragment else f"#{target.anchor}")
    elif url in links.rows:
        a.set("href", "#" + links.rows[url])
    elif links.site_url:
        a.set("href", urljoin(links.site_url, url) + (f"#{fragment}" if fragment else ""))
    else:
        _unwrap(parent, a)


def _columns(article: ET.Element) -> int:
    widest = 0
    for table in article.iter("table"):
        row = next(table.iter("tr"), None)
        if row is not None:
            widest = max(widest, sum(int(c.get("colspan", "1") or 1) for c in row if c.tag in ("td", "th")))
    return widest


def page_article(page: SitePage, tree: ET.Element | None = None) -> ET.Element:
    """A site page's article, without what only works on screen (`tree`: the page already parsed)."""
    tree = tree if tree is not None else parse_page(page.path)
    article = _find(tree, "article", "md-content__inner")
    if article is None:
        article = _find(tree, "main") or ET.Element("div")
    _clean(article)
    _mermaid(article)
    _docmeta_in_pairs(article)
    if _find(article, "h1") is None:
        h1 = ET.Element("h1")
        h1.text = page.title
        article.insert(0, h1)
    return article


def page_section(page: SitePage, article: ET.Element, links: _Links, site: Path) -> ET.Element:
    """One site page as a print section, its ids and links made local to the PDF."""
    _prefix_ids(article, page)
    _rewrite_links(article, page, links, site)
    classes = ["qms-pdf-page", "md-typeset"]
    if page.document is not None:
        classes.append("qms-pdf-document")
    columns = _columns(article)
    if columns >= WIDE_TABLE_COLUMNS or _find(article, "div", "qms-print-landscape") is not None:
        classes.append("qms-pdf-wide")
    if columns >= VERY_WIDE_TABLE_COLUMNS:
        classes.append("qms-pdf-very-wide")
    section = ET.Element("section", {
        "class": " ".join(classes), "id": page.anchor,
        "data-doc-id": page.header_id, "data-doc-title": page.header_title,
        "data-doc-revision": page.header_revision,
    })
    section.text = article.text
    section.extend(list(article))
    return _numbered(section)


def _numbered(section: ET.Element) -> ET.Element:
    """Pages numbered within their section ("Page 2 of 5"): the section names its last point, whose page
    number is the section's page count (print.css: a page group per section, `target-counter` into a string)."""
    end = f"{section.get('id')}{END_MARK}"
    section.set("data-end", f"#{end}")
    section.append(_el("span", "", id=end, class_="qms-pdf-end"))
    return section


def section_of(anchor: str) -> str:
    """The id of the section holding an anchor: 'p-glossary' for 'p-glossary--nonconformity'."""
    return anchor.split("--", 1)[0]


def _el(tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.Element(tag, {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()})
    el.text = text
    return el


def cover(edition: Edition, subtitle: str, title: str = "Quality Manual") -> ET.Element:
    """The cover: company, title, manual version (commit and date), status, print date."""
    section = _el("section", class_="qms-pdf-cover", id="cover", data_doc_id="", data_doc_title=title,
                  data_doc_revision=f"Edition {edition.short_version}")
    section.append(_el("p", edition.company, class_="qms-pdf-company"))
    section.append(_el("h1", title, class_="qms-pdf-title"))
    section.append(_el("p", subtitle, class_="qms-pdf-subtitle"))
    table = _el("table", class_="qms-pdf-edition")
    rows = [
        ("Company", edition.company),
        ("Manual version", edition.version),
        ("Status", edition.status),
        ("Contents", edition.documents_line),
        ("Printed", f"{edition.printed_text}: uncontrolled when printed"),
        ("Controlled copy", edition.site_url or "the online manual (the published site)"),
    ]
    for head, value in rows:
        tr = ET.SubElement(table, "tr")
        tr.append(_el("th", head, scope="row"))
        tr.append(_el("td", value))
    section.append(table)
    section.append(_el("p", "This PDF is a print of the online quality manual. A printed or saved copy is not "
                            "kept up to date: before you rely on it, check that its version is the one published.",
                       class_="qms-pdf-notice"))
    return _numbered(section)


def contents(pages: list[SitePage], numbers: dict[str, int] | None = None, href: str = "#") -> ET.Element:
    """The table of contents, grouped by navigation section, with the page each entry starts on: `numbers`
    (anchor -> page of the PDF) when the pages were laid out apart, else found by WeasyPrint as it lays out;
    `href` is the prefix of the links to the entries."""
    section = _el("section", class_="qms-pdf-contents", id="contents", data_doc_id="", data_doc_title="Contents",
                  data_doc_revision="")
    section.append(_el("h1", "Contents"))
    current: str | None = None
    lst: ET.Element | None = None
    for page in pages:
        if page.section != current or lst is None:
            current = page.section
            if current:
                section.append(_el("h2", current, class_="qms-pdf-contents-group"))
            lst = ET.SubElement(section, "ul", {"class": "qms-pdf-contents-list"})
        li = ET.SubElement(lst, "li")
        link = li.makeelement("a", {"href": f"{href}{page.anchor}"})
        link.text = page.title
        if numbers is not None:
            link.set("data-page", str(numbers.get(page.anchor, "")))
            link.set("class", "qms-pdf-numbered")
        li.append(link)
    return _numbered(section)


def manual_sections(pages: list[SitePage], edition: Edition, site: Path, *, grouped: bool = True,
                    trees: dict[Path, ET.Element] | None = None,
                    targets: dict[str, str] | None = None) -> list[ET.Element]:
    """The print sections of `pages`, their links between each other made links inside the PDF (`#anchor`);
    `grouped`: the first page of each navigation section opens the outline's entry for it. `targets`, when
    given, is filled with the site-relative URL of each section and of each row standing in for a page left
    out, by anchor: where a link leads once it leaves the PDF."""
    links = _Links({p.url: p for p in pages}, edition.site_url)
    articles = [page_article(page, (trees or {}).get(page.path)) for page in pages]
    for page, article in zip(pages, articles):  # first: the rows that stand in for pages left out
        _row_anchors(article, page, links)
    sections = [page_section(page, article, links, site) for page, article in zip(pages, articles)]
    if targets is not None:
        targets.update({page.anchor: page.url for page in pages})
        targets.update({anchor: url for url, anchor in links.rows.items()})
    group: str | None = None
    for page, section in zip(pages, sections):
        if grouped and page.section:
            section.set("class", section.get("class", "") + " qms-pdf-grouped")
            if page.section != group:  # the outline's entry for the navigation section, on its first page
                marker = _el("div", "", class_="qms-pdf-group", data_title=page.section)
                marker.tail, section.text = section.text, None
                section.insert(0, marker)
        group = page.section
    return sections


def html_document(sections: Iterable[ET.Element], edition: Edition, title: str) -> str:
    """A print document of `sections`, with the PDF's metadata."""
    html = _el("html", lang="en")
    head = ET.SubElement(html, "head")
    head.append(_el("meta", charset="utf-8"))
    head.append(_el("title", f"{title} — {edition.company}"))
    head.append(_el("meta", name="author", content=edition.company))
    head.append(_el("meta", name="description", content=f"{edition.title}, {edition.version}"))
    head.append(_el("meta", name="generator", content="qms pdf"))
    head.append(_el("meta", name="dcterms.created", content=edition.printed.isoformat()))
    body = ET.SubElement(html, "body", {
        "data-company": edition.company, "data-printed": edition.printed.isoformat(),
        "data-edition": edition.short_version,
    })
    body.extend(sections)
    return "<!DOCTYPE html>\n" + ET.tostring(html, encoding="unicode", method="html")


def assemble(pages: list[SitePage], edition: Edition, site: Path, *, with_cover: bool = True,
             title: str = "Quality Manual") -> str:
    """The HTML of one print document made of `pages` (with a cover and contents: the whole manual)."""
    sections = manual_sections(pages, edition, site, grouped=with_cover)
    front = [cover(edition, edition.title, title), contents(pages)] if with_cover else []
    return html_document([*front, *sections], edition, title)


# ----------------------------------------------------------------------------------------------
# Rendering


def print_css(edition: Edition) -> str:
    """The print style sheet with the running footer's fixed text filled in."""
    text = PRINT_CSS.read_text(encoding="utf-8")
    footer = f"{edition.company} · Uncontrolled when printed · printed {edition.printed_text}"
    return text.replace("QMS_FOOTER_TEXT", _css_string(footer)).replace(
        "QMS_EDITION_TEXT", _css_string(f"Manual edition {edition.short_version}"))


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Resources:
    """What every PDF of one run shares: the font configuration and the parsed print style sheet (parsed once,
    not once per document), and the images and fonts WeasyPrint has already fetched (its URL cache)."""

    edition: Edition
    fonts: Any = None
    css: Any = None
    cache: dict = field(default_factory=dict)

    def load(self) -> "Resources":
        import weasyprint  # imported here: only the PDF commands need it, and it loads system libraries

        if self.css is None:
            self.fonts = weasyprint.text.fonts.FontConfiguration()
            self.css = weasyprint.CSS(string=print_css(self.edition), font_config=self.fonts)
        return self


def render(html: str, edition: Edition, base: Path, output: Path, resources: Resources | None = None) -> Path:
    """Write the PDF of `html` (links to files resolve from `base`)."""
    import weasyprint

    shared = (resources or Resources(edition)).load()
    document = weasyprint.HTML(string=html, base_url=str(base) + "/").render(
        stylesheets=[shared.css], font_config=shared.fonts, cache=shared.cache)
    files.write_atomic(output, document.write_pdf(pdf_identifier=False))
    log.info("%s: %d pages", output, len(document.pages))
    return output


def page_of_document(site: Path, doc: Document) -> Path | None:
    """The built page of a controlled document, None when the site has none (built before the document was)."""
    files = [site / (url + "index.html" if url.endswith("/") or url == "" else url)
             for url in page_urls_of_document(doc)]
    return next((f for f in files if f.is_file()), None)


def write_document(site: Path, doc: Document, output: Path, edition: Edition,
                   resources: Resources | None = None) -> Path | None:
    """One controlled document's PDF (its page alone, no cover); None when the built site has no page for it."""
    path = page_of_document(site, doc)
    if path is None:
        return None
    page = SitePage(url_of(site, path), path, doc.label, "", doc)
    html = assemble([page], edition, site, with_cover=False, title=doc.label)
    return render(html, edition, site, output, resources)


def write_past_revision(site: Path, project: Project, doc: Document, revision: str, uri: str, output: Path,
                        printed: dt.date, built: Source | None = None) -> Path:
    """The PDF of a document as it stood at a superseded revision: its page at `uri` in the built site (see
    qms.render.pastrevisions), with "Revision N (superseded)" in every page's header."""
    stem = uri[: -len(".md")]
    path = next((f for f in (site / stem / "index.html", site / f"{stem}.html") if f.is_file()), None)
    if path is None:
        raise FileNotFoundError(f"{site}: no page for {doc.id} revision {revision} in the built site ({stem}/): "
                                "build the site again")
    edition = read_edition(project, printed, built)
    page = SitePage(url_of(site, path), path, f"{doc.label}, revision {revision}", "", doc, revision)
    html = assemble([page], edition, site, with_cover=False, title=f"{doc.label}, revision {revision}")
    return render(html, edition, site, output)
