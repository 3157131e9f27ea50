"""`qms init DIR`: a new company's quality-manual repository that builds strictly and publishes on its first push.

It writes the starter manual (templates/init), the starter library of record types (templates/library, one for
everything ISO 9001 asks to retain, numbered with the company's code), `requirements.txt` pinning the engine that
made it (qms.cli.engine), and makes the first commit on `main`: the import. The change-control policy judges
changes from the day after it, so adopting the manual is never reported as a violation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
from pathlib import Path

from qms import clock, files, package
from qms.cli import engine
from qms.problems import Problem, QMSError

TEMPLATE = package.INIT_TEMPLATE
LIBRARY = package.TEMPLATES / "library"
FORMATTED = {".yml", ".yaml", ".md", ".txt", ""}
CODE = re.compile(r"^[A-Z][A-Z0-9]{1,5}$")
_NOT_INITIALS = {"ltd", "limited", "inc", "llc", "gmbh", "plc", "co", "ag", "sa", "sarl", "bv", "the", "of", "and",
                 "&", "company", "corp", "corporation"}
IMPORT_MESSAGE = "Import the quality manual made by qms init\n\nThe starting point of the manual: changes are judged from the next day on.\n"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a new quality-manual repository in DIR",
                       description="Create a company's quality-manual repository: mkdocs.yml with the qms plugin, "
                                   "the starter manual, a record type for everything ISO 9001 asks to retain, the "
                                   "pipelines, requirements.txt pinning this engine, and a first commit on main.")
    p.add_argument("directory", type=Path, help="folder to create (must be empty or not exist)")
    p.add_argument("--company", default="Example Company Ltd", help="company name used in the new files")
    p.add_argument("--code", help="the company's short code, the prefix of record ids, e.g. BWL (default: the "
                                  "initials of --company)")
    p.add_argument("--engine", metavar="SPEC",
                   help="the engine requirements.txt pins: a version, a wheel path or URL, or a git URL at a tag or "
                        "commit (default: where the running engine was installed from)")
    p.add_argument("--no-offline", dest="offline", action="store_false",
                   help="build for a web server only (default: the site also opens from disk, search included)")
    p.add_argument("--no-git", action="store_true", help="do not create the git repository and its first commit")
    p.set_defaults(func=run)


def company_code(company: str) -> str:
    """The default short code: the initials of the company's name without its legal form (2-5 letters)."""
    words = [w for w in re.findall(r"[A-Za-z0-9]+", company) if w.lower() not in _NOT_INITIALS]
    code = "".join(w[0] for w in words).upper()[:5]
    if len(code) < 2 and words:
        code = re.sub(r"[^A-Z0-9]", "", words[0].upper())[:3]
    return code if CODE.match(code) else "QMS"


def template_files() -> list[Path]:
    """Files of the template, relative to it."""
    return sorted(p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def library_files() -> list[Path]:
    """The starter library's record schemas."""
    return sorted(LIBRARY.glob("*.schema.yaml"))


def fill(text: str, values: dict[str, str]) -> str:
    """A template's text with {company}, {code}, {today} and {judge_from} filled in (`{{{{` stands for `{{`)."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text.replace("{{{{", "{{").replace("}}}}", "}}")


def create(directory: Path, company: str, today: dt.date, code: str | None = None,
           engine_line: str | None = None, offline: bool = True) -> list[Path]:
    """Write the template and the library into `directory`; never overwrite an existing file."""
    if directory.exists() and any(directory.iterdir()):
        raise QMSError(Problem(str(directory), 0, "folder is not empty: choose a new folder so nothing is overwritten",
                               code="not-empty"))
    code = code or company_code(company)
    if not CODE.match(code):
        raise QMSError(Problem("--code", 0, f"'{code}' is not a short code: 2 to 6 capital letters or digits, starting "
                                            "with a letter, e.g. BWL", code="usage"))
    values = {"company": company.replace('"', "'"), "code": code, "today": today.isoformat(),
              "judge_from": (today + dt.timedelta(days=1)).isoformat()}
    written = []
    sources = [(TEMPLATE / rel, rel) for rel in template_files()]
    sources += [(path, Path("records_schema") / path.name) for path in library_files()]
    for source, rel in sources:
        target = directory / rel
        if rel.name == "_includes.keep":
            target = directory / "docs" / "_includes" / ".keep"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if rel.suffix in FORMATTED:
            text = fill(text, values)
        if rel.as_posix() == "mkdocs.yml" and not offline:
            text = _online_only(text)
        files.write_atomic(target, text, newline=None)
        written.append(target)
    (directory / "records").mkdir(exist_ok=True)
    files.write_atomic(directory / "records" / ".keep", "", newline=None)
    files.write_atomic(directory / ".gitignore", "site/\npublic/\n.venv/\n__pycache__/\n", newline=None)
    gap = directory / "gap-assessment.yaml"
    files.write_atomic(gap, gap_assessment_text(today), newline=None)
    written.append(gap)
    requirements = directory / engine.REQUIREMENTS
    files.write_atomic(requirements, engine.requirements_text(engine_line or engine.running_engine()[0]), newline=None)
    written.append(requirements)
    return written


def gap_assessment_text(today: dt.date) -> str:
    """gap-assessment.yaml with every clause of ISO 9001 from 4 on, not assessed yet."""
    import yaml

    catalogue = yaml.safe_load((package.CATALOGUES / "iso9001-2015.yaml").read_text(encoding="utf-8"))
    start = int(str(catalogue["standard"].get("requirements_from", "4")).split(".")[0])
    lines = ["# The company's own assessment of its current practice against ISO 9001, clause by clause (see the",
             "# authoring guide and records_schema/gap-assessment.schema.yaml). Nothing is assessed yet: for each clause,",
             "# write what the company does now (practice), the evidence seen, and a status (covered, partial or gap);",
             "# a partial or gap needs an action with an owner and a target date. `qms gap` shows the result.",
             'assessed_by: "not assessed yet"',
             f'date: "{today.isoformat()}"',
             "clauses:"]
    for clause in catalogue["clauses"]:
        if int(str(clause["id"]).split(".")[0]) >= start:
            lines += [f'  - clause: "{clause["id"]}"', "    practice: not assessed"]
    return "\n".join(lines) + "\n"


def _online_only(text: str) -> str:
    """mkdocs.yml without the settings that make the site open from disk."""
    text = re.sub(r"(?m)^# The site opens from disk.*\n(?:#.*\n)*use_directory_urls: false\n", "", text)
    return re.sub(r"(?m)^  # Search and links.*\n  - offline\n", "", text)


def git_commit(directory: Path, today: dt.date) -> str | None:
    """`git init` on main and the import commit, dated `today` (judge_from is the day after it); None when done,
    else what the person must do."""
    when = f"{today.isoformat()}T12:00:00+00:00"
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True, env=env)

    if git("init", "-q", "-b", "main").returncode != 0:
        init = git("init", "-q")  # git before 2.28
        if init.returncode != 0:
            return f"git init failed: {init.stderr.strip()}"
        git("symbolic-ref", "HEAD", "refs/heads/main")
    git("add", "-A")
    commit = git("commit", "-q", "-m", IMPORT_MESSAGE)
    if commit.returncode != 0:
        reason = commit.stderr.strip().splitlines()[-1] if commit.stderr.strip() else "git commit failed"
        return (f"the first commit was not made ({reason}). Set your name and e-mail "
                "(git config --global user.name \"Your Name\"; git config --global user.email you@example.com), "
                f"then: cd {directory} && git commit -m \"Import the quality manual made by qms init\"")
    return None


def run(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    today = clock.today()
    line, note = (engine.requirement(args.engine), None) if args.engine else engine.running_engine()
    note = note or engine.local_file_note(line)
    written = create(directory, args.company, today, args.code, line, args.offline)
    problem = None if args.no_git or (directory / ".git").exists() else git_commit(directory, today)
    print(f"Created a quality manual for {args.company} in {directory} ({len(written)} files).")
    print(f"Engine pinned in requirements.txt: {line}")
    if note:
        print(f"note: {note}")
    if problem:
        print(f"note: {problem}")
    elif not args.no_git:
        print("First commit on main: the import (changes are judged from the next day on).")
    print(f"Next: cd {directory} && python -m pip install -r requirements.txt && make build   (or: make serve)")
    return 0
