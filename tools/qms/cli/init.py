"""`qms init DIR`: create a new, minimal quality-manual repository that builds strictly."""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
from pathlib import Path

from qms import clock, files, package
from qms.problems import Problem, QMSError

TEMPLATE = package.INIT_TEMPLATE
FORMATTED = {".yml", ".yaml", ".md"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a new quality-manual repository in DIR",
                       description="Create mkdocs.yml (with the qms plugin), docs/, procedures/, records_schema/ and "
                                   "organization.yaml for a new company, ready for `mkdocs build --strict`.")
    p.add_argument("directory", type=Path, help="folder to create (must be empty or not exist)")
    p.add_argument("--company", default="Example Company Ltd", help="company name used in the new files")
    p.add_argument("--no-git", action="store_true", help="do not run `git init`")
    p.set_defaults(func=run)


def template_files() -> list[Path]:
    """Files of the template, relative to it."""
    return sorted(p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def create(directory: Path, company: str, today: dt.date) -> list[Path]:
    """Write the template into `directory`; never overwrite an existing file."""
    if directory.exists() and any(directory.iterdir()):
        raise QMSError(Problem(str(directory), 0, "folder is not empty: choose a new folder so nothing is overwritten",
                               code="not-empty"))
    written = []
    for rel in template_files():
        target = directory / rel
        if rel.name == "_includes.keep":
            target = directory / "docs" / "_includes" / ".keep"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (TEMPLATE / rel).read_text(encoding="utf-8")
        if rel.suffix in FORMATTED:
            text = text.replace("{company}", company).replace("{today}", today.isoformat())
            text = text.replace("{{{{", "{{").replace("}}}}", "}}")
        files.write_atomic(target, text, newline=None)
        written.append(target)
    (directory / "records").mkdir(exist_ok=True)
    files.write_atomic(directory / ".gitignore", "site/\n.venv/\n__pycache__/\n", newline=None)
    return written


def run(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    written = create(directory, args.company, clock.today())
    if not args.no_git and not (directory / ".git").exists():
        subprocess.run(["git", "init", "-q", str(directory)], check=False)
    print(f"Created a quality manual for {args.company} in {directory} ({len(written)} files).")
    print(f"Next: cd {directory} && mkdocs build --strict   (or mkdocs serve for a live preview)")
    return 0
