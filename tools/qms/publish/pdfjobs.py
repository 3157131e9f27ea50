"""Many PDFs at once: the whole manual and each controlled document's PDF as jobs spread over worker processes.

WeasyPrint lays out and draws in one thread, so a run of `qms pdf` (the manual, some 350 pages, and thirty
document PDFs) used one core while the others waited. Each PDF is an independent job: the biggest (the
manual) starts first and the others fill the remaining workers, largest first, so the run ends about when
the manual does. Each worker parses the print style sheet and loads its fonts once, for all its jobs.
Workers are forked where the system allows it, so they share the project the command already loaded; else
each loads it again from the configuration file.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from qms.config import load_settings
from qms.model.project import Project, load_project
from qms.publish import pdf


@dataclass(frozen=True)
class Job:
    """One PDF to write: the whole manual (`document` None) or one controlled document's."""

    output: Path
    document: str | None = None

    @property
    def name(self) -> str:
        return self.document or self.output.name


@dataclass(frozen=True)
class Done:
    """What a job wrote, or why it wrote nothing."""

    job: Job
    path: Path | None
    warning: str | None = None


@dataclass
class _Worker:
    """What one process keeps between its jobs."""

    site: Path
    project: Project
    edition: pdf.Edition
    resources: pdf.Resources


_WORKER: _Worker | None = None  # set in each worker process (and in the command's own for one worker)
_FORKED: tuple[Path, Project] | None = None  # the command's project, inherited by forked workers


def jobs_for(project: Project, out: Path, *, manual: bool, documents: Iterable[str] | None) -> list[Job]:
    """The manual's job (when `manual`) and one job per document: `documents` None means every document."""
    wanted = sorted(project.documents) if documents is None else list(dict.fromkeys(documents))
    jobs = [Job(out / pdf.MANUAL_FILE)] if manual else []
    return jobs + [Job(out / pdf.DOCUMENTS_DIR / f"{doc_id}.pdf", doc_id) for doc_id in wanted]


def cpu_count() -> int:
    """The cores this process may use (not every core of the machine, under a CPU affinity or a container)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def write_all(site: Path, project: Project, jobs: list[Job], edition: pdf.Edition, workers: int,
              progress: Callable[[str], None] | None = None) -> list[Done]:
    """Run the jobs on up to `workers` processes (1: in this process); `progress` is told each finished job's
    name. The results come back in the order of `jobs`."""
    ordered = sorted(jobs, key=lambda job: -_cost(site, project, job))
    workers = max(1, min(workers, len(jobs)))
    results: dict[Job, Done] = {}
    if workers == 1:
        _start(site, project.settings.config_file, edition, project)
        for job in ordered:
            results[job] = _run(job)
            if progress is not None:
                progress(job.name)
        return [results[job] for job in jobs]
    global _FORKED
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    _FORKED = (project.settings.config_file, project)
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                                 initargs=(site, project.settings.config_file, edition)) as pool:
            futures = {pool.submit(_run, job): job for job in ordered}
            for future in as_completed(futures):
                done = future.result()
                results[futures[future]] = done
                if progress is not None:
                    progress(done.job.name)
    finally:
        _FORKED = None
    return [results[job] for job in jobs]


def _cost(site: Path, project: Project, job: Job) -> int:
    """About how long a job takes: the manual is the sum of every page; a document, the size of its page."""
    if job.document is None:
        return 1 << 62
    doc = project.documents[job.document]
    page = pdf.page_of_document(site, doc)
    return page.stat().st_size if page is not None else 0


def _start(site: Path, config_file: Path, edition: pdf.Edition, project: Project | None = None) -> None:
    global _WORKER
    if project is None:
        project = _FORKED[1] if _FORKED is not None and _FORKED[0] == config_file else \
            load_project(load_settings(config_file))
    _WORKER = _Worker(site, project, edition, pdf.Resources(edition))


def _run(job: Job) -> Done:
    worker = _WORKER
    assert worker is not None, "a PDF job ran outside a worker"
    if job.document is None:
        path = pdf.write_manual(worker.site, worker.project, job.output, worker.edition.printed, worker.resources,
                                edition=worker.edition)
        return Done(job, path)
    doc = worker.project.documents[job.document]
    path = pdf.write_document(worker.site, doc, job.output, worker.edition, worker.resources)
    if path is None:
        return Done(job, None, f"no page for {doc.id} ({doc.path}) in the built site: build the site again")
    return Done(job, path)
