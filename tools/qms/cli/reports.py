"""Report commands: `qms gap`, `qms due`, `qms review-due`, `qms review-done`, `qms training-due`, `qms readiness`,
`qms tasks`, `qms audit-checklist`, `qms review-pack`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qms import clock, files
from qms.analysis import auditprep, gap, reviews, tasks
from qms.analysis.reviewpack import Period, compile_pack
from qms.cli import output
from qms.cli.options import date_arg
from qms.config import load_settings
from qms.model import yamlio
from qms.model.project import Project, load_project
from qms.problems import Problem, QMSError
from qms.render import reports


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gap", help="gap analysis: every ISO 9001 clause as covered, partial, gap or not applicable",
                       description="Compare the quality system with every clause of the standard: documents, "
                                   "required documented information, clauses not applicable, and the organization's "
                                   "own assessment in gap-assessment.yaml.")
    _format(p, gap.FORMATS)
    p.add_argument("--fail-under", type=float, metavar="N",
                   help="exit 1 when fewer than N percent of the applicable clauses are covered (for CI)")
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="judge assessment target dates on DATE (default: today)")
    p.set_defaults(func=run_gap)

    p = sub.add_parser("due", help="everything due: document reviews, calibrations, corrective actions, training, "
                                   "audits, the next management review",
                       description="What is due within --within days (default 90) or overdue, most urgent first. The "
                                   "Markdown is a digest fit for a scheduled CI job to post, e.g. as an issue body.")
    _format(p, ("md", "json"))
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="the day to judge on (default: today)")
    p.add_argument("--within", type=int, default=90, metavar="DAYS", help="show what is due within DAYS (default 90)")
    p.add_argument("--fail-on-overdue", action="store_true", help="exit 1 when anything is overdue")
    p.set_defaults(func=run_due)

    p = sub.add_parser("training-due", help="people who must read the current revision of a document",
                       description="When a revision takes effect, the people whose roles must know the document "
                                   "(its audience:, else its owner, task roles and the roles its Responsibilities "
                                   "name) are to train until a training record for that revision exists.")
    _format(p, ("md", "json"))
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="the day to judge on (default: today)")
    p.add_argument("--document", metavar="DOC-ID", help="only this document")
    p.set_defaults(func=run_training_due)

    p = sub.add_parser("readiness", help="certification readiness: a stage-1 style checklist with an overall verdict",
                       description="Mandatory documented information, scope and exclusions, the internal audit "
                                   "cycle, management review, objectives, corrective actions, calibration and "
                                   "training, each with its evidence and a verdict in plain words.")
    _format(p, ("md", "json"))
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="the day to judge on (default: today)")
    p.add_argument("--fail-under", type=float, metavar="N",
                   help="exit 1 when fewer than N percent of the checklist items are done (for CI)")
    p.set_defaults(func=run_readiness)

    p = sub.add_parser("review-due", help="documents whose periodic review is overdue or due soon "
                                          "(records too: see qms due)",
                       description="The review schedule: overdue, due within 30 days, later. The last review comes "
                                   "from git (the last approved change), from a recorded review (qms review-done), "
                                   "or from the effective date.")
    _format(p, ("md", "json"))
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="the day to judge on (default: today)")
    p.add_argument("--fail-on-overdue", action="store_true", help="exit 1 when a review is overdue")
    p.set_defaults(func=run_review_due)

    p = sub.add_parser("review-done", help="record a review that confirmed a document unchanged",
                       description="Set `last_review:` in the document's front matter (every other byte of the file "
                                   "is kept). Commit the change with an Approved-by: trailer.")
    p.add_argument("document", metavar="DOC-ID", help="the id of the document reviewed, e.g. QP-05")
    p.add_argument("--date", type=date_arg, metavar="DATE", help="the date of the review (default: today)")
    p.set_defaults(func=run_review_done)

    p = sub.add_parser("tasks", help="the managers' recurring tasks, as Markdown or an iCalendar file",
                       description="Every recurring task documents give to roles. --format ics writes an iCalendar "
                                   "file with recurrence rules for calendar programs.")
    _format(p, ("md", "ics"))
    p.add_argument("--role", help="only the tasks of this role id")
    p.add_argument("--start", type=date_arg, metavar="DATE", help="first day of the calendar (default: today)")
    p.set_defaults(func=run_tasks)

    p = sub.add_parser("audit-checklist", help="checklist for an internal audit of a clause or a process",
                       description="The clause (with subclauses) or process, its documents at their current "
                                   "revisions, the records to sample, and the open findings and corrective actions.")
    scope = p.add_mutually_exclusive_group(required=True)
    scope.add_argument("--clause", help="a clause number, e.g. 8.7")
    scope.add_argument("--process", metavar="DOC-ID", help="the document of a process, e.g. QP-13")
    _format(p, ("md", "json"))
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="the day of the audit (default: today)")
    p.add_argument("--sample", type=int, default=auditprep.DEFAULT_SAMPLE, metavar="N",
                   help=f"recent records to list per record type (default: {auditprep.DEFAULT_SAMPLE})")
    p.set_defaults(func=run_audit_checklist)

    p = sub.add_parser("review-pack", help="the management review input pack for a period",
                       description="The inputs of a management review compiled from the records in git.")
    p.add_argument("--period", type=_period, metavar="START..END",
                   help="e.g. 2026-01-01..2026-12-31 (default: the twelve months up to --as-of)")
    _format(p, ("md", "json"))
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="judge open and overdue items on DATE (default: today)")
    p.set_defaults(func=run_review_pack)


def _format(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    parser.add_argument("--format", choices=formats, default=formats[0], help=f"output format (default: {formats[0]})")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of standard output")



def _period(value: str) -> Period:
    try:
        return Period.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _emit(data: str | bytes, output: Path | None) -> None:
    """Write to the file named, or to standard output."""
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        return
    files.write_atomic(output, data, newline=None)


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _warn(problems: list[Problem]) -> None:
    output.print_problems(problems, sys.stderr)


def _project(args: argparse.Namespace, with_records: bool = True) -> Project:
    return load_project(load_settings(args.config_file), with_records=with_records)


def _history(project: Project):  # noqa: ANN202 - History, imported lazily: git is only needed here
    from qms.history.approvals import judged_history
    from qms.history.changecontrol import controlled_folders
    from qms.history.revisions import load_history

    return judged_history(load_history(project.settings.root, controlled_folders(project.settings),
                                       revision_scheme=project.settings.revision_scheme), project)


# ----------------------------------------------------------------------------------------------


def run_gap(args: argparse.Namespace) -> int:
    project = _project(args)
    analysis = gap.analyse(project, as_of=clock.today(args.as_of), history=_history(project))
    if analysis.problems:
        _warn(list(analysis.problems))
        if any(p.severity == "error" for p in analysis.problems) and analysis.assessment is None:
            print(f"{gap.ASSESSMENT_FILE} is not used until these problems are fixed.", file=sys.stderr)
    as_of = clock.today(args.as_of)
    if args.format == "json":
        _emit(_json(gap.rows_json(analysis)), args.output)
    elif args.format == "csv":
        _emit(gap.to_csv(analysis), args.output)
    else:
        _emit(output.align_tables(reports.gap_markdown(project, analysis, as_of)), args.output)
    print(f"Coverage: {analysis.coverage:g} % of applicable clauses covered ("
          + ", ".join(f"{n} {s}" for s, n in analysis.counts.items()) + ").", file=sys.stderr)
    if args.fail_under is not None and analysis.coverage < args.fail_under:
        print(f"Coverage {analysis.coverage:g} % is below --fail-under {args.fail_under:g} %.", file=sys.stderr)
        return 1
    return 0


def run_due(args: argparse.Namespace) -> int:
    from qms.analysis import due
    from qms.render.reports.due import due_markdown

    project = _project(args)
    history = _history(project)
    _warn(list(history.problems))
    as_of = clock.today(args.as_of)
    items = due.due_items(project, as_of, history)
    if args.format == "json":
        _emit(_json(due.digest_json(items, as_of, args.within)), args.output)
    else:
        _emit(due_markdown(project, items, as_of, args.within), args.output)
    overdue = [i for i in items if i.status == "overdue"]
    print(f"{len(overdue)} item{'s' if len(overdue) != 1 else ''} overdue on {as_of.isoformat()}.", file=sys.stderr)
    return 1 if overdue and args.fail_on_overdue else 0


def run_training_due(args: argparse.Namespace) -> int:
    from qms.analysis import training
    from qms.render.reports.due import training_markdown

    project = _project(args)
    as_of = clock.today(args.as_of)
    if args.document and args.document not in project.documents:
        raise QMSError(Problem(args.document, 0, f"unknown document id '{args.document}'", code="unknown-document"))
    items = [b for b in training.training_due(project) if not args.document or b.document.id == args.document]
    if args.format == "json":
        _emit(_json({"as_of": as_of.isoformat(), "people": [b.as_json(as_of) for b in items]}), args.output)
    else:
        _emit(training_markdown(project, items, as_of), args.output)
    print(f"{len(items)} briefing{'s' if len(items) != 1 else ''} to do.", file=sys.stderr)
    return 0


def run_readiness(args: argparse.Namespace) -> int:
    from qms.analysis import readiness
    from qms.render.reports.due import readiness_markdown

    project = _project(args)
    as_of = clock.today(args.as_of)
    result = readiness.assess(project, as_of, _history(project))
    if args.format == "json":
        _emit(_json(result.as_json()), args.output)
    else:
        _emit(readiness_markdown(project, result), args.output)
    print(f"Readiness: {result.overall_text} ({result.score:g} % of the checklist done)", file=sys.stderr)
    if args.fail_under is not None and result.score < args.fail_under:
        print(f"Readiness {result.score:g} % is below --fail-under {args.fail_under:g} %.", file=sys.stderr)
        return 1
    return 0


def run_review_due(args: argparse.Namespace) -> int:
    project = _project(args)
    history = _history(project)
    _warn(list(history.problems))
    as_of = clock.today(args.as_of)
    items = reviews.review_schedule(project, as_of, reviews.last_reviews(project, history))
    if args.format == "json":
        _emit(_json(reviews.schedule_json(items, as_of)), args.output)
    else:
        _emit(output.align_tables(reports.schedule_markdown(project, items, as_of)), args.output)
    overdue = [i for i in items if i.status == "overdue"]
    print(f"{len(overdue)} document review{'s' if len(overdue) != 1 else ''} overdue on {as_of.isoformat()}. "
          "Calibrations, corrective actions, training, audits and management reviews: qms due.", file=sys.stderr)
    return 1 if overdue and args.fail_on_overdue else 0


def run_review_done(args: argparse.Namespace) -> int:
    project = _project(args, with_records=False)
    doc = project.documents.get(args.document)
    if doc is None and args.document in project.invalid_documents:
        path = project.invalid_documents[args.document]
        raise QMSError([*(p for p in project.problems if p.path == path and p.severity == "error"),
                        Problem(path, 0, f"{args.document} exists but is invalid: not changed; fix the problems "
                                         "above first", code="invalid-document")])
    if doc is None:
        import difflib

        hint = difflib.get_close_matches(args.document, list(project.documents), n=3, cutoff=0.6)
        raise QMSError(Problem(args.document, 0, f"unknown document id '{args.document}'"
                                                 + (f" (did you mean {' or '.join(repr(h) for h in hint)}?)" if hint else ""),
                               code="unknown-document"))
    today = clock.today()
    when = args.date or today
    problem = reviews.review_done_problem(doc, when, today)
    if problem is not None:
        raise QMSError(problem)
    path = project.settings.root / doc.path
    raw = path.read_bytes()
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    try:
        updated = reviews.with_last_review(raw[len(bom):].decode("utf-8"), when)
    except yamlio.YAMLSyntaxProblem as exc:
        raise QMSError(Problem(doc.path, exc.line + 1 if exc.line else 0, f"front matter: {exc.message}",
                               code=exc.code)) from None
    files.write_atomic(path, bom + updated.encode("utf-8"), doc.path)
    print(f"{doc.path}: last_review: {when.isoformat()} recorded for {doc.id} (revision {doc.revision} confirmed). "
          f"Commit it with an 'Approved-by:' trailer.")
    return 0


def run_tasks(args: argparse.Namespace) -> int:
    project = _project(args, with_records=False)
    items, problems = tasks.scheduled_tasks(project.documents.values())
    _warn(problems)
    if args.role:
        roles = project.organization.roles
        if roles and args.role not in roles and args.role not in {t.role for t in items}:
            raise QMSError(Problem("--role", 0, f"unknown role '{args.role}': use a role id from "
                                                f"{project.settings.rel(project.settings.organization_file)}",
                                   code="unknown-role"))
        items = [t for t in items if t.role == args.role]
    start = args.start or clock.today()
    if args.format == "ics":
        _emit(reports.calendar_text(project, items, start).encode("utf-8"), args.output)
    else:
        _emit(output.align_tables(reports.tasks_markdown(project, items, None, args.role)), args.output)
    return 0


def run_audit_checklist(args: argparse.Namespace) -> int:
    project = _project(args)
    history = _history(project)
    checklist = auditprep.checklist(project, clause_id=args.clause, process_id=args.process,
                                    as_of=clock.today(args.as_of), history=history,
                                    sample_size=max(args.sample, 0))
    if args.format == "json":
        _emit(_json(checklist.as_json()), args.output)
    else:
        _emit(output.align_tables(reports.checklist_markdown(project, checklist)), args.output)
    return 0


def run_review_pack(args: argparse.Namespace) -> int:
    project = _project(args)
    as_of = clock.today(args.as_of)
    period = args.period or Period.year_to(as_of)
    pack = compile_pack(project, period, as_of)
    if args.format == "json":
        _emit(_json(pack.as_json()), args.output)
    else:
        _emit(output.align_tables(reports.pack_markdown(project, pack)), args.output)
    return 0

