"""Past revisions in full: a page per earlier version of each controlled document, as it stood at that revision.

Each page is marked "Superseded: revision N of DATE", lies outside the navigation and the search index (it is
under changes/, see `qms.site.plan`), and is linked from its row of the document's revision table. Every old
version is read with one `git cat-file --batch` for the whole manual. The old text is published as written
(Markdown; the sanitizer of published pages guards its HTML) but never runs as a template: its literal macro
calls are resolved by the engine, anything else shows as written. Its relative links are rebased to the page's
place; a link to a page that no longer exists keeps only its text.
"""

from __future__ import annotations

import posixpath
import re
from functools import partial
from typing import Callable, Sequence

from qms.history.redline import front_matter
from qms.history.revisions import Change, History, titled
from qms.model.documents import Document
from qms.model.project import Project
from qms.render import formats, paths
from qms.render.links import Linker, resolve_literal_calls
from qms.render.writer import SITE as W
from qms.render.writer import Markup

CHANGES_DIR = "changes"
HEADER = "---\nrender_macros: false\nsearch:\n  exclude: true\n---\n"
_LABEL = re.compile(r"[^0-9A-Za-z.]+")
_INLINE_LINK = re.compile(r"(?P<image>!?)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"\n]*\")?\)")
_REFERENCE = re.compile(r"^(?P<lead> {0,3}\[[^\]\n]+\]:[ \t]*)(?P<target>\S+)(?P<rest>.*)$", re.M)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#|/)", re.I)
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)


def label_slug(label: str | None) -> str:
    """A revision label as a part of a file name: letters, digits and dots only ('2.1', 'B')."""
    return _LABEL.sub("-", label or "none").strip("-.") or "none"


def past_uri(doc: Document, change: Change) -> str:
    """Where the version a change made is published: changes/QP-02/revision-3-1a2b3c4d.md."""
    return f"{CHANGES_DIR}/{doc.id}/revision-{label_slug(change.revision)}-{change.short}.md"


def past_versions(history: History, doc: Document) -> list[Change]:
    """The changes of a document whose versions get a page (newest first): every one but a withdrawal, and but
    the version the document's own page shows (the last committed one, unless the working copy differs)."""
    chain = history.for_path(doc.path)
    current = chain[0] if chain and not history.uncommitted(doc.path) else None
    return [c for c in chain if c.status != "D" and c.blob and c is not current]


def version_of(history: History, doc: Document, revision: str) -> Change | None:
    """The change that left the document as it stood at `revision` (the newest version with that label)."""
    return next((c for c in history.for_path(doc.path) if c.status != "D" and c.revision == revision), None)


def past_pages(project: Project, history: History, exists: Callable[[str], bool]) -> dict[str, str]:
    """The page of every past version of every controlled document, uri -> Markdown. `exists(uri)` says whether
    the site has a page or file at a docs-relative uri (for the old text's links)."""
    per_doc = [(doc, past_versions(history, doc)) for doc in sorted(project.documents.values(), key=lambda d: d.id)]
    texts = history.texts([c.blob for _, versions in per_doc for c in versions if c.blob])
    linker = Linker(project)
    pages = {}
    for doc, versions in per_doc:
        chain = history.for_path(doc.path)
        for change in versions:
            text = texts.get(change.blob or "")
            if text is None:
                continue
            later = chain[chain.index(change) - 1] if chain.index(change) > 0 else None
            uri = past_uri(doc, change)
            pages[uri] = HEADER + past_page(linker, doc, change, later, text, uri, exists)
    return pages


def past_page(linker: Linker, doc: Document, change: Change, later: Change | None, text: str, uri: str,
              exists: Callable[[str], bool]) -> str:
    """The Markdown of one past version: the superseded notice, its document control block, its text."""
    meta, body = front_matter(text)
    old_path = change.path
    title = str(meta.get("title") or doc.title)
    revision = change.revision or "—"
    day = partial(formats.day, linker.project.settings)
    replaced = (W.md(" It was replaced on {} by revision {} ({}).", day(later.date), later.revision or "—",
                     titled(later.summary, later.pr)) if later else Markup(""))
    current = W.link(f"the current revision, {doc.revision}", paths.relative(doc.src_uri, uri))
    notice = W.md('!!! danger "Superseded: revision {} of {}"\n    This is {} as it stood at revision {}, from {} on. '
                  "It is kept as a record; do not work to it.{} Work to {}.\n\n",
                  revision, day(change.date), doc.id, revision, day(change.date), replaced, current)
    facts: dict[str, object] = {
        "Document": W.md("{} · {}", W.strong(doc.id), str(meta.get("type") or doc.type)),
        "Revision": W.strong(revision),
        "Status then": str(meta.get("status") or "—"),
        "Effective": day(change.date),
        "Change": titled(change.summary, change.pr),
        "Author": change.author or "—",
        "Approved by": ", ".join(change.approved_by) or "none recorded",
        "Commit": W.code(change.short),
    }
    control = W.md('<div class="qms-docmeta" markdown>\n\n{}</div>\n\n', W.table(list(facts), [list(facts.values())]))
    source_uri = _source_uri(doc, old_path)
    body = rebase_links(body, source_uri, uri, exists)  # the author's links first, then the engine's
    body = resolve_literal_calls(linker, body, uri, doc.path)
    back = W.md("\n\n{}\n", W.link(f"← {doc.label}, current revision", paths.relative(doc.src_uri, uri)))
    head = W.concat(W.heading(1, f"{doc.id} {title} — revision {revision} (superseded)"), notice, control)
    return "".join([head, body, back])  # the body is the author's Markdown, as on the document's own page


def _source_uri(doc: Document, old_path: str) -> str:
    """The docs-relative uri the old version had (its links are relative to it): the path it had then, in the
    folder the document's own page now has."""
    prefix = doc.path[: len(doc.path) - len(doc.src_uri)] if doc.path.endswith(doc.src_uri) else ""
    return old_path[len(prefix):] if prefix and old_path.startswith(prefix) else old_path


def rebase_links(markdown: str, from_uri: str, to_uri: str, exists: Callable[[str], bool]) -> str:
    """Relative links of a text written at `from_uri`, made to work from `to_uri`; a link to a page or file the
    site no longer has keeps its text only (an image, its alt text). Fenced code is left as written."""
    def target(raw: str) -> str | None:
        if _EXTERNAL.match(raw):
            return raw
        path = raw.split("#", 1)[0]
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(from_uri), path))
        if resolved.startswith("..") or not exists(resolved):
            return None
        return paths.relative(resolved, to_uri)  # without its fragment: the heading may be gone

    def inline(match: re.Match[str]) -> str:
        new = target(match.group("target"))
        if new is None:
            return match.group("text")
        return f"{match.group('image')}[{match.group('text')}]({new}{match.group('title') or ''})"

    def reference(match: re.Match[str]) -> str:
        new = target(match.group("target").strip("<>"))
        return "" if new is None else f"{match.group('lead')}{new}{match.group('rest')}"

    parts: list[str] = []
    last = 0
    for fence in _FENCE.finditer(markdown):
        parts.append(_REFERENCE.sub(reference, _INLINE_LINK.sub(inline, markdown[last:fence.start()])))
        parts.append(fence.group(0))
        last = fence.end()
    parts.append(_REFERENCE.sub(reference, _INLINE_LINK.sub(inline, markdown[last:])))
    return "".join(parts)


def revision_link(doc: Document, change: Change, with_page: Sequence[Change], label: Markup) -> Markup:
    """A revision-table cell: the label, linked to the version's page when it has one."""
    if change in with_page:
        return W.link(label, paths.relative(past_uri(doc, change), doc.src_uri),
                      f"{doc.id} as it stood at revision {change.revision}")
    return label
