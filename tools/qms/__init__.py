"""qms: a docs-as-code ISO 9001 quality manual engine.

The core (catalogues, documents, records, history, checks, renderers) never imports
MkDocs; `qms.adapters` holds the thin MkDocs front end.
"""

from importlib import metadata as _metadata

DISTRIBUTION = "qms-iso9001"  # the engine's name on the package index (pyproject.toml)

try:
    __version__ = _metadata.version(DISTRIBUTION)
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
