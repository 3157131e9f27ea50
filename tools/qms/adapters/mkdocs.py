"""Old `qms_hooks.py` files import their hooks from here; they now lead to the one message saying how to move to
the qms plugin (see qms.adapters.legacy). The MkDocs front end itself is qms.adapters.plugin."""

from qms.adapters.legacy import (  # noqa: F401
    on_config, on_files, on_nav, on_page_content, on_page_markdown, on_serve)
