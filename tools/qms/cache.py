"""Disk caches for results that never go stale, kept OUTSIDE the repository.

Keys are derived from immutable inputs (git blob ids, HEAD, file size and mtime plus a schema
digest), so an entry is either right or never looked up again; nothing needs invalidating.

The caches live in `$QMS_CACHE_DIR`, else `$XDG_CACHE_HOME/qms`, else `~/.cache/qms`, in a folder
per project. Never inside the work tree: a pull request could otherwise commit cache files and
have the build publish forged redlines or approvals. Where no cache folder can be written, the
engine runs without one, only slower.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from pathlib import Path

from qms import __version__

log = logging.getLogger(__name__)
def cache_dir(root: Path) -> Path:
    """The cache folder of the project at `root` (see the module docstring for where it is)."""
    base = os.environ.get("QMS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "qms")
    digest = hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:16]
    return Path(base) / f"{Path(root).resolve().name}-{digest}"


class DiskCache:
    """Text values by key in one SQLite file, `<cache_dir(root)>/<name>.sqlite3`.

    For many large results (one redline per pair of versions): each read is one indexed lookup, and
    writes wait in memory until `save()` commits them in one transaction (one file written, not one
    per entry). Any SQLite error (read-only home, a locked or corrupt file) turns the cache off.
    """

    def __init__(self, root: Path, name: str):
        self.path = cache_dir(root) / f"{name}.sqlite3"
        self._pending: dict[str, str] = {}
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=10)
            self._db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except (OSError, sqlite3.Error) as exc:
            self._off(exc)

    def _off(self, exc: Exception) -> None:
        log.debug("cache %s not usable: %s", self.path, exc)
        if self._db is not None:
            self._db.close()
        self._db = None

    @staticmethod
    def _key(key: str) -> str:
        return f"{__version__}\0{key}"

    def get(self, key: str) -> str | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key = ?", (self._key(key),)).fetchone()
        except sqlite3.Error as exc:
            self._off(exc)
            return None
        return row[0] if row else None

    def put(self, key: str, value: str) -> None:
        self._pending[self._key(key)] = value

    def save(self) -> None:
        """Write what was put since the last save, and close the file."""
        if self._db is None:
            return
        try:
            if self._pending:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", self._pending.items())
            self._db.close()
        except sqlite3.Error as exc:
            log.debug("cache %s not written: %s", self.path, exc)
        self._db = None
        self._pending.clear()


class JsonStore:
    """Values by name in one JSON file of the cache folder; an entry is used only while its key matches.

    For many small results (one per record or document): one read at start, one write at the end.
    """

    def __init__(self, root: Path, name: str):
        self.path = cache_dir(root) / f"{name}.json"
        self.changed = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries: dict = data["entries"] if data.get("version") == __version__ else {}
        except (OSError, ValueError, KeyError, TypeError):
            self.entries = {}

    def get(self, name: str, key: object) -> object | None:
        entry = self.entries.get(name)
        return entry["value"] if entry is not None and entry["key"] == key else None

    def put(self, name: str, key: object, value: object) -> None:
        self.entries[name] = {"key": key, "value": value}
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.stem}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"version": __version__, "entries": self.entries}), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # a read-only home: runs without the cache, only slower
            log.debug("cache %s not written: %s", self.path, exc)
