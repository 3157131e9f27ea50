"""The site plan: everything the quality manual adds to a static site, as data, for any front end to translate.

`load(settings, today)` reads the quality system once: the project, its git history and the problems the checks
find (`qms check` uses the same load). `build(loaded, today)` turns it into a `Plan`: every page the manual adds
(its uri, its Markdown, whether the navigation lists it, how search weighs it, its template), the other files
(the stylesheet, calendars), the pages published from outside docs/ (procedures/), the navigation's order and
section titles, what a controlled document's page shows around its text, what a published page's HTML may
hold, and the problems. What a front end sets up before the quality system is read are constants: STYLESHEETS,
THEME_DIRS and STATUS_LABELS (the statuses a navigation entry explains). The MkDocs plugin
(`qms.adapters.plugin`) only turns this into MkDocs objects; another front end would be the same small
translation. Nothing here imports MkDocs.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping

from qms import package
from qms.analysis.checks import check_all
from qms.config import Settings, option_line
from qms.history import recordchanges
from qms.history.approvals import judged_history, rewrite_problems
from qms.history.changecontrol import controlled_changes, controlled_folders
from qms.history.pullrequest import base_problems, proposed_commits
from qms.history.revisions import History, load_history
from qms.model import glossary
from qms.model.documents import Document
from qms.model.project import Project, load_project
from qms.model.yamlio import YAMLSyntaxProblem, split_front_matter
from qms.model.yamlio import load as load_yaml
from qms.problems import Problem
from qms.render import (changes, docpage, forms, pages, pastrevisions, paths, registers, reports, sanitize,
                        spreadsheet)
from qms.render.links import Linker

CSS_URI = "assets/qms/qms.css"
STYLESHEETS = (CSS_URI,)  # added to every page
THEME_DIRS = (package.THEME_TEMPLATES,)  # theme templates the generated pages name (qms-lite.html)

# The navigation: top-level entries in reading order (a page's uri, or a folder for a section), then anything else.
NAV_ORDER = ("index.md", "manual", "procedures", "registers", "records", "reports", "changes", "documents.md",
             "iso9001", "matrix.md", "glossary.md", "authoring-guide.md")
SECTION_TITLES = MappingProxyType({
    "manual": "Quality manual",
    "procedures": "Procedures",
    "iso9001": "ISO 9001 clauses",
    "records": "Records",
    "registers": "Registers",
    "changes": "Change control",
    "reports": "Reports",
})
DOCUMENT_ORDER = ("policy", "manual", "procedure", "work instruction", "form")  # within a section, by type, then id
# Statuses a document's navigation entry shows (Material's `status:`), with their explanation; others show none.
STATUS_LABELS = MappingProxyType({"draft": "Draft: not yet in force", "obsolete": "Obsolete: do not work to it"})


@dataclass(frozen=True)
class Loaded:
    """The quality system as read once for a build or a check."""

    settings: Settings
    project: Project
    history: History
    problems: tuple[Problem, ...]  # everything the checks found (documents, references, records, change control)


def load_steps(base: str | None) -> int:
    """How many steps `load` tells its `progress` of."""
    return 4 if base else 3


def load(settings: Settings, today: dt.date, base: str | None = None,
         progress: Callable[[str], None] | None = None) -> Loaded:
    """Read the project and its git history and check them as of `today`. Raises QMSError only when no truthful
    manual can be built (a broken catalogue, schema or repository). `progress` is told each step done.

    With `base` (the target branch of a pull request, e.g. origin/main) the branch's commits are judged as one
    proposed change: the net change from the merge base (`pullrequest.base_problems`), not commit by commit.
    """
    tell = progress or (lambda what: None)
    project = load_project(settings)
    tell("documents and records read")
    history = judged_history(load_history(settings.root, controlled_folders(settings),
                                          revision_scheme=settings.revision_scheme), project)
    rewrites = rewrite_problems(history, settings.policy, settings.rel(settings.config_file),
                                controlled_changes(history))
    tell("git history read")
    proposed = proposed_commits(settings.root, base) if base else frozenset()
    problems = check_all(project, history, today, proposed=proposed)
    tell("checked")
    if base:  # the documents' net change, and the records' (closed-record-edited, confidentiality-change, ...)
        problems += base_problems(project, base)
        problems += recordchanges.base_problems(project, base)
        tell(f"branch judged as one change to {base}")
    return Loaded(settings, project, history, tuple(problems) + tuple(rewrites))


@dataclass(frozen=True)
class PlannedPage:
    """A page the manual adds: `content` is its Markdown with its front matter, as a front end reads a file."""

    uri: str  # docs-relative, e.g. glossary.md
    content: str
    in_nav: bool  # listed in the navigation (otherwise reached by links)
    template: str | None = None  # a theme template other than the default
    search_boost: float | None = None
    search_exclude: bool = False


@dataclass(frozen=True)
class PlannedFile:
    """Any other file the manual adds (a stylesheet, a task calendar)."""

    uri: str
    content: str | bytes


@dataclass(frozen=True)
class SourcePage:
    """A page published from a folder outside docs/: the file `src_dir/uri`."""

    uri: str
    src_dir: Path


@dataclass(frozen=True)
class DocumentPage:
    """What a controlled document's page shows around its text, and how the navigation names it."""

    uri: str
    document: Document
    title: str  # 'ID Title'
    nav_status: str | None  # the status its navigation entry shows (a key of STATUS_LABELS), or None
    before: str  # heading, control block, notices
    after: str  # cross-references, revision history

    def decorate(self, body: str) -> str:
        return self.before + body + self.after


@dataclass(frozen=True)
class Navigation:
    """The navigation's order and titles as data: a front end sorts its own tree with these keys."""

    order: tuple[str, ...] = NAV_ORDER
    section_titles: Mapping[str, str] = field(default_factory=lambda: SECTION_TITLES)
    document_order: tuple[str, ...] = DOCUMENT_ORDER
    documents: Mapping[str, Document] = field(default_factory=dict)  # by uri

    def top_key(self, first_uri: str, is_section: bool) -> tuple[int, str]:
        """Sort key of a top-level entry: a page by its uri, a section by its folder (the first uri in it)."""
        key = first_uri.split("/", 1)[0] if is_section else first_uri
        return (self.order.index(key) if key in self.order else len(self.order), first_uri)

    def section_title(self, first_uri: str, title: str | None) -> str | None:
        """A section's title: ours for the manual's folders, else the front end's own."""
        return self.section_titles.get(first_uri.split("/", 1)[0], title)

    def child_key(self, first_uri: str) -> tuple[int, str]:
        """Sort key inside a section: documents by type (policy first), then id; other pages after, by uri."""
        doc = self.documents.get(first_uri)
        if doc is None:
            return (len(self.document_order), first_uri)
        rank = self.document_order.index(doc.type) if doc.type in self.document_order else len(self.document_order)
        return (rank, doc.id)


@dataclass(frozen=True)
class Plan:
    """Everything the manual adds to the site; see the module's docstring."""

    settings: Settings
    project: Project
    history: History
    linker: Linker
    pages: tuple[PlannedPage, ...]
    files: tuple[PlannedFile, ...]
    sources: tuple[SourcePage, ...]
    documents: Mapping[str, DocumentPage]  # by uri
    navigation: Navigation
    html_policy: sanitize.Policy  # what a published page may hold: every page's HTML goes through it
    invalid: Mapping[str, str]  # by uri: the banner of a page whose front matter cannot be read (shown instead)
    watch: tuple[Path, ...]  # what a live preview rebuilds on, besides docs/ and mkdocs.yml
    problems: tuple[Problem, ...]


# Folders whose pages stay out of the navigation (their index page is listed): a page per clause, a page per change.
def _unlisted_folders(project: Project) -> tuple[str, ...]:
    return (f"{paths.standard_dir(project.standard)}/", f"{changes.CHANGES_DIR}/", f"{forms.FORMS_DIR}/")


def _planned_page(uri: str, content: str, unlisted: tuple[str, ...]) -> PlannedPage:
    meta = _front_matter(content)
    search = meta.get("search") if isinstance(meta.get("search"), dict) else {}
    boost = search.get("boost")
    return PlannedPage(uri, content, in_nav=not uri.startswith(unlisted) or uri.endswith("index.md"),
                       template=meta.get("template"), search_boost=float(boost) if boost is not None else None,
                       search_exclude=bool(search.get("exclude", False)))


def _front_matter(content: str) -> dict:
    """The front matter the renderers wrote on a generated page (render_macros, search, template)."""
    text = split_front_matter(content).yaml_text
    if not text:
        return {}
    try:
        meta = load_yaml(text)
    except YAMLSyntaxProblem:  # pragma: no cover - the renderers write it
        return {}
    return meta if isinstance(meta, dict) else {}


def document_page(project: Project, history: History, doc: Document) -> DocumentPage:
    """What `doc`'s page shows around its text: heading, control block, notices, cross-references, history."""
    before, after = docpage.decoration(project, doc, control_rows=changes.control_rows(project, history, doc),
                                       header_extra=changes.draft_banner(history, doc)
                                       + changes.signature_block(project, history, doc),
                                       footer_extra=changes.revision_table(project, history, doc))
    return DocumentPage(doc.src_uri, doc, doc.label, doc.status if doc.status in STATUS_LABELS else None,
                        before, after)


def generated_content(project: Project, history: History, today: dt.date) -> dict[str, str | bytes]:
    """Every generated page and file, uri -> text or bytes: catalogue pages, registers (with their CSV and Excel
    downloads), record forms, change control, past revisions, reports and calendars."""
    content: dict[str, str | bytes] = {
        **pages.generated_pages(project), **registers.register_pages(project, today),
        **spreadsheet.spreadsheet_files(project, today), **forms.form_files(project, today),
        **changes.change_pages(project, history), **reports.report_pages(project, today, history)}
    settings = project.settings
    published = {page.src_uri for page in project.pages}

    def exists(uri: str) -> bool:  # a page or file of the site, for the links of past revisions' texts
        return uri in content or uri in published or (settings.docs_dir / uri).is_file()

    content.update(pastrevisions.past_pages(project, history, exists))
    return content


def build(loaded: Loaded, today: dt.date) -> Plan:
    """The plan of the manual's site as of `today`."""
    settings, project, history = loaded.settings, loaded.project, loaded.history
    problems = list(loaded.problems)
    unlisted = _unlisted_folders(project)
    planned_pages, planned_files = [], []
    for uri, content in generated_content(project, history, today).items():
        if (settings.docs_dir / uri).exists():
            problems.append(Problem(settings.rel(settings.docs_dir / uri), 0,
                                    "this file has the path of a page the manual generates: rename it",
                                    code="generated-path"))
            continue
        if uri.endswith(".md"):
            planned_pages.append(_planned_page(uri, content, unlisted))
        else:
            planned_files.append(PlannedFile(uri, content))
    css = (package.ASSETS / "qms.css").read_text(encoding="utf-8") + changes.REDLINE_CSS
    planned_files.append(PlannedFile(CSS_URI, css))
    procedures = settings.rel(settings.procedures_dir) + "/"
    sources = tuple(SourcePage(page.src_uri, settings.root) for page in project.pages
                    if page.path.startswith(procedures))
    allow_html = settings.raw.get("allow_html")
    html_policy, policy_problems = sanitize.policy_from(
        allow_html, settings.rel(settings.config_file),
        option_line(settings.config_file, ["allow_html"]) if allow_html is not None else 0)
    problems += policy_problems
    documents = {p.src_uri: document_page(project, history, p.document) for p in project.controlled_pages
                 if p.document is not None}
    invalid = {}
    for page in project.pages:
        if page.document is None and page.claimed_id is not None:
            found = sorted(p for p in problems if p.path == page.path and p.severity == "error")
            if found:
                invalid[page.src_uri] = str(docpage.invalid_banner(found))
    return Plan(
        settings=settings,
        project=project,
        history=history,
        linker=Linker(project),
        pages=tuple(planned_pages),
        files=tuple(planned_files),
        sources=sources,
        documents=MappingProxyType(documents),
        navigation=Navigation(documents=MappingProxyType({uri: d.document for uri, d in documents.items()})),
        html_policy=html_policy,
        invalid=MappingProxyType(invalid),
        watch=tuple(p for p in (settings.procedures_dir, settings.records_dir, settings.schema_dir,
                                settings.organization_file, glossary.overlay_path(settings),
                                *settings.catalogue_dirs) if p.exists()),
        problems=tuple(problems),
    )
