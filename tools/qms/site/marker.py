"""The proof that a site built cleanly: a small file the plugin writes last, which `qms pdf` (and a pipeline that
publishes) requires.

MkDocs writes pages into the site folder as it goes, so a build that fails (a strict build with warnings, an error)
leaves a complete-looking site behind. The qms plugin removes the marker when a build starts, writes it only after
a build that logged no warning or error, and on a failed `mkdocs build` also empties the site folder: a failed
build publishes nothing. The marker also records what the build was made from (qms.site.source).
"""

from __future__ import annotations

import json
from pathlib import Path

from qms import files
from qms.problems import Problem
from qms.site.source import Source

BUILD_MARKER = ".qms-build.json"


def record(warnings: int, errors: int, strict: bool, source: Source | None = None) -> str:
    """The marker's text: what the build logged, and what it was made from."""
    return json.dumps({"clean": warnings == 0 and errors == 0, "warnings": warnings, "errors": errors,
                       "strict": strict, "source": source.to_json() if source else None}) + "\n"


def write(site: Path, warnings: int, errors: int, strict: bool, source: Source | None = None) -> None:
    files.write_atomic(site / BUILD_MARKER, record(warnings, errors, strict, source))


def source(site: Path) -> Source | None:
    """What the clean build in `site` was made from; None when it is not a clean build or does not say."""
    if problem(site, str(site)) is not None:
        return None
    data = json.loads((site / BUILD_MARKER).read_text(encoding="utf-8"))
    return Source.from_json(data.get("source"))


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
