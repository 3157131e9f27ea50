"""Unfinished text in a document's body: placeholders left behind, sections with nothing in them, no substance.

An auditor reads "TBD" as "not done". The patterns are data (catalogues/unfinished.yaml, replaceable by a
company's settings); this module only applies them. Fenced code blocks, inline code and `{% raw %}` blocks are
never searched: a procedure may show a placeholder as an example in code. Nothing here decides how bad a finding
is: `qms check` and the gap analysis do (a warning on a draft, an error on an effective document by policy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qms import package
from qms.model import yamlio
from qms.model.project import Project
from qms.problems import Problem, QMSError

DEFAULT_RULES = package.CATALOGUES / "unfinished.yaml"
EMPTY_SECTION = "empty-section"

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<title>.*?))?[ \t#]*$")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.S)
_MACRO = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_MARKUP = re.compile(r"<[^>\n]*>|!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|[|*_>#`~\[\]-]")
_QUOTED = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.U)


@dataclass(frozen=True)
class Pattern:
    """One kind of placeholder: a name for reports, the expression, and what the author should do."""

    name: str
    regex: re.Pattern[str]
    advice: str


@dataclass(frozen=True)
class Rules:
    """What counts as unfinished text, read from a rules file."""

    patterns: tuple[Pattern, ...]
    empty_sections: bool = True
    min_words: int = 15


@dataclass(frozen=True)
class Unfinished:
    """A piece of unfinished text: where it is (1-based line in the file), what kind, the text, the advice."""

    line: int
    kind: str
    text: str
    advice: str

    def problem(self, path: str, severity: str = "warning") -> Problem:
        return Problem(path, self.line, f"unfinished text ({self.kind}): '{self.text}': {self.advice}", severity,
                       code="unfinished-text")


def load_rules(path: Path = DEFAULT_RULES, display: str | None = None) -> Rules:
    """Rules from a YAML file like catalogues/unfinished.yaml; a bad file is a QMSError naming the line."""
    return _load_rules(path, display or str(path))


@lru_cache(maxsize=8)
def _load_rules(path: Path, display: str) -> Rules:
    """Kept in memory: the rules are the package's own file (it cannot change while the engine runs), and
    they are asked for once per page checked (about 17 ms each time otherwise)."""
    text = yamlio.read_text(path)
    try:
        data = yamlio.load(text) or {}
    except yamlio.YAMLSyntaxProblem as exc:
        raise QMSError(Problem(display, exc.line, exc.message, code=exc.code)) from None
    patterns = []
    for i, raw in enumerate(data.get("patterns") or []):
        where = yamlio.line_of(text, ["patterns", i])
        if not isinstance(raw, dict) or not raw.get("name") or not raw.get("regex"):
            raise QMSError(Problem(display, where, f"patterns[{i}]: each pattern needs a name and a regex",
                                   code="invalid-rules"))
        try:
            regex = re.compile(str(raw["regex"]), re.I)
        except re.error as exc:
            raise QMSError(Problem(display, where, f"patterns[{i}].regex: not a regular expression ({exc})",
                                   code="invalid-rules")) from None
        patterns.append(Pattern(str(raw["name"]), regex, str(raw.get("advice") or "finish the text")))
    return Rules(tuple(patterns), bool(data.get("empty_sections", True)), int(data.get("min_words", 15)))


def _blank_code(body: str) -> list[str]:
    """The body's lines with fenced code, inline code and raw blocks blanked out (line numbers kept)."""
    body = _RAW.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    lines = body.split("\n")
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group("fence")[0] == fence[0] and len(match.group("fence")) >= len(fence) \
                    and not line.strip()[len(match.group("fence")):].strip():
                fence = None
            out.append("")
            continue
        if match:
            fence = match.group("fence")
            out.append("")
            continue
        out.append(_INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line))
    return out


def find_unfinished(body: str, first_line: int = 1, rules: Rules | None = None) -> list[Unfinished]:
    """Every placeholder and empty section in a Markdown body whose first line is line `first_line` of its file."""
    rules = rules or load_rules()
    lines = _blank_code(body)
    found: list[Unfinished] = []
    for index, line in enumerate(lines):
        for pattern in rules.patterns:
            for match in pattern.regex.finditer(line):
                shown = _ESCAPE.sub(r"\1", match.group(0).strip())  # `\<enter role\>` is shown as <enter role>
                found.append(Unfinished(first_line + index, pattern.name, shown, pattern.advice))
    if rules.empty_sections:
        found += _empty_sections(lines, first_line)
    return sorted(found, key=lambda u: (u.line, u.kind))


def _empty_sections(lines: list[str], first_line: int) -> list[Unfinished]:
    headings = []
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if match:
            headings.append((index, len(match.group("hashes")), (match.group("title") or "").strip()))
    found = []
    for n, (index, level, title) in enumerate(headings):
        nxt = headings[n + 1] if n + 1 < len(headings) else None
        if nxt is not None and nxt[1] > level:
            continue  # a heading whose content is its subsections
        end = nxt[0] if nxt is not None else len(lines)
        if not any(line.strip() for line in lines[index + 1:end]):
            found.append(Unfinished(first_line + index, EMPTY_SECTION, ("#" * level + " " + title).strip(),
                                    "write the section, or remove the heading"))
    return found


def word_count(body: str, rules: Rules | None = None) -> int:
    """Words of real text in a body: without code, headings, placeholders, macros and markup."""
    rules = rules or load_rules()
    text = "\n".join(line for line in _blank_code(body) if not _HEADING.match(line))
    text = _MACRO.sub(lambda m: " ".join([a or b for a, b in _QUOTED.findall(m.group(0))][-1:]), text)  # shown words
    for pattern in rules.patterns:
        text = pattern.regex.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return len(_WORD.findall(text))


def has_substance(body: str, rules: Rules | None = None) -> bool:
    """True when the body says something: at least `rules.min_words` words of real text."""
    rules = rules or load_rules()
    return word_count(body, rules) >= rules.min_words


def project_rules(project: Project) -> Rules:
    """The company's rules file when the manual names one (option unfinished_text), else the engine's."""
    settings = project.settings
    if settings.unfinished_rules is None:
        return load_rules()
    if not settings.unfinished_rules.is_file():
        raise QMSError(Problem(settings.rel(settings.config_file), 0,
                               f"qms option unfinished_text: {settings.rel(settings.unfinished_rules)} does not "
                               "exist: create it (copy the engine's catalogues/unfinished.yaml) or remove the option",
                               code="missing-file"))
    return load_rules(settings.unfinished_rules, settings.rel(settings.unfinished_rules))


def document_problems(project: Project) -> list[Problem]:
    """Unfinished text in every draft or effective controlled document: a warning, or an error in an effective
    document when the policy says so (`unfinished_text_is_error`)."""
    try:
        rules = project_rules(project)
    except QMSError as exc:
        return exc.problems
    problems: list[Problem] = []
    for doc in project.documents.values():
        if doc.status == "obsolete" or doc.id not in project.bodies:
            continue
        body, first_line = project.bodies[doc.id]
        severity = "error" if doc.status == "effective" and project.settings.policy.unfinished_text_is_error \
            else "warning"
        problems += [u.problem(doc.path, severity) for u in find_unfinished(body, first_line, rules)]
    return problems
