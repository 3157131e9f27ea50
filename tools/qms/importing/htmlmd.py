"""The simple HTML that mammoth makes of a Word file, as Markdown: headings, paragraphs, emphasis, links,
images, nested lists, tables and line breaks.

mammoth maps Word's styles to plain semantic HTML and drops the formatting; this module only writes that HTML
as Markdown an author can edit. Text is escaped where Markdown would read it as markup (`*`, `_`, a `#` or a
`1.` at the start of a line, `|` in a table), so a Word sentence is shown as it was typed. What has no
Markdown form (merged table cells, text boxes, colours) is not kept; the import's report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "tr", "td", "th", "thead",
           "tbody", "blockquote", "pre"}
_VOID = {"br", "img", "hr"}
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)([#>+\-]|\d+[.)])(?=\s|$)")


@dataclass
class Node:
    """An element of the parsed HTML (tag None: text)."""

    tag: str | None
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    text: str = ""


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("body")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Node(None, text=data))


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def to_markdown(html: str) -> str:
    """Markdown for mammoth's HTML, blocks separated by blank lines, ending with one newline."""
    blocks = _blocks(parse(html).children, indent="")
    text = "\n\n".join(block for block in blocks if block.strip())
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _blocks(nodes: list[Node], indent: str) -> list[str]:
    out: list[str] = []
    inline: list[Node] = []

    def flush() -> None:
        if inline:
            text = _inline(inline).strip()
            if text:
                out.append(_escape_line_starts(text))
            inline.clear()

    for node in nodes:
        if node.tag in _BLOCKS or node.tag == "hr":
            flush()
            out.extend(_block(node, indent))
        else:
            inline.append(node)
    flush()
    return out


def _block(node: Node, indent: str) -> list[str]:
    tag = node.tag or ""
    if tag == "p":
        text = _inline(node.children).strip()
        return [_escape_line_starts(text)] if text else []
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        text = " ".join(_inline(node.children).split())
        return [f"{'#' * int(tag[1])} {text}"] if text else []
    if tag in ("ul", "ol"):
        return [_list(node, indent)]
    if tag == "table":
        return [_table(node)]
    if tag == "blockquote":
        inner = "\n\n".join(_blocks(node.children, ""))
        return ["\n".join("> " + line if line else ">" for line in inner.split("\n"))]
    if tag == "pre":
        return ["```\n" + _plain(node).rstrip("\n") + "\n```"]
    if tag == "hr":
        return ["---"]
    return _blocks(node.children, indent)


def _list(node: Node, indent: str) -> str:
    lines: list[str] = []
    number = 1
    for item in (child for child in node.children if child.tag == "li"):
        marker = f"{number}." if node.tag == "ol" else "-"
        number += 1
        inner_indent = indent + "    "
        parts: list[str] = []
        nested: list[str] = []
        inline: list[Node] = []
        for child in item.children:
            if child.tag in ("ul", "ol"):
                nested.append(_list(child, inner_indent))
            elif child.tag in _BLOCKS:
                parts.extend(_block(child, inner_indent))
            else:
                inline.append(child)
        head = _inline(inline).strip()
        paragraphs = ([head] if head else []) + parts
        first = paragraphs[0] if paragraphs else ""
        lines.append(f"{indent}{marker} {first}".rstrip())
        for more in paragraphs[1:]:
            lines.append("")
            lines.extend(inner_indent + line if line else "" for line in more.split("\n"))
        lines.extend(nested)
    return "\n".join(lines)


def _table(node: Node) -> str:
    rows: list[list[str]] = []
    header_cells = False
    for row in _rows(node):
        cells = [child for child in row.children if child.tag in ("td", "th")]
        if not rows:
            header_cells = all(cell.tag == "th" for cell in cells)
        rows.append([_cell(cell) for cell in cells])
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    header, body = (rows[0], rows[1:]) if header_cells or len(rows) > 1 else ([""] * width, rows)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def _rows(node: Node) -> list[Node]:
    rows: list[Node] = []
    for child in node.children:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(_rows(child))
    return rows


def _cell(cell: Node) -> str:
    """A table cell on one line: its paragraphs joined by line breaks, its pipes escaped."""
    parts = []
    for child in cell.children:
        if child.tag == "p" or child.tag is None or child.tag not in _BLOCKS:
            text = _inline([child] if child.tag != "p" else child.children).strip()
        else:
            text = " ".join(_blocks([child], "")).replace("\n", " ")
        if text:
            parts.append(text)
    return "<br>".join(parts).replace("|", "\\|")


def _inline(nodes: list[Node]) -> str:
    out = []
    for node in nodes:
        if node.tag is None:
            out.append(_INLINE_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", node.text)))
        elif node.tag in ("strong", "b"):
            out.append(_wrap("**", _inline(node.children)))
        elif node.tag in ("em", "i"):
            out.append(_wrap("*", _inline(node.children)))
        elif node.tag == "br":
            out.append("<br>")
        elif node.tag == "a":
            text = _inline(node.children).strip()
            href = node.attrs.get("href", "")
            if href and not href.startswith("#"):
                out.append(f"[{text or href}]({_url(href)})")
            else:
                out.append(text)  # Word bookmarks and internal anchors have no meaning in the manual
        elif node.tag == "img":
            src = node.attrs.get("src", "")
            if src:
                out.append(f"![{_INLINE_SPECIAL.sub(r'', node.attrs.get('alt', ''))}]({_url(src)})")
        elif node.tag in ("sup", "sub"):
            out.append(f"<{node.tag}>{_inline(node.children)}</{node.tag}>")
        else:
            out.append(_inline(node.children))
    return "".join(out)


def _wrap(mark: str, text: str) -> str:
    """Emphasis around the words, the spaces outside it (Markdown ignores `** bold**`)."""
    stripped = text.strip()
    if not stripped:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    return f"{lead}{mark}{stripped}{mark}{trail}"


def _url(href: str) -> str:
    return href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _plain(node: Node) -> str:
    if node.tag is None:
        return node.text
    if node.tag == "br":
        return "\n"
    return "".join(_plain(child) for child in node.children)


def _escape_line_starts(text: str) -> str:
    """A paragraph that starts like a heading, a quote or a list item is shown as typed."""
    return _LINE_START_SPECIAL.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), text)


def _escape_marker(marker: str) -> str:
    if marker[0].isdigit():
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker
