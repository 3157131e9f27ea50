"""The qms plugin for MkDocs and ProperDocs: translates the site plan (qms.site.plan) into MkDocs objects.

    plugins:
      - search
      - qms:            # options: qms/schemas/options.schema.yaml
          compare_revisions: 10
      - macros

Registered under the `mkdocs.plugins` and `properdocs.plugins` entry points, so mkdocs.yml names no path into
the engine. Each build gets a fresh plugin instance holding its state. Every problem the core finds is logged
`path:line: message` (errors as warnings, so `--strict` fails on them); anything that makes a truthful manual
impossible raises PluginError, which stops `mkdocs build` with that message and leaves `mkdocs serve` running
until the file is fixed.

Order of events: on_config validates the options; on_pre_build registers the
link macros with mkdocs-macros; on_files loads the quality system, builds the plan and adds its files; on_nav
orders and names the navigation; on_page_markdown runs twice per page, before mkdocs-macros (page sandbox, literal
macro calls) and after it (template errors, a document's control block and revision history).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Iterable

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import CountHandler
from mkdocs_macros.plugin import MacrosPlugin

from qms import clock, files as repo_files
from qms.adapters import macros, published
from qms.config import Settings, base_from_environment, old_wiring, settings_from
from qms.model import codespans
from qms.model.documents import UNREADABLE
from qms.model.yamlio import split_front_matter
from qms.problems import Problem, QMSError, sort_problems
from qms.render import sanitize
from qms.render.links import Linker, resolve_literal_calls
from qms.render.sandbox import describe
from qms.site import marker
from qms.site import source as build_source
from qms.site import plan as site_plan

log = logging.getLogger("mkdocs.plugins.qms")


def report(problems: Iterable[Problem]) -> None:
    """Log problems as MkDocs warnings (errors: `--strict` fails) or info (warnings), by path and line."""
    for problem in sort_problems(problems):
        if problem.severity == "error":
            log.warning(str(problem))
        else:
            log.info(str(problem))


def stop(problems: Iterable[Problem]) -> PluginError:
    """The PluginError that ends this build with `problems`: each logged as an error line of its own, the last one
    carried by the exception (MkDocs logs it)."""
    ordered = sort_problems(problems)
    for problem in ordered[:-1]:
        log.error(str(problem))
    return PluginError(str(ordered[-1]) if ordered else "the qms plugin stopped the build")


def _first_uri(item: Any) -> str:
    """src_uri of a nav item's page, or of the first page inside a section."""
    if isinstance(item, Section):
        return next((uri for uri in map(_first_uri, item.children) if uri), "")
    file = getattr(item, "file", None)
    return file.src_uri if file is not None else ""


class QMSPlugin(BasePlugin):
    """The quality manual engine as a MkDocs plugin (see the module's docstring)."""

    def __init__(self) -> None:
        self.options: dict = {}
        self.settings: Settings | None = None
        self.today: dt.date | None = None
        self.plan: site_plan.Plan | None = None
        self.macros: MacrosPlugin | None = None
        self.reported: set[tuple[str, str, str]] = set()  # (path, code, message) of each problem already logged
        self.page_errors: list[Problem] = []  # template errors of the page being rendered
        self.mermaid_used = False
        self.offline = False  # Material's offline plugin is on: the local iframe-worker shim is published
        self.command = "build"
        self.dirty = False
        self.counter: CountHandler | None = None  # warnings and errors MkDocs logs during this build
        self.site_dir: Path | None = None
        self.source: build_source.Source | None = None
        self.code: tuple[str, ...] = ()  # the code of the page being rendered, set aside from the template

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command, self.dirty = command, dirty

    # -- configuration -------------------------------------------------------------------------------------------

    def load_config(self, options: dict[str, Any], config_file_path: str | None = None) -> tuple[list, list]:
        """Keep the options as written: on_config validates them against the engine's one schema, which reports
        `mkdocs.yml:LINE:` problems (the same as `qms check`)."""
        self.options = dict(options)
        return [], []

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        config_file = Path(config.config_file_path)
        self.site_dir = Path(config.site_dir)
        try:
            old = old_wiring(config_file).problem()
            if old is not None:
                raise QMSError(old)
            self.settings = settings_from(config_file, self.options, docs_dir=config.docs_dir,
                                          site_name=config.site_name, repo_url=config.repo_url,
                                          edit_uri=config.get("edit_uri"))
            self.today = clock.today()
        except QMSError as exc:
            raise stop(exc.problems) from None
        self.macros = macros.find(config)
        if self.macros is None:
            raise PluginError(f"{config_file.name}: the qms plugin needs mkdocs-macros: add `- macros` under "
                              "plugins:, after `- qms`")
        if clock.is_fixed():  # a rebuild "as of" a day: MkDocs' own dates (sitemap) follow it
            os.environ.setdefault("SOURCE_DATE_EPOCH", str(clock.epoch_seconds(self.today)))
        for uri in site_plan.STYLESHEETS:
            if uri not in config.extra_css:
                config.extra_css.append(uri)
        for folder in map(str, site_plan.THEME_DIRS):
            if folder not in config.theme.dirs:
                config.theme.dirs.append(folder)
        # Material shows a page's `status:` in the navigation; describe the statuses that need attention.
        labels = config.extra.setdefault("status", {})
        labels.update({k: v for k, v in site_plan.STATUS_LABELS.items() if k not in labels})
        polyfills = published.local_polyfills(list(config.extra.get("polyfills") or []), config.plugins)
        self.offline = polyfills is not None
        if polyfills is not None:
            config.extra["polyfills"] = polyfills
        return config

    def on_pre_build(self, config: MkDocsConfig) -> None:
        marker.remove(Path(config.site_dir))  # until this build has succeeded, the site is not a clean build
        assert self.settings is not None and self.today is not None
        try:  # what this build is made from, read before it reads anything (the marker records it)
            self.source = build_source.of(self.settings, self.today, Path(config.site_dir))
        except QMSError:
            self.source = None
        self.counter = CountHandler()
        self.counter.setLevel(logging.WARNING)
        logging.getLogger("mkdocs").addHandler(self.counter)
        assert self.macros is not None
        macros.register(self.macros, config, linker=self._linker, page=self._current_page, report=self._report_once)

    # -- files and navigation ------------------------------------------------------------------------------------

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.settings is not None and self.today is not None
        try:
            loaded = site_plan.load(self.settings, self.today, base=base_from_environment())
        except QMSError as exc:
            raise stop(exc.problems) from None
        refused = [Problem(self.settings.rel(Path(f.abs_src_path)), 0, reason, code="symlink")
                   for f in files if f.abs_src_path and not f.generated_by
                   and os.path.abspath(f.src_dir or "") == os.path.abspath(config.docs_dir)
                   for reason in [repo_files.unsafe_reason(self.settings.root, Path(f.abs_src_path))] if reason]
        include_dir = self.macros.config.get("include_dir") if self.macros is not None else None
        if include_dir:
            refused += repo_files.escapes(self.settings.root, [Path(config.config_file_path).parent / include_dir])
        if refused:  # what MkDocs would copy from docs/ or include: never a link out of the repository
            raise stop(refused)
        self.plan = plan = site_plan.build(loaded, self.today)
        unreadable = [p for p in plan.problems if p.code in UNREADABLE]
        if unreadable:  # Markdown would fail on these, or take minutes: stop with the file and the fix
            raise stop(unreadable)
        self.reported = {(p.path, p.code, p.message) for p in plan.problems}
        report(plan.problems)
        for source in plan.sources:
            files.append(File(source.uri, src_dir=str(source.src_dir), dest_dir=config.site_dir,
                              use_directory_urls=config.use_directory_urls))
        for page in plan.pages:
            inclusion = InclusionLevel.INCLUDED if page.in_nav else InclusionLevel.NOT_IN_NAV
            files.append(File.generated(config, page.uri, content=page.content, inclusion=inclusion))
        for extra in plan.files:
            files.append(File.generated(config, extra.uri, content=extra.content))
        return files

    def on_nav(self, nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
        """Sections in reading order with readable titles; documents titled 'ID Title', policies first."""
        assert self.plan is not None
        order, documents = self.plan.navigation, self.plan.documents
        if not config.nav:  # only reorder the navigation MkDocs made from the folders
            nav.items.sort(key=lambda item: order.top_key(_first_uri(item), isinstance(item, Section)))
            for item in nav.items:
                if isinstance(item, Section):
                    item.title = order.section_title(_first_uri(item), item.title)
                    item.children.sort(key=lambda child: order.child_key(_first_uri(child)))
        for page in nav.pages:
            planned = documents.get(page.file.src_uri)
            if planned is not None:  # HTML text without template syntax: mkdocs-macros renders a title holding {{ }}
                page.title = sanitize.page_title(planned.title, from_front_matter=True)
        return nav

    # -- pages ---------------------------------------------------------------------------------------------------

    @event_priority(50)  # before mkdocs-macros renders the page
    def _before_macros(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self.plan is not None and self.macros is not None
        self.page_errors = []
        path = self._path_of(page)
        first_body_line = _body_line(page.file.abs_src_path)

        def failed(exc: BaseException, line: int) -> None:
            self.page_errors.append(Problem(path, line + first_body_line - 1 if line else 0, describe(exc),
                                            code="template"))

        macros.sandbox(self.macros, failed)
        banner = self.plan.invalid.get(page.file.src_uri)
        if banner is not None:  # broken front matter: a notice and the text, never the raw YAML
            front = split_front_matter(markdown)
            markdown = banner + (front.body if front.present else markdown)
        markdown, self.code = codespans.protect(markdown)  # code is shown as written, never run as a template
        return resolve_literal_calls(self.plan.linker, markdown, page.file.src_uri, path)

    @event_priority(-50)  # after mkdocs-macros
    def _after_macros(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Fail the page on a template error; wrap a controlled document's text with its control block."""
        assert self.plan is not None
        if self.page_errors:
            errors, self.page_errors = self.page_errors, []
            raise stop(errors)
        markdown, self.code = codespans.restore(markdown, self.code), ()
        planned = self.plan.documents.get(page.file.src_uri)
        if planned is None:
            return markdown
        page.title = page.meta["title"] = sanitize.page_title(planned.title, from_front_matter=True)
        if planned.nav_status is None:  # an effective document needs no status icon in the navigation
            page.meta.pop("status", None)
        return planned.decorate(markdown)

    on_page_markdown = CombinedEvent(_before_macros, _after_macros)

    @event_priority(-100)  # the last gate before readers, after every other plugin
    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        """What reaches readers: the page's HTML through the sanitizer, and the titles the theme prints unescaped
        (the navigation, <title>, the header and the table of contents) made safe."""
        assert self.plan is not None
        planned = self.plan.documents.get(page.file.src_uri)
        if planned is not None:
            title = sanitize.page_title(planned.title, from_front_matter=True)
        else:
            title = sanitize.page_title(page.title, from_front_matter="title" in page.meta)
        page.title = page.meta["title"] = title
        _plain_toc(page.toc)
        return self.plan.html_policy.clean(html)

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        output, uses_mermaid = published.finish_page(output, page.url)
        self.mermaid_used |= uses_mermaid
        return output

    def on_post_build(self, config: MkDocsConfig) -> None:
        if self.mermaid_used:
            published.copy_mermaid(config.site_dir)
        if self.offline:
            published.copy_iframe_worker(config.site_dir)
        counts = self._stop_counting()
        try:
            marker.write(Path(config.site_dir), counts.get("WARNING", 0), counts.get("ERROR", 0) +
                         counts.get("CRITICAL", 0), bool(config.strict), self.source)
        except QMSError as exc:
            raise stop(exc.problems) from None

    def on_build_error(self, *, error: Exception) -> None:
        """A failed build publishes nothing: no marker, and after `mkdocs build` an empty site folder."""
        self._stop_counting()
        if self.site_dir is None:
            return
        marker.remove(self.site_dir)
        if self.command == "build" and not self.dirty and self.site_dir.is_dir():
            for entry in self.site_dir.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
            log.info(f"{self.site_dir}: emptied, because the build failed (a failed build publishes nothing)")

    def _stop_counting(self) -> dict[str, int]:
        if self.counter is None:
            return {}
        logging.getLogger("mkdocs").removeHandler(self.counter)
        counts, self.counter = dict(self.counter.get_counts()), None
        return counts

    def on_serve(self, server: Any, config: MkDocsConfig, builder: Any) -> Any:
        """Rebuild when procedures, records, schemas, the organization, catalogues or the macros module change."""
        watched = list(self.plan.watch) if self.plan is not None else []
        if self.macros is not None and self.settings is not None:
            name = self.macros.config.get("module_name") or "main"
            watched += [p for p in (self.settings.root / f"{name}.py", self.settings.root / name) if p.exists()]
        for path in watched:
            server.watch(str(path))
        return server

    # -- what the link macros need -------------------------------------------------------------------------------

    def _linker(self) -> Linker:
        assert self.plan is not None, "the link macros run only while pages render"
        return self.plan.linker

    def _current_page(self) -> tuple[str, str]:
        assert self.macros is not None
        page = self.macros.page
        return page.file.src_uri, self._path_of(page)

    def _path_of(self, page: Page) -> str:
        """The page's file as shown in messages: relative to the repository."""
        assert self.settings is not None
        file = page.file
        return self.settings.rel(Path(file.abs_src_path)) if file.abs_src_path else file.src_uri

    def _report_once(self, problem: Problem) -> None:
        """Log a reference problem found while rendering, unless the checks already reported it."""
        key = (problem.path, problem.code, problem.message)
        if key not in self.reported:
            self.reported.add(key)
            report([problem])


def _plain_toc(items: Any) -> None:
    for item in items or ():
        item.title = sanitize.plain_text(item.title)
        _plain_toc(item.children)


def _body_line(abs_path: str | None) -> int:
    """Line of the file where the Markdown that Jinja renders starts: after the front matter and the blank lines
    MkDocs drops after it."""
    if not abs_path:
        return 1
    try:
        front = split_front_matter(Path(abs_path).read_text(encoding="utf-8-sig"))
    except OSError:
        return 1
    if not front.present:
        return 1
    return front.body_line + len(front.body) - len(front.body.lstrip("\n"))
