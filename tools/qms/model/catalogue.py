"""ISO catalogues as data: a standard's clauses and a vocabulary's terms, loaded from YAML files.

A catalogue file is found by name in the project's `catalogues/` folder first, then in the
catalogues shipped with this package, so a new standard or edition needs a data file, no code.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from qms import package
from qms.model import yamlio
from qms.problems import Problem, QMSError

PACKAGE_CATALOGUES = package.CATALOGUES


@dataclass(frozen=True)
class Clause:
    """A numbered clause of a standard. `title` is ISO's; `label` is ours, for untitled items."""

    id: str
    title: str | None
    label: str | None = None
    standard: str = ""

    @property
    def name(self) -> str:
        """The title, or our label when the standard gives none."""
        return self.title or self.label or ""

    @property
    def has_iso_title(self) -> bool:
        return self.title is not None

    @property
    def parent_id(self) -> str | None:
        return self.id.rsplit(".", 1)[0] if "." in self.id else None

    @property
    def depth(self) -> int:
        return self.id.count(".")

    @property
    def top(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def slug(self) -> str:
        return self.id.replace(".", "-")


@dataclass(frozen=True)
class RequiredInformation:
    """Documented information a clause asks to maintain (a document) or retain (a record)."""

    clause: str  # as cited, e.g. "8.2.3.2" or "9.2.2 f)"
    kind: str  # "maintain" or "retain"
    what: str
    note: str | None = None

    @property
    def clause_id(self) -> str:
        """The numbered clause, without a list item such as ' f)'."""
        return self.clause.split(" ", 1)[0]


@dataclass(frozen=True)
class Check:
    """A rule that can lower a clause's status: its name (a check of qms.analysis.verdicts) and its settings."""

    name: str
    params: tuple[tuple[str, object], ...] = ()

    def get(self, key: str, default: object = None) -> object:
        return dict(self.params).get(key, default)


@dataclass(frozen=True)
class EvidenceRule:
    """What makes records count as one required item of documented information (keyed by the item as cited).

    `types`: the record types that hold it (default: every type whose x-qms clauses list the clause);
    `exclude_types`: types that never count (the HR register is not evidence of competence);
    `stage_field`/`stages`: each stage must be on file in at least one record (design review, verification,
    validation); `complete_when`/`complete_fields`: a record matching `complete_when` (field: values) must
    have every field of `complete_fields` filled and true-ish (a closed corrective action with its
    effectiveness verified and its result); `why` says in our words why the rule exists.
    """

    item: str
    types: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()
    stage_field: str | None = None
    stages: tuple[str, ...] = ()
    complete_when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    complete_fields: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class Rules:
    """What makes a clause covered, as data beside the standard's clauses (the `rules:` mapping of a catalogue).

    `not_applicable`: clause ids (with everything below them) the scope may declare not applicable;
    `everywhere`: checks run for every clause; `checks`: clause id -> checks run for that clause;
    `evidence`: required item (as cited) -> EvidenceRule; `notes`: clause id -> our note (an amendment);
    `review_inputs`/`review_outputs`: list item of the management-review clauses -> the review record's topics
    (inputs) or decision kinds (outputs) that answer it.
    """

    not_applicable: tuple[str, ...] = ()
    everywhere: tuple[Check, ...] = ()
    checks: dict[str, tuple[Check, ...]] = field(default_factory=dict)
    evidence: dict[str, EvidenceRule] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    review_inputs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    review_outputs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    scope_clause: str | None = None  # the clause whose document states the scope and may declare exclusions

    def may_be_not_applicable(self, clause_id: str) -> bool:
        return any(clause_id == c or clause_id.startswith(c + ".") for c in self.not_applicable)

    def checks_for(self, clause_id: str) -> tuple[Check, ...]:
        return (*self.everywhere, *self.checks.get(clause_id, ()))


@dataclass(frozen=True)
class Standard:
    """A standard such as ISO 9001:2015: its clauses in order and its documented information."""

    id: str
    name: str
    year: int
    title: str
    short: str
    url: str
    clauses: tuple[Clause, ...]
    documented_information: tuple[RequiredInformation, ...]
    requirements_from: str = "1"
    rules: Rules = field(default_factory=Rules)
    amendments: tuple[str, ...] = ()
    by_id: dict[str, Clause] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id.update({c.id: c for c in self.clauses})

    def get(self, clause_id: str) -> Clause | None:
        return self.by_id.get(normalize_clause_id(clause_id))

    def children(self, clause_id: str) -> list[Clause]:
        return [c for c in self.clauses if c.parent_id == clause_id]

    def top_level(self) -> list[Clause]:
        return [c for c in self.clauses if c.depth == 0]

    def requirement_clauses(self) -> list[Clause]:
        """Clauses that hold requirements for an organization (e.g. 4 to 10 in ISO 9001)."""
        start = int(self.requirements_from)
        return [c for c in self.clauses if c.top.isdigit() and int(c.top) >= start]

    def ref(self, clause_id: str) -> str:
        """The clause keyed by this standard, e.g. 'iso9001-2015:8.5.1'."""
        return f"{self.id}:{normalize_clause_id(clause_id)}"

    def suggest(self, clause_id: str) -> list[str]:
        return difflib.get_close_matches(clause_id, list(self.by_id), n=3, cutoff=0.6)


def normalize_clause_id(value: object) -> str:
    """'8.7.2' from '8.7.2', ' 8.7.2 ', 'clause 8.7.2' or a number such as 8.7 read from YAML."""
    text = str(value).strip()
    text = re.sub(r"^(clause|§)\s*", "", text, flags=re.I)
    return text.rstrip(".")


@dataclass(frozen=True)
class Term:
    """A vocabulary entry: number and name are ISO's; explanation and example are ours; url is ISO's OBP entry.

    `also` and `forms` are the catalogue's second names and inflected forms; `company_names` and
    `company_forms` are the ones a company adds in its glossary overlay, and `adapted` names the fields
    (explanation, example) the overlay replaced.
    """

    number: str
    term: str
    explanation: str
    url: str
    also: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    es: str | None = None
    es_unverified: bool = False
    group: str = ""
    example: str = ""
    company_names: tuple[str, ...] = ()
    company_forms: tuple[str, ...] = ()
    adapted: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        """Fragment id on the glossary page, e.g. 'nonconformity', 'top-management'."""
        return re.sub(r"[^a-z0-9]+", "-", self.term.lower()).strip("-")

    @property
    def es_verified(self) -> bool:
        """True when the Spanish name is checked against the official Spanish translation."""
        return bool(self.es) and not self.es_unverified

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a page may link this term by: its name, second names, forms and the company's own words."""
        return (self.term, *self.also, *self.forms, *self.company_names, *self.company_forms)


@dataclass(frozen=True)
class Vocabulary:
    """A vocabulary standard (ISO 9000:2015): its terms and a lookup from any name or form."""

    id: str
    name: str
    year: int
    title: str
    terms: tuple[Term, ...]
    groups: tuple[tuple[str, str], ...]
    index: dict[str, Term] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for t in self.terms:
            for name in t.names:
                self.index.setdefault(_fold(name), t)

    def lookup(self, name: str) -> Term | None:
        """The term for a name, second name, plural or inflected form (case-insensitive)."""
        return self.index.get(_fold(name))

    def suggest(self, name: str) -> list[str]:
        """The closest term names (by name, second name or form; always at least one when there are terms)."""
        wanted = _fold(name)
        by_name = {key: t.term for key, t in self.index.items()}
        for cutoff in (0.8, 0.6):
            close = difflib.get_close_matches(wanted, list(by_name), n=6, cutoff=cutoff)
            if close:
                return list(dict.fromkeys(by_name[c] for c in close))[:3]
        words = [w for w in wanted.split() if len(w) > 3]  # 'corrective actoin plan': a word of it
        for key, term in by_name.items():
            if any(w in key.split() for w in words):
                return [term]
        if not by_name:
            return []
        best = max(by_name, key=lambda key: difflib.SequenceMatcher(None, wanted, key).ratio())
        return [by_name[best]]

    def by_number(self, number: str) -> Term | None:
        return next((t for t in self.terms if t.number == number), None)

    def with_terms(self, terms: tuple[Term, ...]) -> Vocabulary:
        """The same vocabulary with other entries (a company's adapted ones), indexed afresh."""
        return Vocabulary(id=self.id, name=self.name, year=self.year, title=self.title, terms=terms, groups=self.groups)


def _fold(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower().replace("’", "'"))


def find_catalogue(name: str, project_dirs: Iterable[Path] = ()) -> Path:
    """Path of catalogue `name` (e.g. 'iso9001-2015'): project folders first, then the package's."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    for folder in (*project_dirs, PACKAGE_CATALOGUES):
        for suffix in (".yaml", ".yml"):
            path = Path(folder) / f"{name}{suffix}"
            if path.exists():
                return path
    known = sorted(p.stem for p in PACKAGE_CATALOGUES.glob("*.yaml"))
    raise QMSError(Problem("mkdocs.yml", 0, f"unknown catalogue '{name}': add catalogues/{name}.yaml "
                                             f"or use one of: {', '.join(known)}", code="unknown-catalogue"))


def _load_data(path: Path) -> dict:
    try:
        data = yamlio.load(yamlio.read_yaml_text(path))
    except yamlio.YAMLSyntaxProblem as exc:
        raise QMSError(Problem(str(path), exc.line, exc.message, code=exc.code)) from None
    if not isinstance(data, dict):
        raise QMSError(Problem(str(path), 1, "a catalogue must be a YAML mapping", code="invalid-catalogue"))
    return data


def load_standard(path: Path) -> Standard:
    """Load a standard's catalogue file (see catalogues/iso9001-2015.yaml for the format)."""
    data = _load_data(path)
    try:
        meta = data["standard"]
        sid = str(meta["id"])
        clauses = tuple(
            Clause(id=normalize_clause_id(c["id"]), title=c.get("title"), label=c.get("label"), standard=sid)
            for c in data["clauses"]
        )
        info = tuple(
            RequiredInformation(clause=str(item["clause"]), kind=kind, what=str(item["what"]), note=item.get("note"))
            for kind in ("maintain", "retain")
            for item in (data.get("documented_information") or {}).get(kind, []) or []
        )
        return Standard(
            id=sid, name=str(meta["name"]), year=int(meta["year"]), title=str(meta.get("title", "")),
            short=str(meta.get("short") or f"{meta['name']}:{meta['year']}"), url=str(meta.get("url", "")),
            clauses=clauses, documented_information=info,
            requirements_from=str(meta.get("requirements_from", "1")),
            rules=_rules(data.get("rules") or {}), amendments=tuple(str(a) for a in meta.get("amendments") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise QMSError(Problem(str(path), 0, f"not a standard catalogue: missing or bad field {exc}",
                               code="invalid-catalogue")) from None


def _check(value: object) -> Check:
    """'overdue-records' or {name: overdue-records, type: calibration, ...}."""
    if isinstance(value, str):
        return Check(value)
    if not isinstance(value, dict) or not value.get("name"):
        raise ValueError(f"a check is a name or a mapping with a name: {value!r}")
    return Check(str(value["name"]), tuple((str(k), v) for k, v in value.items() if k != "name"))


def _strs(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        return (str(value),)
    return tuple(str(v) for v in value)  # type: ignore[union-attr]


def _rules(data: dict) -> Rules:
    """The `rules:` mapping of a standard's catalogue (see catalogues/iso9001-2015.yaml)."""
    evidence = {}
    for item, raw in (data.get("evidence") or {}).items():
        raw = raw or {}
        when = raw.get("complete_when") or {}
        evidence[str(item)] = EvidenceRule(
            item=str(item), types=_strs(raw.get("types")), exclude_types=_strs(raw.get("exclude_types")),
            stage_field=raw.get("stage_field"), stages=_strs(raw.get("stages")),
            complete_when=tuple((str(k), _strs(v)) for k, v in when.items()),
            complete_fields=_strs(raw.get("complete_fields")), why=" ".join(str(raw.get("why") or "").split()))
    clauses = data.get("clauses") or {}
    return Rules(
        not_applicable=tuple(normalize_clause_id(c) for c in _strs((data.get("not_applicable") or {}).get("allowed"))),
        everywhere=tuple(_check(c) for c in data.get("everywhere") or ()),
        checks={normalize_clause_id(cid): tuple(_check(c) for c in (raw or {}).get("checks") or ())
                for cid, raw in clauses.items()},
        evidence=evidence,
        notes={normalize_clause_id(cid): " ".join(str(raw["note"]).split())
               for cid, raw in clauses.items() if raw and raw.get("note")},
        review_inputs=tuple((str(k), _strs(v)) for k, v in (data.get("review_inputs") or {}).items()),
        review_outputs=tuple((str(k), _strs(v)) for k, v in (data.get("review_outputs") or {}).items()),
        scope_clause=(normalize_clause_id(sc) if (sc := (data.get("not_applicable") or {}).get("scope_clause"))
                      else None),
    )


def load_vocabulary(path: Path) -> Vocabulary:
    """Load a vocabulary catalogue file (see catalogues/iso9000-2015.yaml for the format)."""
    data = _load_data(path)
    try:
        meta = data["vocabulary"]
        pattern = str(meta["url_pattern"])
        groups = tuple((str(g["number"]), str(g["title"])) for g in data.get("groups", []))
        terms = tuple(
            Term(
                number=str(t["number"]), term=str(t["term"]),
                explanation=" ".join(str(t.get("explanation", "")).split()),
                example=" ".join(str(t.get("example") or "").split()),
                url=pattern.format(number=t["number"]),
                also=tuple(str(a) for a in t.get("also") or ()),
                forms=tuple(str(f) for f in t.get("forms") or ()),
                es=t.get("es"),
                es_unverified=bool(t.get("es_unverified", False)),
                group=str(t["number"]).rsplit(".", 1)[0],
            )
            for t in data["terms"]
        )
        return Vocabulary(id=str(meta["id"]), name=str(meta["standard"]), year=int(meta["year"]),
                          title=str(meta.get("title", "")), terms=terms, groups=groups)
    except (KeyError, TypeError, ValueError) as exc:
        raise QMSError(Problem(str(path), 0, f"not a vocabulary catalogue: missing or bad field {exc}",
                               code="invalid-catalogue")) from None
