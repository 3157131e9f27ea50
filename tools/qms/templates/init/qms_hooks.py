"""MkDocs hooks of the quality manual: publish procedures/ and the generated pages (qms engine)."""

from qms.adapters.mkdocs import on_config, on_files, on_nav, on_page_content, on_page_markdown, on_serve  # noqa: F401
from qms.adapters.published import on_post_build, on_post_page  # noqa: F401
