"""A synthetic company quality system for benchmarks and tests: documents, records and years of git history.

    python -m bench.generate --docs 300 --commits 3000 --records 1000 --out /tmp/qms-300 [--seed 1]

writes a complete quality-manual repository: mkdocs.yml (the example's settings and its qms plugin, which
the installed engine provides), the example's macros.py, organization.yaml, a copy of
records_schema/, docs/index.md and manual pages, procedures/ with valid front matter and ~500-word
bodies that call term(), clause(), doc() and record_type() with valid ids only, records/<type>/*.yaml
valid against their schemas, and a git history made with ONE `git fast-import` stream: `commits`
commits on main's first-parent line, a share of them `--no-ff` merges of short feature branches
("Merge pull request #N from feature/x", the pull-request title, `Approved-by:` trailers), renames
and moves of procedures, a revision bump in the front matter with every change of content, and
dates spread over six years. The same parameters and seed give the same repository (same commit ids).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import re._parser as sre_parse  # the stdlib regex parser: turns a schema pattern into a generator
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any, BinaryIO, Iterator

import yaml
from jsonschema import Draft202012Validator
from qms.model import catalogue

GENERATOR_VERSION = 2  # raise when the output changes, so cached benchmark repositories are regenerated
ROOT = Path(__file__).resolve().parents[1]  # this repository: the example company's settings and schemas
COMPANY = "Harbourside Precision Components Ltd"
START = dt.datetime(2020, 11, 2, 8, 0, tzinfo=dt.timezone.utc)
END = dt.datetime(2026, 10, 30, 17, 0, tzinfo=dt.timezone.utc)
SCHEMA_SUFFIX = ".schema.yaml"

AUTHORS = [(f"{first} {last}", f"{first.lower()}.{last.lower()}@harbourside.example")
           for first, last in [("Ann", "Hughes"), ("Ben", "Okafor"), ("Carla", "Mendes"), ("Dev", "Patel"),
                               ("Erin", "Walsh"), ("Femi", "Adeyemi"), ("Gwen", "Price"), ("Hana", "Novak"),
                               ("Ivan", "Petrov"), ("Jo", "Lindqvist"), ("Kofi", "Mensah"), ("Lena", "Fischer")]]
FIRST_NAMES = ["Alex", "Sam", "Chris", "Jordan", "Taylor", "Morgan", "Jamie", "Robin", "Casey", "Drew", "Harper",
               "Quinn", "Rowan", "Sasha", "Toni", "Avery", "Blake", "Cameron", "Dana", "Eden", "Frankie", "Glen",
               "Hayden", "Indy", "Jules", "Kai", "Lee", "Max", "Nico", "Oakley", "Parker", "Reese", "Sky", "Terry"]
LAST_NAMES = ["Abbott", "Barker", "Chen", "Doyle", "Evans", "Fox", "Grant", "Hale", "Iqbal", "Jones", "Kerr", "Lowe",
              "Moss", "Nash", "Owen", "Pike", "Quayle", "Reid", "Shaw", "Tate", "Usher", "Vance", "Webb", "Young",
              "Zhou", "Bell", "Cole", "Dunn", "Ellis", "Ford"]
SUBJECTS = ["bar stock", "castings", "outsourced anodising", "heat treatment", "CNC programs", "fixtures", "gauges",
            "torque wrenches", "the CMM", "first-off parts", "customer drawings", "purchase orders", "tooling",
            "coolant", "machine maintenance", "goods-in", "despatch", "packaging", "deburring", "surface finish",
            "thread gauges", "plastics machining", "medical components", "aerospace components", "calibration",
            "training", "internal audits", "supplier approval", "customer complaints", "production changes",
            "work in progress", "quarantine", "traceability labels", "mill certificates", "job cards",
            "shift handover", "preventive maintenance", "setting sheets", "program proving", "final inspection"]
VERBS = ["Control of", "Inspection of", "Planning of", "Handling of", "Review of", "Approval of", "Release of",
         "Verification of", "Storage of", "Identification of", "Maintenance of", "Measurement of"]
FILLERS = ["the job card", "the route card", "the setting sheet", "the CMM report", "the drawing revision",
           "the goods-in label", "the quarantine cage", "the shift log", "the NCR module in the ERP system",
           "the approved supplier list", "the gauge board", "the despatch note", "the first-off sample",
           "the mill certificate", "the training matrix", "the calibration sticker", "the red NCR label",
           "the customer's purchase order", "the machine log book", "the inspection plan"]
STEP_HEADINGS = ["Prepare", "Check the inputs", "Carry out the work", "Inspect", "Record", "Release", "Escalate",
                 "Review", "Close", "Hand over", "Plan", "Verify", "Contain", "Report"]
SENTENCES = [
    "The {role} checks that every {t} is recorded on {w} before the job moves on, as {c} requires.",
    "Before starting, the {role} confirms that {w} matches the current revision and that the {t} is understood.",
    "Where a {t} is found, work stops and the part is labelled and moved to {w} as described in {d}.",
    "Results are entered in {w} the same shift, and the {r} is completed so that nothing depends on memory.",
    "The {role} decides what happens next and writes the decision on {w}, following {d}.",
    "This step gives evidence for {c}: the {t} is planned, carried out and checked by someone other than the person who did the work.",
    "If {w} is missing or unreadable, the {role} asks for a replacement before any further {t} is done.",
    "Each month the {role} reviews the {r} entries and looks for trends, repeat problems and chances for {t}.",
    "Changes to this step are agreed with the {role} and made under {d}, so that people always work to the current text.",
    "The {t} is measured with equipment that is in calibration, and the gauge number is written on {w}.",
    "Customers are told within one working day when a {t} could affect parts already delivered, as set out in {d}.",
    "Anyone may stop a job in good faith when they doubt the {t}; nobody is blamed for doing so.",
    "The {role} keeps {w} up to date and makes sure the {r} can be found again for the whole retention period.",
    "Outsourced work follows the same rules: the supplier's {t} is checked at goods-in against {w} and {c}.",
    "Records of this step are kept as {r} and reviewed at the management review described in {d}.",
    "When the {t} cannot be met, the {role} raises the matter with the customer through the sales team and records the answer on {w}.",
    "New starters are shown this step by the {role} and their training is recorded as {r}.",
    "The {role} signs {w} only when every check in {d} is complete and the {t} is confirmed.",
]


# --------------------------------------------------------------------------------------------------
# The catalogue of valid names: clauses, terms, roles, record types


@dataclass(frozen=True)
class RecordTypeSpec:
    """What the generator needs from a record schema: properties, references and the id format."""

    id: str
    schema: dict
    references: dict[str, str]  # field path ('audits[].process') -> target ('person', 'record:calibration')
    revisions: dict[str, str]
    id_format: str
    confidential: bool
    validator: Draft202012Validator = field(compare=False, repr=False)


@dataclass(frozen=True)
class Names:
    """Every name a generated page or record may use: all of them resolve in the real catalogues."""

    clauses: tuple[str, ...]  # requirement clauses of ISO 9001 (4 and below)
    terms: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]  # (role id, title)
    record_types: dict[str, RecordTypeSpec]
    # record type -> (field, values) that make a record complete only with the fields given (the standard's
    # evidence rules: a closed corrective action has its effectiveness check), so generated records pass them
    completion: dict[str, tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]] = field(
        default_factory=dict)


def load_names(schema_dir: Path = ROOT / "records_schema", organization: Path = ROOT / "organization.yaml") -> Names:
    """Clause ids and term names from the qms catalogues, roles and record types from the example."""
    standard = catalogue.load_standard(catalogue.find_catalogue("iso9001-2015"))
    vocabulary = catalogue.load_vocabulary(catalogue.find_catalogue("iso9000-2015"))
    clauses = tuple(c.id for c in standard.requirement_clauses())
    terms = tuple(t.term for t in vocabulary.terms)
    org = yaml.safe_load(organization.read_text(encoding="utf-8"))
    roles = tuple((r["id"], r["title"]) for r in org["roles"])
    types = {}
    for path in sorted(schema_dir.glob("*" + SCHEMA_SUFFIX)):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDates)  # noqa: S506 - a safe loader
        meta = data.get("x-qms") if isinstance(data, dict) else None
        if not isinstance(meta, dict):  # the front-matter schema and other non-record schemas
            continue
        type_id = path.name[: -len(SCHEMA_SUFFIX)]
        types[type_id] = RecordTypeSpec(
            type_id, data, dict(meta.get("references") or {}), dict(meta.get("revisions") or {}),
            str(meta.get("id_format") or ""), bool(meta.get("confidential")),
            Draft202012Validator(data, format_checker=Draft202012Validator.FORMAT_CHECKER))
    completion = {t: (rule.complete_when, rule.complete_fields) for rule in standard.rules.evidence.values()
                  if rule.complete_when for t in rule.types}
    return Names(clauses, terms, roles, types, completion)


class _NoDates(yaml.SafeLoader):
    """Safe loader that keeps dates as strings, as the qms engine does."""


_NoDates.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


# --------------------------------------------------------------------------------------------------
# Strings from schema patterns


def pattern_string(pattern: str, rng: Random) -> str:
    """A random string matching a (simple) JSON Schema pattern such as '^APE-[A-Z]{2,4}-[0-9]{4}$'."""
    return "".join(_emit(sre_parse.parse(pattern), rng))


def _emit(parsed: Any, rng: Random) -> Iterator[str]:
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            yield chr(arg)
        elif name == "IN":
            yield _one_of(arg, rng)
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, sub = arg
            high = low + 2 if high > low + 2 else high  # MAXREPEAT is huge: keep strings short
            for _ in range(rng.randint(low, high)):
                yield from _emit(sub, rng)
        elif name == "SUBPATTERN":
            yield from _emit(arg[-1], rng)
        elif name == "BRANCH":
            yield from _emit(rng.choice(arg[1]), rng)
        elif name == "ANY":
            yield rng.choice("abcdefgh")
        # AT (^, $) emits nothing


def _one_of(items: list, rng: Random) -> str:
    choices: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            choices.append(chr(arg))
        elif name == "RANGE":
            choices.extend(chr(c) for c in range(arg[0], arg[1] + 1))
        elif name == "CATEGORY":
            choices.extend("0123456789" if "DIGIT" in str(arg) else "abcxyz")
    return rng.choice(choices)


# --------------------------------------------------------------------------------------------------
# Documents


@dataclass
class Doc:
    """A controlled document as it evolves through the history."""

    id: str
    type: str
    title: str
    folder: str  # 'procedures', 'procedures/production' or 'docs/manual'
    owner: str
    clauses: list[str]
    related: list[str]
    records: list[str]
    interval: str
    tasks: list[dict]
    sections: list[tuple[str, list[str]]]  # (heading, paragraphs or numbered steps)
    revision: int = 1
    status: str = "effective"

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.id}-{slug(self.title)}.md"

    def text(self) -> str:
        """The Markdown file: front matter, then the body."""
        fm = [f"id: {self.id}", f"title: {self.title}", f"type: {self.type}", f'revision: "{self.revision}"',
              f"status: {self.status}", f"owner: {self.owner}",
              "clauses: [" + ", ".join(f'"{c}"' for c in self.clauses) + "]",
              "related: [" + ", ".join(self.related) + "]", "records: [" + ", ".join(self.records) + "]",
              f"review_interval: {self.interval}"]
        if self.tasks:
            fm.append("tasks:")
            for task in self.tasks:
                fm.append(f"  - what: {task['what']}")
                fm.append(f"    role: {task['role']}")
                fm.append(f"    frequency: {task['frequency']}")
                if "day" in task:
                    fm.append(f"    day: {task['day']}")
        body = []
        for heading, paragraphs in self.sections:
            body.append(heading)
            body.append("")
            body.extend(paragraphs)
            body.append("")
        return "---\n" + "\n".join(fm) + "\n---\n\n" + "\n".join(body)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class Writer:
    """Sentences in the manual's voice, with macro calls to valid clauses, terms, documents and record types."""

    def __init__(self, names: Names, rng: Random):
        self.names = names
        self.rng = rng

    def term(self) -> str:
        name = self.rng.choice(self.names.terms)
        if self.rng.random() < 0.15:
            return f"{{{{ term('{name}', '{name.capitalize()}') }}}}"
        return f"{{{{ term('{name}') }}}}"

    def sentence(self, doc_ids: list[str], record_types: list[str]) -> str:
        rng = self.rng
        template = rng.choice(SENTENCES)
        return template.format(
            role=rng.choice(self.names.roles)[1], w=rng.choice(FILLERS), t=self.term(),
            c=f"{{{{ clause('{rng.choice(self.names.clauses)}') }}}}",
            d=f"{{{{ doc('{rng.choice(doc_ids)}') }}}}",
            r=f"{{{{ record_type('{rng.choice(record_types)}') }}}}",
        )

    def paragraph(self, doc_ids: list[str], record_types: list[str], n: int = 2) -> str:
        return " ".join(self.sentence(doc_ids, record_types) for _ in range(n))

    def steps(self, doc_ids: list[str], record_types: list[str]) -> list[str]:
        return [f"{i}. {self.sentence(doc_ids, record_types)}" for i in range(1, self.rng.randint(3, 4) + 1)]

    def sections(self, doc: Doc, doc_ids: list[str]) -> list[tuple[str, list[str]]]:
        """About 500 words: purpose, scope, responsibilities, three procedure steps, records, related."""
        rng, rts = self.rng, doc.records or list(self.names.record_types)
        roles = rng.sample(self.names.roles, 4)
        table = ["| Role | Responsibility |", "|---|---|"]
        table += [f"| {title} | {rng.choice(VERBS).split()[0]} {rng.choice(SUBJECTS)} and keep {rng.choice(FILLERS)} "
                  "up to date |" for _, title in roles]
        out = [("## Purpose", [self.paragraph(doc_ids, rts)]), ("## Scope", [self.paragraph(doc_ids, rts)]),
               ("## Responsibilities", table)]
        for heading in rng.sample(STEP_HEADINGS, 3):
            out.append((f"### {heading}", self.steps(doc_ids, rts)))
        out.append(("## Records", [f"- {{{{ record_type('{r}') }}}}, kept as set out in {{{{ doc('{rng.choice(doc_ids)}') }}}}."
                                   for r in rts[:3]]))
        related = ", ".join(f"{{{{ doc('{d}') }}}}" for d in doc.related)
        out.append(("## Related documents", [f"{related}." if related else "None."]))
        return out

    def edit(self, doc: Doc, doc_ids: list[str]) -> None:
        """One change of content: a procedure step rewritten (sometimes one added)."""
        rts = doc.records or list(self.names.record_types)
        index = self.rng.choice([i for i, (h, _) in enumerate(doc.sections) if h.startswith("### ")])
        heading, items = doc.sections[index]
        items = list(items)
        k = self.rng.randrange(len(items))
        if self.rng.random() < 0.2 and len(items) < 8:
            items.append(f"{len(items) + 1}. {self.sentence(doc_ids, rts)}")
        else:
            items[k] = f"{k + 1}. {self.sentence(doc_ids, rts)}"
        doc.sections[index] = (heading, items)


def plan_documents(n: int, names: Names, rng: Random) -> list[Doc]:
    """`n` controlled documents: manual pages first (docs/manual), then procedures, instructions, forms."""
    docs: list[Doc] = []
    manual = min(8, max(1, n // 10))
    counters = {"QP": 0, "WI": 0, "F": 0}
    for i in range(n):
        if i < manual:
            doc_id, dtype, folder = ("POL-01", "policy", "docs/manual") if i == 0 else (f"QM-{i:02d}", "manual", "docs/manual")
            title = "Quality policy" if i == 0 else f"{rng.choice(['Context', 'Scope', 'Leadership', 'Planning', 'Support', 'Operation', 'Performance', 'Improvement'])} of the quality system {i}"
        else:
            prefix = rng.choices(["QP", "WI", "F"], weights=[60, 25, 15])[0]
            counters[prefix] += 1
            doc_id = f"{prefix}-{counters[prefix]:03d}"
            dtype = {"QP": "procedure", "WI": "work instruction", "F": "form"}[prefix]
            folder = "procedures"
            title = f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)}"
        earlier = [d.id for d in docs]
        related = rng.sample(earlier, min(len(earlier), rng.randint(1, 4))) if earlier else []
        tasks = []
        if rng.random() < 0.3:
            role = rng.choice(names.roles)[0]
            if rng.random() < 0.5:
                tasks.append({"what": f"Review {rng.choice(FILLERS)} for {rng.choice(SUBJECTS)}", "role": role,
                              "frequency": "weekly", "day": rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])})
            else:
                tasks.append({"what": f"Check {rng.choice(SUBJECTS)}", "role": role,
                              "frequency": rng.choice(["monthly", "quarterly", "yearly"])})
        docs.append(Doc(
            id=doc_id, type=dtype, title=title, folder=folder, owner=rng.choice(names.roles)[0],
            clauses=sorted(rng.sample(names.clauses, rng.randint(1, 4)), key=_clause_key), related=related,
            records=rng.sample(sorted(names.record_types), rng.randint(0, 2)),
            interval=rng.choice(["12 months", "24 months", "2 years", "3 years"]), tasks=tasks, sections=[]))
    return docs


def _clause_key(cid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in cid.split("."))


def index_page(docs: list[Doc], writer: Writer) -> str:
    """docs/index.md: a welcome text with links to the generated pages and the first documents."""
    first = [d.id for d in docs[:6]]
    return ("---\ntitle: Quality Manual\n---\n\n"
            f"Welcome to the quality manual of **{COMPANY}**. {writer.paragraph(first, list(writer.names.record_types))}\n\n"
            "## Finding your way around\n\n"
            "- **[All documents](documents.md)** lists every document with its revision, status and owner.\n"
            "- **[ISO 9001 clauses](iso9001/index.md)** shows which documents deal with each clause.\n"
            "- **[Clause matrix](matrix.md)** is the same information as one table.\n"
            "- **[Glossary](glossary.md)** explains the ISO 9000 words we use.\n\n"
            "## Start here\n\n" + "\n".join(f"- {{{{ doc('{d}') }}}}" for d in first) + "\n")


# --------------------------------------------------------------------------------------------------
# Records


@dataclass
class RecordStore:
    """Records generated so far, by type, and the counters their ids are numbered with."""

    by_type: dict[str, list[str]] = field(default_factory=dict)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    roles: dict[str, set[str]] = field(default_factory=dict)  # person id -> the roles the person holds

    def all_ids(self) -> list[str]:
        return [i for ids in self.by_type.values() for i in ids]


class _Unavailable(Exception):
    """The record cannot be made (its id space for that year is used up)."""


class RecordMaker:
    """Records valid against their schemas: references resolve, ids follow `x-qms.id_format`."""

    # How common each type is; audit programmes (one a year) and KPI packs (one a month) are capped by their ids.
    WEIGHTS = {"person": 3, "equipment": 4, "calibration": 12, "training": 12, "nonconforming-output": 10,
               "corrective-action": 4, "product-release": 14, "traceability": 12, "process-record": 8,
               "requirements-review": 6, "supplier-evaluation": 3, "customer-property": 2, "design-development": 3,
               "production-change": 3, "management-review": 1, "audit-report": 2, "audit-programme": 1,
               "monitoring-result": 2}
    OPTIONAL_SHARE = 0.6
    LATER_DATES = ("next_due", "due", "next_evaluation", "expires", "closed", "done", "effectiveness_date",
                   "returned", "authorized", "left", "approved")
    FUTURE_DATES = ("next_due", "due", "next_evaluation", "expires")

    def __init__(self, names: Names, rng: Random, docs: list[str], owners: dict[str, str] | None = None):
        self.names = names
        self.rng = rng
        self.docs = docs  # ids of the documents that exist (a live list: it grows as documents are added)
        self.owners = owners if owners is not None else {}  # document id -> owner role (live too)
        self.store = RecordStore()
        self.types = [t for t in self.WEIGHTS if t in names.record_types] + \
                     [t for t in names.record_types if t not in self.WEIGHTS]
        self.weights = [self.WEIGHTS.get(t, 2) for t in self.types]

    def batch(self, count: int, when: dt.date) -> list[tuple[str, str]]:
        """`count` new records dated around `when`, plus any record they need that did not exist: (path, YAML)."""
        out: list[tuple[str, str]] = []
        while len(out) < count:
            type_id = self.rng.choices(self.types, self.weights)[0]
            try:
                out.extend(self.make(type_id, when))
            except _Unavailable:
                continue
        return out

    def make(self, type_id: str, when: dt.date) -> list[tuple[str, str]]:
        """One record of `type_id` (and the records it refers to that had to be made first)."""
        spec = self.names.record_types[type_id]
        made: list[tuple[str, str]] = []
        rid = self._new_id(spec, when)
        self.store.by_type.setdefault(type_id, []).append(rid)  # known at once: references may go both ways
        self.store.ids.add(rid)
        forced: set[str] = set()
        for _ in range(60):
            ctx = _Ctx(spec, rid, when, forced, made)
            data = self._object(ctx, spec.schema, "")
            errors = list(spec.validator.iter_errors(data))
            unfinished = self._incomplete(type_id, data, forced)
            if not errors and not unfinished:
                break
            forced.update(unfinished)
            for err in errors:
                if err.validator == "required":
                    missing = re.findall(r"'([^']+)' is a required property", err.message)
                    prefix = ".".join("[]" if isinstance(p, int) else p for p in err.absolute_path).replace(".[]", "[]")
                    forced.update(f"{prefix}.{m}" if prefix else m for m in missing)
        else:
            raise RuntimeError(f"could not make a valid {type_id} record: {errors[0].message}")
        if type_id == "person":
            self.store.roles[rid] = {str(r) for r in [data.get("role"), *(data.get("additional_roles") or [])] if r}
        for audit in data.get("audits") or [] if type_id == "audit-programme" else []:
            made.extend(self._independent_auditor(audit, when))
        made.append((f"records/{type_id}/{rid}.yaml", to_yaml(data)))
        return made

    def _independent_auditor(self, audit: dict, when: dt.date) -> list[tuple[str, str]]:
        """Nobody audits the process their own role owns (ISO 9001 9.2.2 c): another auditor is chosen, or
        engaged (a new person record, returned to be written) when everybody on file owns it."""
        owner = self.owners.get(str(audit.get("process")))
        made: list[tuple[str, str]] = []
        for _ in range(8):
            if owner is None or owner not in self.store.roles.get(str(audit.get("auditor")), set()):
                break
            others = [p for p in self.store.by_type.get("person", [])
                      if owner not in self.store.roles.get(p, {owner})]
            if others:
                audit["auditor"] = self.rng.choice(others)
            else:
                made += self.make("person", when)
        return made

    def _incomplete(self, type_id: str, data: dict, forced: set[str]) -> set[str]:
        """Fields a record still lacks under the standard's completion rule for its type (none: it is complete)."""
        when, fields = self.names.completion.get(type_id, ((), ()))
        if not when or not all(str(data.get(key)) in values for key, values in when):
            return set()
        return {f for f in fields if not data.get(f) and f not in forced} or (
            {f for f in fields if not data.get(f)} if any(not data.get(f) for f in fields) else set())

    def _new_id(self, spec: RecordTypeSpec, when: dt.date) -> str:
        if spec.id_format:
            if "{n" in spec.id_format:
                key = (spec.id, when.year if "{year" in spec.id_format else 0)
                n = self.store.counters.get(key, 0) + 1
                limit = 10 ** int(m.group(1)) - 1 if (m := re.search(r"\{n:0(\d)d\}", spec.id_format)) else 999
                if n > limit:
                    raise _Unavailable
                self.store.counters[key] = n
                rid = spec.id_format.format(year=when.year, n=n, month=when.month)
            else:
                rid = spec.id_format.format(year=when.year, month=when.month)
            if rid in self.store.ids:
                raise _Unavailable
            return rid
        pattern = spec.schema["properties"]["id"]["pattern"]
        for _ in range(100):
            rid = pattern_string(pattern, self.rng)
            if rid not in self.store.ids:
                return rid
        raise _Unavailable

    # -- values from the schema

    def _object(self, ctx: "_Ctx", schema: dict, path: str) -> dict:
        required = set(schema.get("required") or ())
        out: dict = {}
        for name, sub in (schema.get("properties") or {}).items():
            fpath = f"{path}.{name}" if path else name
            wanted = name in required or fpath in ctx.forced or self.rng.random() < self.OPTIONAL_SHARE
            if not wanted:
                continue
            value = self._value(ctx, sub, fpath, name)
            if value is not None:
                out[name] = value
        return out

    def _value(self, ctx: "_Ctx", schema: dict, path: str, name: str) -> Any:
        rng = self.rng
        if path == "id":
            return ctx.rid
        target = ctx.spec.references.get(path)
        if target is not None:
            if schema.get("type") == "array":
                count = max(int(schema.get("minItems", 1)), rng.randint(1, 3))
                values = [self._reference(ctx, target) for _ in range(count)]
                values = list(dict.fromkeys(v for v in values if v is not None))
                return values or None
            return self._reference(ctx, target)
        if path in ctx.spec.revisions:
            return "1"  # every document has had revision 1
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return rng.choice(schema["enum"])
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = kind[0]
        if kind == "object":
            return self._object(ctx, schema, path)
        if kind == "array":
            count = max(int(schema.get("minItems", 0)), rng.randint(1, 3))
            item_schema = schema.get("items") or {"type": "string"}
            items = [self._value(ctx, item_schema, f"{path}[]", name) for _ in range(count)]
            if schema.get("uniqueItems"):
                items = list({json.dumps(i, sort_keys=True): i for i in items}.values())
            return items
        if kind == "integer":
            if name == "year":
                return ctx.when.year
            low, high = int(schema.get("minimum", 1)), int(schema.get("maximum", max(int(schema.get("minimum", 1)), 0) + 250))
            return rng.randint(low, high)
        if kind == "number":
            low, high = float(schema.get("minimum", 0)), float(schema.get("maximum", 1000))
            return round(rng.uniform(low, high), 1)
        if kind == "boolean":
            return rng.random() < 0.8
        return self._string(ctx, schema, name)

    def _string(self, ctx: "_Ctx", schema: dict, name: str) -> str:
        rng = self.rng
        if schema.get("format") == "date":
            if name in self.LATER_DATES:
                day = ctx.when + dt.timedelta(days=rng.randint(7, 300))
                return (day if name in self.FUTURE_DATES else min(day, END.date())).isoformat()
            day = ctx.when - dt.timedelta(days=rng.randint(0, 5))
            return max(day, dt.date(ctx.when.year, 1, 1)).isoformat()  # same year as the id
        pattern = schema.get("pattern")
        if pattern:
            if pattern.startswith("^[0-9]{4}-(0[1-9]|1[0-2])"):
                return f"{ctx.when.year}-{ctx.when.month:02d}"
            if name == "role" or "[a-z0-9]+(-[a-z0-9]+)*" in pattern:
                return rng.choice(self.names.roles)[0]
            text = pattern_string(pattern, rng)
            if re.match(r"^\^[A-Z]{1,4}-\[0-9\]\{4\}-", pattern):  # an id with a year: this year
                head, _, tail = text.split("-", 2)
                text = f"{head}-{ctx.when.year}-{tail}"
            return text
        if name == "name":
            return self._person_name()
        text = f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)}: {rng.choice(FILLERS)} checked and found in order"
        if ctx.spec.confidential or name in ("notes", "name"):
            text += f" ({ctx.rid})"  # confidential text is unique, so no published page can hold it by chance
        while len(text) < int(schema.get("minLength", 0)):
            text += f"; {rng.choice(FILLERS)} reviewed"
        return text

    def _person_name(self) -> str:
        for _ in range(1000):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            if name not in self.store.names:
                self.store.names.add(name)
                return name
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}-{len(self.store.names)}"

    def _reference(self, ctx: "_Ctx", target: str) -> str | None:
        rng = self.rng
        target = {"person": "record:person", "equipment": "record:equipment"}.get(target, target)
        if target == "document":
            return rng.choice(self.docs)
        if target == "role":
            return rng.choice(self.names.roles)[0]
        if target == "clause":
            return rng.choice(self.names.clauses)
        if target == "record":
            known = self.store.all_ids()
            return rng.choice(known) if known else None
        wanted = target.split(":", 1)[1]
        known = self.store.by_type.get(wanted) or []
        if known:
            return rng.choice(known[-50:])  # recent ones, as in life
        made = self.make(wanted, ctx.when)  # a record referring to a type that has none yet: make one first
        ctx.made.extend(made)
        return Path(made[-1][0]).stem


@dataclass
class _Ctx:
    spec: RecordTypeSpec
    rid: str
    when: dt.date
    forced: set[str]
    made: list[tuple[str, str]]


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.()/_'+-]*$")
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YAML_WORDS = {"yes", "no", "true", "false", "null", "on", "off", "y", "n", "~"}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _PLAIN_DATE.match(text) or (_PLAIN.match(text) and text.lower() not in _YAML_WORDS and ": " not in text
                                   and " #" not in text and not text.endswith(":")):
        return text
    return json.dumps(text, ensure_ascii=False)


def to_yaml(data: dict) -> str:
    """A record as a person writes it: keys in the schema's order, block style, quotes only where needed."""
    lines: list[str] = []
    _mapping(data, lines, "")
    return "\n".join(lines) + "\n"


def _mapping(data: dict, lines: list[str], indent: str, first_prefix: str | None = None) -> None:
    for i, (key, value) in enumerate(data.items()):
        lead = first_prefix if (first_prefix is not None and i == 0) else indent
        if isinstance(value, dict) and not value:
            lines.append(f"{lead}{key}: {{}}")
        elif isinstance(value, dict):
            lines.append(f"{lead}{key}:")
            _mapping(value, lines, indent + "  ")
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                lines.append(f"{lead}{key}: [" + ", ".join(_scalar(v) for v in value) + "]")
            else:
                lines.append(f"{lead}{key}:")
                for item in value:
                    _mapping(item, lines, indent + "    ", first_prefix=indent + "  - ")
        else:
            lines.append(f"{lead}{key}: {_scalar(value)}")


# --------------------------------------------------------------------------------------------------
# git fast-import


class FastImport:
    """Writes one `git fast-import` stream; commits are numbered by marks."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.mark = 0

    def commit(self, ref: str, author: tuple[str, str], when: dt.datetime, message: str,
               parents: list[int], changes: list[tuple]) -> int:
        """A commit on `ref` with `changes`: ('M', path, text), ('R', old, new) or ('D', path)."""
        self.mark += 1
        stamp = f"{author[0]} <{author[1]}> {int(when.timestamp())} +0000"
        msg = message.encode("utf-8")
        w = self.out.write
        w(f"commit {ref}\nmark :{self.mark}\nauthor {stamp}\ncommitter {stamp}\ndata {len(msg)}\n".encode())
        w(msg + b"\n")
        if parents:
            w(f"from :{parents[0]}\n".encode())
            for p in parents[1:]:
                w(f"merge :{p}\n".encode())
        for change in changes:
            if change[0] == "M":
                data = change[2].encode("utf-8")
                w(f"M 100644 inline {change[1]}\ndata {len(data)}\n".encode())
                w(data + b"\n")
            elif change[0] == "R":
                w(f"R {change[1]} {change[2]}\n".encode())
            else:
                w(f"D {change[1]}\n".encode())
        w(b"\n")
        return self.mark


# --------------------------------------------------------------------------------------------------
# The project


@dataclass(frozen=True)
class Summary:
    """What was generated: counts a test or a benchmark can check."""

    root: str
    documents: int
    records: int
    first_parent_commits: int
    merges: int
    side_commits: int
    renames: int
    seconds: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def static_files(names: Names) -> dict[str, str]:
    """mkdocs.yml (the qms plugin, as the example's), macros.py, organization.yaml, the schemas, .gitignore."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"(?m)^site_name: .*$", f"site_name: {COMPANY} — Quality Manual", config)
    config = config.replace("Aldwick Precision Engineering Ltd", COMPANY)
    files = {
        "mkdocs.yml": config,
        "macros.py": (ROOT / "macros.py").read_text(encoding="utf-8"),
        "organization.yaml": (ROOT / "organization.yaml").read_text(encoding="utf-8").replace(
            "Aldwick Precision Engineering Ltd", COMPANY),
        ".gitignore": "site/\n__pycache__/\n",
        "docs/_includes/.gitkeep": "",
    }
    for path in sorted((ROOT / "records_schema").glob("*" + SCHEMA_SUFFIX)):
        files[f"records_schema/{path.name}"] = path.read_text(encoding="utf-8")
    return files


def _times(count: int, rng: Random) -> list[dt.datetime]:
    """`count` increasing commit times between START and END."""
    span = (END - START).total_seconds()
    offsets = sorted(rng.uniform(0, span) for _ in range(count))
    out, last = [], -1.0
    for off in offsets:
        off = max(off, last + 60)
        out.append(START + dt.timedelta(seconds=off))
        last = off
    return out


def _spread(total: int, slots: int) -> list[int]:
    """`total` items over `slots` slots, as evenly as possible."""
    return [total * (i + 1) // slots - total * i // slots for i in range(slots)] if slots else []


def generate(out: Path, docs: int, commits: int, records: int, seed: int = 1) -> Summary:
    """Write the synthetic quality system into `out` (which must not exist or be empty)."""
    started = time.perf_counter()
    if docs < 2 or commits < 2:
        raise ValueError("need at least 2 documents and 2 commits")
    out = out.resolve()
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    rng = Random(seed)
    names = load_names()
    writer = Writer(names, rng)
    plan = plan_documents(docs, names, rng)
    times = _times(commits, rng)

    # Decide what each first-parent commit does.
    n_init = min(docs, max(2, docs // 5))
    slots = list(range(1, commits))
    rng.shuffle(slots)
    n_record_commits = min(len(slots) * 3 // 10, records)
    record_slots = sorted(slots[:n_record_commits])
    rest = slots[n_record_commits:]
    to_create = docs - n_init
    create_pool = sorted(rest)[: max(1, len(rest) * 6 // 10)] if to_create else []
    n_create_commits = min(len(create_pool), to_create, max(1, len(rest) // 5)) if to_create else 0
    create_slots = sorted(rng.sample(create_pool, n_create_commits)) if n_create_commits else []
    rest = [s for s in rest if s not in set(create_slots)]
    n_renames = min(len(rest) // 4, max(1, docs // 25))
    later = sorted(rest)[len(rest) // 5:]
    rename_slots = set(rng.sample(later, min(n_renames, len(later))))
    kinds: dict[int, str] = {s: "edit" for s in rest}
    kinds.update({s: "rename" for s in rename_slots})
    kinds.update({s: "create" for s in create_slots})
    kinds.update({s: "records" for s in record_slots})
    if to_create and not create_slots:  # only one commit besides the first: it adds every other document
        kinds[1] = "create"
        create_slots = [1]
    create_counts = dict(zip(create_slots, _spread(to_create, len(create_slots))))
    seed_records = min(records, max(4, records // 50))
    record_counts = dict(zip(record_slots, _spread(records - seed_records, len(record_slots))))
    if records - seed_records and not record_slots:
        seed_records = records

    live: list[Doc] = []
    live_ids: list[str] = []
    owners: dict[str, str] = {}
    maker = RecordMaker(names, rng, live_ids, owners)
    pr_number = 0
    counts = {"merges": 0, "side": 0, "renames": 0, "records": 0}

    repo = subprocess.run(["git", "init", "-q", "-b", "main", str(out)], capture_output=True, text=True)
    if repo.returncode != 0:
        raise RuntimeError(repo.stderr)
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=out, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    stream = FastImport(proc.stdin)

    def add_doc(doc: Doc) -> tuple:
        live.append(doc)
        live_ids.append(doc.id)
        owners[doc.id] = doc.owner
        doc.sections = writer.sections(doc, live_ids if len(live_ids) > 1 else [doc.id])
        return ("M", doc.path, doc.text())

    planned = {"records": 0}

    def record_changes(count: int, when: dt.datetime, first_types: tuple[str, ...] = ()) -> list[tuple]:
        """About `count` new records; records made as prerequisites count against later batches."""
        planned["records"] += count
        made: list[tuple[str, str]] = []
        for type_id in first_types:
            made += maker.make(type_id, when.date())
        wanted = planned["records"] - counts["records"] - len(made)
        made += maker.batch(wanted, when.date()) if wanted > 0 else []
        counts["records"] += len(made)
        return [("M", path, text) for path, text in made]

    # The first commit: the skeleton, the first documents, the first records.
    first = [("M", path, text) for path, text in static_files(names).items()]
    first += [add_doc(d) for d in plan[:n_init]]
    first.append(("M", "docs/index.md", index_page(plan[:n_init], writer)))
    people = min(seed_records // 2, max(1, records // 100))  # a workforce and a gauge register to refer to
    first += record_changes(seed_records, times[0], ("person",) * people + ("equipment",) * people)
    author = AUTHORS[0]
    tip = stream.commit("refs/heads/main", author, times[0], "Quality manual: first issue\n", [], first)
    pending = plan[n_init:]

    for i in range(1, commits):
        when = times[i]
        kind = kinds[i]
        author = rng.choice(AUTHORS)
        approver = rng.choice([a for a in AUTHORS if a != author])
        if kind == "records" and not record_counts.get(i):
            kind = "edit"
        if kind == "records":
            changes = record_changes(record_counts[i], when)
            types = sorted({c[1].split("/")[1] for c in changes})
            title = f"Add {len(changes)} record{'s' if len(changes) != 1 else ''}: {', '.join(types[:3])}"
            tip = stream.commit("refs/heads/main", author, when, title + "\n", [tip], changes)
            continue
        # A change to documents: prepared as side commits when it goes through a pull request.
        via_pr = rng.random() < 0.6
        steps: list[tuple[str, list[tuple]]] = []
        if kind == "create" or not live:
            batch, pending = pending[: create_counts.get(i, 1)], pending[create_counts.get(i, 1):]
            if not batch:
                kind = "edit"
            else:
                steps.append((f"Add {', '.join(d.id for d in batch[:3])}{' and more' if len(batch) > 3 else ''}",
                              [add_doc(d) for d in batch]))
        if kind == "rename":
            doc = rng.choice([d for d in live if d.folder.startswith("procedures")] or live)
            old = doc.path
            if rng.random() < 0.5 and doc.folder == "procedures":
                doc.folder = f"procedures/{rng.choice(['production', 'quality', 'support'])}"
                steps.append((f"Move {doc.id} to {doc.folder}/", [("R", old, doc.path)]))
            else:
                doc.title = f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)}"
                doc.revision += 1
                steps.append((f"Rename {doc.id} to '{doc.title}'", [("R", old, doc.path), ("M", doc.path, doc.text())]))
            counts["renames"] += 1
        elif kind == "edit":
            doc = rng.choice(live)
            doc.revision += 1
            writer.edit(doc, live_ids)
            steps.append((f"{doc.id}: revise {rng.choice(STEP_HEADINGS).lower()} step (revision {doc.revision})",
                           [("M", doc.path, doc.text())]))
            if via_pr and rng.random() < 0.5:  # a second commit after review, no new revision
                writer.edit(doc, live_ids)
                steps.append((f"{doc.id}: address review comments", [("M", doc.path, doc.text())]))
        title = steps[0][0]
        if not via_pr:
            trailer = f"\n\nApproved-by: {approver[0]} <{approver[1]}>" if rng.random() < 0.5 else ""
            changes = [c for _, ch in steps for c in ch]
            tip = stream.commit("refs/heads/main", author, when, title + trailer + "\n", [tip], _squash(changes))
            continue
        pr_number += 1
        branch = f"feature/{slug(title)[:40]}"
        side = tip
        prev_time = times[i - 1]
        for k, (message, changes) in enumerate(steps):
            side_time = prev_time + (when - prev_time) * (k + 1) / (len(steps) + 1)
            side = stream.commit("refs/heads/pr", author, side_time, message + "\n", [side], changes)
            counts["side"] += 1
        merge_msg = (f"Merge pull request #{pr_number} from harbourside/{branch}\n\n{title}\n\n"
                     f"Approved-by: {approver[0]} <{approver[1]}>\n")
        changes = _squash([c for _, ch in steps for c in ch])
        tip = stream.commit("refs/heads/main", approver, when, merge_msg, [tip, side], changes)
        counts["merges"] += 1

    stream.out.write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", "update-ref", "-d", "refs/heads/pr"], cwd=out, check=False, capture_output=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=out, check=True)
    return Summary(str(out), len(live), counts["records"], commits, counts["merges"], counts["side"],
                   counts["renames"], round(time.perf_counter() - started, 2))


SIGNER = "Bench Signer <signer@harbourside.example>"


def sign_history(out: Path, gnupg: Path, last: int | None = None, ref: str = "main") -> int:
    """Sign the commits of `ref` (merged side branches included; only the `last` most recent in
    topological order, when given: signing that starts one day) with a throwaway gpg key made in the
    keyring folder `gnupg`. They are rewritten with the same trees, authors, dates and messages.

    Returns the number of commits signed. Verifying them later needs GNUPGHOME=`gnupg`.
    """
    gnupg.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {**os.environ, "GNUPGHOME": str(gnupg)}
    keys = subprocess.run(["gpg", "--batch", "--list-secret-keys", SIGNER], env=env, capture_output=True)
    if keys.returncode != 0:
        subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", SIGNER, "ed25519", "sign", "never"],
                       env=env, check=True, capture_output=True)
    order = subprocess.run(["git", "rev-list", "--reverse", "--topo-order", "--parents", ref], cwd=out, check=True,
                           capture_output=True, text=True).stdout.split("\n")
    commits = [line.split() for line in order if line.strip()]
    if last is not None:  # a suffix of a topological order holds every descendant of what it holds
        commits = commits[-last:]
    batch = subprocess.run(["git", "cat-file", "--batch"], cwd=out, check=True, capture_output=True,
                           input="".join(f"{c[0]}\n" for c in commits).encode()).stdout
    objects, pos = [], 0
    for _ in commits:
        end = batch.index(b"\n", pos)
        size = int(batch[pos:end].split()[2])
        objects.append(batch[end + 1:end + 1 + size])
        pos = end + 1 + size + 1
    signed: dict[str, str] = {}
    for (sha, *parents), raw in zip(commits, objects):
        headers, message = raw.split(b"\n\n", 1)
        fields = dict(line.split(b" ", 1) for line in headers.split(b"\n") if b" " in line and not line.startswith(b" "))
        who = {}
        for role in ("author", "committer"):
            name, rest = fields[role.encode()].decode().rsplit(" <", 1)
            email, stamp = rest.split("> ", 1)
            who.update({f"GIT_{role.upper()}_NAME": name, f"GIT_{role.upper()}_EMAIL": email,
                        f"GIT_{role.upper()}_DATE": stamp})
        args = ["git", "commit-tree", fields[b"tree"].decode(), f"-S{SIGNER}"]
        for parent in parents:
            args += ["-p", signed.get(parent, parent)]
        signed[sha] = subprocess.run(args, cwd=out, env={**env, **who}, input=message, check=True,
                                     capture_output=True).stdout.decode().strip()
    subprocess.run(["git", "update-ref", f"refs/heads/{ref}", signed[commits[-1][0]]], cwd=out, check=True)
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True, check=False)
    return len(signed)


def _squash(changes: list[tuple]) -> list[tuple]:
    """The net effect of several changes: renames kept, each path's last content only."""
    last: dict[str, int] = {}
    for i, change in enumerate(changes):
        if change[0] == "M":
            last[change[1]] = i
    return [c for i, c in enumerate(changes) if c[0] != "M" or last[c[1]] == i]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=300, help="controlled documents (default 300)")
    parser.add_argument("--commits", type=int, default=3000, help="commits on main's first-parent line (default 3000)")
    parser.add_argument("--records", type=int, default=1000, help="records (default 1000)")
    parser.add_argument("--out", type=Path, required=True, help="folder to create (must not exist or be empty)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sign", type=Path, metavar="GNUPGHOME",
                        help="sign the commits with a throwaway gpg key made in this keyring folder")
    parser.add_argument("--sign-last", type=int, metavar="N", help="with --sign: only the N most recent commits")
    args = parser.parse_args(argv)
    try:
        summary = generate(args.out, args.docs, args.commits, args.records, args.seed)
    except (FileExistsError, ValueError) as exc:
        print(f"bench.generate: {exc}", file=sys.stderr)
        return 1
    data = summary.to_dict()
    if args.sign:
        data["signed_commits"] = sign_history(args.out, args.sign.resolve(), args.sign_last)
    print(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
