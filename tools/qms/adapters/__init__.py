"""Front ends at the edge: the only modules that import MkDocs or mkdocs-macros."""
