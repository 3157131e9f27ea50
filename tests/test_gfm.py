"""Markdown renders as GitHub renders it: a real strict build compared, structure for structure, with cmark-gfm.

The corpus (tests/data/gfm/corpus.md) holds what authors write on GitHub and Python-Markdown reads otherwise:
lists right after a sentence, lists nested by two spaces, backslash escapes of any punctuation, `<br>`, task
lists, bare links, tables, code inside a list item. GitHub's own renderer (cmark-gfm, through `cmarkgfm`)
renders the same text; the list items with their depth and text, the tables with their cells, the links, the
line breaks and the check boxes must be the same, and no stray backslash may reach a reader.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from conftest import page, run

CORPUS = Path(__file__).parent / "data" / "gfm" / "corpus.md"


@dataclass
class Structure:
    """What a reader sees of a page's structure, whatever the markup around it."""

    items: list[tuple[int, str, str]] = field(default_factory=list)  # (depth, ul/ol, text before any sublist)
    tables: list[list[list[str]]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    breaks: int = 0
    checkboxes: list[bool] = field(default_factory=list)
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = Structure()
        self.lists: list[str] = []
        self.item_text: list[list[str] | None] = []
        self.cell: list[str] | None = None
        self.in_code = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("ul", "ol"):
            self._close_item_text()
            self.lists.append(tag)
        elif tag == "li":
            self.item_text.append([])
        elif tag == "table":
            self.found.tables.append([])
        elif tag == "tr":
            self.found.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "a" and attributes.get("href"):
            self.found.links.append(attributes["href"] or "")
        elif tag == "br":
            self.found.breaks += 1
        elif tag == "input" and attributes.get("type") == "checkbox":
            self.found.checkboxes.append("checked" in attributes)
        elif tag in ("code", "pre"):
            self.in_code += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            self.lists.pop()
        elif tag == "li":
            self._close_item_text()
            self.item_text.pop()
        elif tag in ("td", "th") and self.cell is not None:
            self.found.tables[-1][-1].append(_squash(" ".join(self.cell)))
            self.cell = None
        elif tag in ("code", "pre"):
            self.in_code -= 1

    def handle_data(self, data: str) -> None:
        if self.item_text and self.item_text[-1] is not None:
            self.item_text[-1].append(data)
        if self.cell is not None:
            self.cell.append(data)
        if not self.in_code:
            self.chunks.append(data)

    def _close_item_text(self) -> None:
        if self.item_text and self.item_text[-1] is not None:
            text = _squash(" ".join(self.item_text[-1]))
            self.found.items.append((len(self.lists) - 1, self.lists[-1], text))
            self.item_text[-1] = None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def structure(html: str) -> Structure:
    reader = _Reader()
    reader.feed(html)
    reader.found.text = _squash(" ".join(reader.chunks))
    return reader.found


def article(html: str) -> str:
    """The page's own content: the article, without the title heading MkDocs adds and its permalink."""
    body = html.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]
    body = re.sub(r"<h1[^>]*>.*?</h1>", "", body, count=1, flags=re.S)
    return re.sub(r'<a class="headerlink"[^>]*>.*?</a>', "", body)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Structure, Structure]:
    root = tmp_path_factory.mktemp("gfm")
    result = run(["qms", "init", str(root / "manual"), "--company", "Markdown Test Ltd"], cwd=root)
    assert result.returncode == 0, result.output
    project = root / "manual"
    shutil.copy(CORPUS, project / "docs" / "corpus.md")
    result = run(["mkdocs", "build", "--strict"], cwd=project)
    assert result.returncode == 0, result.output
    ours = structure(article(page(project / "site", "corpus.md")))
    github = structure(cmarkgfm.github_flavored_markdown_to_html(
        CORPUS.read_text(encoding="utf-8"), options=Options.CMARK_OPT_UNSAFE))
    return ours, github


def test_lists_keep_the_nesting_and_the_items_github_shows(built: tuple[Structure, Structure]) -> None:
    ours, github = built
    assert ours.items == github.items
    assert (1, "ul", "by telephone to the duty officer") in ours.items  # nested by two spaces
    assert (0, "ul", "10 days for a serious deterioration of health") in ours.items  # right under a sentence
    assert not any("this line is not a list" in text for _, _, text in ours.items)


def test_tables_links_breaks_and_task_lists_match_github(built: tuple[Structure, Structure]) -> None:
    ours, github = built
    assert ours.tables == github.tables and ours.tables
    assert ours.breaks == github.breaks == 2
    assert ours.checkboxes == github.checkboxes == [True, False]
    ours_links = [link.removeprefix("mailto:") for link in ours.links]
    github_links = [link.removeprefix("mailto:") for link in github.links]
    assert ours_links == github_links


def test_backslash_escapes_show_no_backslash_and_paths_keep_theirs(built: tuple[Structure, Structure]) -> None:
    ours, github = built
    for shown in ("<enter role>", "1,000 parts", "$5", "*not emphasis*", "# not a heading", "_x_", "a|b"):
        assert shown in ours.text and shown in github.text
    assert "S:\\Quality\\Records\\2026" in ours.text
    assert ours.text.count("\\") == github.text.count("\\") == 3


def test_code_in_a_list_item_stays_code() -> None:
    from qms.render.gfm import normalize_lists

    lines = ["- step:", "", "  ```", "  - not an item", "  ```", "- next"]
    assert normalize_lists(lines) == ["- step:", "", "    ```", "    - not an item", "    ```", "", "- next"]


def test_a_list_nested_by_two_spaces_inside_a_note_keeps_its_nesting() -> None:
    """The body of an admonition or a collapsible block is Markdown of its own: its lists nest by two spaces and
    start under a sentence as at the top level, and its code stays code."""
    import markdown

    source = "\n".join([
        '!!! warning "Report within"', "    Report a nonconformity within:",
        "    - 24 hours when it reaches a customer:", "      - phone the customer", "      - open an NCR",
        "    - 3 days otherwise", "", "    ```", "    - not an item", "    ```", "",
        "??? note", "    1. first", "       - under the first", "", "After the notes.", "- a", "  - b"])
    html = markdown.Markdown(extensions=["admonition", "pymdownx.details", "qms.render.gfm",
                                         "pymdownx.superfences"]).convert(source)
    warning = html.split('<div class="admonition warning">', 1)[1].split("</div>\n<details", 1)[0]
    assert re.search(r"<p>Report a nonconformity within:</p>\s*<ul>\s*<li>24 hours when it reaches a customer:"
                     r"<ul>\s*<li>phone the customer</li>\s*<li>open an NCR</li>\s*</ul>\s*</li>\s*"
                     r"<li>3 days otherwise</li>\s*</ul>", warning), warning
    assert "<code>- not an item" in warning
    details = html.split("<details", 1)[1].split("</details>", 1)[0]
    assert re.search(r"<ol>\s*<li>first<ul>\s*<li>under the first</li>", details), details
    assert re.search(r"<p>After the notes.</p>\s*<ul>\s*<li>a<ul>\s*<li>b</li>", html), html
