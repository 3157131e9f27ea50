"""A company's own words for the glossary: glossary.yaml, read over the ISO 9000 vocabulary catalogue.

The vocabulary catalogue ships with the engine and a company does not copy it. Its glossary.yaml (at the
repository root) replaces, term by term, our explanation (which is also the tooltip of every link to the
term) or our example, and adds the words the company itself uses for a term so that they link to it too:

    terms:
      - term: nonconformity
        example: A label printed with last week's batch code.
        also: [misprint]
        forms: [misprints]

The file is validated against the engine's schema (schemas/glossary.schema.yaml). Every problem is a
`Problem(path, line, message)`: a file that does not parse or fails the schema changes nothing, and an entry
naming an unknown term, or a word that already links elsewhere, is left out while the others apply.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qms import package
from qms.config import Settings
from qms.model import yamlio
from qms.model.catalogue import Term, Vocabulary
from qms.model.schema import Schema, load_schema, validate
from qms.problems import Problem, QMSError

OVERLAY_FILE = "glossary.yaml"
OVERLAY_SCHEMA = package.SCHEMAS / "glossary.schema.yaml"
_NUMBER = re.compile(r"^\d+(\.\d+)+$")


@dataclass(frozen=True)
class Adaptation:
    """What glossary.yaml changes for one term: None leaves our text as it is."""

    number: str
    explanation: str | None = None
    example: str | None = None
    names: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()

    @property
    def replaced(self) -> tuple[str, ...]:
        """The fields of the entry this adaptation replaces, e.g. ('explanation',)."""
        return tuple(f for f in ("explanation", "example") if getattr(self, f) is not None)


def overlay_path(settings: Settings) -> Path:
    """Where a company keeps its own glossary words: glossary.yaml at the repository root."""
    return settings.root / OVERLAY_FILE


def overlay_schema() -> Schema:
    return load_schema(OVERLAY_SCHEMA, f"{package.HOME.name}/schemas/{OVERLAY_SCHEMA.name}")


def apply_overlay(vocabulary: Vocabulary, settings: Settings) -> tuple[Vocabulary, list[Problem]]:
    """The vocabulary with the company's glossary.yaml applied (unchanged without one), and its problems."""
    adaptations, problems = load_overlay(vocabulary, overlay_path(settings), settings.rel(overlay_path(settings)))
    if not adaptations:
        return vocabulary, problems
    return vocabulary.with_terms(tuple(adapt(t, adaptations[t.number]) if t.number in adaptations else t
                                       for t in vocabulary.terms)), problems


def adapt(term: Term, adaptation: Adaptation) -> Term:
    """One catalogue entry in the company's words."""
    return dataclasses.replace(
        term,
        explanation=term.explanation if adaptation.explanation is None else adaptation.explanation,
        example=term.example if adaptation.example is None else adaptation.example,
        company_names=adaptation.names, company_forms=adaptation.forms, adapted=adaptation.replaced,
    )


def load_overlay(vocabulary: Vocabulary, path: Path, display: str) -> tuple[dict[str, Adaptation], list[Problem]]:
    """The adaptations of glossary.yaml by term number (none when there is no such file), and its problems."""
    if not path.is_file():
        return {}, []
    try:
        text = yamlio.read_text(path)
    except UnicodeDecodeError as exc:
        return {}, [Problem(display, 0, f"not UTF-8 text ({exc.reason}): save the file as UTF-8", code="not-utf8")]
    try:
        data = yamlio.load(text, unique_keys=True)
    except yamlio.YAMLSyntaxProblem as exc:
        return {}, [Problem(display, exc.line, exc.message, code=exc.code)]
    if data is None:  # empty, or only comments
        return {}, []
    if not isinstance(data, dict):
        return {}, [Problem(display, 1, "the glossary file must be a YAML mapping with a list of 'terms:' "
                                        "(see the authoring guide)", code="not-a-mapping")]
    try:
        problems = validate(overlay_schema(), data, text, display)
    except QMSError as exc:  # the engine's own schema is broken: say so rather than judge the company's file
        return {}, exc.problems
    if problems:
        return {}, problems
    return _Reader(vocabulary, text, display).read(data["terms"])


@dataclass
class _Reader:
    """Turns the validated entries of glossary.yaml into adaptations, checking what the schema cannot."""

    vocabulary: Vocabulary
    text: str
    display: str

    def __post_init__(self) -> None:
        self.adaptations: dict[str, Adaptation] = {}
        self.first_entry: dict[str, int] = {}  # term number -> index of the entry that adapts it
        self.words: dict[str, tuple[str, int]] = {}  # folded word -> (term number, entry index) giving it
        self.problems: list[Problem] = []

    def read(self, entries: list[dict[str, Any]]) -> tuple[dict[str, Adaptation], list[Problem]]:
        for i, entry in enumerate(entries):
            term = self.resolve(i, str(entry["term"]))
            if term is None:
                continue
            if not any(key in entry for key in ("explanation", "example", "also", "forms")):
                self.problem([i, "term"], f"terms[{i}]: '{entry['term']}' changes nothing: give an explanation, "
                                          "an example, also or forms", code="empty-adaptation")
                continue
            names = self.new_words(i, term, "also", entry.get("also") or [])
            forms = self.new_words(i, term, "forms", entry.get("forms") or [])
            self.adaptations[term.number] = Adaptation(
                number=term.number, explanation=_text(entry.get("explanation")), example=_text(entry.get("example")),
                names=names, forms=forms)
        return self.adaptations, self.problems

    def resolve(self, i: int, name: str) -> Term | None:
        """The term an entry adapts; an unknown or twice-adapted term is a problem."""
        term = self.vocabulary.by_number(name.strip()) if _NUMBER.match(name.strip()) else self.vocabulary.lookup(name)
        if term is None:
            hint = self.suggest(name)
            self.problem([i, "term"], f"terms[{i}].term: unknown {self.vocabulary.name} term '{name}'"
                                      + (f" (did you mean {' or '.join(repr(h) for h in hint)}?)" if hint else "")
                                      + ": use a term's name, a second name or its number, as in the glossary",
                         code="unknown-term")
            return None
        if term.number in self.first_entry:
            first = self.first_entry[term.number]
            self.problem([i, "term"], f"terms[{i}].term: {term.number} {term.term} is already adapted on line "
                                      f"{yamlio.line_of(self.text, ['terms', first, 'term'])}: "
                                      "put everything for one term in one entry", code="duplicate-term")
            return None
        self.first_entry[term.number] = i
        return term

    def new_words(self, i: int, term: Term, key: str, words: list[str]) -> tuple[str, ...]:
        """The company's words for `term` that can link to it; a word that links elsewhere is a problem."""
        kept = []
        for j, word in enumerate(" ".join(str(w).split()) for w in words):
            folded = word.lower()
            known = self.vocabulary.lookup(word)
            where = [i, key, j]
            if known is not None and known.number != term.number:
                self.problem(where, f"terms[{i}].{key}[{j}]: '{word}' already links to {known.number} {known.term}: "
                                    "a word can link to one term only", code="ambiguous-word")
            elif known is not None:
                self.problem(where, f"terms[{i}].{key}[{j}]: '{word}' already links to {term.term}: remove it",
                             severity="warning", code="redundant-word")
            elif folded in self.words and self.words[folded][0] != term.number:
                other = self.vocabulary.by_number(self.words[folded][0])
                self.problem(where, f"terms[{i}].{key}[{j}]: '{word}' is already given for "
                                    f"{other.term if other else self.words[folded][0]} on line "
                                    f"{yamlio.line_of(self.text, ['terms', self.words[folded][1]])}: "
                                    "a word can link to one term only", code="ambiguous-word")
            elif folded not in self.words:
                self.words[folded] = (term.number, i)
                kept.append(word)
        return tuple(kept)

    def suggest(self, name: str) -> list[str]:
        """Names or numbers close to a mistyped one."""
        if _NUMBER.match(name.strip()):
            return difflib.get_close_matches(name.strip(), [t.number for t in self.vocabulary.terms], n=3, cutoff=0.7)
        names = [n for t in self.vocabulary.terms for n in (t.term, *t.also)]
        return difflib.get_close_matches(name.strip().lower(), names, n=3, cutoff=0.75)

    def problem(self, where: list[str | int], message: str, severity: str = "error", *, code: str) -> None:
        line = yamlio.line_of(self.text, ["terms", *where])
        self.problems.append(Problem(self.display, line, message, severity, code=code))  # type: ignore[arg-type]


def _text(value: object) -> str | None:
    """A text of the file on one line (YAML's folded and literal blocks alike), or None when not given."""
    return None if value is None else " ".join(str(value).split())
