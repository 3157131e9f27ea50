"""`qms pdf`: the whole manual as one PDF, and one PDF per controlled document, from the built site."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from qms import clock
from qms.cli import output
from qms.cli.options import date_arg, positive_int
from qms.config import Settings, load_settings
from qms.history.changecontrol import controlled_folders
from qms.history.revisions import load_history
from qms.model.project import Project, load_project
from qms.problems import Problem, QMSError
from qms.publish import pdf, pdfjobs
from qms.render import pastrevisions
from qms.site import marker
from qms.site import source as build_source


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pdf", help="write the manual as PDF (whole manual and one file per controlled document)",
                       description="Print the quality manual to PDF: a cover (company, the commit and date the "
                                   "manual was built from, status), contents, every page of the site, and a header "
                                   "and footer on every page (document id, revision, page, 'uncontrolled when "
                                   "printed' with the print date). Also one PDF per controlled document.")
    p.add_argument("--site", type=Path, metavar="DIR",
                   help="an already built site (e.g. site/ after 'mkdocs build --strict') of the working tree as "
                        "it is; without it, site/ is built first unless it is already a build of the working "
                        "tree as it is, today")
    p.add_argument("-o", "--output", type=Path, metavar="DIR",
                   help=f"folder for the PDFs (default: SITE/pdf, so that they are published with the site): "
                        f"{pdf.MANUAL_FILE} and {pdf.DOCUMENTS_DIR}/ID.pdf")
    p.add_argument("--document", action="append", default=[], metavar="ID",
                   help="only this document's PDF (repeatable); skips the whole manual unless --manual is given")
    p.add_argument("--revision", metavar="N",
                   help="with one --document: print that document as it stood at revision N (a superseded one), "
                        "as ID-revision-N.pdf")
    p.add_argument("--manual", action="store_true", help="with --document: write the whole manual too")
    p.add_argument("--no-documents", action="store_true", help="only the whole manual, no per-document PDFs")
    p.add_argument("--date", type=date_arg, default=None, metavar="YYYY-MM-DD",
                   help="print date shown on every page (default: today)")
    p.add_argument("-j", "--jobs", type=positive_int, default=None, metavar="N",
                   help="parts of the manual laid out at once, each in its own process (default: one per core "
                        "this process may use)")
    p.set_defaults(func=run)


def build_site(config_file: Path, site: Path) -> None:
    """`mkdocs build --strict` into `site` (a separate process: the engine core never imports MkDocs)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config_file),
                           "-d", str(site)], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise QMSError(Problem(config_file.name, 0, "the site does not build (see the messages above): fix them, "
                                                     "then run 'qms pdf' again", code="build-failed"))


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config_file)
    site: Path = (args.site or settings.root / "site").resolve()
    current = build_source.of(settings, clock.today(), site)
    if args.site is None:
        if current is not None and marker.source(site) == current:
            output.note(f"pdf: {settings.rel(site)}/ is current ({current.describe()}): not built again")
        else:
            build_site(settings.config_file, site)
    if not (site / "index.html").is_file():
        raise QMSError(Problem(str(site), 0, "no built site here (no index.html): build it with "
                                             "'mkdocs build --strict', or run 'qms pdf' without --site",
                               code="no-site"))
    unclean = marker.problem(site, str(args.site or site))
    if unclean is not None:
        raise QMSError(unclean)
    stale = _stale(site, str(args.site or site), current)
    if stale is not None:
        raise QMSError(stale)
    project = load_project(settings)
    unknown = [d for d in args.document if d not in project.documents]
    if unknown:
        raise QMSError([Problem(settings.rel(settings.config_file), 0, f"no controlled document '{d}'",
                                code="unknown-document")
                        for d in unknown])
    out: Path = (args.output or site / "pdf").resolve()
    printed = clock.today(args.date)
    if args.revision is not None:
        return _past_revision(args, settings, project, site, out, printed, current)
    edition = pdf.read_edition(project, printed, current)
    workers = args.jobs or pdfjobs.cpu_count()
    progress = output.Progress("pdf", 0, min_lines=1)

    def step(total: int, what: str) -> None:
        progress.total = total
        progress.step(what)

    result = pdfjobs.write(site, project, edition, out, manual=not args.document or args.manual,
                           documents=[] if args.no_documents else (args.document or None), workers=workers,
                           progress=step)
    progress.finish(f"pdf: {len(result.written)} PDF file{'s' if len(result.written) != 1 else ''}, "
                    f"{min(workers, max(progress.total, 1))} at a time")
    output.print_problems([Problem(str(site), 0, f"no page for {what} in the built site: build the site again",
                                   severity="warning", code="no-page") for what in result.missing])
    written = list(result.written)
    for path in written:
        print(path)
    output.note(f"Wrote {len(written)} PDF file{'s' if len(written) != 1 else ''} to {out}")
    return 0


def _stale(site: Path, shown: str, current: build_source.Source | None) -> Problem | None:
    """Why the built site is not the manual in the working tree (another commit, other uncommitted changes),
    or None: a PDF stamps the working tree's edition on every page, so its pages must be that edition's."""
    if current is None:  # outside git: the edition says "not under version control"
        return None
    built = marker.source(site)
    if built is not None and built.same_edition(current):
        return None
    return Problem(shown, 0, f"{_difference(built, current)}: a PDF of it would carry the working tree's edition on "
                             "the pages of another. Build it again ('mkdocs build --strict') or run 'qms pdf' "
                             "without --site", code="stale-site")


def _difference(built: build_source.Source | None, current: build_source.Source) -> str:
    if built is None:
        return "this site does not say what it was built from (an older engine built it)"
    if built.commit != current.commit:
        now = f"commit {current.commit[:7]}" if current.commit else "no commit"
        return f"this site was built from {built.describe()}, but the working tree is at {now}"
    if built.changes is None:
        return "this site was built from the commit as it is, but the working tree has uncommitted changes since"
    if current.changes is None:
        return "this site was built with uncommitted changes that the working tree no longer has"
    return "this site was built with other uncommitted changes than the working tree has now"


def _past_revision(args: argparse.Namespace, settings: Settings, project: Project, site: Path, out: Path,
                   printed: dt.date, current: build_source.Source | None) -> int:
    """`qms pdf --document ID --revision N`: the document as it stood at revision N."""
    where = settings.rel(settings.config_file)
    if len(args.document) != 1:
        raise QMSError(Problem(where, 0, "--revision N prints one document: name it with --document ID",
                               code="revision-needs-document"))
    doc = project.documents[args.document[0]]
    revision = str(args.revision)
    if revision == doc.revision:  # the current revision: the document's own PDF
        args.revision = None
        args.no_documents, args.manual = False, False
        path = pdf.write_document(site, doc, out / pdf.DOCUMENTS_DIR / f"{doc.id}.pdf",
                                  pdf.read_edition(project, printed, current))
        if path is None:
            raise QMSError(Problem(str(site), 0, f"no page for {doc.id} in the built site: build the site again",
                                   code="no-site"))
        written = [path]
    else:
        history = load_history(settings.root, controlled_folders(settings), revision_scheme=settings.revision_scheme)
        change = pastrevisions.version_of(history, doc, revision)
        if change is None:
            known = ", ".join(dict.fromkeys(c.revision for c in history.for_path(doc.path) if c.revision)) or "none"
            raise QMSError(Problem(doc.path, doc.line_of("revision"),
                                   f"{doc.id} has no revision '{revision}' in its history (revisions: {known})",
                                   code="unknown-revision"))
        try:
            written = [pdf.write_past_revision(site, project, doc, revision, pastrevisions.past_uri(doc, change),
                                               out / pdf.DOCUMENTS_DIR / f"{doc.id}-revision-{pastrevisions.label_slug(revision)}.pdf",
                                               printed, current)]
        except FileNotFoundError as exc:
            raise QMSError(Problem(str(site), 0, str(exc), code="no-site")) from None
    for path in written:
        print(path)
    print(f"Wrote {len(written)} PDF file{'s' if len(written) != 1 else ''} to {out}", file=sys.stderr)
    return 0
