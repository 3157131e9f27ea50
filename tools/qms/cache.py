"""A small content-addressed disk cache under `.qms-cache/` for results that never go stale.

Keys are derived from immutable inputs (git blob ids, file size and mtime plus a schema digest),
so an entry is either right or never looked up again; nothing needs invalidating. A read-only
checkout simply runs without the cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from . import __version__

log = logging.getLogger(__name__)
CACHE_DIR = ".qms-cache"


class DiskCache:
    """Text values by key, one file per entry, in `<root>/.qms-cache/<name>/`."""

    def __init__(self, root: Path, name: str):
        self.folder = root / CACHE_DIR / name
        self._writable = True

    def _path(self, key: str) -> Path:
        digest = hashlib.sha1(f"{__version__}\0{key}".encode()).hexdigest()
        return self.folder / digest[:2] / digest[2:]

    def get(self, key: str) -> str | None:
        try:
            return self._path(key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, key: str, value: str) -> None:
        if not self._writable:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(value, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            self._writable = False
            log.debug("cache %s not writable: %s", self.folder, exc)
