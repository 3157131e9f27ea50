"""Work a build will need, started early on a second processor: the git history and the redlines.

The MkDocs adapter starts it as soon as the configuration is read (`qms check` too, for the history
only); meanwhile the build lists its files and reads the documents and records, then waits for it
before it reads the history. The child process only fills the disk caches (see `qms.cache`), whose
entries are keyed by what they were computed from, so the results are the same with or without it.
Where it cannot run safely (one processor, no `fork`, threads already running as in `mkdocs serve`,
`QMS_PREFETCH=0`) or fails, the build does the same work itself and reports any problem.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Sequence

log = logging.getLogger(__name__)

WAIT_SECONDS = 1800.0  # a child still busy after this is stopped, and the build does the work itself


def processors() -> int:
    """Processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def fill_caches(root: Path, folders: Sequence[str], compare_revisions: int | None) -> None:
    """Read the history of `folders` and compare the recent revisions of every current Markdown file
    in it (the newest `compare_revisions`, 0: all; None: no comparisons), into the disk caches."""
    from qms.history.revisions import load_history
    from qms.render.changes import compare_blocks, newest_compared

    history = load_history(root, folders)
    if not history.tracked or compare_revisions is None:
        return
    chains = [newest_compared(chain, compare_revisions) for path, chain in history.changes.items()
              if chain and chain[0].status != "D" and path.endswith(".md")]
    compare_blocks(root, history, chains)


def _child(root: Path, folders: Sequence[str], compare_revisions: int | None) -> None:
    try:
        fill_caches(root, folders, compare_revisions)
    except Exception:  # noqa: BLE001 - the build repeats the work and reports the problem itself
        log.debug("qms prefetch failed", exc_info=True)


@dataclass
class Prefetch:
    """A running child process filling the caches."""

    process: BaseProcess

    def wait(self) -> None:
        """Until the child is done (stopped after WAIT_SECONDS)."""
        self.process.join(WAIT_SECONDS)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def can_start() -> bool:
    """True where a forked child can run beside this process: Linux, two processors, no other thread."""
    return (os.environ.get("QMS_PREFETCH", "1") != "0" and sys.platform == "linux" and processors() >= 2
            and threading.active_count() == 1)


def start(root: Path, folders: Sequence[str], compare_revisions: int | None) -> Prefetch | None:
    """Start filling the caches (see `fill_caches`) in a child process; None where it cannot run (see
    `can_start`)."""
    if not can_start():
        return None
    for stream in (sys.stdout, sys.stderr):  # the child must not write the parent's buffered output again
        stream.flush()
    try:
        process = multiprocessing.get_context("fork").Process(
            target=_child, args=(root, tuple(folders), compare_revisions), name="qms-prefetch", daemon=True)
        process.start()
    except (OSError, ValueError) as exc:
        log.debug("qms prefetch not started: %s", exc)
        return None
    return Prefetch(process)
