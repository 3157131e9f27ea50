"""MkDocs front end: hooks that load the quality system once per build and publish its pages.

Registered in mkdocs.yml with `hooks:` (through a small shim file, adapters/hooks.py). Every problem the core finds
is logged as a MkDocs warning `path:line: message`, so `mkdocs build --strict` fails on it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page as MkPage

from qms import clock, package
from qms.analysis.checks import check_all
from qms.config import Settings, load_settings
from qms.history.changecontrol import controlled_folders
from qms.history.revisions import History, load_history
from qms.model.documents import Document
from qms.model.project import Project, load_project
from qms.problems import Problem, QMSError, sort_problems
from qms.render import changes, docpage, pages, paths, registers, reports, sanitize
from qms.render.links import Linker
from qms.site import prefetch

log = logging.getLogger("mkdocs.plugins.qms")

ASSETS = package.ASSETS
THEME_TEMPLATES = package.THEME_TEMPLATES
CSS_URI = "assets/qms/qms.css"

SECTION_TITLES = {
    "manual": "Quality manual",
    "procedures": "Procedures",
    "iso9001": "ISO 9001 clauses",
    "records": "Records",
    "registers": "Registers",
    "changes": "Change control",
    "reports": "Reports",
}


NAV_ORDER = ["index.md", "manual", "procedures", "registers", "records", "reports", "changes", "documents.md",
             "iso9001", "matrix.md", "glossary.md", "authoring-guide.md"]
DOCUMENT_ORDER = ["policy", "manual", "procedure", "work instruction", "form"]

STATUS_LABELS = {"draft": "Draft: not yet in force", "obsolete": "Obsolete: do not work to it"}


@dataclass
class BuildState:
    """What one build knows: settings, the loaded project, and problems already reported."""

    settings: Settings
    today: dt.date
    project: Project | None = None
    linker: Linker | None = None
    reported: set[tuple[str, str, str]] = field(default_factory=set)
    generated: dict[str, str] = field(default_factory=dict)
    documents_by_uri: dict[str, Document] = field(default_factory=dict)
    history: History | None = None
    prefetch: prefetch.Prefetch | None = None  # history and redlines being read on another processor
    html_policy: sanitize.Policy = sanitize.DEFAULT  # what published pages may contain (extra.qms.allow_html)


_state: BuildState | None = None


def state() -> BuildState:
    """The current build's state; a clear error when the hooks are not configured."""
    if _state is None or _state.project is None:
        raise RuntimeError("the qms hooks are not loaded: add the qms hooks file under 'hooks:' in mkdocs.yml")
    return _state


def report(problems: list[Problem]) -> None:
    """Log problems as MkDocs warnings (errors) or info (warnings), sorted by path and line."""
    for problem in sort_problems(problems):
        if problem.severity == "error":
            log.warning(str(problem))
        else:
            log.info(str(problem))


def on_config(config: Any) -> Any:
    global _state
    mkdocs_config = {"docs_dir": config.docs_dir, "extra": dict(config.extra or {}),
                     "site_name": config.site_name, "repo_url": config.repo_url}
    try:
        settings = load_settings(Path(config.config_file_path), mkdocs_config=mkdocs_config)
        today = clock.today()
    except QMSError as exc:
        report(exc.problems)
        raise SystemExit(1) from None
    if clock.is_fixed():  # a rebuild "as of" a day: MkDocs' own dates (sitemap) follow it
        os.environ.setdefault("SOURCE_DATE_EPOCH", str(clock.epoch_seconds(today)))
    html_policy, policy_problems = sanitize.policy_from(settings.raw, settings.rel(settings.config_file))
    if not any(handler is on_page_content for handler in config.plugins.events.get("page_content", [])):
        policy_problems.append(Problem(settings.rel(settings.config_file), 0, "the qms hooks file does not import "
                                       "on_page_content, so pages would be published without the HTML sanitizer: add "
                                       "it to the 'from qms.adapters.mkdocs import ...' line of the hooks file"))
    report(policy_problems)
    _state = BuildState(settings, today, prefetch=prefetch.start(settings.root, controlled_folders(settings),
                                                          settings.compare_revisions), html_policy=html_policy)
    if CSS_URI not in config.extra_css:
        config.extra_css.append(CSS_URI)
    if str(THEME_TEMPLATES) not in config.theme.dirs:  # qms-lite.html, for generated pages in bulk
        config.theme.dirs.append(str(THEME_TEMPLATES))
    # Material shows a page's `status:` in the navigation; describe the two that need attention.
    config.extra.setdefault("status", {}).update({k: v for k, v in STATUS_LABELS.items()
                                                  if k not in config.extra["status"]})
    return config


def _load(settings: Settings, early: prefetch.Prefetch | None) -> tuple[Project, History]:
    """The project and its git history (once the prefetch, if any, has filled the caches); a problem that
    makes a truthful manual impossible stops the build."""
    try:
        project = load_project(settings)
        if early is not None:
            early.wait()
        history = load_history(settings.root, controlled_folders(settings))
    except QMSError as exc:
        report(exc.problems)
        raise SystemExit(1) from None
    return project, history


def extra_pages(project: Project, history: History, today: dt.date) -> dict[str, str]:
    """Pages beyond the core: registers, change control and reports: docs path -> Markdown (or .ics)."""
    return {**registers.register_pages(project, today), **changes.change_pages(project, history),
            **reports.report_pages(project, today, history)}


def on_files(files: Files, config: Any) -> Files:
    st = _state
    assert st is not None
    st.project, st.history = project, history = _load(st.settings, st.prefetch)
    st.prefetch = None
    st.linker = Linker(project)
    st.documents_by_uri = {p.src_uri: p.document for p in project.controlled_pages if p.document is not None}
    problems = check_all(project, history, st.today)
    st.reported = {(p.path, "static", p.message) for p in problems}
    report(problems)
    for page in project.pages:
        if page.path.startswith(st.settings.rel(st.settings.procedures_dir) + "/"):
            files.append(File(page.src_uri, src_dir=str(st.settings.root), dest_dir=config.site_dir,
                              use_directory_urls=config.use_directory_urls))
    st.generated = {**pages.generated_pages(project), **extra_pages(project, history, st.today)}
    for uri, content in st.generated.items():
        if files.get_file_from_path(uri) is not None:
            log.warning(f"{uri}: a file in docs/ has the path of a generated page; rename it")
            continue
        in_nav = uri.endswith(".md") and (
            not uri.startswith((f"{paths.standard_dir(project.standard)}/", f"{changes.CHANGES_DIR}/"))
            or uri.endswith("index.md"))
        files.append(File.generated(config, uri, content=content,
                                    inclusion=InclusionLevel.INCLUDED if in_nav else InclusionLevel.NOT_IN_NAV))
    css = (ASSETS / "qms.css").read_text(encoding="utf-8") + changes.REDLINE_CSS
    files.append(File.generated(config, CSS_URI, content=css))
    return files


def _first_uri(item: Any) -> str:
    """src_uri of a nav item's page, or of the first page inside a section."""
    if isinstance(item, Section):
        return next((_first_uri(child) for child in item.children if _first_uri(child)), "")
    file = getattr(item, "file", None)
    return file.src_uri if file is not None else ""


def _top_key(item: Any) -> tuple[int, str]:
    uri = _first_uri(item)
    key = uri.split("/", 1)[0] if isinstance(item, Section) else uri
    return (NAV_ORDER.index(key) if key in NAV_ORDER else len(NAV_ORDER), uri)


def _doc_key(by_uri: dict[str, Document], item: Any) -> tuple[int, str]:
    doc = by_uri.get(_first_uri(item))
    if doc is None:
        return (len(DOCUMENT_ORDER), _first_uri(item))
    return (DOCUMENT_ORDER.index(doc.type) if doc.type in DOCUMENT_ORDER else len(DOCUMENT_ORDER), doc.id)


def on_nav(nav: Navigation, config: Any, files: Files) -> Navigation:
    """Sections in reading order with readable titles; documents titled 'ID Title', policies first."""
    by_uri = state().documents_by_uri
    if not config.nav:  # only reorder the navigation MkDocs made from the folders
        nav.items.sort(key=_top_key)
        for item in nav.items:
            if isinstance(item, Section):
                key = _first_uri(item).split("/", 1)[0]
                item.title = SECTION_TITLES.get(key, item.title)
                item.children.sort(key=lambda child: _doc_key(by_uri, child))
    for page in nav.pages:
        doc = by_uri.get(page.file.src_uri)
        if doc is not None:  # HTML text without template syntax: mkdocs-macros renders a title holding {{ }}
            page.title = sanitize.page_title(doc.label, from_front_matter=True)
    return nav


def on_page_markdown(markdown: str, page: MkPage, config: Any, files: Files) -> str:
    """Wrap a controlled document's text with its heading, control block and related links."""
    st = state()
    doc = st.documents_by_uri.get(page.file.src_uri)
    if doc is None:
        return markdown
    page.title = page.meta["title"] = sanitize.page_title(doc.label, from_front_matter=True)
    if doc.status not in STATUS_LABELS:  # an effective document needs no status icon in the navigation
        page.meta.pop("status", None)
    history = st.history
    assert history is not None
    return docpage.document_page(st.project, doc, markdown, control_rows=changes.control_rows(history, doc),  # type: ignore[arg-type]
                                 header_extra=changes.draft_banner(history, doc),
                                 footer_extra=changes.revision_table(st.project, history, doc))  # type: ignore[arg-type]


def on_page_content(html: str, page: MkPage, config: Any, files: Files) -> str:
    """What reaches readers: the page's HTML through the sanitizer, and titles the theme prints unescaped made
    safe (the navigation, <title>, the header and the table of contents)."""
    doc = state().documents_by_uri.get(page.file.src_uri)
    if doc is not None:
        title = sanitize.page_title(doc.label, from_front_matter=True)
    else:
        title = sanitize.page_title(page.title, from_front_matter="title" in page.meta)
    page.title = page.meta["title"] = title
    _plain_toc(page.toc)
    return sanitize.clean(html, state().html_policy)


def _plain_toc(items: Any) -> None:
    for item in items or ():
        item.title = sanitize.plain_text(item.title)
        _plain_toc(item.children)


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    """Rebuild when procedures, records, schemas, the organization or macros change."""
    st = _state
    if st is None:
        return server
    s = st.settings
    for path in (s.procedures_dir, s.records_dir, s.schema_dir, s.organization_file, s.root / "macros.py"):
        if path.exists():
            server.watch(str(path))
    return server
