"""`qms pdf`: the whole manual as one PDF, and one PDF per controlled document, from the built site."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from qms import clock
from qms.cli.options import date_arg
from qms.config import load_settings
from qms.model.project import load_project
from qms.problems import Problem, QMSError
from qms.publish import pdf
from qms.site import marker


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pdf", help="write the manual as PDF (whole manual and one file per controlled document)",
                       description="Print the quality manual to PDF: a cover (company, the commit and date the "
                                   "manual was built from, status), contents, every page of the site, and a header "
                                   "and footer on every page (document id, revision, page, 'uncontrolled when "
                                   "printed' with the print date). Also one PDF per controlled document.")
    p.add_argument("--site", type=Path, metavar="DIR",
                   help="an already built site (e.g. site/ after 'mkdocs build --strict'); without it the site "
                        "is built first into site/")
    p.add_argument("-o", "--output", type=Path, metavar="DIR",
                   help=f"folder for the PDFs (default: SITE/pdf, so that they are published with the site): "
                        f"{pdf.MANUAL_FILE} and {pdf.DOCUMENTS_DIR}/ID.pdf")
    p.add_argument("--document", action="append", default=[], metavar="ID",
                   help="only this document's PDF (repeatable); skips the whole manual unless --manual is given")
    p.add_argument("--manual", action="store_true", help="with --document: write the whole manual too")
    p.add_argument("--no-documents", action="store_true", help="only the whole manual, no per-document PDFs")
    p.add_argument("--date", type=date_arg, default=None, metavar="YYYY-MM-DD",
                   help="print date shown on every page (default: today)")
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
    if args.site is None:
        build_site(settings.config_file, site)
    if not (site / "index.html").is_file():
        raise QMSError(Problem(str(site), 0, "no built site here (no index.html): build it with "
                                             "'mkdocs build --strict', or run 'qms pdf' without --site",
                               code="no-site"))
    unclean = marker.problem(site, str(args.site or site))
    if unclean is not None:
        raise QMSError(unclean)
    project = load_project(settings)
    unknown = [d for d in args.document if d not in project.documents]
    if unknown:
        raise QMSError([Problem(settings.rel(settings.config_file), 0, f"no controlled document '{d}'",
                                code="unknown-document")
                        for d in unknown])
    out: Path = (args.output or site / "pdf").resolve()
    printed = clock.today(args.date)
    written = []
    if not args.document or args.manual:
        written.append(pdf.write_manual(site, project, out / pdf.MANUAL_FILE, printed))
    if not args.no_documents:
        written += pdf.write_documents(site, project, out / pdf.DOCUMENTS_DIR, printed, only=args.document)
    for path in written:
        print(path)
    print(f"Wrote {len(written)} PDF file{'s' if len(written) != 1 else ''} to {out}", file=sys.stderr)
    return 0
