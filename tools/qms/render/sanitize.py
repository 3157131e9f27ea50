"""The last gate before readers: every published page's HTML passes through an allow-list sanitizer (nh3, Ammonia).

Authors write procedures in Markdown, and Markdown lets them write raw HTML. The writer (`qms.render.writer`)
keeps data from becoming markup; this module keeps an author's page from carrying a script to every employee who
reads the manual: `<script>`, `<style>`, event handlers (`onerror=`, `onclick=` ...), `javascript:`/`data:`
URLs, `<iframe>`, `<object>`, `<embed>`, `<form>` and anything else not on the allow-list are removed, while
what the theme, the engine's own markup (badges, control block, redlines, SVG charts, mermaid, tooltips,
admonitions, tables, details, task lists, heading anchors, abbreviations) and the search need is kept.

A company may allow more with the qms plugin's `allow_html` option in mkdocs.yml (off by default; a reviewed
change, like macros.py):

    plugins:
      - qms:
          allow_html:
            tags: [video]
            attributes: {video: [src, controls]}

Scripts, styles, event handlers and other URL schemes can never be allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import nh3

from qms.problems import Problem
from qms.render.writer import html_text

# Tags of ordinary documents, Python-Markdown, pymdownx and Material's content.
TEXT_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "input", "ins", "kbd", "label", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
    "wbr",
})
# The engine's inline charts (qms.render.charts).
SVG_TAGS = frozenset({"svg", "g", "title", "desc", "line", "rect", "path", "circle", "ellipse", "polyline",
                      "polygon", "text", "tspan"})
# Removed with everything inside them; never allowed.
DROPPED_WITH_CONTENT = frozenset({"script", "style"})
NEVER_ALLOWED = DROPPED_WITH_CONTENT | {"iframe", "frame", "frameset", "object", "embed", "applet", "form", "base",
                                        "link", "meta", "template", "noscript", "math", "button", "textarea",
                                        "select", "option"}

GENERIC_ATTRIBUTES = frozenset({"class", "id", "title", "lang", "dir", "role"})
TAG_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height", "loading"}),
    "td": frozenset({"colspan", "rowspan", "style", "align"}),
    "th": frozenset({"colspan", "rowspan", "style", "align", "scope"}),
    "col": frozenset({"span"}),
    "ol": frozenset({"start", "type", "reversed"}),
    "li": frozenset({"value"}),
    "details": frozenset({"open"}),
    "input": frozenset({"checked"}),  # always a disabled check box (task lists), see FORCED_ATTRIBUTES
    "time": frozenset({"datetime"}),
    "abbr": frozenset({"title"}),
    "svg": frozenset({"viewBox", "viewbox", "width", "height", "xmlns", "style", "preserveAspectRatio", "focusable"}),
    "g": frozenset({"transform", "fill", "stroke"}),
    "line": frozenset({"x1", "y1", "x2", "y2", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray"}),
    "rect": frozenset({"x", "y", "width", "height", "rx", "ry", "fill", "stroke", "stroke-width"}),
    "path": frozenset({"d", "fill", "stroke", "stroke-width", "stroke-dasharray"}),
    "circle": frozenset({"cx", "cy", "r", "fill", "stroke"}),
    "ellipse": frozenset({"cx", "cy", "rx", "ry", "fill", "stroke"}),
    "polyline": frozenset({"points", "fill", "stroke", "stroke-width"}),
    "polygon": frozenset({"points", "fill", "stroke", "stroke-width"}),
    "text": frozenset({"x", "y", "dx", "dy", "fill", "font-family", "font-size", "font-weight", "text-anchor",
                       "transform"}),
    "tspan": frozenset({"x", "y", "dx", "dy", "fill", "font-weight"}),
}
FORCED_ATTRIBUTES = {"input": {"type": "checkbox", "disabled": ""}}
ATTRIBUTE_PREFIXES = frozenset({"aria-"})
STYLE_PROPERTIES = frozenset({"text-align", "max-width", "width", "height"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_EVENT = re.compile(r"^on", re.I)
_NEVER_ATTRIBUTES = frozenset({"style", "srcdoc", "formaction", "action", "xlink:href", "data"})


@dataclass(frozen=True)
class Policy:
    """What a published page may contain: the allow-list, plus what the project allows on top."""

    extra_tags: frozenset[str] = frozenset()
    extra_attributes: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def tags(self) -> frozenset[str]:
        return TEXT_TAGS | SVG_TAGS | self.extra_tags

    def attributes(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {"*": set(GENERIC_ATTRIBUTES)}
        for tag, names in [*TAG_ATTRIBUTES.items(), *self.extra_attributes.items()]:
            out.setdefault(tag, set()).update(names)
        return out

    @cached_property
    def cleaner(self) -> nh3.Cleaner:
        return nh3.Cleaner(
            tags=set(self.tags), clean_content_tags=set(DROPPED_WITH_CONTENT), attributes=self.attributes(),
            generic_attribute_prefixes=set(ATTRIBUTE_PREFIXES), set_tag_attribute_values=FORCED_ATTRIBUTES,
            url_schemes=set(URL_SCHEMES), filter_style_properties=set(STYLE_PROPERTIES), link_rel=None,
            strip_comments=True)

    def clean(self, html: str) -> str:
        """The HTML with everything off the allow-list removed (text kept, scripts and styles dropped whole)."""
        return self.cleaner.clean(html)


DEFAULT = Policy()


def clean(html: str, policy: Policy = DEFAULT) -> str:
    """See `Policy.clean`."""
    return policy.clean(html)


def plain_text(html: str) -> str:
    """A fragment reduced to its text, still HTML-escaped (for a table of contents entry or a page title)."""
    return " ".join(nh3.clean(html, tags=set(), strip_comments=True).split())


def page_title(title: object, from_front_matter: bool) -> str:
    """A page's title as the theme prints it without escaping (navigation, <title>, header, <h1>).

    A title from front matter is text: escaped. A title MkDocs took from the page's first heading is already HTML
    text (entities kept, tags stripped), so it is only reduced to its text.
    """
    if title is None:
        return ""
    return html_text(" ".join(str(title).split())) if from_front_matter else plain_text(str(title))


def policy_from(allow: Any, where: str = "mkdocs.yml", line: int = 0,
                key: str = "qms option allow_html") -> tuple[Policy, list[Problem]]:
    """The policy the qms plugin's `allow_html` option asks for (None: the default), and what is wrong with it
    (`where`:`line` is the option in mkdocs.yml)."""
    if allow is None:
        return DEFAULT, []
    problems: list[Problem] = []
    if not isinstance(allow, Mapping):
        return DEFAULT, [Problem(where, line, f"{key}: expected a mapping with 'tags' and 'attributes'", code="setting")]
    unknown = sorted(set(allow) - {"tags", "attributes"})
    if unknown:
        problems.append(Problem(where, line, f"{key}: unknown key(s) {', '.join(map(str, unknown))} "
                                             "(expected 'tags' and 'attributes')", code="setting"))
    tags: set[str] = set()
    raw_tags = allow.get("tags") or []
    if not isinstance(raw_tags, list):
        problems.append(Problem(where, line, f"{key}.tags: expected a list of tag names", code="setting"))
        raw_tags = []
    for tag in map(str, raw_tags):
        name = tag.lower().strip()
        if name in NEVER_ALLOWED or not re.fullmatch(r"[a-z][a-z0-9-]*", name):
            problems.append(Problem(where, line, f"{key}.tags: <{tag}> can never be allowed on published pages",
                                    code="unsafe-html"))
        else:
            tags.add(name)
    attributes: dict[str, frozenset[str]] = {}
    raw_attrs = allow.get("attributes") or {}
    if not isinstance(raw_attrs, Mapping):
        problems.append(Problem(where, line, f"{key}.attributes: expected a mapping of tag to attribute names",
                                code="setting"))
        raw_attrs = {}
    for tag, names in raw_attrs.items():
        if not isinstance(names, list):
            problems.append(Problem(where, line, f"{key}.attributes.{tag}: expected a list of attribute names",
                                    code="setting"))
            continue
        kept = set()
        for name in map(str, names):
            if _EVENT.match(name) or name.lower() in _NEVER_ATTRIBUTES:
                problems.append(Problem(where, line, f"{key}.attributes.{tag}: '{name}' can never be allowed",
                                        code="unsafe-html"))
            else:
                kept.add(name)
        attributes[str(tag).lower()] = frozenset(kept)
    return Policy(frozenset(tags), attributes), problems
