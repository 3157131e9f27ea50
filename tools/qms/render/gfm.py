"""Markdown as GitHub renders it, for the constructs authors of procedures actually write.

Python-Markdown (which MkDocs uses) reads lists the way John Gruber's original did: a nested list needs four
spaces, and a list right after a paragraph line is part of the paragraph. Procedures written on GitHub or
exported from another tool nest by two spaces and start lists directly under a sentence ("Report within:"), and
Python-Markdown silently turns them into run-on paragraphs or flat lists: a reporting deadline nested under its
case is lost without a warning. This extension rewrites the list structure of the source, before any other
processing, into the form Python-Markdown reads the same way GitHub does:

- a list item is nested in the item before it when it starts at or past that item's content column (the column
  after the marker and its space), as in CommonMark; it is re-indented by four spaces a level;
- the lines that continue an item (its paragraphs, code, tables) move with it;
- a list that follows a paragraph line without a blank line gets the blank line it needs (a bullet list, or a
  numbered list starting at 1, as CommonMark allows; "in 2019. Then" is not a list).

The body of an admonition or a collapsible block (`!!! note`, `??? tip`) is read the same way, as Markdown of
its own. Fenced code blocks are copied unchanged. As on GitHub, a backslash escapes any ASCII punctuation (`\\<`,
`\\,`, `\\$`; Python-Markdown knows only 16 of the 32), a backslash before anything else stays a backslash
(`S:\\Quality\\Records` is a path), and a backslash at the end of a line is a line break. Task lists and bare
autolinks come from pymdown-extensions (`pymdownx.tasklist`, `pymdownx.magiclink`), configured beside this
extension in `mkdocs.yml` and in the manuals `qms init` makes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import string
import xml.etree.ElementTree as etree

from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

_ITEM = re.compile(r"^(?P<indent> *)(?P<marker>[-*+]|(?P<number>\d{1,9})[.)])(?P<space> +|$)(?P<text>.*)$")
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})")
_TAB = 4
_THEMATIC_BREAK = re.compile(r"^ {0,3}(?:(?:- *){3,}|(?:\* *){3,}|(?:_ *){3,})$")
# Lines that start a block of their own, after which a list needs no blank line and cannot be lazy text.
_NOT_PARAGRAPH = re.compile(r"^(?:#{1,6}(?:\s|$)|>|<|`{3}|~{3})")
# An admonition (`!!! note "Title"`) or a collapsible block (`??? note`, `???+ note`) at the start of a line.
_ADMONITION = re.compile(r"^(?:!!!|\?\?\?\+?) *[\w-]+")


@dataclass
class _Item:
    """An open list item: where its marker and its content start in the source, and its depth in the output."""

    marker_column: int
    content_column: int
    depth: int
    kind: str  # "-", "*", "+" for bullets, "." or ")" for numbers: another kind starts another list


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content_column(match: re.Match[str]) -> int:
    start = len(match.group("indent")) + len(match.group("marker"))
    space = len(match.group("space"))
    # CommonMark: five or more spaces after the marker start an indented code block inside the item; the
    # content then starts one space after the marker. An empty item's content starts there too.
    if space == 0 or space > 4 or not match.group("text").strip():
        return start + 1
    return start + space


def normalize_lists(lines: list[str]) -> list[str]:
    """The source lines with list items re-indented to Python-Markdown's four spaces a level (see the module)."""
    out: list[str] = []
    stack: list[_Item] = []
    fence: str | None = None
    fence_shift = 0
    previous_blank = True
    previous_paragraph = False
    previous_html = False  # an HTML block runs on to the next blank line, list-like lines included
    item_block = False  # the lines since the last item hold a paragraph after a blank line, or code
    index = 0
    while index < len(lines):
        line = lines[index].expandtabs(_TAB)
        index += 1
        if fence is not None:
            item_block = bool(stack)
            out.append(_shift(line, fence_shift))
            closing = _FENCE.match(line)
            if closing and closing.group("fence")[0] == fence[0] and len(closing.group("fence")) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = None
            previous_blank, previous_paragraph = False, False
            continue
        if not line.strip():
            out.append("")
            previous_blank, previous_paragraph, previous_html = True, False, False
            continue
        if _ADMONITION.match(line) and (not stack or previous_blank):
            # A note, warning or collapsible block: its body (indented by four) is Markdown of its own, whose
            # lists are read the same way.
            end = _body_end(lines, index)
            out.append(line)
            body = normalize_lists([text.expandtabs(_TAB)[_TAB:] for text in lines[index:end]])
            out += [" " * _TAB + text if text.strip() else "" for text in body]
            index, stack = end, []
            previous_blank, previous_paragraph, previous_html, item_block = False, False, False, False
            continue
        indent = _indent(line)
        item = _ITEM.match(line)
        if item and (_THEMATIC_BREAK.match(line) or (not stack and indent >= _TAB)):
            item = None  # "- - -" is a rule; an indented "- x" outside a list is code or an admonition's body
        if item and not _is_list_item(item, stack, previous_blank, previous_paragraph):
            item = None
        if item:
            starts_list = not stack
            sibling = None
            while stack and indent < stack[-1].content_column:
                sibling = stack.pop()  # the items this one is not nested in (its earlier siblings among them)
            if stack and indent >= stack[-1].content_column + _TAB:
                item = None  # four or more spaces past the parent's content: indented code, not an item
            elif starts_list and not previous_blank and not previous_html:
                out.append("")  # CommonMark lets a list interrupt a paragraph; Python-Markdown needs a blank line
            elif sibling is not None and sibling.depth == len(stack) and sibling.kind != _kind(item):
                # CommonMark starts a new list when the marker changes ("1." then "-"); Python-Markdown
                # needs something between two lists to see two, and an HTML comment shows nothing.
                out += ["<!-- -->", ""] if previous_blank else ["", "<!-- -->", ""]
            elif not starts_list and not previous_blank and item_block:
                # After an item's second paragraph or its code block, Python-Markdown would read the next
                # item as more of that text; the blank line only makes a list loose that cmark calls tight.
                out.append("")
        if item:
            depth = len(stack)
            content = _content_column(item)
            stack.append(_Item(indent, content, depth, _kind(item)))
            text = item.group("text")
            out.append(" " * (_TAB * depth) + item.group("marker") + (" " + text if text.strip() else ""))
            previous_blank, previous_paragraph, item_block = False, True, False
            continue
        # Not an item: a continuation of the innermost item it is indented under, a lazy line, or the end.
        while stack and indent < stack[-1].content_column and (previous_blank or not previous_paragraph):
            stack.pop()
        if stack and indent >= stack[-1].content_column:
            owner = stack[-1]
            shift = _TAB * (owner.depth + 1) - owner.content_column
        elif stack:
            owner = stack[-1]  # a lazy continuation line of the item's paragraph
            shift = _TAB * (owner.depth + 1) - indent
        else:
            shift = 0
        fence_match = _FENCE.match(line)
        if fence_match:
            fence, fence_shift = fence_match.group("fence"), shift
        out.append(_shift(line, shift))
        item_block = bool(stack) and (item_block or previous_blank or fence_match is not None)
        previous_blank = False
        previous_paragraph = fence_match is None and not _NOT_PARAGRAPH.match(line.lstrip())
        previous_html = previous_html or (not stack and line.startswith("<"))
    return out


def _body_end(lines: list[str], start: int) -> int:
    """Where the block indented by four spaces from `start` ends (the blank lines after it left out)."""
    end = index = start
    while index < len(lines):
        text = lines[index].expandtabs(_TAB)
        index += 1
        if text.strip():
            if _indent(text) < _TAB:
                break
            end = index
    return end


def _kind(item: re.Match[str]) -> str:
    return item.group("marker")[-1]


def _is_list_item(item: re.Match[str], stack: list[_Item], previous_blank: bool, previous_paragraph: bool) -> bool:
    """Whether a line that looks like an item is one (CommonMark's rules for interrupting a paragraph)."""
    if stack or previous_blank or not previous_paragraph:
        return True
    if not item.group("text").strip():
        return False
    number = item.group("number")
    return number is None or int(number) == 1


def _shift(line: str, shift: int) -> str:
    if shift >= 0:
        return " " * shift + line
    return line[min(-shift, _indent(line)):]


class _ListPreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return mark_header_only_tables(normalize_lists(lines))


# A table of a header and its delimiter row only ("| Date | Signature |" over "|---|---|") has no body on
# GitHub; Python-Markdown gives it an empty row. The preprocessor adds a row holding this marker, the tree
# processor removes the rows that hold it, so an empty row an author wrote on purpose (a form to fill in) stays.
_NO_ROWS = "\ue000qms-no-rows\ue000"
_DELIMITER_ROW = re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")


def mark_header_only_tables(lines: list[str]) -> list[str]:
    out: list[str] = []
    fence: str | None = None
    for index, line in enumerate(lines):
        out.append(line)
        match = _FENCE.match(line)
        if match:
            fence = None if fence and match.group("fence")[0] == fence[0] else (fence or match.group("fence"))
        if fence or "|" not in line or not _DELIMITER_ROW.match(line) or index == 0 or "|" not in lines[index - 1]:
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if not following.strip() or "|" not in following:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}| {_NO_ROWS} |")
    return out


class _HeaderOnlyTables(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "tr" and any(_NO_ROWS in "".join(cell.itertext()) for cell in child):
                    parent.remove(child)
            if parent.tag == "tbody" and not len(parent):
                for table in root.iter("table"):
                    if parent in list(table):
                        table.remove(parent)
            if parent.text and _NO_ROWS in parent.text:
                parent.text = parent.text.replace(_NO_ROWS, "")


class _HardBreak(InlineProcessor):
    """A backslash at the end of a line: a line break, as on GitHub."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # noqa: N802
        return etree.Element("br"), m.start(0), m.end(0)


class GFMExtension(Extension):
    """Registered in mkdocs.yml as `qms.render.gfm`."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        # Before every other preprocessor (normalize_whitespace is 30, fenced code 25), so later ones see
        # the lists as Python-Markdown expects them.
        md.preprocessors.register(_ListPreprocessor(md), "qms_gfm_lists", 40)
        md.ESCAPED_CHARS = sorted(set(md.ESCAPED_CHARS) | set(string.punctuation))
        # Above the backslash escape (180), which would otherwise keep the backslash before the newline.
        md.inlinePatterns.register(_HardBreak(r"\\\n", md), "qms_gfm_hard_break", 185)
        md.treeprocessors.register(_HeaderOnlyTables(md), "qms_gfm_header_only_tables", 5)


def makeExtension(**kwargs: object) -> GFMExtension:  # noqa: N802 (Python-Markdown's entry point)
    return GFMExtension(**kwargs)
