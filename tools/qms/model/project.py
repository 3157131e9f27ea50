"""The whole quality system, loaded once: catalogues, organization, documents, pages and records."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from qms import files, package
from qms.cache import Cache
from qms.config import Settings
from qms.model import catalogue, glossary, records
from qms.model.catalogue import Standard, Vocabulary
from qms.model.documents import FRONT_MATTER_CACHE, Document, Page, iter_markdown, other_files, read_page
from qms.model.organization import Organization, load_organization
from qms.model.schema import Schema, load_schema
from qms.problems import Problem, QMSError

DOCUMENT_SCHEMA = "document.schema.yaml"
GAP_ASSESSMENT = "gap-assessment.yaml"  # read by qms.analysis.gap


def read_paths(settings: Settings) -> tuple:
    """Every file and folder of the quality system the engine reads (or MkDocs copies): none may be a symlink."""
    return (settings.docs_dir, settings.procedures_dir, settings.records_dir, settings.schema_dir,
            settings.organization_file, settings.root / GAP_ASSESSMENT, glossary.overlay_path(settings),
            *settings.catalogue_dirs)


@dataclass
class Project:
    """Everything `qms check`, the CLI and the MkDocs adapter need, read from disk once."""

    settings: Settings
    standards: dict[str, Standard]
    vocabulary: Vocabulary
    organization: Organization
    pages: list[Page]
    documents: dict[str, Document]
    problems: list[Problem] = field(default_factory=list)
    record_set: records.RecordSet | None = None

    @property
    def standard(self) -> Standard:
        """The primary standard (the first one named in mkdocs.yml)."""
        return next(iter(self.standards.values()))

    @property
    def controlled_pages(self) -> list[Page]:
        return [p for p in self.pages if p.document is not None]

    def find_clause(self, ref: str) -> catalogue.Clause | None:
        """A clause from 'clause' or 'standard-id:clause'."""
        if ":" in ref:
            sid, cid = ref.split(":", 1)
            std = self.standards.get(sid)
            return std.get(cid) if std else None
        return self.standard.get(ref)

    @staticmethod
    def clause_ref(clause: catalogue.Clause) -> str:
        """The clause keyed by its standard, e.g. 'iso9001-2015:8.5.1': clause numbers of two standards never mix."""
        return f"{clause.standard}:{clause.id}"

    @cached_property
    def documents_by_ref(self) -> dict[str, list[Document]]:
        """'standard-id:clause' -> documents that list it, in document id order (a plain number is the primary's)."""
        index: dict[str, list[Document]] = defaultdict(list)
        for doc in sorted(self.documents.values(), key=lambda d: d.id):
            for cid in doc.clauses:
                clause = self.find_clause(cid)
                if clause is not None:
                    index[self.clause_ref(clause)].append(doc)
        return index

    @cached_property
    def documents_by_clause(self) -> dict[str, list[Document]]:
        """Clause id of the primary standard -> documents that list it (another standard's clauses never count)."""
        prefix = f"{self.standard.id}:"
        return {ref[len(prefix):]: docs for ref, docs in self.documents_by_ref.items() if ref.startswith(prefix)}

    def documents_for(self, clause: catalogue.Clause) -> list[Document]:
        """The documents that list `clause` of its own standard."""
        return self.documents_by_ref.get(self.clause_ref(clause), [])

    def not_applicable_for(self, clause: catalogue.Clause) -> tuple[Document, str] | None:
        return self.not_applicable_by_ref.get(self.clause_ref(clause))

    @cached_property
    def pages_by_term(self) -> dict[str, list[Page]]:
        """Term number -> pages whose text links that term, in path order."""
        index: dict[str, dict[str, Page]] = defaultdict(dict)
        for page in self.pages:
            for ref in page.references:
                if ref.kind == "term":
                    term = self.vocabulary.lookup(ref.value)
                    if term is not None:
                        index[term.number][page.path] = page
        return {k: sorted(v.values(), key=lambda p: p.path) for k, v in index.items()}

    @cached_property
    def referred_by(self) -> dict[str, list[Document]]:
        """Document id -> documents whose `related:` names it, in id order."""
        index: dict[str, list[Document]] = defaultdict(list)
        for doc in sorted(self.documents.values(), key=lambda d: d.id):
            for rid in doc.related:
                index[rid].append(doc)
        return index

    @cached_property
    def invalid_documents(self) -> dict[str, str]:
        """Id -> path of each document whose file exists but whose front matter is invalid (not in `documents`)."""
        return {p.claimed_id: p.path for p in self.pages
                if p.claimed_id is not None and p.claimed_id not in self.documents}

    @cached_property
    def pages_by_path(self) -> dict[str, Page]:
        return {p.path: p for p in self.pages}

    @cached_property
    def not_applicable_by_ref(self) -> dict[str, tuple[Document, str]]:
        """'standard-id:clause' -> (scope document, justification) for clauses validly declared not applicable.

        Only the scope document (an effective document listing the primary standard's `scope_clause`, 4.3 in
        ISO 9001) declares anything not applicable, and only for clauses its standard's rules allow; the other
        declarations are errors of `qms.analysis.verdicts.not_applicable_problems` and count for nothing.
        """
        out = {}
        scope = set(self.scope_documents)
        for doc in sorted(self.documents.values(), key=lambda d: d.id):
            for na in doc.not_applicable:
                clause = self.find_clause(na.clause)
                if clause is None or doc.id not in scope:
                    continue
                if self.standards[clause.standard].rules.may_be_not_applicable(clause.id):
                    out.setdefault(self.clause_ref(clause), (doc, na.justification))
        return out

    @cached_property
    def not_applicable(self) -> dict[str, tuple[Document, str]]:
        """Clause id of the primary standard -> (scope document, justification), valid declarations only."""
        prefix = f"{self.standard.id}:"
        return {ref[len(prefix):]: v for ref, v in self.not_applicable_by_ref.items() if ref.startswith(prefix)}

    @cached_property
    def scope_documents(self) -> dict[str, Document]:
        """Effective documents that state the scope (list the primary standard's scope clause), by id."""
        rule = self.standard.rules.scope_clause
        scope = self.standard.get(rule) if rule else None
        if scope is None:
            return {}
        ref = self.clause_ref(scope)
        return {d.id: d for d in self.documents.values() if d.status == "effective"
                and any((c := self.find_clause(x)) is not None and self.clause_ref(c) == ref for x in d.clauses)}

    @cached_property
    def bodies(self) -> dict[str, tuple[str, int]]:
        """Document id -> (Markdown body, its first line in the file)."""
        return {p.document.id: (p.body, p.body_line) for p in self.pages if p.document is not None}

    @property
    def record_types(self) -> dict:
        return self.record_set.types if self.record_set else {}

    @property
    def records(self) -> list:
        return self.record_set.records if self.record_set else []


def document_schema(settings: Settings) -> Schema:
    """The front-matter schema: the project's records_schema/document.schema.yaml, else the packaged one."""
    path = settings.schema_dir / DOCUMENT_SCHEMA
    if not path.exists():
        path = package.INIT_TEMPLATE / "records_schema" / DOCUMENT_SCHEMA
    return load_schema(path, settings.rel(path))


def load_pages(settings: Settings, schema: Schema, roles: tuple[str, ...] = ()) -> tuple[list[Page], list[Problem]]:
    """Every Markdown page in procedures/ (all controlled) and docs/ (controlled when it has an id)."""
    pages: list[Page] = []
    problems: list[Problem] = []
    cache = Cache(settings.root)
    cache.preload(FRONT_MATTER_CACHE)
    folders = [(settings.procedures_dir, True, "procedures")]
    folders.append((settings.docs_dir, False, ""))
    for folder, controlled, prefix in folders:
        if controlled:
            problems.extend(records.not_read_problem(settings.rel(path), path.name, ".md") for path in other_files(folder))
        for abs_path in iter_markdown(folder):
            rel_in_folder = abs_path.relative_to(folder).as_posix()
            src_uri = f"{prefix}/{rel_in_folder}" if prefix else rel_in_folder
            page, found = read_page(abs_path, settings.rel(abs_path), src_uri, schema, controlled, cache, roles)
            problems.extend(found)
            if page is not None:
                pages.append(page)
    cache.save()
    return pages, problems


def index_documents(pages: list[Page]) -> tuple[dict[str, Document], list[Problem]]:
    """Documents by id; an id used twice is a problem at the second file."""
    documents: dict[str, Document] = {}
    problems = []
    for page in pages:
        doc = page.document
        if doc is None:
            continue
        if doc.id in documents:
            first = documents[doc.id]
            problems.append(Problem(doc.path, doc.line_of("id"),
                                    f"document id '{doc.id}' is already used by {first.path}: give this document a new id",
                                    code="duplicate-id"))
            continue
        documents[doc.id] = doc
    return documents, problems


def load_project(settings: Settings, with_records: bool = True) -> Project:
    """Read the whole quality system; problems are collected on the project, not raised.

    Raises QMSError only when nothing sensible can be built (a broken catalogue or schema), and before reading
    anything when a symlink or a path outside the repository is among the files it would read.
    """
    files.refuse_escapes(settings.root, read_paths(settings))
    standards = {}
    for name in settings.standards:
        std = catalogue.load_standard(catalogue.find_catalogue(name, settings.catalogue_dirs))
        standards[std.id] = std
    if not standards:
        raise QMSError(Problem(settings.rel(settings.config_file), 0,
                               "qms option standards names no standard: list at least one, e.g. [iso9001-2015]",
                               code="setting"))
    vocabulary = catalogue.load_vocabulary(catalogue.find_catalogue(settings.vocabulary, settings.catalogue_dirs))
    vocabulary, glossary_problems = glossary.apply_overlay(vocabulary, settings)  # the company's own words
    organization, problems = load_organization(settings.organization_file, settings.rel(settings.organization_file))
    pages, page_problems = load_pages(settings, document_schema(settings), tuple(organization.roles))
    documents, id_problems = index_documents(pages)
    project = Project(settings, standards, vocabulary, organization, pages, documents,
                      problems=[*glossary_problems, *problems, *page_problems, *id_problems])
    if with_records:
        project.record_set = records.load_record_set(project)
        project.problems.extend(project.record_set.problems)
    return project
