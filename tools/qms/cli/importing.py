"""`qms import PATH...`: existing Markdown and Word procedures as controlled documents of this manual.

Nothing is written until every file has been read and every front matter proposed passes the document schema;
an existing file is never replaced without `--overwrite`; each file is written in one step (a reader sees the
old file or the new one). `--dry-run` prints the report and writes nothing. The report says, per file, what
was mapped from where and what the quality manager must decide.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

from qms import clock, files
from qms.config import load_settings
from qms.importing import sources as source_files
from qms.importing.proposal import PREFIX_OF_TYPE, Options, Proposal, propose
from qms.model import yamlio
from qms.model.project import Project, document_schema, load_project
from qms.model.schema import validate
from qms.problems import Problem, QMSError

DESCRIPTION = """\
Import Markdown (.md) and Word (.docx) files, or folders of them, as controlled documents. For each file
the import proposes the front matter (id, title, type, owner, ISO 9001 clauses) from the file itself, takes
the first heading out of the body as the title, keeps headings, lists, tables, links and images, turns
links between the imported files into doc() links, and shows `{{` and `{%` in the text as written instead
of running them as templates. Documents are written as drafts (revision 0), or as effective revision 1 in
one commit with --effective. The report lists what was mapped and what needs a decision (an owner role the
manual lacks, an id already in use). Existing files are never replaced without --overwrite.

Not converted from Word: merged table cells (each cell is kept, the merge is not), text boxes, headers and
footers, comments and tracked changes (accept or reject them first), colours, fonts and page layout,
embedded objects other than images, and numbering that Word draws from a custom style rather than a list."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="bring existing Markdown and Word procedures in as controlled documents",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".md or .docx files, or folders of them")
    p.add_argument("--type", dest="doc_type", choices=tuple(PREFIX_OF_TYPE),
                   help="the type of every imported document (default: from keywords in each title and file name)")
    p.add_argument("--numbering", metavar="PREFIX-N",
                   help="number the documents in order from this id, e.g. QP-20 (default: the id in each file "
                        "name or first heading, else the next free id of its type)")
    p.add_argument("--owner", metavar="ROLE", help="owner role of every imported document (default: the "
                                                   "'process owner' named in each file, else the quality role)")
    p.add_argument("--review-interval", default="12 months", metavar="INTERVAL",
                   help="how often the documents are to be reviewed (default: 12 months)")
    p.add_argument("--into", metavar="FOLDER", help="folder for the documents (default: procedures/, and "
                                                    "docs/manual/ for policies and manual pages)")
    p.add_argument("--effective", action="store_true",
                   help="make the documents effective (revision 1, effective today) and commit them in one commit")
    p.add_argument("--overwrite", action="store_true", help="replace files that already exist")
    p.add_argument("--dry-run", action="store_true", help="print the report, write nothing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config_file)
    project = load_project(settings, with_records=False)
    options = Options(doc_type=args.doc_type, numbering=_numbering(args.numbering), owner=args.owner,
                      effective=args.effective, review_interval=args.review_interval, folder=_folder(args.into),
                      today=clock.today(), docs_folder=settings.rel(settings.docs_dir),
                      procedures_folder=settings.rel(settings.procedures_dir))
    if options.owner and options.owner not in project.organization.roles:
        known = ", ".join(sorted(project.organization.roles)) or "none"
        raise QMSError(Problem(settings.rel(settings.organization_file), 0,
                               f"--owner {options.owner}: not a role of organization.yaml (roles: {known})",
                               code="unknown-role"))
    files = source_files.collect(args.paths, Path.cwd())
    if not files:
        raise QMSError(Problem(" ".join(map(str, args.paths)), 0, "no .md or .docx files found", code="missing-file"))
    read = [source_files.read(path, _display(path)) for path in files]
    proposals = propose(read, project, options)
    _validate(proposals, options, project)
    if args.effective and not args.dry_run:
        _require_git(settings.root)
    written, skipped = ([], []) if args.dry_run else _write(proposals, options, settings.root, args.overwrite)
    if args.effective and written:
        _commit(settings.root, written, len(proposals))
    print(report(proposals, options, skipped, args.dry_run))
    return 0


def _numbering(value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"([A-Z][A-Z0-9]{0,5})-(\d{1,4})", value.strip())
    if not match:
        raise QMSError(Problem("--numbering", 0, f"'{value}' is not a first id: write it like QP-20",
                               code="invalid-option"))
    return match.group(1), int(match.group(2))


def _folder(value: str | None) -> str | None:
    if value is None:
        return None
    folder = Path(value).as_posix().strip("/")
    if folder.startswith("..") or Path(value).is_absolute():
        raise QMSError(Problem("--into", 0, f"'{value}': give a folder inside the manual's repository",
                               code="invalid-option"))
    return folder


def _display(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def _validate(proposals: list[Proposal], options: Options, project: Project) -> None:
    """Every proposed front matter passes the document schema, or nothing is written."""
    schema = document_schema(project.settings)
    problems: list[Problem] = []
    for proposal in proposals:
        yaml_text = proposal.front_matter(options).strip().removeprefix("---").removesuffix("---")
        for problem in validate(schema, yamlio.load(yaml_text), yaml_text, proposal.source.display):
            problems.append(Problem(proposal.source.display, 0, f"the proposed front matter is not valid "
                                                                 f"({problem.message}): fix the file or pass the "
                                                                 "option", code="import-invalid"))
    if problems:
        raise QMSError(problems)


def _require_git(root: Path) -> None:
    result = subprocess.run(["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise QMSError(Problem(str(root), 0, "--effective commits the import, but this folder is not a git "
                                             "repository: run `git init` first, or import as drafts",
                               code="not-a-repository"))


def _write(proposals: list[Proposal], options: Options, root: Path, overwrite: bool) -> tuple[list[Path], list[str]]:
    written: list[Path] = []
    skipped: list[str] = []
    for proposal in proposals:
        target = root / proposal.path
        if target.exists() and not overwrite:
            skipped.append(f"{proposal.path} exists: not replaced (pass --overwrite to replace it)")
            continue
        for image in proposal.source.images:
            image_path = root / proposal.image_folder / image.name
            if image_path.exists() and not overwrite:
                skipped.append(f"{proposal.image_folder}/{image.name} exists: not replaced")
                continue
            files.write_atomic(image_path, image.data)
            written.append(image_path)
        files.write_atomic(target, proposal.text(options))
        written.append(target)
    return written, skipped


def _commit(root: Path, written: list[Path], count: int) -> None:
    paths = [str(p.relative_to(root)) for p in written]
    add = subprocess.run(["git", "-C", str(root), "add", "--", *paths], capture_output=True, text=True)
    message = f"Import {count} document{'s' if count != 1 else ''} into the quality manual (qms import)"
    commit = subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", message, "--", *paths],
                            capture_output=True, text=True)
    if add.returncode or commit.returncode:
        raise QMSError(Problem(str(root), 0, "the files were written but not committed: "
                                             f"{(add.stderr or commit.stderr).strip()}; commit them yourself",
                               code="commit-failed"))


def report(proposals: list[Proposal], options: Options, skipped: list[str], dry_run: bool) -> str:
    state = "effective (revision 1, committed)" if options.effective else "drafts (revision 0)"
    verb = "Would import" if dry_run else "Imported"
    lines = [f"{verb} {len(proposals)} document{'s' if len(proposals) != 1 else ''} as {state}:"]
    decisions: list[str] = []
    for p in proposals:
        clauses = ", ".join(p.clauses) or "none found"
        lines.append(f"  {p.path}  {p.id} {p.title!r} ({p.doc_type}, owner {p.owner}, clauses {clauses})"
                     f"  from {p.source.display}")
        lines += [f"      - {m}" for m in p.mapped]
        if p.other_standards:
            lines.append(f"      - other standards cited, kept in a comment: {', '.join(p.other_standards)}")
        if p.unfinished:
            shown = ", ".join(map(str, p.unfinished[:8])) + (" …" if len(p.unfinished) > 8 else "")
            lines.append(f"      - {len(p.unfinished)} placeholder{'s' if len(p.unfinished) != 1 else ''} or "
                         f"empty section{'s' if len(p.unfinished) != 1 else ''} to finish (lines {shown}): "
                         "`qms check` lists them")
        lines += [f"      - note: {n}" for n in p.notes]
        decisions += [f"  - {p.id} ({p.source.display}): {d}" for d in p.decisions]
    if decisions:
        lines += ["", "Needs a decision:", *decisions]
    if skipped:
        lines += ["", "Not written:", *(f"  - {s}" for s in skipped)]
    lines += ["", "Next: read each document, set the owner and clauses where the report asks, then run `qms check`"
                  + ("." if options.effective else "; make a document effective (status: effective, revision: "
                                                   "\"1\") in the pull request that approves it.")]
    return "\n".join(lines)
