"""Redlines as HTML, and the compare page of a change: who, when, why, the changed fields and the redline.

Removed words are in `<del>`, added ones in `<ins>`; every word is HTML-escaped and braces are entities, so
neither old text nor a commit's subject can become markup or run a template (mkdocs-macros).
"""

from __future__ import annotations

from qms.history.redline import (
    ADDED,
    REMOVED,
    Block,
    RedlineStats,
    differing_fields,
    front_matter,
    redline_blocks,
)
from qms.history.revisions import Change, titled
from qms.render.writer import SITE as W
from qms.render.writer import Markup, html_text

REDLINE_CSS = """\
.qms-redline p { white-space: normal; }
.qms-redline del { background: #fdd; color: #900; text-decoration: line-through; }
.qms-redline ins { background: #dfd; color: #060; text-decoration: none; }
.qms-redline .qms-redline-skip { color: #777; font-style: italic; }
"""

_MARKS = {REMOVED: "del", ADDED: "ins"}


def _html_lines(text: str) -> str:
    """HTML text with line breaks as <br>."""
    return html_text(text).replace("\n", "<br>")


def _block(block: Block) -> str:
    if block.kept is not None:
        return f"<p>{_html_lines(block.kept)}</p>"
    if block.skipped:
        noun = "paragraph" if block.skipped == 1 else "paragraphs"
        return f'<p class="qms-redline-skip">… {block.skipped} unchanged {noun} …</p>'
    runs = "".join(f"<{_MARKS[kind]}>{_html_lines(text)}</{_MARKS[kind]}>" if kind in _MARKS else _html_lines(text)
                   for kind, text in block.runs)
    return f'<p class="qms-redline-changed">{runs}</p>'


def redline(old: str, new: str, context: int = 0) -> tuple[Markup, RedlineStats]:
    """An HTML block comparing two texts, and what it counted (see `qms.history.redline.redline_blocks`)."""
    blocks, stats = redline_blocks(old, new, context)
    body = [_block(b) for b in blocks] if stats.paragraphs else ['<p class="qms-redline-skip">No change to the text.</p>']
    return Markup('<div class="qms-redline">\n' + "\n".join(body) + "\n</div>"), stats


def redline_html(old: str, new: str, context: int = 0) -> Markup:
    """The HTML block comparing two texts (see `redline`)."""
    return redline(old, new, context)[0]


def change_details(old_text: str, new_text: str, status: str, context: int = 1) -> str:
    """What a change did, as Markdown: the document-control fields it changed and the redline of the text."""
    old_fields, old_body = front_matter(old_text or "")
    new_fields, new_body = front_matter(new_text or "")
    out = []
    fields = differing_fields(old_fields, new_fields)
    if fields and status not in ("A", "D"):
        out += [W.heading(2, "Document control fields"),
                W.table(["Field", "Before", "After"], [[W.code(k), a, b] for k, a, b in fields], empty="")]
    out += [W.heading(2, "Text"), redline(old_body, new_body, context)[0], Markup("\n")]
    return W.concat(*out)


def compare_page(doc_id: str, title: str, change: Change, old_text: str | None, new_text: str | None,
                 commit_url: str | None = None, context: int = 1, details: str | None = None) -> str:
    """A Markdown page showing what `change` did to a document: who, when, why, the changed
    document-control fields and the word-by-word redline of the text."""
    old_rev = change.previous_revision or "—"
    new_rev = change.revision or ("withdrawn" if change.status == "D" else "—")
    facts: dict[str, object] = {
        "Revision": f"{old_rev} → {new_rev}",
        "Date": change.date,
        "Change": titled(change.summary, change.pr),
        "Author": change.author or "—",
        "Approved by": ", ".join(change.approved_by) or "none recorded",
        "Commit": W.link(W.code(change.short), commit_url) if commit_url else W.code(change.short),
        "Signature": change.signature_text,
    }
    if change.old_path:
        facts["Moved"] = W.md("{} → {}", W.code(change.old_path), W.code(change.path))
    out = [W.heading(1, f"{doc_id} {title}: revision {new_rev}"),
           W.table(list(facts), [list(facts.values())], empty="")]
    if change.status != "A" and change.content_changed and not change.revision_bumped:
        out.append(W.md('!!! warning "Content changed without a revision bump"\n'
                        "    The text changed but the revision stayed {}.\n\n", old_rev))
    if details is None:
        details = change_details(old_text or "", new_text or "", change.status, context)
    return "".join(out) + details
