"""`qms history`, `qms audit-trail` and `qms diff`: change control read from git history."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from qms import files
from qms.analysis import training
from qms.cli.options import date_arg
from qms.cli.output import print_problems
from qms.config import load_settings
from qms.history import approvals, changecontrol, pullrequest, recordchanges
from qms.history.revisions import History, latest_id, load_history
from qms.model.project import Project, load_project
from qms.problems import Problem, QMSError
from qms.render import changelog
from qms.render.recordchanges import record_diff_markdown


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the history, audit-trail and diff subcommands."""
    p = subparsers.add_parser("history", help="revision history of one document, newest first",
                              description="The revision history of one controlled document, from git: commit, date, "
                                          "author, change summary, revision and approvers, newest first.")
    p.add_argument("doc_id", metavar="DOC-ID", help="document id, e.g. QP-07")
    _output_options(p, default="md")
    p.set_defaults(func=run_history)

    p = subparsers.add_parser("audit-trail", help="all changes to controlled documents, with change-control flags",
                              description="Every change to a controlled document, newest first, with flags: "
                                          + "; ".join(f"{k} ({v})" for k, v in changecontrol.FLAG_TEXT.items()) + ".")
    p.add_argument("--since", type=date_arg, metavar="DATE", help="first day to include (YYYY-MM-DD)")
    p.add_argument("--until", type=date_arg, metavar="DATE", help="last day to include (YYYY-MM-DD)")
    _output_options(p, default=None)
    p.set_defaults(func=run_audit_trail)

    p = subparsers.add_parser("diff", help="controlled documents and records changed since a base revision (for a pull "
                                           "request)",
                              description="Summarise the controlled documents that differ between REV and the working "
                                          "tree: old and new revision, clauses and record types affected; the records "
                                          "added, changed (field by field) and deleted, with their flags; and changes "
                                          "to what record types publish. Paste the Markdown into a pull request.")
    p.add_argument("--base", required=True, metavar="REV", help="base branch, tag or commit, e.g. origin/main")
    _output_options(p, default="md")
    p.set_defaults(func=run_diff)


def _output_options(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--format", choices=changecontrol.FORMATS, default=default,
                        help=f"output format (default: {default})" if default else
                        "output format (default: from the -o file's extension, .csv or .json; else a md table)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of standard output")



def _format_of(args: argparse.Namespace) -> str:
    """The format asked for; without one, the output file's (.csv, .json), else a readable Markdown table."""
    if args.format:
        return args.format
    suffix = args.output.suffix.lstrip(".").lower() if args.output else ""
    return suffix if suffix in changecontrol.FORMATS else "md"


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)  # Markdown as written: it is pasted into pull requests
        return
    files.write_atomic(output, text)


def _history(project: Project) -> History:
    """The history with its approvals judged against the person register and the policy."""
    history = approvals.judged_history(
        load_history(project.settings.root, changecontrol.controlled_folders(project.settings),
                     revision_scheme=project.settings.revision_scheme), project)
    print_problems(history.problems, sys.stderr)
    return history


def run_history(args: argparse.Namespace) -> int:
    """Print the revision history of one document."""
    project = load_project(load_settings(args.config_file))  # the person register: who signed each change
    history = _history(project)
    doc = project.documents.get(args.doc_id)
    if doc is not None:
        changes, title, path = history.for_path(doc.path), doc.label, doc.path
    else:
        path = history.path_of(args.doc_id)
        if path is None:
            known = sorted({*project.documents, *filter(None, (latest_id(c) for c in history.changes.values()))})
            close = difflib.get_close_matches(args.doc_id, known, n=3, cutoff=0.5)
            hint = f": did you mean {', '.join(close)}?" if close else ": 'qms export' lists the documents"
            raise QMSError(Problem(project.settings.rel(project.settings.config_file), 0,
                                   f"no document with id '{args.doc_id}'{hint}", code="unknown-document"))
        changes, title = history.for_path(path), f"{args.doc_id} (withdrawn)"
    draft = history.uncommitted(path) and doc is not None
    if draft and args.format != "md":
        print(f"{path}: note: the working copy differs from the last commit (draft, not yet approved)", file=sys.stderr)
    if args.format == "md":
        _emit(changelog.history_markdown(changes, title, history, draft), args.output)
    else:
        _emit(changecontrol.format_history(changes, args.format, history), args.output)
    return 0


def run_audit_trail(args: argparse.Namespace) -> int:
    """Print every change to a controlled document in a period, with its flags."""
    settings = load_settings(args.config_file)
    if args.since and args.until and args.since > args.until:
        raise QMSError(Problem("audit-trail", 0, f"--since {args.since} is after --until {args.until}",
                               code="usage"))
    project = load_project(settings)
    history = _history(project)
    rows = recordchanges.merged(changecontrol.audit_trail(history, args.since, args.until, settings.policy),
                                recordchanges.record_audit_rows(project, args.since, args.until))
    args.format = _format_of(args)
    _emit(changelog.audit_markdown(rows) if args.format == "md" else changecontrol.format_audit(rows, args.format),
          args.output)
    return 0


def run_diff(args: argparse.Namespace) -> int:
    """Print the controlled documents changed since a base revision (a report: `qms check --base` fails)."""
    project = load_project(load_settings(args.config_file))  # records: who must be briefed on a new revision
    changes = pullrequest.changes_since(project.settings.root, args.base, project)
    records = recordchanges.record_diff(project, args.base)
    for problem in recordchanges.base_problems(project, args.base, records):
        print(problem, file=sys.stderr)
    if args.format == "md":
        text = changelog.diff_markdown(changes, args.base, project)
        extra = record_diff_markdown(records, args.base)
        _emit(f"{text}\n{extra}" if extra else text, args.output)
    else:
        to_brief = training.to_brief_after_changes(project, changes)
        _emit(recordchanges.format_diff(changes, records, args.format, to_brief), args.output)
    return 0
