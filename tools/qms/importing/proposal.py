"""What `qms import` proposes for each file: front matter, a file name and a body the build shows as written.

Everything is proposed from the file itself and the manual it goes into, and every guess is reported, so the
quality manager decides with the facts in front of them:
- id: the source's own front matter, a `--numbering` given (QP-20 gives QP-20, QP-21, ...), an id at the start
  of the file name or the first heading ("SOP-012 Vigilance.docx"), else the next free id for the type;
  an id the manual already uses, or two sources with one id, get the next free id and a decision line;
- title: the first heading, which is then taken out of the body (the page shows the title once);
- type: keywords of the title and file name ("work instruction", "form", "policy", "manual"), else procedure;
- owner: a "process owner" line or table row matched to a role of organization.yaml; a role the manual lacks
  is a decision, with the organization.yaml entry to add;
- clauses: clause numbers on lines that name ISO 9001; numbers on lines that name another standard are kept
  under that standard when the manual has its catalogue, else reported;
- the body: `{{`, `{%` and `{#` in prose are written so the build shows them (`{{ '{{' }}`), links between
  imported files become `doc()` links, images are saved beside the documents and linked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from qms.analysis.unfinished import find_unfinished
from qms.importing.sources import Source
from qms.model.project import Project

ID_AT_START = re.compile(r"^\s*(?P<prefix>[A-Za-z][A-Za-z]{0,5})[-_ ]?(?P<number>\d{1,4})(?P<suffix>[A-Za-z]?)"
                         r"(?=$|[\s_.:\-–—])")
NOT_DOCUMENT_PREFIXES = {"ISO", "IEC", "EN", "BS", "DIN", "IATF", "AS", "NF", "ANSI", "ASTM", "CFR", "REV", "V",
                         "VERSION", "PART", "STEP", "SECTION", "ANNEX", "APPENDIX", "TABLE", "FIGURE", "PAGE"}
TYPE_KEYWORDS = (  # first match wins: the document type, the words that give it away, its usual id prefix
    ("work instruction", re.compile(r"\bwork[ _-]?instructions?\b|^WI\b", re.I), "WI"),
    ("form", re.compile(r"\b(?:forms?|templates?|checklists?|record sheets?|log sheets?)\b|^F\b", re.I), "F"),
    ("policy", re.compile(r"\bpolicy\b|^POL\b", re.I), "POL"),
    ("manual", re.compile(r"\bmanual\b|^QM\b", re.I), "QM"),
    ("procedure", re.compile(r"."), "QP"),
)
PREFIX_OF_TYPE = {name: prefix for name, _, prefix in TYPE_KEYWORDS}
_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})[ \t]+(?P<title>.+?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_TEMPLATE_OPEN = re.compile(r"\{[{%#]")
# "<enter role of process owner>": words with spaces between angle brackets, no attributes: not a tag
_ANGLE_PLACEHOLDER = re.compile(r"(?<!\\)<(\s*[A-Za-z][^<>\n=\"'/\\]*\s[^<>\n=\"'/\\]*)>")
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]*)\]\((?P<target><[^>\n]+>|[^)\s]+)(?:\s+\"[^\"\n]*\")?\)")
_OWNER = re.compile(r"^\W*(?:process\s+owner|document\s+owner|owner|responsible(?:\s+person)?)\W*\s*[:|]\s*"
                    r"(?P<value>[^|\n]+?)\s*\|?\s*$", re.I | re.M)
_STANDARD = re.compile(r"\b(?P<body>ISO(?:/IEC)?|IATF|AS|EN)\s?(?P<number>\d{3,5})(?::(?P<year>(?:19|20)\d\d))?",
                       re.I)
_CLAUSE_NUMBER = re.compile(r"(?<![\d.])(?P<clause>\d{1,2}(?:\.\d{1,2}){1,3})(?![\d.]*\d)")


@dataclass
class Options:
    """The choices given on the command line."""

    doc_type: str | None = None
    numbering: tuple[str, int] | None = None  # ("QP", 20) from --numbering QP-20
    owner: str | None = None
    effective: bool = False
    review_interval: str = "12 months"
    folder: str | None = None
    today: dt.date = dt.date(2000, 1, 1)
    docs_folder: str = "docs"  # the manual's folders, relative to its root (from mkdocs.yml and the plugin)
    procedures_folder: str = "procedures"


@dataclass
class Proposal:
    """One document to write, with what was guessed and what the quality manager must decide."""

    source: Source
    id: str
    title: str
    doc_type: str
    owner: str
    clauses: list[str]
    other_standards: list[str]
    path: str  # relative to the project root
    body: str = ""
    mapped: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unfinished: list[int] = field(default_factory=list)  # lines of placeholders and empty sections
    image_folder: str = ""  # relative to the project root

    def front_matter(self, options: Options) -> str:
        meta: dict[str, object] = {
            "id": self.id, "title": self.title, "type": self.doc_type,
            "revision": "1" if options.effective else "0",
            "status": "effective" if options.effective else "draft",
            "owner": self.owner, "clauses": self.clauses, "review_interval": options.review_interval,
        }
        if options.effective:
            meta["effective"] = options.today.isoformat()
        for key, value in self.source.front_matter.items():
            if key not in meta or key in ("related", "records", "tasks", "description", "tags"):
                meta.setdefault(key, value)
        lines = ["---"]
        for key, value in meta.items():
            lines.append(f"{key}: {_yaml_value(value)}")
        if self.other_standards:
            lines.append("# Other standards this document cites (add their catalogue to list them under clauses):")
            lines += [f"#   {ref}" for ref in self.other_standards]
        lines.append("---")
        return "\n".join(lines) + "\n"

    def text(self, options: Options) -> str:
        return self.front_matter(options) + "\n" + self.body.lstrip("\n")


def _yaml_value(value: object) -> str:
    """A value as one line of YAML: strings double-quoted (JSON's quoting is valid YAML), lists in flow style."""
    if isinstance(value, str):
        if re.fullmatch(r"[a-z][a-z0-9 -]*", value) and value not in ("yes", "no", "on", "off", "true", "false",
                                                                         "null"):
            return value
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str)


def propose(sources: list[Source], project: Project, options: Options) -> list[Proposal]:
    """A proposal for every source, ids unique among them and against the manual."""
    taken = {doc_id: doc.path for doc_id, doc in project.documents.items()}
    proposals: list[Proposal] = []
    numbering = options.numbering
    for source in sources:
        title, body, title_from = _title(source)
        doc_type, type_from = _type(source, title, options)
        wanted, id_from = _wanted_id(source, title, numbering)
        if numbering is not None:
            numbering = (numbering[0], numbering[1] + 1)
        decisions: list[str] = []
        if wanted is None:
            doc_id = _next_free(PREFIX_OF_TYPE[doc_type], taken)
            id_from = f"the next free {PREFIX_OF_TYPE[doc_type]} number (none in the file name or first heading)"
        elif wanted in taken and taken[wanted] != _path(wanted, _strip_id(title, wanted, wanted), doc_type, options):
            doc_id = _next_free(_prefix(wanted), taken)
            decisions.append(f"{wanted} is already used by {taken[wanted]}: imported as {doc_id}; rename it if "
                             "the two are the same document")
        else:
            doc_id = wanted
        taken[doc_id] = f"{source.display} (this import)"
        title = _strip_id(title, doc_id, wanted)
        owner, owner_decisions = _owner(source, body, project, options)
        clauses, others = _clauses(body, project)
        proposal = Proposal(source, doc_id, title, doc_type, owner, clauses, others, "", body,
                            decisions=decisions + owner_decisions, notes=list(source.notes))
        proposal.mapped += [f"id {doc_id} from {id_from}", f"title from {title_from}",
                            f"type {doc_type} from {type_from}"]
        proposal.path = _path(doc_id, title, doc_type, options)
        proposal.image_folder = f"{options.docs_folder}/images/{doc_id}"
        proposals.append(proposal)
    links = {p.source.path.resolve(): p.id for p in proposals}
    for proposal in proposals:
        proposal.body = _finish_body(proposal, links, options.docs_folder)
        first_line = proposal.front_matter(options).count("\n") + 2
        proposal.unfinished = [u.line for u in find_unfinished(proposal.body.lstrip("\n"), first_line)]
    return proposals


def _path(doc_id: str, title: str, doc_type: str, options: Options) -> str:
    """Where a document goes: procedures/ (docs/manual/ for policies and manual pages), named from id and title.
    The same source imported again gets the same path, so it is recognised instead of numbered anew."""
    folder = options.folder or (f"{options.docs_folder}/manual" if doc_type in ("policy", "manual")
                                else options.procedures_folder)
    return f"{folder}/{doc_id}-{_slug(title)}.md"


def _title(source: Source) -> tuple[str, str, str]:
    """The title, the body without its title heading, and where the title came from."""
    meta_title = source.front_matter.get("title")
    lines = source.body.split("\n")
    fence = None
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fence = None if fence else line.strip()[:3]
            continue
        if fence:
            continue
        match = _HEADING.match(line)
        if match:
            heading = _unescape(match.group("title").strip())
            if meta_title and heading.strip().lower() != str(meta_title).strip().lower():
                break  # the file's own title stays; its first heading is a section
            rest = lines[:index] + lines[index + 1:]
            return str(meta_title or heading), "\n".join(rest), "the first heading (taken out of the body)"
        if line.strip():
            break  # text before any heading: the first heading is a section, not the title
    if meta_title:
        return str(meta_title), source.body, "the file's front matter"
    stem = ID_AT_START.sub("", source.path.stem).strip(" _-.")
    return (stem.replace("_", " ").replace("-", " ").strip().capitalize() or source.path.stem,
            source.body, "the file name (no heading before the text)")


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>])", r"\1", text)


def _type(source: Source, title: str, options: Options) -> tuple[str, str]:
    if options.doc_type:
        return options.doc_type, "--type"
    meta_type = source.front_matter.get("type")
    if meta_type in PREFIX_OF_TYPE:
        return str(meta_type), "the file's front matter"
    for name, pattern, _ in TYPE_KEYWORDS[:-1]:
        for text in (title, source.path.stem.replace("_", " ")):
            if pattern.search(text):
                return name, f"the word in '{text}'"
    return "procedure", "default (no keyword of another type in the title or file name)"


def _wanted_id(source: Source, title: str, numbering: tuple[str, int] | None) -> tuple[str | None, str]:
    meta_id = source.front_matter.get("id")
    if meta_id:
        return str(meta_id), "the file's front matter"
    if numbering is not None:
        return f"{numbering[0]}-{numbering[1]:02d}", "--numbering"
    for text, where in ((source.path.stem, "the file name"), (title, "the first heading")):
        match = ID_AT_START.match(text)
        if match and match.group("prefix").upper() not in NOT_DOCUMENT_PREFIXES:
            return (f"{match.group('prefix').upper()}-{match.group('number')}{match.group('suffix').upper()}",
                    where)
    return None, ""


def _strip_id(title: str, doc_id: str, wanted: str | None) -> str:
    """'SOP-012 – Vigilance reporting' is titled 'Vigilance reporting' (the id is shown beside it anyway)."""
    match = ID_AT_START.match(title)
    if match and match.group("prefix").upper() not in NOT_DOCUMENT_PREFIXES:
        rest = title[match.end():].strip(" :-–—_.")
        if len(rest) >= 3:
            return rest
    return title


def _prefix(doc_id: str) -> str:
    return doc_id.split("-", 1)[0]


def _next_free(prefix: str, taken: dict[str, str]) -> str:
    """The id after the highest of its prefix, as many digits wide as the manual writes them (QP-07, SOP-013)."""
    found = [m.group(1) for doc_id in taken if (m := re.fullmatch(rf"{re.escape(prefix)}-(\d+)[A-Z]?", doc_id))]
    width = max((len(number) for number in found), default=2)
    return f"{prefix}-{max((int(n) for n in found), default=0) + 1:0{width}d}"


def _owner(source: Source, body: str, project: Project, options: Options) -> tuple[str, list[str]]:
    roles = project.organization.roles
    fallback = options.owner or next((rid for rid in roles if "quality" in rid), next(iter(roles), "quality-manager"))
    meta_owner = source.front_matter.get("owner")
    if isinstance(meta_owner, str) and meta_owner in roles:
        return meta_owner, []
    if options.owner:
        return options.owner, []
    match = _OWNER.search(body)
    if not match:
        return fallback, [f"no process owner found in the file: owner set to {fallback}; change it if another "
                          "role owns the process"]
    named = re.sub(r"[*_`]", "", match.group("value")).strip()
    if find_unfinished(named):
        return fallback, [f"the process owner is still a placeholder ('{named}'): owner set to {fallback}"]
    for rid, role in roles.items():
        if named.lower() in (rid.lower(), role.title.lower()) or _slug(named) == rid:
            return rid, []
    suggested = _slug(named)
    return fallback, [f"process owner '{named}' is not a role of organization.yaml: owner set to {fallback} for "
                      f"now. Add the role and set owner: {suggested}:\n"
                      f"      - id: {suggested}\n        title: {named}"]


def _clauses(body: str, project: Project) -> tuple[list[str], list[str]]:
    """ISO 9001 clauses named in the body, and references to other standards."""
    primary = project.standard
    clauses: list[str] = []
    others: list[str] = []
    for line in _prose_lines(body):
        standards = list(_STANDARD.finditer(line))
        if not standards:
            continue
        for n, standard in enumerate(standards):
            end = standards[n + 1].start() if n + 1 < len(standards) else len(line)
            numbers = [m.group("clause") for m in _CLAUSE_NUMBER.finditer(line, standard.end(), end)]
            if not numbers:
                continue
            name = f"{standard.group('body').upper()} {standard.group('number')}"
            if standard.group("number") == "9001":
                clauses += [c for c in numbers if primary.get(c) is not None and c not in clauses]
                continue
            key = _standard_key(standard, project)
            for number in numbers:
                ref = f"{key}:{number}" if key else f"{name}{':' + standard.group('year') if standard.group('year') else ''} {number}"
                target = clauses if key and project.find_clause(ref) is not None else others
                if ref not in target:
                    target.append(ref)
    return clauses, others


def _standard_key(standard: re.Match[str], project: Project) -> str | None:
    """The id of the manual's catalogue for this standard ('iso13485-2016'), if the manual has one."""
    number = standard.group("number")
    for sid in project.standards:
        if re.match(rf"^[a-z]+{number}(?:-|$)", sid) and (not standard.group("year") or
                                                         sid.endswith(standard.group("year"))):
            return sid
    return None


def _prose_lines(body: str) -> list[str]:
    lines, fence = [], None
    for line in body.split("\n"):
        if _FENCE.match(line):
            fence = None if fence else True
            continue
        if not fence:
            lines.append(line)
    return lines


def _finish_body(proposal: Proposal, links: dict[Path, str], docs_folder: str) -> str:
    """The body with template characters shown as written, links between imported files as doc() links, and
    images linked where they are saved."""
    out, fence = [], None
    converted = 0
    # Links are relative to the page as the site knows it: docs/manual/X.md is manual/X.md, procedures/ stays.
    page_folder = PurePosixPath(_site_path(proposal.path, docs_folder)).parent
    image_link = _relative(page_folder, PurePosixPath(_site_path(proposal.image_folder, docs_folder)))
    for line in proposal.body.split("\n"):
        if _FENCE.match(line):
            fence = None if fence else True
            out.append(line)
            continue
        if fence:
            out.append(line)
            continue
        pieces, last = [], 0
        for code in _INLINE_CODE.finditer(line):
            pieces.append(_prose(line[last:code.start()]))
            pieces.append(code.group(0))
            last = code.end()
        pieces.append(_prose(line[last:]))
        line = "".join(pieces)

        def link(match: re.Match[str]) -> str:
            nonlocal converted
            target = unquote(match.group("target").strip("<>")).split("#", 1)[0]
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                return match.group(0)
            doc_id = links.get((proposal.source.path.parent / target).resolve())
            if doc_id is None:
                return match.group(0)
            converted += 1
            return "{{ doc('" + doc_id + "') }}"

        out.append(_LINK.sub(link, line).replace("{IMAGE}", image_link))
    if converted:
        proposal.mapped.append(f"{converted} link{'s' if converted != 1 else ''} to other imported files "
                               "turned into doc() links")
    if proposal.source.images:
        proposal.mapped.append(f"{len(proposal.source.images)} image{'s' if len(proposal.source.images) != 1 else ''}"
                               f" saved in {proposal.image_folder}/")
    return "\n".join(out).strip("\n") + "\n"


def _prose(text: str) -> str:
    """Prose where `{{`, `{%` and `{#` are shown as written instead of being run as a template, and a
    placeholder such as `<enter role>` is shown instead of being dropped as an unknown HTML tag."""
    text = _TEMPLATE_OPEN.sub(lambda m: "{{ '" + m.group(0) + "' }}", text)
    return _ANGLE_PLACEHOLDER.sub(lambda m: "\\<" + m.group(1) + "\\>", text)


def _site_path(path: str, docs_folder: str) -> str:
    return path.removeprefix(docs_folder.rstrip("/") + "/")


def _relative(start: PurePosixPath, target: PurePosixPath) -> str:
    up = len(start.parts)
    return "/".join([".."] * up + list(target.parts)) if up else target.as_posix()


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].rstrip("-") or "document"
