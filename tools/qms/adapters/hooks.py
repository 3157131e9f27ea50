"""MkDocs hooks file: name this file (or a copy of these two lines) under `hooks:` in mkdocs.yml."""

from qms.adapters.mkdocs import on_config, on_files, on_nav, on_page_markdown, on_serve  # noqa: F401
