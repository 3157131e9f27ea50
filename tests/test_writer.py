"""The one writer: each kind of value, rendered by the Markdown the site uses, shows as written and never as markup;
the sanitizer of published pages keeps the engine's markup and drops what an author must not publish."""

from __future__ import annotations

import markdown
import pytest

from qms.render import sanitize
from qms.render.writer import PLAIN, SITE, Markup, safe_url

EXTENSIONS = ["abbr", "admonition", "attr_list", "md_in_html", "tables", "toc", "pymdownx.details",
              "pymdownx.superfences"]
HOSTILE = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "[x](javascript:alert(1))",
           "{{ 6*7 }}", "{# comment", "{% raw %}", "*bold* _it_ `code`", "a | b", "T { onclick=alert(1) }",
           "- item", "1. first", "!!! note", "??? details", "~~~", "# heading", "> quote", "&lt;b&gt; &amp; R&D",
           "*[HTML]: Hyper", "[^1]: note", "line\nbreak", "back\\slash"]


def html(md_text: str) -> str:
    return markdown.markdown(md_text, extensions=EXTENSIONS)


def visible(fragment: str) -> str:
    """What a reader sees: the fragment's text, with character references decoded, for one paragraph."""
    import html as h
    import re

    inner = re.sub(r"^<p>|</p>$", "", fragment.strip())
    return h.unescape(inner)


@pytest.mark.parametrize("value", HOSTILE)
def test_text_renders_literally_as_one_paragraph(value: str) -> None:
    out = html(SITE.text(value))
    assert out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1
    assert "<" not in out[3:-4], out  # no element at all
    assert visible(out) == " ".join(value.split())
    assert "{{" not in SITE.text(value) and "{#" not in SITE.text(value) and "{%" not in SITE.text(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_table_cell_stays_one_cell(value: str) -> None:
    out = html(SITE.table(["A", "B"], [[value, "after"]]))
    assert out.count("<td>") == 2 and "<td>after</td>" in out
    cell = out.split("<td>")[1].split("</td>")[0]
    assert "<" not in cell and visible(cell) == " ".join(value.split())


@pytest.mark.parametrize("value", HOSTILE)
def test_a_link_label_and_title_stay_text(value: str) -> None:
    out = html(SITE.link(value, "page.md", title=value))
    assert out.count("<a ") == 1 and 'href="page.md"' in out
    label = out.split(">", 2)[2].rsplit("</a>", 1)[0]
    assert "<" not in label and visible(label) == " ".join(value.split())
    assert "onclick" not in out.split(">")[1].replace("onclick=alert(1) }", "") or 'title="' in out


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
                                 " javascript:alert(1)", "data:text/html,<b>", "vbscript:x", "file:///etc/passwd",
                                 "//evil.example/x"])
def test_only_safe_urls_become_links(url: str) -> None:
    assert safe_url(url) is None
    out = SITE.link("label", url)
    assert "](" not in out and out == "label"


@pytest.mark.parametrize(("url", "written"), [
    ("https://example.com/a b", "https://example.com/a%20b"), ("http://x.org/?q=1#f", "http://x.org/?q=1#f"),
    ("mailto:qa@example.com", "mailto:qa@example.com"), ("../records/index.md#x", "../records/index.md#x"),
    ('https://x.org/"onmouseover=alert(1)', "https://x.org/%22onmouseover=alert%281%29"),
])
def test_safe_urls_are_written_so_markdown_cannot_break_out(url: str, written: str) -> None:
    assert safe_url(url) == written
    assert html(SITE.link("l", url)).count("<a ") == 1


def test_inline_code_shows_the_value_exactly() -> None:
    value = "a|b <c> {{ x }} `d` *e*"
    out = html(SITE.table(["C"], [[SITE.code(value)]]))
    assert out.count("<td>") == 1 and visible(out.split("<code>")[1].split("</code>")[0]) == value
    assert PLAIN.code("a`b") == "``a`b``"


def test_a_badge_is_html_on_the_site_and_a_plain_word_for_the_cli() -> None:
    assert SITE.badge("<b>overdue</b>", "bad") == '<span class="qms-badge qms-badge-bad">&lt;b&gt;overdue&lt;/b&gt;</span>'
    assert PLAIN.badge("overdue", "bad") == "overdue"
    assert "<" not in PLAIN.table(["Status"], [[PLAIN.badge("due soon", "warn")]])


def test_plain_markdown_escapes_without_html_entities() -> None:
    assert PLAIN.text("<img src=x> a|b *c* #5") == "\\<img src=x\\> a\\|b \\*c\\* #5"
    assert PLAIN.text("# title") == "\\# title"


def test_markup_and_data_cannot_be_mixed_by_accident() -> None:
    with pytest.raises(TypeError):
        Markup("<b>") + "<i>"  # noqa: B018
    assert SITE.md("{} and {}", Markup("**kept**"), "<escaped>") == "**kept** and &lt;escaped&gt;"
    assert SITE.join(", ", [Markup("*a*"), "*b*"]) == "*a*, \\*b\\*"


def test_headings_and_lists_hold_one_value_each() -> None:
    out = html(SITE.heading(2, "T { onclick=alert(1) }") + SITE.bullets(["- x\n- y", "!!! note"]))
    assert 'onclick="' not in out and out.count("<li>") == 2


# ------------------------------------------------------------------------------------------------ the sanitizer


def markup_of(fragment: str) -> list[tuple]:
    """Elements, attributes (in any order) and text of a fragment."""
    from html.parser import HTMLParser

    out: list[tuple] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            out.append(("start", tag, tuple(sorted(attrs))))

        def handle_endtag(self, tag: str) -> None:
            out.append(("end", tag))

        def handle_data(self, data: str) -> None:
            out.append(("text", data))

    Parser(convert_charrefs=True).feed(fragment)
    return out

ENGINE_MARKUP = [
    '<span class="qms-badge qms-badge-warn" title="commit not signed">unsigned</span>',
    '<div class="admonition warning"><p class="admonition-title">Draft</p></div>',
    '<div class="qms-redline">\n<p class="qms-redline-changed">a <del>b</del><ins>c</ins></p>\n</div>',
    '<a class="qms-term" href="../glossary/#audit" title="audit (ISO 9000 3.13.1)">audit</a>',
    '<h2 id="scope">Scope<a class="headerlink" href="#scope" title="Permanent link">¶</a></h2>',
    '<details class="note"><summary>More</summary><p>x</p></details>',
    '<pre class="mermaid"><code>graph TD; A--&gt;B</code></pre>',
    '<table><thead><tr><th style="text-align:left">A</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>',
    '<abbr title="Quality Management System">QMS</abbr>',
    '<svg xmlns="http://www.w3.org/2000/svg" class="qms-chart" viewBox="0 0 10 10" role="img" '
    'aria-labelledby="c-title"><title id="c-title">t</title><rect x="1" y="2" width="3" height="4" fill="#3f51b5">'
    '</rect><text x="1" y="2" text-anchor="end" fill="currentColor">1</text></svg>',
    '<ul class="task-list"><li class="task-list-item"><label class="task-list-control">'
    '<input checked="" type="checkbox" disabled=""><span class="task-list-indicator"></span></label> done</li></ul>',
]


@pytest.mark.parametrize("fragment", ENGINE_MARKUP)
def test_the_sanitizer_keeps_the_engine_and_theme_markup(fragment: str) -> None:
    assert markup_of(sanitize.clean(fragment)) == markup_of(fragment)


@pytest.mark.parametrize(("fragment", "kept"), [
    ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
    ('<img src="x" onerror="alert(1)">', '<img src="x">'),
    ('<a href="javascript:alert(1)">j</a>', "<a>j</a>"),
    ('<a href="data:text/html,x">d</a>', "<a>d</a>"),
    ('<iframe src="https://evil.example"></iframe>t', "t"),
    ('<object data="x.swf">o</object>', "o"),
    ("<style>body{display:none}</style>s", "s"),
    ('<form action="https://evil.example"><input type="password"></form>', '<input disabled="" type="checkbox">'),
    ('<div onclick="alert(1)" style="position:fixed">c</div>', "<div>c</div>"),
    ('<svg onload="alert(1)"><text>t</text></svg>', "<svg><text>t</text></svg>"),
])
def test_the_sanitizer_removes_what_an_author_must_not_publish(fragment: str, kept: str) -> None:
    assert markup_of(sanitize.clean(fragment)) == markup_of(kept)


def test_a_project_may_allow_more_html_but_never_scripts_or_handlers() -> None:
    allow = {"tags": ["video", "script"], "attributes": {"video": ["src", "onplay"]}}
    policy, problems = sanitize.policy_from(allow, "mkdocs.yml", 30)
    assert [str(p).split(": ")[:2] for p in problems] == [["mkdocs.yml:30", "qms option allow_html.tags"],
                                                       ["mkdocs.yml:30", "qms option allow_html.attributes.video"]]
    assert sanitize.clean('<video src="https://x.org/v.mp4" onplay="x()"></video>', policy) == \
        '<video src="https://x.org/v.mp4"></video>'
    assert sanitize.clean("<video></video>") == ""
    assert sanitize.clean("<script>x</script>", policy) == ""


def test_a_page_title_is_html_text_without_template_syntax() -> None:
    assert sanitize.page_title("</title><script>x</script> {{ 6*7 }}", from_front_matter=True) == \
        "&lt;/title&gt;&lt;script&gt;x&lt;/script&gt; &#123;&#123; 6*7 &#125;&#125;"
    assert sanitize.page_title("A &lt;b&gt; <code>c</code>", from_front_matter=False) == "A &lt;b&gt; c"
