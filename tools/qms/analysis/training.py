"""Who must be briefed on a document: when a revision takes effect, the people whose roles must know it are "to train"
until a training record for that revision exists.

The roles that must know a document are its `audience:` front matter when it has one; otherwise the roles its
`tasks:` name and the roles a "Responsibilities" section of its text names (by role id or title). The owner wrote
or approved the revision and is not asked to read it unless the audience or the text names the owner's role. The
people are the active entries of the person register (the `person` record type: `role` and `additional_roles`).
A training record counts for a person, a document and a revision when its `person`, `document` and `revision`
fields say so and its result is not `not-yet-competent`. Person records are confidential: everything here names
people by their register id and role, never by name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from qms.clock import as_date
from qms.model.documents import Document

if TYPE_CHECKING:  # pragma: no cover
    from qms.history.pullrequest import DocChange
    from qms.model.project import Project

PERSON_TYPE = "person"
TRAINING_TYPE = "training"
NOT_COUNTING_RESULTS = ("not-yet-competent",)
TO_TRAIN, TRAINED = "to train", "trained"
_RESPONSIBILITIES = re.compile(r"^ {0,3}(#{1,6})[ \t]+.*responsib", re.I)
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]")


@dataclass(frozen=True)
class Briefing:
    """One person who must know one document at its current revision, and whether a training record shows it."""

    document: Document
    person: str  # person register id
    role: str
    status: str  # TO_TRAIN or TRAINED
    record: str | None = None  # the training record for this revision
    since: dt.date | None = None  # the day the revision took effect (its `effective:` date), when known

    def days_waiting(self, as_of: dt.date) -> int | None:
        return None if self.since is None or self.status == TRAINED else (as_of - self.since).days

    def as_json(self, as_of: dt.date) -> dict:
        doc = self.document
        return {"document": doc.id, "revision": doc.revision, "person": self.person, "role": self.role,
                "status": self.status, "record": self.record,
                "effective": self.since.isoformat() if self.since else None, "days_waiting": self.days_waiting(as_of)}


def _responsibility_roles(project: Project, doc: Document) -> list[str]:
    """Role ids named (by id or title) in the document's Responsibilities section(s)."""
    body = project.bodies.get(doc.id, ("", 1))[0]
    lines = body.split("\n")
    text: list[str] = []
    level = 0
    for line in lines:
        heading = _HEADING.match(line)
        if heading and level and len(heading.group(1)) <= level:
            level = 0
        match = _RESPONSIBILITIES.match(line)
        if match:
            level = len(match.group(1))
            continue
        if level:
            text.append(line)
    section = " ".join(text).lower()
    if not section:
        return []
    found = []
    for role in project.organization.roles.values():
        names = {role.id.lower(), role.title.lower()}
        if any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", section) for n in names if n):
            found.append(role.id)
    return found


def audience(project: Project, doc: Document) -> tuple[str, ...]:
    """The roles that must be briefed on each revision of `doc` (see the module text), in a stable order."""
    if doc.audience:
        return doc.audience
    roles = [*(t.role for t in doc.tasks), *_responsibility_roles(project, doc)]
    return tuple(dict.fromkeys(roles))


def people_by_role(project: Project) -> dict[str, list[str]]:
    """Role id -> ids of the active people who hold it (main or additional role)."""
    out: dict[str, list[str]] = {}
    if project.record_set is None:
        return out
    for person in sorted(project.record_set.of_type(PERSON_TYPE), key=lambda r: r.id):
        data = person.data
        if str(data.get("status", "active")) not in ("active",):
            continue
        for role in [data.get("role"), *(data.get("additional_roles") or ())]:
            if role:
                out.setdefault(str(role), []).append(person.id)
    return out


def _trained(project: Project) -> dict[tuple[str, str, str], str]:
    """(person, document, revision) -> the id of a training record that shows it."""
    out: dict[tuple[str, str, str], str] = {}
    if project.record_set is None:
        return out
    for record in sorted(project.record_set.of_type(TRAINING_TYPE), key=lambda r: r.id):
        data = record.data
        if data.get("document") and data.get("person") and data.get("revision") is not None \
                and str(data.get("result")) not in NOT_COUNTING_RESULTS:
            out.setdefault((str(data["person"]), str(data["document"]), str(data["revision"])), record.id)
    return out


def briefings(project: Project) -> list[Briefing]:
    """Every person who must know an effective document at its current revision, by document id then person."""
    if project.record_set is None or PERSON_TYPE not in project.record_types:
        return []
    holders = people_by_role(project)
    trained = _trained(project)
    out = []
    for doc in sorted(project.documents.values(), key=lambda d: d.id):
        if doc.status != "effective":
            continue
        seen: set[str] = set()
        for role in audience(project, doc):
            for person in holders.get(role, ()):
                if person in seen:
                    continue
                seen.add(person)
                record = trained.get((person, doc.id, doc.revision))
                out.append(Briefing(doc, person, role, TRAINED if record else TO_TRAIN, record, as_date(doc.effective)))
    return out


def training_due(project: Project) -> list[Briefing]:
    """The briefings still to do."""
    return [b for b in briefings(project) if b.status == TO_TRAIN]


def summary_line(doc: Document, count: int) -> str:
    """'merging this asks 6 people to read QP-13 revision 8' (for a pull-request summary)."""
    return f"merging this asks {count} {'person' if count == 1 else 'people'} to read {doc.id} revision {doc.revision}"


def to_brief_after_change(project: Project, doc: Document) -> int:
    """How many people must read `doc` at its current revision (no training record for it yet)."""
    return sum(1 for b in training_due(project) if b.document.id == doc.id)


def to_brief_after_changes(project: Project, changes: Iterable[DocChange]) -> dict[str, int]:
    """For each change that brings an effective document to a new revision (or adds it), how many people must
    read it once it is merged: document id -> count, only where somebody must."""
    if project.record_set is None:
        return {}
    counts = {}
    for change in changes:
        doc = project.documents.get(change.doc_id)
        if doc is None or doc.status != "effective" or change.status == "D" or \
                not (change.revision_bumped or change.status == "A"):
            continue
        count = to_brief_after_change(project, doc)
        if count:
            counts[doc.id] = count
    return counts
