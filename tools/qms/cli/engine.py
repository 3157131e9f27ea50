"""The engine a company's manual is built with: `requirements.txt` pins it, `qms upgrade-engine` moves it.

`qms init` writes `requirements.txt` naming the exact engine that made the manual. By default that is where the
running engine came from, as the installed distribution's metadata says (PEP 610 `direct_url.json`): a wheel
file, a git URL at its commit, or, installed from the package index, its version. The pipelines and the
pre-commit set-up install from that file, so every build of the manual runs the same engine until someone
changes the pin on purpose, in a reviewed commit.
"""

from __future__ import annotations

import argparse
import json
import re
from importlib import metadata
from pathlib import Path

from qms import DISTRIBUTION
from qms.problems import Problem, QMSError

REQUIREMENTS = "requirements.txt"
HEADER = (
    "# The quality-manual engine this manual is built with, exactly (written by `qms init`).\n"
    "# The pipelines install it with `python -m pip install -r requirements.txt`; so does every author, once.\n"
    "# To move to a newer engine: `qms upgrade-engine SPEC`, then build, check and commit this file.\n"
)
_SPEC_LINE = re.compile(rf"^\s*{re.escape(DISTRIBUTION)}\b.*$", re.M | re.I)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("upgrade-engine", help="pin another engine in requirements.txt",
                       description="Change the engine that requirements.txt pins (the pipelines install it). "
                                   "SPEC is what pip installs: a version (0.2.0), a wheel path or URL, or a git "
                                   "URL at a tag or commit (git+https://host/org/repo@v0.2.0). Without SPEC, the "
                                   "engine that runs this command (install it first with pip).")
    p.add_argument("spec", nargs="?", metavar="SPEC", help="the engine to pin (default: the running engine)")
    p.add_argument("--dry-run", action="store_true", help="show the new pin, write nothing")
    p.set_defaults(func=run)


def requirement(spec: str) -> str:
    """A pip requirement line for an engine spec: a bare version, a path or URL, or a full requirement."""
    spec = spec.strip()
    if re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", spec):
        return f"{DISTRIBUTION}=={spec}"
    if re.match(rf"{re.escape(DISTRIBUTION)}\b", spec, re.I):
        return spec
    if re.match(r"^[a-z][a-z0-9+.-]*://", spec):
        return f"{DISTRIBUTION} @ {spec}"
    path = Path(spec).expanduser()
    if path.exists():
        return f"{DISTRIBUTION} @ {path.resolve().as_uri()}"
    raise QMSError(Problem("--engine", 0, f"'{spec}' is not a version, an existing path or a URL: give what pip "
                                          f"installs, e.g. 0.2.0, ./qms_iso9001-0.2.0-py3-none-any.whl or "
                                          f"git+https://host/org/repo@v0.2.0", code="usage"))


def running_engine() -> tuple[str, str | None]:
    """The requirement for the running engine and, when it cannot be installed elsewhere, why."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return DISTRIBUTION, f"the running engine is not installed as {DISTRIBUTION}: give --engine"
    raw = dist.read_text("direct_url.json")
    if not raw:
        return f"{DISTRIBUTION}=={dist.version}", None
    try:
        direct = json.loads(raw)
    except ValueError:
        return f"{DISTRIBUTION}=={dist.version}", None
    url = str(direct.get("url", ""))
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("commit_id"):
        return f"{DISTRIBUTION} @ {vcs.get('vcs', 'git')}+{url}@{vcs['commit_id']}", None
    if isinstance(direct.get("dir_info"), dict):
        return (f"{DISTRIBUTION} @ {url}",
                "the running engine is installed from a local folder, which other machines and the pipelines do not "
                "have: pin a release, a wheel or a git URL with `qms upgrade-engine SPEC` before pushing")
    return f"{DISTRIBUTION} @ {url}", None


def local_file_note(line: str) -> str | None:
    """Why a pin to a file on this computer will not install in the pipelines, if it is one."""
    if f"{DISTRIBUTION} @ file:" in line:
        return ("the engine is pinned to a file on this computer, which the pipelines cannot reach: before pushing, "
                "pin a URL they can download (a release's wheel, git+https://…@TAG) or a version on the package index")
    return None


def requirements_text(line: str) -> str:
    return HEADER + line + "\n"


def pinned(text: str) -> str | None:
    """The engine line of a requirements file, if any."""
    match = _SPEC_LINE.search(text)
    return match.group(0).strip() if match else None


def write_atomically(path: Path, text: str) -> None:
    """Write `path` in one step, as every file qms writes (qms.files.write_atomic: never through a symlink)."""
    from qms import files

    files.write_atomic(path, text)


def run(args: argparse.Namespace) -> int:
    from qms.config import find_config

    root = find_config(args.config_file.parent if args.config_file else Path.cwd()).parent
    path = root / REQUIREMENTS
    if args.spec:
        line, note = requirement(args.spec), None
    else:
        line, note = running_engine()
    note = note or local_file_note(line)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    old = pinned(text)
    if not text:
        new_text = requirements_text(line)
    elif old:
        new_text = _SPEC_LINE.sub(lambda _match: line, text, count=1)
    else:
        new_text = text.rstrip("\n") + "\n" + line + "\n"
    if old == line:
        print(f"{REQUIREMENTS}: already pins {line}")
        return 0
    print(f"{REQUIREMENTS}: {old or '(none)'} -> {line}")
    if note:
        print(f"note: {note}")
    if args.dry_run:
        return 0
    write_atomically(path, new_text)
    print("Next: python -m pip install -r requirements.txt && qms check && mkdocs build --strict, "
          "then commit requirements.txt (the pipelines install the new engine from it).")
    return 0
