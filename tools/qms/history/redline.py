"""Redlines as data: what changed between two revisions of a document, paragraph by paragraph and word by word.

Paragraphs (blocks between blank lines) are aligned first; a changed paragraph is then compared word by word
into runs of kept, removed and added text. Runs of unchanged paragraphs are collapsed into a count. The HTML a
reader sees is written from this by `qms.render.redline`, which escapes every word.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Sequence

from qms.history.revisions import Change, History
from qms.model.yamlio import YAMLSyntaxProblem, load, split_front_matter

# A word or a punctuation mark with the white space after it: bare white-space tokens would be so
# frequent that difflib's matching turns quadratic on long paragraphs.
_TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+", re.U)
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")

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


KEPT, REMOVED, ADDED = "kept", "removed", "added"


@dataclass(frozen=True)
class Block:
    """One line of a redline: unchanged paragraphs (`kept`), a count of collapsed ones (`skipped`), or a changed
    paragraph as runs of (KEPT | REMOVED | ADDED, text)."""

    kept: str | None = None
    skipped: int = 0
    runs: tuple[tuple[str, str], ...] = ()


def word_runs(old: str, new: str) -> tuple[list[tuple[str, str]], int, int]:
    """`new` as runs of kept, removed (from `old`) and added words; and the counts of removed and added words.

    Words are matched without the white space after them, and unchanged runs keep the new spacing.
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    keys_a = [t.rstrip() or " " for t in a]
    keys_b = [t.rstrip() or " " for t in b]
    out: list[tuple[str, str]] = []
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append((KEPT, "".join(b[j1:j2])))
            continue
        gone, came = "".join(a[i1:i2]), "".join(b[j1:j2])
        if gone.strip():
            out.append((REMOVED, gone.rstrip()))
            removed += sum(1 for t in a[i1:i2] if not t.isspace())
        if came.strip():
            out.append((ADDED, came.rstrip()))
            added += sum(1 for t in b[j1:j2] if not t.isspace())
        kept = came if came else gone  # the white space after the change stays outside the marks
        out.append((KEPT, kept[len(kept.rstrip()):]))
    return out, removed, added


def redline_blocks(old: str, new: str, context: int = 0) -> tuple[list[Block], RedlineStats]:
    """The blocks comparing two texts, and what they count; `context` unchanged paragraphs are kept around each
    change."""
    a, b = paragraphs(old), paragraphs(new)
    body: list[Block] = []
    touched = removed = added = 0
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            kept = a[i1:i2]
            head = kept[:context] if index > 0 else []
            tail = kept[len(kept) - context:] if context and index < len(opcodes) - 1 else []
            if len(head) + len(tail) >= len(kept):
                body.extend(Block(kept=p) for p in kept)
                continue
            body.extend(Block(kept=p) for p in head)
            body.append(Block(skipped=len(kept) - len(head) - len(tail)))
            body.extend(Block(kept=p) for p in tail)
            continue
        olds, news = a[i1:i2], b[j1:j2]
        pairs: Sequence[tuple[str, str]]
        if tag == "replace" and len(olds) == len(news):
            pairs = list(zip(olds, news))
        else:
            pairs = [("\n\n".join(olds), "\n\n".join(news))]
        for old_p, new_p in pairs:
            runs, r, ad = word_runs(old_p, new_p)
            body.append(Block(runs=tuple(runs)))
            touched += 1
            removed += r
            added += ad
    return body, RedlineStats(touched, removed, added)


@functools.lru_cache(maxsize=64)
def front_matter(text: str) -> tuple[dict, str]:
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


def differing_fields(old: dict, new: dict) -> list[tuple[str, str, str]]:
    """(field, before, after) for every front-matter field that differs between two versions, as plain text."""
    keys = list(dict.fromkeys([*new, *old]))
    return [(str(k), _value(old.get(k)), _value(new.get(k))) for k in keys if old.get(k) != new.get(k)]


def comparisons(history: History, path: str) -> list[Comparison]:
    """Each change to the document now at `path` with the texts before and after it, newest first.

    Every version is read with one `git cat-file --batch`.
    """
    changes = history.for_path(path)
    texts = history.texts([b for c in changes for b in (c.blob, c.previous_blob) if b])
    return [Comparison(c, texts.get(c.previous_blob or "") or "", texts.get(c.blob or "") or "") for c in changes]
