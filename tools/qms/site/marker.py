"""The proof that a site built cleanly: a small file the plugin writes last, which `qms pdf` (and a pipeline that
publishes) requires.

MkDocs writes pages into the site folder as it goes, so a build that fails (a strict build with warnings, an error)
leaves a complete-looking site behind. The qms plugin removes the marker when a build starts, writes it only after
a build that logged no warning or error, and on a failed `mkdocs build` also empties the site folder: a failed
build publishes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from qms import files
from qms.problems import Problem

BUILD_MARKER = ".qms-build.json"


def record(warnings: int, errors: int, strict: bool) -> str:
    """The marker's text: what the build logged."""
    return json.dumps({"clean": warnings == 0 and errors == 0, "warnings": warnings, "errors": errors,
                       "strict": strict}) + "\n"


def write(site: Path, warnings: int, errors: int, strict: bool) -> None:
    files.write_atomic(site / BUILD_MARKER, record(warnings, errors, strict))


def remove(site: Path) -> None:
    try:
        (site / BUILD_MARKER).unlink()
    except FileNotFoundError:
        pass


def problem(site: Path, shown: str) -> Problem | None:
    """Why the site in `site` is not a clean build (no marker, a failed or warning build), or None when it is."""
    path = site / BUILD_MARKER
    fix = "build it again with 'mkdocs build --strict' and fix what it reports (or run 'qms pdf' without --site)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Problem(shown, 0, f"this site did not build cleanly (no {BUILD_MARKER} from the qms plugin): {fix}",
                       code="unclean-site")
    except (OSError, ValueError) as exc:
        return Problem(shown, 0, f"{BUILD_MARKER} cannot be read ({exc}): {fix}", code="unclean-site")
    if not isinstance(data, dict) or data.get("clean") is not True:
        warnings = data.get("warnings") if isinstance(data, dict) else "?"
        return Problem(shown, 0, f"this site was built with {warnings} warning(s): {fix}", code="unclean-site")
    return None
