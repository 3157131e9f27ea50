"""MkDocs hooks file: name this file (or a copy of these lines) under `hooks:` in mkdocs.yml."""
# isort: skip_file

from qms.adapters.mkdocs import on_config, on_files, on_nav, on_page_content, on_page_markdown, on_serve  # noqa: F401
from qms.adapters.published import on_post_build, on_post_page  # noqa: F401
