"""The one writer of the Markdown and HTML fragments the engine publishes.

Every value that comes from data (git, front matter, organization.yaml, schemas, records, macro arguments) is a
plain `str` and is escaped for the place it lands in: Markdown text, a table cell, a link label or title, a URL,
an HTML attribute or HTML text. Only `Markup`, the visibly named type of fragments the engine writes itself, is
inserted as it is. Mixing the two takes an explicit call (`Writer.md`, `Writer.join`): `Markup + str` is a
TypeError, and an f-string turns Markup back into a plain `str`, which is then escaped (shown as written, never
live). A value can therefore never become a tag, an attribute, a link with a scheme other than `http(s):`,
`mailto:` or a relative path, a template expression for mkdocs-macros (braces are written as entities), or a
new table cell, list item or heading.

Two dialects: `SITE` writes for Python-Markdown inside MkDocs (HTML badges, entities); `PLAIN` writes portable
Markdown without any HTML (CommonMark backslash escapes, badges as plain words), for what the CLI prints.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["Markup", "Writer", "SITE", "PLAIN", "html_text", "html_escape", "html_attr", "safe_url", "BADGE_KINDS"]

BADGE_KINDS = ("ok", "warn", "bad", "info")


class Markup(str):
    """A fragment the engine itself wrote (Markdown, or HTML inside Markdown): inserted as is, never escaped.

    Data must never be wrapped in Markup directly: go through a Writer method, which escapes it.
    """

    __slots__ = ()

    def __add__(self, other: object) -> "Markup":
        if isinstance(other, Markup):
            return Markup(str.__add__(self, other))
        return NotImplemented  # Markup + str: escape the str first (Writer.md / Writer.join)

    def __radd__(self, other: object) -> "Markup":
        if isinstance(other, Markup):
            return Markup(str.__add__(other, self))
        return NotImplemented

    def __repr__(self) -> str:
        return f"Markup({str.__repr__(self)})"


Fragment = "str | Markup | int | float | None"

# ------------------------------------------------------------------------------------------------ HTML contexts

_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})
# Inside a Markdown link title: what would end the title or the link, and template syntax.
_TITLE = str.maketrans({"{": "&#123;", "}": "&#125;", '"': "&quot;", "\\": "&#92;", "(": "&#40;", ")": "&#41;",
                        "[": "&#91;", "]": "&#93;"})


def html_text(value: object) -> str:
    """A value as HTML text (in a raw HTML block, an SVG <title>, a <figcaption>): no tag, no entity, no
    template syntax survives."""
    return html.escape(str(value), quote=False).translate(_BRACES)


def html_escape(value: object) -> str:
    """A value as HTML text or inside a quoted attribute (quotes escaped too), white space kept."""
    return html.escape(str(value), quote=True).translate(_BRACES)


def html_attr(value: object) -> str:
    """A value inside a double-quoted HTML attribute, on one line."""
    return html_escape(" ".join(str(value).split()))


_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_SAFE_SCHEMES = ("http", "https", "mailto")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")  # what browsers drop from or stop at in a URL
_URL_QUOTE = {c: f"%{ord(c):02X}" for c in ' "<>\\^`{|}()\'[]'}


def safe_url(value: object) -> str | None:
    """The URL as it may be written in a link, or None when it must not be a link.

    Only `http:`, `https:`, `mailto:` and relative references (a path, `#fragment`, `?query`) are links; any other
    scheme (`javascript:`, `data:`, `vbscript:`, `file:` ...), a scheme hidden by white space or control
    characters (`java\\tscript:`), and a scheme-relative `//host` are refused. What is kept is percent-encoded where
    Markdown or HTML would read it as syntax.
    """
    raw = str(value).strip()
    if not raw:
        return None
    visible = _INVISIBLE.sub("", raw).replace("\\", "/")
    match = _SCHEME.match(visible)
    if match:
        if match.group(1).lower() not in _SAFE_SCHEMES:
            return None
    elif visible.startswith("//") or ":" in visible.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return None
    if _INVISIBLE.search(raw.replace(" ", "")):
        return None  # control characters: nothing a real link holds
    return "".join(_URL_QUOTE.get(c, c) for c in raw)


# ------------------------------------------------------------------------------------------------ Markdown

# Inline Markdown syntax of Python-Markdown and its extensions in use (attr_list braces, tables' pipes,
# md_in_html/raw HTML, links, emphasis, code), written so that it renders literally.
_SITE_INLINE = re.compile(r"[\\`*_\[\]|#]")
_SITE_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;"}
_SITE_SPECIAL = re.compile(r"[&<>{}\\`*_\[\]|#]")
# Block syntax a value would start if it opened a line: list items, ordered lists, admonitions (!!!),
# details (???), fences (~~~), headings and quotes are already covered inline.
_LEADING = re.compile(r"^(?:[-+#>](?=\s|$)|#|\d+(?=[.)]\s|[.)]$)|!!!|\?\?\?|~~~)")
_WHITE_SPACE = re.compile(r"\s+")
_PLAIN_SPECIAL = re.compile(r"[\\`*_\[\]|<>~]|&(?=#?\w+;)")


@dataclass(frozen=True)
class Writer:
    """Writes Markdown fragments for one dialect: the site (`html=True`) or portable Markdown without HTML."""

    html: bool = True

    # --- values ------------------------------------------------------------------------------------

    def text(self, value: object) -> Markup:
        """A value as Markdown text that renders literally, on one line (also safe as a table cell and a link
        label): no markup, HTML, entity, template syntax, line break or block syntax survives. Runs of white space
        become one space (kept at the edges, so fragments join as written)."""
        if isinstance(value, Markup):
            return value
        s = _WHITE_SPACE.sub(" ", "" if value is None else str(value))
        if self.html:
            s = _SITE_SPECIAL.sub(lambda m: _SITE_ENTITIES.get(m.group(), "\\" + m.group()), s)
        else:
            s = _PLAIN_SPECIAL.sub(lambda m: "\\" + m.group(), s)
        pad = " " if s.startswith(" ") else ""
        lead = _LEADING.match(s[len(pad):])
        if lead:
            s = pad + _lead_escape(lead.group(), s[len(pad):], self.html)
        return Markup(s)

    def md(self, template: str, *args: object, **kwargs: object) -> Markup:
        """`template` (a literal of the engine) with its `{}` fields filled by escaped values (Markup kept)."""
        return Markup(template.format(*(self.text(a) for a in args), **{k: self.text(v) for k, v in kwargs.items()}))

    def join(self, separator: str, parts: Iterable[object]) -> Markup:
        """Parts (values escaped, Markup kept) joined by a literal separator of the engine."""
        return Markup(separator.join(self.text(p) for p in parts))

    def concat(self, *parts: object) -> Markup:
        return self.join("", parts)

    def lines(self, parts: Iterable[object]) -> Markup:
        """Parts on separate lines inside one table cell (<br> on the site, '; ' in plain Markdown)."""
        return self.join("<br>" if self.html else "; ", parts)

    def code(self, value: object) -> Markup:
        """A value as inline code, shown exactly (collapsed to one line)."""
        s = " ".join(str(value).split())
        if self.html:  # a raw <code> element: Python-Markdown still reads inline syntax inside, so escape it
            return Markup(f"<code>{self.text(s)}</code>")
        longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
        fence = "`" * (longest + 1)
        pad = " " if s.startswith("`") or s.endswith("`") or not s.strip() else ""
        return Markup(f"{fence}{pad}{s.replace('|', chr(92) + '|')}{pad}{fence}")

    def url(self, value: object) -> str | None:
        """See `safe_url`."""
        return safe_url(value)

    def link(self, label: object, target: object, title: object = None, attrs: str = "") -> Markup:
        """A Markdown link; the label as text when the target may not be a link. `attrs` (engine literal) is an
        attr_list such as `.qms-doc`."""
        url = safe_url(target)
        shown = self.text(label)
        if url is None:
            return shown
        tip = f' "{self.title(title)}"' if title else ""
        extra = f"{{ {attrs} }}" if attrs and self.html else ""
        return Markup(f"[{shown}]({url}{tip}){extra}")

    def title(self, value: object) -> str:
        """A value inside a Markdown link title ("…"), on one line."""
        s = " ".join(str(value).split())
        if self.html:
            return html.escape(s, quote=False).translate(_TITLE)
        return re.sub(r'(["\\()\[\]])', r"\\\1", s)

    # --- engine markup -----------------------------------------------------------------------------

    def badge(self, label: object, kind: str) -> Markup:
        """A coloured status label (kind: ok, warn, bad or info; see assets/qms.css), or the plain words."""
        if not self.html:
            return self.text(label)
        assert kind in BADGE_KINDS, kind
        return Markup(f'<span class="qms-badge qms-badge-{kind}">{self.text(label)}</span>')

    def span(self, label: object, css_class: str, title: object = None) -> Markup:
        """Text in a <span> with an engine class (and a tooltip); the plain text outside the site."""
        if not self.html:
            return self.text(label)
        tip = f' title="{html_attr(title)}"' if title is not None else ""
        return Markup(f'<span class="{html_attr(css_class)}"{tip}>{self.text(label)}</span>')

    def strong(self, value: object) -> Markup:
        return Markup(f"**{self.text(value)}**")

    def em(self, value: object) -> Markup:
        return Markup(f"*{self.text(value)}*")

    def heading(self, level: int, content: object, anchor: str | None = None) -> Markup:
        """A heading line (with a blank line after it); `anchor` is an engine-made id."""
        assert 1 <= level <= 6
        suffix = f" {{ #{anchor} }}" if anchor and self.html else ""
        return Markup(f"{'#' * level} {self.text(content)}{suffix}\n\n")

    def paragraph(self, content: object) -> Markup:
        return Markup(f"{self.text(content)}\n\n")

    def bullets(self, items: Iterable[object], indent: int = 0) -> Markup:
        """A bulleted list, one item per value (each on one line)."""
        pad = " " * indent
        return Markup("".join(f"{pad}- {self.text(item)}\n" for item in items))

    def tasks(self, items: Iterable[object], indent: int = 0) -> Markup:
        """A list of check boxes."""
        pad = " " * indent
        return Markup("".join(f"{pad}- [ ] {self.text(item)}\n" for item in items))

    def table(self, headers: Sequence[object], rows: Iterable[Sequence[object]], empty: str = "—",
              none: str | None = "*None.*") -> Markup:
        """A Markdown table (`empty` stands in for blank cells); without rows, the line `none` (an engine literal),
        or the bare header row when `none` is None."""
        rows = [list(r) for r in rows]
        if not rows and none is not None:
            return Markup(f"{none}\n\n")
        lines = ["| " + " | ".join(self.text(h) for h in headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(self.text(cell) or empty for cell in row) + " |" for row in rows]
        return Markup("\n".join(lines) + "\n\n")

    def raw_html(self, fragment: Markup) -> Markup:
        """An HTML block the engine wrote (a chart, a redline); nothing outside the site."""
        assert isinstance(fragment, Markup)
        return fragment if self.html else Markup("")


def _lead_escape(lead: str, s: str, site: bool) -> str:
    """Escape the block syntax at the start of a value (inline escapes are already done)."""
    first = lead[0]
    if first.isdigit():
        return s[: len(lead)] + "\\" + s[len(lead):]  # '1.' -> '1\.'
    if not site:
        return s if first in "~>" else "\\" + s  # '~' and '>' are escaped everywhere in plain Markdown
    if first in "-+!":
        return "\\" + s
    return {"?": "&#63;", "~": "&#126;"}[first] + s[1:]


SITE = Writer(html=True)
PLAIN = Writer(html=False)
