"""The hooks file this repository's mkdocs.yml used to name; kept so a manual still wired that way gets the one
message saying how to move to the qms plugin (see qms.adapters.legacy)."""

from qms.adapters.legacy import (  # noqa: F401
    on_config, on_files, on_nav, on_page_content, on_page_markdown, on_post_build, on_post_page, on_serve)
