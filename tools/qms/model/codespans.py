"""Code in Markdown is shown as written: fenced code blocks and inline code are never evaluated as templates.

Before a page's Markdown goes to Jinja (and before the link macros are looked for), every fenced code block and
inline code span holding template syntax is set aside and a placeholder put in its place; after Jinja the code is
put back. So `{{ customer_name }}` in a code block is shown as written, and `qms check` sees the same text Jinja
will render.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[^\n]*\n"  # the opening fence, up to its line end
                    r".*?(?:^(?P=indent)?[ \t]*(?P=fence)[`~]*[ \t]*$|\Z)",  # to the closing fence (or the end)
                    re.M | re.S)
_INLINE = re.compile(r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)", re.S)
_TEMPLATE = re.compile(r"\{[{%#]")
_TOKEN = "QMSCODE7f3a{}Z"
_TOKEN_RE = re.compile(r"QMSCODE7f3a(\d+)Z")
LITERAL_HINT = ("to show braces literally, write {{ '{{' }} and {{ '}}' }}, or put the text between {% raw %} and "
                "{% endraw %}, or in `code`")


def protect(markdown: str) -> tuple[str, tuple[str, ...]]:
    """`markdown` with each code block and inline code span that holds template syntax replaced by a placeholder
    of the same number of lines, and the code set aside (for `restore`)."""
    if not _TEMPLATE.search(markdown):
        return markdown, ()
    saved: list[str] = []

    def keep(match: re.Match[str]) -> str:
        code = match.group(0)
        if not _TEMPLATE.search(code):
            return code
        saved.append(code)
        return _TOKEN.format(len(saved) - 1) + "\n" * code.count("\n")

    text = _FENCE.sub(keep, markdown)
    text = _INLINE.sub(keep, text)
    return text, tuple(saved)


def restore(text: str, saved: tuple[str, ...]) -> str:
    """The text with the code `protect` set aside put back."""
    if not saved:
        return text

    # a placeholder was followed by as many newlines as its code held: take those back with it
    out = []
    last = 0
    for match in _TOKEN_RE.finditer(text):
        index = int(match.group(1))
        if index >= len(saved):
            continue
        code = saved[index]
        end = match.end()
        newlines = code.count("\n")
        if text.startswith("\n" * newlines, end):
            end += newlines
        out.append(text[last:match.start()])
        out.append(code)
        last = end
    out.append(text[last:])
    return "".join(out)
