"""Where the engine's own files are: catalogues, templates and assets shipped inside the package."""

from __future__ import annotations

from pathlib import Path

HOME = Path(__file__).resolve().parent
CATALOGUES = HOME / "catalogues"
ASSETS = HOME / "assets"
TEMPLATES = HOME / "templates"
INIT_TEMPLATE = TEMPLATES / "init"
THEME_TEMPLATES = TEMPLATES / "theme"
SCHEMAS = HOME / "schemas"
