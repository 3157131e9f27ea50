"""Where the engine's own files are: catalogues, schemas, templates and assets shipped inside the package."""

from __future__ import annotations

from pathlib import Path

HOME = Path(__file__).resolve().parent
CATALOGUES = HOME / "catalogues"
SCHEMAS = HOME / "schemas"  # of the engine's own input files (a company's record schemas live in its repository)
ASSETS = HOME / "assets"
TEMPLATES = HOME / "templates"
INIT_TEMPLATE = TEMPLATES / "init"
THEME_TEMPLATES = TEMPLATES / "theme"
