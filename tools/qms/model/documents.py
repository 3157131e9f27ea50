"""Controlled documents: Markdown files with YAML front matter, read and validated into plain data."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from qms.cache import Cache
from qms.model import codespans, yamlio
from qms.model.schema import Schema, validate
from qms.problems import Problem, problems_from_json, problems_to_json

DOCUMENT_TYPES = ("policy", "manual", "procedure", "work instruction", "form")
MACRO_KINDS = ("term", "clause", "doc", "record_type")

_REFERENCE = re.compile(
    r"\{\{-?\s*(?P<kind>term|clause|doc|record_type)\s*\(\s*(?P<q>['\"])(?P<value>(?:(?!(?P=q)).)*)(?P=q)"
)
# A whole macro call with literal arguments: {{ term('audits') }}, {{ doc('QP-07', 'the procedure') }}
MACRO_CALL = re.compile(
    r"\{\{-?\s*(?P<kind>term|clause|doc|record_type)\s*\(\s*(?P<q>['\"])(?P<value>(?:(?!(?P=q))[^\n])*)(?P=q)"
    r"\s*(?:,\s*(?P<q2>['\"])(?P<text>(?:(?!(?P=q2))[^\n])*)(?P=q2)\s*)?\)\s*-?\}\}"
)
_INTERVAL = re.compile(r"^(\d+) (month|months|year|years)$")


@dataclass(frozen=True)
class Task:
    """A recurring duty a document gives to a role."""

    what: str
    role: str
    frequency: str
    day: str | None = None


@dataclass(frozen=True)
class NotApplicable:
    """A clause the scope declares not applicable, with the reason."""

    clause: str
    justification: str


@dataclass(frozen=True)
class Reference:
    """A macro call found in a page's source: `{{ term('audit') }}` at a line."""

    kind: str
    value: str
    path: str
    line: int


@dataclass(frozen=True)
class Page:
    """A Markdown page of the manual; `document` is set when it is a controlled document."""

    path: str  # relative to the project root, e.g. "procedures/QP-07-x.md"
    src_uri: str  # as MkDocs knows it, e.g. "procedures/QP-07-x.md" or "manual/QM-01.md"
    references: tuple[Reference, ...]
    document: Document | None = None
    body: str = field(default="", compare=False, repr=False)  # the Markdown after the front matter
    body_line: int = field(default=1, compare=False, repr=False)  # its first line in the file
    claimed_id: str | None = None  # the id its front matter names when that front matter is invalid
    template: str | None = None  # the body as Jinja will see it (code set aside), when it holds template syntax


@dataclass(frozen=True)
class Document:
    """A controlled document's front matter, as validated data."""

    id: str
    title: str
    type: str
    revision: str
    status: str
    owner: str
    clauses: tuple[str, ...]
    review_interval_months: int
    path: str
    src_uri: str
    related: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    tasks: tuple[Task, ...] = ()
    not_applicable: tuple[NotApplicable, ...] = ()
    audience: tuple[str, ...] = ()  # roles that must be briefed on each revision (default: owner and task roles)
    last_review: str | None = None
    effective: str | None = None
    front_matter_line: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.id} {self.title}"

    def line_of(self, key: str) -> int:
        """Line of a front-matter key in the file, 1 when unknown (the opening '---')."""
        return self.front_matter_line.get(key, 1)


def interval_months(text: str) -> int:
    """12 from '12 months', 24 from '2 years'."""
    match = _INTERVAL.match(text.strip())
    if not match:
        return 12
    n = int(match.group(1))
    return n * 12 if match.group(2).startswith("year") else n


def find_references(text: str, path: str, first_line: int = 1) -> tuple[Reference, ...]:
    """Every macro call with a literal first argument in `text`, with its line."""
    refs = []
    line = first_line
    last = 0
    for match in _REFERENCE.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        refs.append(Reference(match.group("kind"), match.group("value"), path, line))
    return tuple(refs)


def _key_lines(yaml_text: str, offset: int) -> dict[str, int]:
    """Line in the file of each top-level key of the front matter (cheap: no YAML parse)."""
    lines = {}
    for i, raw in enumerate(yaml_text.splitlines()):
        match = re.match(r"^([A-Za-z_][\w ]*?)\s*:", raw)
        if match:
            lines.setdefault(match.group(1), i + 1 + offset)
    return lines


# What a page may be before Markdown reads it: Python-Markdown needs time quadratic in nested brackets and
# memory in the page's size, so a page past these fails with its line instead of stalling the build.
MAX_PAGE_CHARS = 2_000_000
MAX_LINE_CHARS = 50_000
MAX_NESTING = 50  # brackets [ ( inside one another on one line
# Codes of a page no front end may render (MkDocs reads front matter itself, and would expand an alias bomb).
UNREADABLE = ("not-utf8", "not-text", "page-too-large", "yaml-alias", "conflict-marker")


def text_problem(text: str, path: str) -> Problem | None:
    """Why Markdown may not be given `text` (binary, a merge conflict, too large, too long a line, brackets nested
    too deep)."""
    if "\x00" in text:
        return Problem(path, text.count("\n", 0, text.index("\x00")) + 1,
                       "is binary (it holds NUL bytes): a page is Markdown text; keep other files out of docs/ "
                       "or give them another extension", code="not-text")
    marker = yamlio.conflict_line(text) if "<<<<<<<" in text else 0
    if marker:
        return Problem(path, marker, yamlio.CONFLICT_FIX, code="conflict-marker")
    if len(text) > MAX_PAGE_CHARS:
        return Problem(path, 0, f"is {len(text):,} characters long, more than a page may be ({MAX_PAGE_CHARS:,}): "
                                "split it into several pages", code="page-too-large")
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE_CHARS:
            return Problem(path, number, f"this line is {len(line):,} characters long, more than a line may be "
                                         f"({MAX_LINE_CHARS:,}): break it up", code="page-too-large")
        if line.count("[") + line.count("(") > MAX_NESTING:
            depth = deepest = 0
            for char in line:
                if char in "[(":
                    depth += 1
                    deepest = max(deepest, depth)
                elif char in "])" and depth:
                    depth -= 1
            if deepest > MAX_NESTING:
                return Problem(path, number, f"brackets are nested {deepest} deep on this line, more than "
                                             f"{MAX_NESTING}: Markdown cannot read that in reasonable time",
                               code="page-too-large")
    return None


FRONT_MATTER_CACHE = "front-matter"  # namespace of qms.cache: parsed and validated front matter by path


def read_page(abs_path: Path, path: str, src_uri: str, schema: Schema, controlled: bool,
              cache: Cache | None = None, roles: tuple[str, ...] = ()) -> tuple[Page | None, list[Problem]]:
    """Read one Markdown file; a file in a controlled folder must carry valid front matter.

    Returns the page (None when it cannot be read) and the problems found in it. With a cache, the
    parsed and validated front matter is reused while its text, the schema and the engine are unchanged.
    """
    try:
        text = yamlio.read_text(abs_path)
    except UnicodeDecodeError as exc:
        raw = abs_path.read_bytes()
        line = yamlio.decode_error_line(raw, exc)
        return None, [Problem(path, line, f"line {line} is not UTF-8 text (byte 0x{raw[exc.start]:02X}, "
                                          f"{exc.reason}): save the file as UTF-8", code="not-utf8")]
    except OSError as exc:
        return None, [Problem(path, 0, f"cannot be read: {exc.strerror or exc}", code="not-utf8")]
    unreadable = text_problem(text, path)
    if unreadable is not None:  # still a page of the manual (no cascade of "unknown document"), never rendered
        match = _CLAIMED_ID.search(text[:5000])
        return Page(path, src_uri, (), None, claimed_id=match.group(1) if match else None), [unreadable]
    fm = yamlio.split_front_matter(text)
    body, _ = codespans.protect(fm.body)  # code is shown as written: no references, no template in it
    references = find_references(body, path, fm.body_line)
    template = body if "{{" in body or "{%" in body or "{#" in body else None
    if not fm.present:
        if controlled:
            return Page(path, src_uri, references, None, fm.body, fm.body_line, template=template), [Problem(
                path, 1, "no front matter: a controlled document starts with a '---' block holding "
                         "id, title, type, revision, status, owner, clauses and review_interval", code="no-front-matter")]
        return Page(path, src_uri, references, None, fm.body, fm.body_line, template=template), []
    yaml_text = fm.yaml_text or ""
    lines = _key_lines(yaml_text, 1)
    key = [hashlib.sha1(yaml_text.encode("utf-8", "surrogatepass")).hexdigest(), schema.digest, controlled,
           list(roles)]

    def decode(value: dict) -> tuple[Document | None, list[Problem]]:
        problems = problems_from_json(path, value["problems"])
        meta = value["meta"]
        return (None if problems or meta is None else _document(meta, path, src_uri, lines)), problems

    hit = cache.get(FRONT_MATTER_CACHE, path, key, decode) if cache is not None else None
    if hit is not None:
        document, problems = hit
    else:
        meta, problems = _front_matter(yaml_text, schema, path, controlled, roles)
        document = None if problems or meta is None else _document(meta, path, src_uri, lines)
        if cache is not None:
            cache.put(FRONT_MATTER_CACHE, path, key, {"meta": meta, "problems": problems_to_json(problems)})
    if document is not None:
        problems += composed_text(fm.body, path, fm.body_line)
    claimed = None
    if document is None and problems:
        match = _CLAIMED_ID.search(yaml_text)
        claimed = match.group(1) if match else None
    return Page(path, src_uri, references, document, fm.body, fm.body_line, claimed_id=claimed,
                template=template), problems


_CLAIMED_ID = re.compile(r"^id:[ \t]*['\"]?([A-Za-z0-9][\w.-]*)", re.M)


# Template statements that pull text from another file into a page. In a controlled document that text would be
# published as part of it but change outside its revision history, so they are refused there.
_COMPOSING = {"Include": "include", "Import": "import", "FromImport": "import", "Extends": "extends"}


def composed_text(body: str, path: str, body_line: int) -> list[Problem]:
    """An error for each `{% include %}`, `{% import %}`, `{% from ... import %}` or `{% extends %}` in the body
    of a controlled document (read as Jinja reads it, so whitespace control or line breaks do not hide one)."""
    if "{%" not in body:
        return []
    from jinja2 import Environment, TemplateSyntaxError, nodes

    try:
        tree = Environment().parse(body)
    except TemplateSyntaxError:
        return []  # the page sandbox reports it, with its line, when the page is rendered
    problems = []
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        what = _COMPOSING[type(node).__name__]
        template = getattr(node, "template", None)
        name = f" '{template.value}'" if isinstance(template, nodes.Const) else ""
        problems.append(Problem(
            path, body_line + node.lineno - 1,
            f"{{% {what}{name} %}} in a controlled document: text from another file would be published as part of "
            f"this document but change without its revision; write the text into the document (or make the "
            f"snippet a controlled document of its own and link it with doc())", code="include-in-controlled-document"))
    return problems


def _front_matter(yaml_text: str, schema: Schema, path: str, controlled: bool,
                  roles: tuple[str, ...] = ()) -> tuple[dict | None, list[Problem]]:
    """Parse and validate front matter: (meta of a controlled document or None, problems)."""
    try:
        meta = yamlio.load(yaml_text, first_line=2) or {}
    except yamlio.YAMLSyntaxProblem as exc:
        return None, [Problem(path, exc.line + 1 if exc.line else 1, f"front matter: {exc.message}", code=exc.code)]
    if not isinstance(meta, dict):
        return None, [Problem(path, 2, "front matter must be a mapping of key: value lines", code="not-a-mapping")]
    if not controlled and "id" not in meta:
        return None, []
    choices = {"owner": roles, "tasks[].role": roles} if roles else None
    return meta, validate(schema, meta, yaml_text, path, line_offset=1, choices=choices)


def _document(meta: dict, path: str, src_uri: str, lines: dict[str, int]) -> Document:
    """A Document from front matter that passed the schema."""
    return Document(
        id=meta["id"],
        title=meta["title"],
        type=meta["type"],
        revision=str(meta["revision"]),
        status=meta["status"],
        owner=meta["owner"],
        clauses=tuple(str(c) for c in meta.get("clauses", ())),
        review_interval_months=interval_months(meta["review_interval"]),
        path=path,
        src_uri=src_uri,
        related=tuple(meta.get("related") or ()),
        records=tuple(meta.get("records") or ()),
        tasks=tuple(Task(t["what"], t["role"], t["frequency"], None if t.get("day") is None else str(t["day"]))
                    for t in meta.get("tasks") or ()),
        not_applicable=tuple(NotApplicable(str(n["clause"]), n["justification"])
                             for n in meta.get("not_applicable") or ()),
        audience=tuple(str(r) for r in meta.get("audience") or ()),
        last_review=meta.get("last_review"),
        effective=meta.get("effective"),
        front_matter_line=lines,
    )


def iter_markdown(folder: Path) -> Iterable[Path]:
    """Markdown files below `folder`, sorted, skipping hidden folders."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.md") if not any(part.startswith(".") for part in p.relative_to(folder).parts))


# Files a procedures folder may hold beside its Markdown: pictures and attachments the procedures link to.
MEDIA_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".pdf", ".css", ".js"})


def other_files(folder: Path) -> list[Path]:
    """Files below `folder` that are neither Markdown nor media (e.g. `QP-07.md.txt`, `notes.docx`), sorted."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() not in MEDIA_SUFFIXES
                  and p.suffix != ".md" and not any(part.startswith(".") for part in p.relative_to(folder).parts))
