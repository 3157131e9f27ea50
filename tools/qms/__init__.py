"""qms: a docs-as-code ISO 9001 quality manual engine.

The core (catalogues, documents, records, history, checks, renderers) never imports
MkDocs; `qms.adapters` holds the thin MkDocs front end.
"""

__version__ = "0.1.0"
