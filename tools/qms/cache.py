"""The engine's one disk cache: results that are expensive to compute, kept OUTSIDE the repository.

One SQLite file per project holds every cached result, by namespace:

- `history`: the revision history of the controlled folders, per HEAD;
- `signatures`: the verdict of git (gpg, ssh) on each signed commit, per keyring;
- `objects`: what the history needs from each git object, by its id (a version's revision, id and content
  digest; whether a commit is signed; what a merge brought from its side branch);
- `front-matter` and `records`: the parsed and schema-checked front matter of each document and each
  record, per content and schema;
- `redlines`: what each change did (changed fields and the word-by-word redline), per pair of versions.
- `published`: the HEAD last read on each branch, with its changes to controlled documents, so a rewrite
  of the branch is noticed (qms.history.approvals.rewrite_problems).

An entry holds a name (a path, a commit, a pair of blob ids), a key and a value. The key is a digest of
everything the value was computed from: the caller's inputs (file contents, schema digests, settings,
HEAD, the keyring) AND the engine itself (`engine_digest()`: every .py file, catalogue and schema of the
qms package, the versions of the libraries that validate and parse, Python's version). So a new check, a
changed schema or an upgraded engine never meets a result of the old one: an entry is either right or
never read again. Nothing needs invalidating.

The file lives in `$QMS_CACHE_DIR`, else `$XDG_CACHE_HOME/qms`, else `~/.cache/qms`, in a folder per
project. Never inside the work tree: a pull request could otherwise commit cache entries and have the
build publish forged redlines, approvals or signatures.

What can go wrong is handled where it happens, with at most an info line in the log: a file that is not
a database, or is truncated or damaged, is moved aside and started again; a table of another layout is
dropped and made again; an entry whose value does not have the expected shape is ignored and computed
again; a locked or read-only file makes that one process run without the cache, only slower. Two builds
may use the file at once (SQLite's write-ahead log; each process writes its new entries in one
transaction at the end).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sqlite3
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable

from qms import package

log = logging.getLogger(__name__)

FILE_NAME = "cache.sqlite3"
LAYOUT = 1  # of the table; a file with another layout is emptied and made again
BUSY_SECONDS = 30.0  # how long a process waits for another one's write before going on without the cache
# Libraries whose version changes what is parsed or validated (a jsonschema upgrade changes messages).
LIBRARIES = ("jsonschema", "PyYAML", "ruamel.yaml", "GitPython")
_CORRUPT = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}
_ENGINE: str | None = None
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def engine_digest() -> str:
    """A digest of the engine's code and data: every .py file, catalogue and schema of the qms package, the
    versions of the libraries in LIBRARIES and of Python. Computed once per process (about a
    millisecond: a hundred small files)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _digest_of(package.HOME)
    return _ENGINE


def _digest_of(home: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    files = [p for p in home.rglob("*.py") if "__pycache__" not in p.parts]
    files += [p for folder in ("catalogues", "schemas") for p in (home / folder).glob("*") if p.is_file()]
    for path in sorted(files):
        digest.update(path.relative_to(home).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none\0".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def cache_dir(root: Path) -> Path:
    """The cache folder of the project at `root` (see the module docstring for where it is)."""
    base = os.environ.get("QMS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "qms")
    digest = hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:16]
    return Path(base) / f"{Path(root).resolve().name}-{digest}"


def cache_file(root: Path) -> Path:
    """The one cache file of the project at `root`."""
    return cache_dir(root) / FILE_NAME


def full_key(key: object) -> str:
    """What an entry is stored under: the caller's key (JSON data) with the engine's digest."""
    return _hashed(json.dumps(key, sort_keys=True, ensure_ascii=False, separators=(",", ":")), engine_digest())


@functools.lru_cache(maxsize=256)
def _hashed(text: str, engine: str) -> str:
    """Remembered for the keys many entries share (a keyring fingerprint, the empty key of redlines)."""
    return hashlib.blake2b(f"{engine}\0{text}".encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


class Cache:
    """The cache of one project: `get` and `put` entries by namespace and name, then `save()`.

    Reads are one indexed lookup each (or one query per namespace after `preload`); writes wait in
    memory until `save()` commits them in one transaction and closes the file. Values are JSON data.
    """

    def __init__(self, root: Path, enabled: bool = True):
        self.path = cache_file(root)
        self._db: sqlite3.Connection | None = None
        self._pending: dict[tuple[str, str], tuple[str, str]] = {}
        self._loaded: dict[str, dict[str, tuple[str, str]]] = {}
        if enabled:
            self._open()

    # -- the file ---------------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.debug("qms cache: %s cannot be created (%s): running without it", self.path.parent, exc)
            return
        for attempt in (1, 2):
            try:
                self._db = self._connect()
                return
            except sqlite3.Error as exc:
                self._close()
                if attempt == 1 and _is_corrupt(exc):
                    self._start_again(exc)
                    continue
                log.debug("qms cache: %s not usable (%s): running without it", self.path, exc)
                return

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # a power cut may lose the last save, never the file
            layout = db.execute("PRAGMA user_version").fetchone()[0]
            if layout != LAYOUT:
                with _transaction(db):
                    if db.execute("PRAGMA user_version").fetchone()[0] != LAYOUT:  # not made meanwhile
                        if layout:
                            log.info("qms cache: %s has another layout (%s): emptied", self.path, layout)
                        db.execute("DROP TABLE IF EXISTS entries")
                        db.execute("DROP TABLE IF EXISTS meta")
                        db.execute("CREATE TABLE entries (namespace TEXT NOT NULL, name TEXT NOT NULL, "
                                   "key TEXT NOT NULL, engine TEXT NOT NULL, value TEXT NOT NULL, "
                                   "PRIMARY KEY (namespace, name)) WITHOUT ROWID")
                        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
                        db.execute(f"PRAGMA user_version = {LAYOUT}")
            db.execute("SELECT namespace, name, key, engine, value FROM entries LIMIT 0")
            db.execute("SELECT name, value FROM meta LIMIT 0")
        except BaseException:
            db.close()
            raise
        return db

    def _close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
        self._db = None

    def _start_again(self, exc: BaseException) -> None:
        """Move a damaged file aside (deleted) and start an empty one."""
        log.info("qms cache: %s is damaged (%s): starting a new one", self.path, exc)
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                Path(f"{self.path}{suffix}").unlink()
            except FileNotFoundError:
                pass
            except OSError as error:
                log.debug("qms cache: cannot remove %s%s: %s", self.path, suffix, error)

    def _failed(self, exc: sqlite3.Error, doing: str) -> None:
        """A read or write failed: a damaged file is started again (for the next run), else the cache is
        off for the rest of this process."""
        self._close()
        if _is_corrupt(exc):
            self._start_again(exc)
            self._open()
        else:
            log.debug("qms cache: %s failed on %s (%s): running without it", doing, self.path, exc)

    @property
    def usable(self) -> bool:
        return self._db is not None

    # -- entries ----------------------------------------------------------------------------------

    def preload(self, namespace: str) -> None:
        """Read every entry of `namespace` in one query (for many small entries, such as records)."""
        if self._db is None or namespace in self._loaded:
            return
        try:
            rows = self._db.execute("SELECT name, key, value FROM entries WHERE namespace = ? AND engine = ?",
                                    (namespace, engine_digest())).fetchall()
        except sqlite3.Error as exc:
            self._failed(exc, "read")
            return
        self._loaded[namespace] = {row[0]: (row[1], row[2]) for row in rows if _texts(row)}

    def get(self, namespace: str, name: str, key: object, decode: Callable[[Any], Any] | None = None) -> Any:
        """The value stored for `name` under `key`, passed through `decode`; None when there is none, or
        when it does not have the shape `decode` expects (it raised KeyError, TypeError, ValueError...)."""
        return self._value(namespace, name, self._row(namespace, name), full_key(key), decode)

    def get_many(self, namespace: str, names: Iterable[str] | None, key: object,
                 decode: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """`get` for many names under one key (a preloaded namespace: the thousands of objects of a history),
        or for every name of the namespace when `names` is None; only the names found, with their values."""
        self.preload(namespace)
        rows = self._loaded.get(namespace, {})
        wanted, found = full_key(key), {}
        for name in (rows if names is None else names):
            value = self._value(namespace, name, rows.get(name), wanted, decode)
            if value is not None:
                found[name] = value
        return found

    def _value(self, namespace: str, name: str, row: tuple[str, str] | None, wanted: str,
               decode: Callable[[Any], Any] | None) -> Any:
        if row is None or row[0] != wanted:
            return None
        try:
            value = json.loads(row[1])
            return decode(value) if decode is not None else value
        except _SHAPE_ERRORS as exc:
            log.info("qms cache: ignored an entry of another shape (%s %s: %s: %s)", namespace, name,
                     type(exc).__name__, exc)
            return None

    def _row(self, namespace: str, name: str) -> tuple[str, str] | None:
        if namespace in self._loaded:
            return self._loaded[namespace].get(name)
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT key, value FROM entries WHERE namespace = ? AND name = ?",
                                   (namespace, name)).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc, "read")
            return None
        return (row[0], row[1]) if row and _texts(row) else None

    def put(self, namespace: str, name: str, key: object, value: object) -> None:
        """Store `value` (JSON data) for `name` under `key`, when `save()` is called."""
        self._pending[(namespace, name)] = (full_key(key), json.dumps(value, ensure_ascii=False,
                                                                    separators=(",", ":")))

    def clear(self, namespace: str) -> None:
        """Forget every entry of `namespace` (the benchmark measures a history read with signatures kept)."""
        if self._db is not None:
            try:
                with _transaction(self._db):
                    self._db.execute("DELETE FROM entries WHERE namespace = ?", (namespace,))
            except sqlite3.Error as exc:
                self._failed(exc, "write")
        self._loaded.pop(namespace, None)

    def save(self) -> None:
        """Write what was put since the last save (and drop the entries of other engines), then close."""
        if self._db is not None and self._pending:
            engine = engine_digest()
            rows = [(ns, name, key, engine, value) for (ns, name), (key, value) in self._pending.items()]
            try:
                with _transaction(self._db):
                    self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)", rows)
                    last = self._db.execute("SELECT value FROM meta WHERE name = 'engine'").fetchone()
                    if last != (engine,):  # the first save of another engine: its predecessor's entries go
                        self._db.execute("DELETE FROM entries WHERE engine != ?", (engine,))
                        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('engine', ?)", (engine,))
            except sqlite3.Error as exc:
                self._failed(exc, "write")
        self._pending.clear()
        self._loaded.clear()
        self._close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.save()


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an error): one writer at a time, the others wait."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.db.execute("COMMIT")
        else:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass


def _is_corrupt(exc: BaseException) -> bool:
    """True for an error that means the file is damaged or not a database at all."""
    name = getattr(exc, "sqlite_errorname", "")
    if name in _CORRUPT:
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _texts(row: Iterable[object]) -> bool:
    """True when every column read is text (a row written by something else may hold anything)."""
    return all(isinstance(value, str) for value in row)
