"""Redlines: what changed between two revisions of a document, word by word, as HTML.

Paragraphs (blocks between blank lines) are aligned first; a changed paragraph is then compared
word by word, removed words in `<del>`, added ones in `<ins>`. Runs of unchanged paragraphs are
collapsed into one "… N unchanged paragraphs …" line. All text is HTML-escaped, and braces are
written as entities so a template engine (mkdocs-macros) never runs `{{ … }}` from old text.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
from dataclasses import dataclass
from typing import Sequence

from qms.history.revisions import Change, History
from qms.model.yamlio import YAMLSyntaxProblem, load, split_front_matter

# A word or a punctuation mark with the white space after it: bare white-space tokens would be so
# frequent that difflib's matching turns quadratic on long paragraphs.
_TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+", re.U)
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")

REDLINE_CSS = """\
.qms-redline p { white-space: normal; }
.qms-redline del { background: #fdd; color: #900; text-decoration: line-through; }
.qms-redline ins { background: #dfd; color: #060; text-decoration: none; }
.qms-redline .qms-redline-skip { color: #777; font-style: italic; }
"""


@dataclass(frozen=True)
class Comparison:
    """One revision of a document next to the version before it."""

    change: Change
    old_text: str  # '' for a new document
    new_text: str  # '' for a withdrawn document


@dataclass(frozen=True)
class RedlineStats:
    """How much a comparison changed: paragraphs touched, words removed and added."""

    paragraphs: int
    removed_words: int
    added_words: int

    @property
    def unchanged(self) -> bool:
        return self.paragraphs == 0


def paragraphs(text: str) -> list[str]:
    """The blocks of a Markdown text, split at blank lines, with line endings normalised."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return [p for p in _BLANK_LINES.split(text) if p.strip()] if text.strip() else []


def _escape(text: str) -> str:
    """HTML-escaped text, braces as entities, line breaks as <br>."""
    return (html.escape(text, quote=False).replace("{", "&#123;").replace("}", "&#125;")
            .replace("\n", "<br>"))


def word_diff(old: str, new: str) -> tuple[str, int, int]:
    """HTML of `new` with removed words of `old` in <del> and added words in <ins>; and the word counts.

    Words are matched without the white space after them, and unchanged runs keep the new spacing.
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    keys_a = [t.rstrip() or " " for t in a]
    keys_b = [t.rstrip() or " " for t in b]
    out: list[str] = []
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(_escape("".join(b[j1:j2])))
            continue
        gone, came = "".join(a[i1:i2]), "".join(b[j1:j2])
        if gone.strip():
            out.append(f"<del>{_escape(gone.rstrip())}</del>")
            removed += sum(1 for t in a[i1:i2] if not t.isspace())
        if came.strip():
            out.append(f"<ins>{_escape(came.rstrip())}</ins>")
            added += sum(1 for t in b[j1:j2] if not t.isspace())
        kept = came if came else gone  # the white space after the change stays outside the marks
        out.append(_escape(kept[len(kept.rstrip()):]))
    return "".join(out), removed, added


def _skip(n: int) -> str:
    noun = "paragraph" if n == 1 else "paragraphs"
    return f'<p class="qms-redline-skip">… {n} unchanged {noun} …</p>'


def redline(old: str, new: str, context: int = 0) -> tuple[str, RedlineStats]:
    """An HTML block comparing two texts, and what it counted; `context` unchanged paragraphs are kept
    around each change."""
    a, b = paragraphs(old), paragraphs(new)
    body: list[str] = []
    touched = removed = added = 0
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            kept = a[i1:i2]
            head = kept[:context] if index > 0 else []
            tail = kept[len(kept) - context:] if context and index < len(opcodes) - 1 else []
            if len(head) + len(tail) >= len(kept):
                body.extend(f"<p>{_escape(p)}</p>" for p in kept)
                continue
            body.extend(f"<p>{_escape(p)}</p>" for p in head)
            body.append(_skip(len(kept) - len(head) - len(tail)))
            body.extend(f"<p>{_escape(p)}</p>" for p in tail)
            continue
        olds, news = a[i1:i2], b[j1:j2]
        pairs: Sequence[tuple[str, str]]
        if tag == "replace" and len(olds) == len(news):
            pairs = list(zip(olds, news))
        else:
            pairs = [("\n\n".join(olds), "\n\n".join(news))]
        for old_p, new_p in pairs:
            html_p, r, ad = word_diff(old_p, new_p)
            body.append(f'<p class="qms-redline-changed">{html_p}</p>')
            touched += 1
            removed += r
            added += ad
    if not touched:
        body = ['<p class="qms-redline-skip">No change to the text.</p>']
    return '<div class="qms-redline">\n' + "\n".join(body) + "\n</div>", RedlineStats(touched, removed, added)


def redline_html(old: str, new: str, context: int = 0) -> str:
    """The HTML block comparing two texts (see `redline`)."""
    return redline(old, new, context)[0]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("{", "&#123;").replace("}", "&#125;")


@functools.lru_cache(maxsize=64)
def _front_matter(text: str) -> tuple[dict, str]:
    """The front matter (as data, {} when unreadable) and the body of a document version.

    Remembered for the last versions: consecutive changes of a document share one (the new text of
    one is the old text of the next). Callers must not change the data returned.
    """
    fm = split_front_matter(text)
    if not fm.present:
        return {}, text
    try:
        data = load(fm.yaml_text or "") or {}
    except YAMLSyntaxProblem:
        return {"(front matter)": fm.yaml_text}, fm.body
    return (data if isinstance(data, dict) else {}), fm.body


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return str(value)


def _differing_fields(old: dict, new: dict) -> list[tuple[str, str, str]]:
    """(field, before, after) for every front-matter field that differs between two versions."""
    keys = list(dict.fromkeys([*new, *old]))
    return [(k, _value(old.get(k)), _value(new.get(k))) for k in keys if old.get(k) != new.get(k)]


def change_details(old_text: str, new_text: str, status: str, context: int = 1) -> str:
    """What a change did, as Markdown: the document-control fields it changed and the redline of the text."""
    old_fields, old_body = _front_matter(old_text or "")
    new_fields, new_body = _front_matter(new_text or "")
    lines = []
    fields = _differing_fields(old_fields, new_fields)
    if fields and status not in ("A", "D"):
        lines += ["## Document control fields", "", "| Field | Before | After |", "|---|---|---|",
                  *(f"| `{_cell(k)}` | {_cell(a)} | {_cell(b)} |" for k, a, b in fields), ""]
    lines += ["## Text", "", redline(old_body, new_body, context)[0], ""]
    return "\n".join(lines)


def compare_page(doc_id: str, title: str, change: Change, old_text: str | None, new_text: str | None,
                 commit_url: str | None = None, context: int = 1, details: str | None = None) -> str:
    """A Markdown page showing what `change` did to a document: who, when, why, the changed
    document-control fields and the word-by-word redline of the text."""
    old_rev = change.previous_revision or "—"
    new_rev = change.revision or ("withdrawn" if change.status == "D" else "—")
    commit = f"[`{change.short}`]({commit_url})" if commit_url else f"`{change.short}`"
    facts = {
        "Revision": f"{old_rev} → {new_rev}",
        "Date": change.date,
        "Change": _cell(change.summary) + (f" ({change.pr})" if change.pr else ""),
        "Author": _cell(change.author) or "—",
        "Approved by": _cell(", ".join(change.approved_by)) or "none recorded",
        "Commit": commit,
        "Signature": change.signature_text,
    }
    if change.old_path:
        facts["Moved"] = f"`{_cell(change.old_path)}` → `{_cell(change.path)}`"
    lines = [f"# {_cell(doc_id)} {_cell(title)}: revision {new_rev}", "",
             "| " + " | ".join(facts) + " |", "|" + "---|" * len(facts), "| " + " | ".join(facts.values()) + " |", ""]
    if change.status != "A" and change.content_changed and not change.revision_bumped:
        lines += ["!!! warning \"Content changed without a revision bump\"",
                  f"    The text changed but the revision stayed {old_rev}.", ""]
    if details is None:
        details = change_details(old_text or "", new_text or "", change.status, context)
    return "\n".join(lines) + "\n" + details


def comparisons(history: History, path: str) -> list[Comparison]:
    """Each change to the document now at `path` with the texts before and after it, newest first.

    Every version is read with one `git cat-file --batch`.
    """
    changes = history.for_path(path)
    texts = history.texts([b for c in changes for b in (c.blob, c.previous_blob) if b])
    return [Comparison(c, texts.get(c.previous_blob or "") or "", texts.get(c.blob or "") or "") for c in changes]
