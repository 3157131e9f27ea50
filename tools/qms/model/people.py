"""People and their identities: who a git author, a merger, a trailer or a signing key is.

A person is read from the person register (records of type `person`: `role`, `additional_roles`,
`status`, `left`, and `git:` and `signing_keys:` lists) or, for a company without one, from
`people:` in organization.yaml (`id`, `roles`, `git`, `signing_keys`). `git:` lists every identity
the person commits, merges or signs trailers with, as git writes them (`Name <email>`, or `<email>`
alone); `signing_keys:` the fingerprints of their OpenPGP keys (or `SHA256:…` of SSH keys).

Identities are compared resolved, never by display name: an identity with an email address is the
person whose `git:` lists that address (case does not matter), and nobody else, whatever name it
carries; only a bare name (a trailer without an address) is looked up by name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from qms.model import yamlio
from qms.problems import Problem

if TYPE_CHECKING:  # pragma: no cover
    from qms.model.project import Project

PERSON_TYPE = "person"
_NAME_EMAIL = re.compile(r"^\s*(.*?)\s*<([^<>]*)>\s*$")
_BARE_EMAIL = re.compile(r"^[^\s<>@]+@[^\s<>@]+$")
_HEX = re.compile(r"^[0-9A-F]+$")


@dataclass(frozen=True)
class Identity:
    """A git identity as written: a name and an email address (either may be empty)."""

    name: str
    email: str

    @classmethod
    def parse(cls, text: str) -> Identity:
        """`Ann Smith <ann@example.com>`, `<ann@example.com>`, `ann@example.com` or `Ann Smith`."""
        text = (text or "").strip()
        match = _NAME_EMAIL.match(text)
        if match:
            return cls(match.group(1).strip(), match.group(2).strip())
        if _BARE_EMAIL.match(text):
            return cls("", text)
        return cls(text, "")

    @property
    def email_key(self) -> str:
        return self.email.strip().lower()

    @property
    def name_key(self) -> str:
        return name_key(self.name)

    @property
    def key(self) -> str:
        """What two unresolved identities are compared by: the address, else the name (case-folded)."""
        return f"email:{self.email_key}" if self.email_key else f"name:{self.name_key}"

    @property
    def shown(self) -> str:
        """The printed name: the name git recorded (never the address, which is not published)."""
        return self.name or (self.email.split("@", 1)[0] if self.email else "unknown")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


def name_key(name: str) -> str:
    """A name as compared: Unicode-normalized, spaces collapsed, case-folded (`frank  Fisher` = `Frank Fisher`)."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def key_id(fingerprint: str) -> str:
    """A signing key's fingerprint as compared: OpenPGP hex upper-cased without spaces, SSH as written."""
    text = "".join(fingerprint.split())
    return text.upper() if _HEX.match(text.upper()) else text


@dataclass(frozen=True)
class Person:
    """Someone who can author, review, approve or release a change."""

    id: str
    roles: tuple[str, ...]
    identities: tuple[Identity, ...]
    keys: tuple[str, ...] = ()
    status: str = "active"
    left: str | None = None  # last working day, YYYY-MM-DD
    path: str = ""  # where the person is written, for messages

    def has_role(self, roles: Iterable[str]) -> bool:
        return any(r in self.roles for r in roles)


@dataclass(frozen=True)
class People:
    """Everybody the register maps to git identities, with lookups by address, name and key."""

    persons: dict[str, Person] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    _by_email: dict[str, str] = field(default_factory=dict, repr=False)
    _by_name: dict[str, str | None] = field(default_factory=dict, repr=False)  # None: two people share it
    _by_key: dict[str, str] = field(default_factory=dict, repr=False)

    def resolve(self, identity: Identity | str) -> Person | None:
        """The person an identity is; None when nobody is mapped to it."""
        if isinstance(identity, str):
            identity = Identity.parse(identity)
        if identity.email_key:
            pid = self._by_email.get(identity.email_key)
        else:
            pid = self._by_name.get(identity.name_key) if identity.name_key else None
        return self.persons.get(pid) if pid else None

    def by_key(self, fingerprints: str) -> Person | None:
        """The person whose signing key made a signature (`fingerprints`: git's %GF and %GP, space separated).

        A register entry may give a full fingerprint or its last 16 hex digits (the long key id).
        """
        for fpr in fingerprints.split():
            wanted = key_id(fpr)
            for key, pid in self._by_key.items():
                if wanted == key or (len(key) >= 16 and _HEX.match(key) and wanted.endswith(key)):
                    return self.persons[pid]
        return None


def people_from(entries: Iterable[tuple[Person, str, int]]) -> People:
    """People from (person, file, line) entries; an identity or key given to two people is a problem."""
    persons: dict[str, Person] = {}
    by_email: dict[str, str] = {}
    by_name: dict[str, str | None] = {}
    by_key: dict[str, str] = {}
    problems: list[Problem] = []
    for person, path, line in entries:
        persons[person.id] = person
        for ident in person.identities:
            if ident.email_key:
                other = by_email.setdefault(ident.email_key, person.id)
                if other != person.id:
                    problems.append(Problem(path, line, f"duplicate-identity: the git address <{ident.email}> is "
                                                        f"given to {other} and {person.id}: list it for one person only",
                                            code="duplicate-identity"))
            if ident.name_key:
                if by_name.get(ident.name_key, person.id) != person.id:
                    by_name[ident.name_key] = None  # a bare name that two people use resolves to nobody
                else:
                    by_name[ident.name_key] = person.id
        for key in person.keys:
            other = by_key.setdefault(key_id(key), person.id)
            if other != person.id:
                problems.append(Problem(path, line, f"duplicate-identity: the signing key {key} is given to {other} "
                                                    f"and {person.id}: list it for one person only",
                                        code="duplicate-identity"))
    return People(persons, tuple(problems), by_email, by_name, by_key)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, (str, int)) and str(v).strip())
    return ()


def load_people(project: Project) -> People:
    """The people of the person register and of `people:` in organization.yaml."""
    entries: list[tuple[Person, str, int]] = []
    for record in project.records:
        if record.type != PERSON_TYPE:
            continue
        data = record.data
        roles = (*_strings(data.get("role")), *_strings(data.get("additional_roles")))
        person = Person(record.id, roles, tuple(Identity.parse(t) for t in _strings(data.get("git"))),
                        _strings(data.get("signing_keys")), str(data.get("status") or "active"),
                        str(data["left"]) if data.get("left") else None, record.path)
        entries.append((person, record.path, record.line_of(["git"]) or 1))
    entries += _organization_people(project)
    return people_from(entries)


def _organization_people(project: Project) -> list[tuple[Person, str, int]]:
    """`people:` in organization.yaml: [{id, roles, git, signing_keys, status, left}]."""
    path = project.settings.organization_file
    display = project.settings.rel(path)
    try:
        text = yamlio.read_text(path)
        data = yamlio.load(text) or {}
    except (OSError, UnicodeDecodeError, yamlio.YAMLSyntaxProblem):
        return []  # organization.yaml's own problems are reported where it is read
    out = []
    for i, raw in enumerate(data.get("people") or [] if isinstance(data, dict) else []):
        if not isinstance(raw, dict) or not raw.get("id"):
            continue
        person = Person(str(raw["id"]), (*_strings(raw.get("roles")), *_strings(raw.get("role"))),
                        tuple(Identity.parse(t) for t in _strings(raw.get("git"))), _strings(raw.get("signing_keys")),
                        str(raw.get("status") or "active"), str(raw["left"]) if raw.get("left") else None, display)
        out.append((person, display, yamlio.line_of(text, ["people", i])))
    return out
