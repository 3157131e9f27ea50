"""`qms pdf`'s work spread over the cores: the manual's parts laid out in worker processes at once, each
document's PDF cut from its part (qms.publish.pdfparts), then the front matter and the joined manual.

WeasyPrint lays out and draws in one thread, so the manual (some 300 pages) used one core while the others
waited, and each document's PDF laid its pages out a second time. Now the largest parts start first and the
others fill the free workers; each worker parses the print style sheet and loads its fonts once, for all its
parts. Workers are forked on Linux, spawned elsewhere.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from qms.model.project import Project
from qms.publish import pdf, pdfparts

PARTS_PER_WORKER = 3  # more parts than workers, so that no worker waits long for the last one
MAX_FRONT_TRIES = 3  # the contents are laid out again when their own length moves the pages they list


@dataclass(frozen=True)
class Result:
    """What one `qms pdf` run wrote, and the documents it found no page for."""

    written: tuple[Path, ...]
    missing: tuple[str, ...]  # "QP-09 (procedures/QP-09-x.md)" for a document the built site has no page for


def cpu_count() -> int:
    """The cores this process may use (not every core of the machine, under a CPU affinity or a container)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def write(site: Path, project: Project, edition: pdf.Edition, out: Path, *, manual: bool,
          documents: Iterable[str] | None, workers: int,
          progress: Callable[[int, str], None] | None = None) -> Result:
    """The whole manual (when `manual`) as `out`/quality-manual.pdf, and each of `documents` (None: every
    controlled document) as `out`/documents/ID.pdf; `progress(total, what)` is told each step done."""
    wanted = sorted(project.documents) if documents is None else list(dict.fromkeys(documents))
    trees: dict[Path, ET.Element] = {}
    every = pdf.site_pages(site, project, trees)
    by_doc = {page.document.id: page for page in every if page.document is not None}
    for doc_id in wanted:  # a document left out of the navigation still has its page
        doc = project.documents[doc_id]
        path = pdf.page_of_document(site, doc) if doc_id not in by_doc else None
        if path is not None:
            by_doc[doc_id] = pdf.SitePage(pdf.url_of(site, path), path, doc.label, "", doc)
    missing = tuple(f"{d} ({project.documents[d].path})" for d in wanted if d not in by_doc)
    pages = every if manual else []  # the manual's pages; then documents printed apart from it
    apart = [by_doc[d] for d in wanted if d in by_doc and by_doc[d] not in pages]
    targets: dict[str, str] = {}
    sections = pdf.manual_sections(pages, edition, site, trees=trees, targets=targets)
    alone = pdf.manual_sections(apart, edition, site, grouped=False, trees=trees, targets=targets)
    grouped = {s.get("id", ""): "qms-pdf-grouped" in s.get("class", "") for s in sections}
    cuts = {by_doc[d].anchor: pdfparts.Cut(by_doc[d].anchor, d, project.documents[d].label,
                                           out / pdf.DOCUMENTS_DIR / f"{d}.pdf", grouped.get(by_doc[d].anchor, False))
            for d in wanted if d in by_doc}
    with tempfile.TemporaryDirectory(prefix="qms-pdf-") as scratch:
        parts = pdfparts.parts_of(pages, sections, edition, workers * PARTS_PER_WORKER, cuts, Path(scratch),
                                  "Quality Manual")
        parts += pdfparts.parts_of(apart, alone, edition, len(alone), cuts, None, "Quality Manual", start=len(parts))
        total = len(parts) + (1 if manual else 0)
        beside = pdfparts.ManualLink(os.path.relpath(out / pdf.MANUAL_FILE, out / pdf.DOCUMENTS_DIR)
                                     .replace(os.sep, "/"), frozenset(page.anchor for page in pages)) \
            if manual else None
        printed = _print_parts(parts, edition, site, targets, beside, workers,
                               (lambda what: progress(total, what)) if progress else None)
        written = [path for part in sorted(printed, key=lambda p: p.index) for path in part.written]
        if manual:
            joined = [part for part in printed if part.output is not None]
            written.insert(0, _manual(pages, joined, edition, site, out / pdf.MANUAL_FILE))
            if progress is not None:
                progress(total, pdf.MANUAL_FILE)
    return Result(tuple(written), missing)


def _manual(pages: list[pdf.SitePage], printed: list[pdfparts.Printed], edition: pdf.Edition, site: Path,
            output: Path) -> Path:
    """The cover and the contents (with the page each entry starts on), then every part, as one PDF."""
    import weasyprint

    resources = pdf.Resources(edition).load()
    offsets, before = {}, 0
    for part in sorted(printed, key=lambda p: p.index):
        offsets[part.index] = before
        before += part.pages
    front_pages = 2
    for _ in range(MAX_FRONT_TRIES):
        numbers = {anchor: front_pages + offsets[part.index] + start + 1
                   for part in printed for anchor, start in part.starts.items()}
        front = [pdf.cover(edition, edition.title), pdf.contents(pages, numbers, href=pdfparts.PART_LINK)]
        document = weasyprint.HTML(string=pdf.html_document(front, edition, "Quality Manual"),
                                   base_url=str(site) + "/").render(
            stylesheets=[resources.css], font_config=resources.fonts, cache=resources.cache)
        if len(document.pages) == front_pages:
            break
        front_pages = len(document.pages)
    return pdfparts.join(document.write_pdf(pdf_identifier=False), printed, output, "Quality Manual", edition)


# ----------------------------------------------------------------------------------------------
# Workers


@dataclass
class _Worker:
    edition: pdf.Edition
    resources: pdf.Resources
    base: Path
    targets: dict[str, str]
    manual: pdfparts.ManualLink | None  # links that leave a document lead there


_WORKER: _Worker | None = None  # in each worker process (and in this one, for one worker)


def _print_parts(parts: list[pdfparts.Part], edition: pdf.Edition, base: Path, targets: dict[str, str],
                 manual: pdfparts.ManualLink | None, workers: int, progress: Callable[[str], None] | None) -> list[pdfparts.Printed]:
    ordered = sorted(parts, key=lambda part: -part.cost)
    workers = max(1, min(workers, len(parts)))
    printed = []
    if workers == 1:
        _start(edition, base, targets, manual)
        for part in ordered:
            printed.append(_run(part))
            if progress is not None:
                progress(part.label)
        return printed
    # fork on Linux (the workers start at once and inherit the parsed pages); spawn elsewhere, as Python does
    # on macOS, where forking a process that has loaded system frameworks is not safe
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                             initargs=(edition, base, targets, manual)) as pool:
        futures = {pool.submit(_run, part): part for part in ordered}
        for future in as_completed(futures):
            printed.append(future.result())
            if progress is not None:
                progress(futures[future].label)
    return printed


def _start(edition: pdf.Edition, base: Path, targets: dict[str, str], manual: pdfparts.ManualLink | None,
           ) -> None:
    global _WORKER
    _WORKER = _Worker(edition, pdf.Resources(edition), base, targets, manual)


def _run(part: pdfparts.Part) -> pdfparts.Printed:
    worker = _WORKER
    assert worker is not None, "a part was printed outside a worker"
    return pdfparts.print_part(part, worker.edition, worker.resources, worker.base, worker.targets,
                               worker.manual)
