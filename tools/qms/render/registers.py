"""Registers and record pages of the published manual, as Markdown text.

Every value shown comes from `records.public_view`: the renderers never see a record's data, so
a confidential field or record cannot reach the site. Links are relative links to .md sources
so MkDocs checks them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping

from qms.analysis import due as audit_dates
from qms.clock import as_date
from qms.model.documents import Document
from qms.model.project import Project
from qms.model.records import (
    RecordType,
    next_id,
    public_view,
    retain_coverage,
    revision_key,
    split_field,
)
from qms.render import editlinks, formats, paths
from qms.render.pages import GENERATED_HEADER
from qms.render.writer import SITE, Markup

REGISTERS_DIR = "registers"
DUE_SOON_DAYS = 30
EFFECTIVENESS_CHECK_DAYS = 90  # QP-17: effectiveness is checked about 90 days after closing

Views = Mapping[str, list[dict]]  # record type id -> public views of its records, by id


# --- text ------------------------------------------------------------------------------------------

W = SITE
text = W.text
code = W.code
badge = W.badge
table = W.table


def public_views(project: Project) -> dict[str, list[dict]]:
    """Public views of every valid record, by type id, each list in id order."""
    out: dict[str, list[dict]] = {tid: [] for tid in project.record_types}
    for record in sorted(project.records, key=lambda r: r.id):
        out[record.type].append(public_view(project.record_types[record.type], record))
    return out


# --- one page being written --------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordsPageWriter:
    """Writes the links and values of one records or registers page: knows the project, the page's site path,
    today and the public views of the records (never a record's data)."""

    project: Project
    uri: str
    today: dt.date
    views: Views

    def link(self, target: str, label: object, title: object = None) -> Markup:
        return W.link(label, paths.relative(target, self.uri), title)

    def doc(self, doc_id: str, with_title: bool = False) -> Markup:
        doc = self.project.documents.get(doc_id)
        if doc is None:
            return text(doc_id)
        return self.link(doc.src_uri, doc.label if with_title else doc.id)

    def clause(self, clause_id: str) -> Markup:
        clause = self.project.find_clause(clause_id)
        if clause is None:
            return text(clause_id)
        return self.link(paths.clause_page(self.project.standards[clause.standard], clause), clause.id)

    def record_type(self, type_id: str, label: str | None = None, title: object = None) -> Markup:
        rtype = self.project.record_types.get(type_id)
        return self.link(paths.record_type_page(type_id), label or (rtype.title if rtype else type_id), title)

    def record(self, record_id: str) -> Markup:
        """A published record's id, linked to the page of its type, its title shown on hover."""
        found = self.published.get(str(record_id))
        if found is None:
            return text(record_id)
        type_id, title = found
        return self.record_type(type_id, str(record_id), title or None)

    def role(self, role_id: str) -> Markup:
        return text(self.project.organization.role_title(role_id))

    def person(self, person_id: str) -> Markup:
        return self.record(person_id)

    def roles(self, view: dict) -> Markup:
        """A person's role titles (main role first) from their public view."""
        return W.join(", ", (self.role(r) for r in [view.get("role", ""), *(view.get("additional_roles") or [])] if r))

    @cached_property
    def published(self) -> dict[str, tuple[str, str]]:
        """Record id -> (type id, title from the type's title field) for every published record."""
        out = {}
        for tid, views in self.views.items():
            title_field = self.project.record_types[tid].title_field
            for view in views:
                title = view.get(title_field) if title_field else None
                out[view["id"]] = (tid, "" if title is None or isinstance(title, (dict, list)) else str(title))
        return out

    def day(self, value: object) -> str:
        """A record's date as the manual writes dates (its `date_format`); "" for none."""
        return formats.day(self.project.settings, value)

    def due(self, day: object, soon_days: int = DUE_SOON_DAYS) -> Markup:
        """A due date with an overdue or due-soon badge."""
        when = as_date(day)
        if when is None:
            return text(day) if day else Markup("")
        shown = formats.day(self.project.settings, when)
        if when < self.today:
            return W.md("{} {}", shown, badge("overdue", "bad"))
        if when <= self.today + dt.timedelta(days=soon_days):
            return W.md("{} {}", shown, badge("due soon", "warn"))
        return text(shown)

    def value(self, rtype: RecordType, fpath: str, value: Any) -> Markup:
        """A field value for a table cell: references become links, lists are joined."""
        if value is None:
            return Markup("")
        target = rtype.reference_target(fpath)
        if isinstance(value, list):
            if value and all(isinstance(v, dict) for v in value):
                return text(f"{len(value)} item{'s' if len(value) != 1 else ''}")
            return W.join(", ", (self._scalar(target, v) for v in value))
        if isinstance(value, dict):
            return W.join("; ", (W.md("{}: {}", k, self._scalar(None, v)) for k, v in value.items()
                                 if not isinstance(v, (dict, list))))
        if (rtype.field_schema(fpath) or {}).get("format") == "date":
            return text(self.day(value))
        return self._scalar(target, value)

    def _scalar(self, target: str | None, value: Any) -> Markup:
        if isinstance(value, bool):
            return text("yes" if value else "no")
        if target == "document":
            return self.doc(str(value))
        if target == "clause":
            return self.clause(str(value))
        if target == "role":
            return self.role(str(value))
        if target and target.startswith("record"):
            return self.record(str(value))
        return text(value)

    def producers(self, type_ids: Iterable[str]) -> list[Document]:
        """Documents whose front matter lists one of these record types, by id."""
        wanted = set(type_ids)
        return sorted((d for d in self.project.documents.values() if wanted & set(d.records)), key=lambda d: d.id)

    def serves(self, type_ids: Iterable[str]) -> Markup:
        """A paragraph linking the clauses, procedures and record types a page serves."""
        type_ids = [t for t in type_ids if t in self.project.record_types]
        clauses = ordered_clauses(self.project, (c for t in type_ids for c in self.project.record_types[t].clauses))
        return W.md("- **{}:** {}\n- **Procedures:** {}\n- **Records:** {}\n\n", self.project.standard.short,
                    W.join(", ", map(self.clause, clauses)) or "—",
                    W.join(", ", (self.doc(d.id, with_title=True) for d in self.producers(type_ids))) or "—",
                    W.join(", ", map(self.record_type, type_ids)))

    def footer(self) -> Markup:
        folder = self.project.settings.rel(self.project.settings.records_dir)
        return W.md("\n*Generated from {}/ on {}.*\n", folder, formats.day(self.project.settings, self.today))


def ordered_clauses(project: Project, clause_ids: Iterable[str]) -> list[str]:
    """Unique clause ids in the standard's order (unknown ones last)."""
    order = {c.id: i for i, c in enumerate(project.standard.clauses)}
    return sorted(set(clause_ids), key=lambda c: (order.get(c, len(order)), c))


def latest(views: Iterable[dict], key: str, date_field: str = "date") -> dict[str, dict]:
    """The most recent view for each value of `key` (by `date_field`, then id)."""
    out: dict[str, dict] = {}
    for view in sorted(views, key=lambda v: (str(v.get(date_field, "")), v["id"])):
        if key in view:
            out[str(view[key])] = view
    return out


# --- registers ---------------------------------------------------------------------------------------

CALIBRATION_STATES = {"never calibrated": "bad", "overdue": "bad", "due soon": "warn", "calibrated": "ok", "withdrawn": "info"}


def calibration_state(eq: dict, cal: dict | None, today: dt.date) -> str:
    """One of CALIBRATION_STATES for an item of equipment and its latest calibration."""
    if eq.get("status") == "withdrawn":
        return "withdrawn"
    due = as_date(cal.get("next_due")) if cal else None
    if due is None:
        return "never calibrated"
    if due < today:
        return "overdue"
    return "due soon" if due <= today + dt.timedelta(days=DUE_SOON_DAYS) else "calibrated"


def calibration_status(page: RecordsPageWriter) -> Markup:
    """Each item of equipment with its last calibration and when the next one is due."""
    last = latest(page.views["calibration"], "equipment")
    order = list(CALIBRATION_STATES)
    items = []
    for eq in page.views["equipment"]:
        cal = last.get(eq["id"])
        state = calibration_state(eq, cal, page.today)
        quarantined = eq.get("status") == "quarantined"
        shown = badge(state, CALIBRATION_STATES[state])
        if quarantined:
            shown = W.md("{} {}", shown, badge("quarantined", "warn"))
        row = [page.record(eq["id"]), shown, page.day((cal or {}).get("next_due")), eq.get("description", ""),
               eq.get("location", ""), W.md("{} months", eq.get("calibration_interval_months", "")),
               eq.get("method", ""), W.md("{} ({})", page.record(cal["id"]), page.day(cal.get("date"))) if cal else "",
               (cal or {}).get("as_found", "")]
        items.append((order.index(state), str((cal or {}).get("next_due", "")), state, quarantined, row))
    items.sort(key=lambda i: (i[0], i[1]))
    states = Counter(i[2] for i in items)
    urgent = [i[4] for i in items if i[2] in ("never calibrated", "overdue", "due soon") or (i[3] and i[2] != "withdrawn")]
    headers = ["Equipment", "Status", "Next due", "Description", "Location", "Interval", "Method", "Last calibration",
               "As found"]  # id, status and due date first: in view on a phone and while the table scrolls
    basis = [c for c in page.views["calibration"] if c.get("traceability") == "other-basis"]
    oot = [c for c in page.views["calibration"] if c.get("as_found") == "out-of-tolerance"]
    return W.concat(
        W.md("{} items in use or quarantined: **{} overdue**, {} due within {} days, {} never calibrated, "
             "{} quarantined.\n\n", len(items) - states["withdrawn"], states["overdue"], states["due soon"],
             DUE_SOON_DAYS, states["never calibrated"], sum(1 for i in items if i[3])),
        W.heading(2, "Needs action"), table(headers, urgent),
        W.heading(2, "All equipment"), table(headers, [i[4] for i in items]),
        W.heading(2, "Calibration where no measurement standard exists"),
        W.md("The basis used for calibration or verification ({}).\n\n", page.clause("7.1.5.2")),
        table(["Calibration", "Equipment", "Date", "Basis"],
              [[page.record(c["id"]), page.record(c["equipment"]), page.day(c.get("date")), c.get("basis", "")]
               for c in basis]),
        W.heading(2, "Found out of tolerance"),
        W.paragraph("Each needs a review of the results measured since the last good calibration."),
        table(["Calibration", "Equipment", "Date", "Result", "Impact review"],
              [[page.record(c["id"]), page.record(c["equipment"]), page.day(c.get("date")), c.get("result", ""),
                page.record(c["impact_review"]) if c.get("impact_review") else badge("missing", "bad")] for c in oot]))


def training_matrix(page: RecordsPageWriter) -> Markup:
    """People (by id and role) against the documents they were trained on, flagging old revisions."""
    people = [p for p in page.views["person"] if p.get("status", "active") == "active"]
    training = page.views["training"]
    on_docs = [t for t in training if t.get("document")]
    from qms.analysis import training as trainingmod

    to_train = {(b.person, b.document.id) for b in trainingmod.training_due(page.project)}
    doc_ids = sorted({t["document"] for t in on_docs} | {d for _, d in to_train}, key=_doc_sort_key)
    last = {(t["person"], t["document"]): t for t in sorted(on_docs, key=lambda t: (str(t.get("date")), t["id"]))}
    out = [W.md("Each cell shows the revision a person was last trained on. {} is the current revision; {} is an "
                "older revision than the document's current one, so the person needs a briefing on the changes. "
                "People are shown by id and role; people who have left are not shown.\n\n",
                badge("rev n", "ok"), badge("rev n", "warn"))]
    headers: list[object] = ["Person", "Role"]
    for doc_id in doc_ids:
        doc = page.project.documents.get(doc_id)
        headers.append(W.md("{} rev {}", page.doc(doc_id), doc.revision) if doc else page.doc(doc_id))
    rows, outdated = [], []
    for person in people:
        row: list[object] = [page.person(person["id"]), page.roles(person)]
        for doc_id in doc_ids:
            t = last.get((person["id"], doc_id))
            if t is None:
                row.append(badge("to train", "bad") if (person["id"], doc_id) in to_train else "")
                continue
            doc = page.project.documents.get(doc_id)
            old = doc is not None and revision_key(str(t.get("revision"))) < revision_key(doc.revision)
            cell = badge(f"rev {t.get('revision')}", "warn" if old else "ok")
            if (person["id"], doc_id) in to_train and not old:
                cell = W.md("{} {}", cell, badge("to train", "bad"))
            if t.get("result") in ("competent-supervised", "not-yet-competent"):
                cell = W.md("{} {}", cell, str(t["result"]).replace("-", " "))
            row.append(cell)
            if old:
                outdated.append([page.person(person["id"]), page.doc(doc_id, with_title=True), t.get("revision"),
                                 doc.revision, page.day(t.get("date")), page.record(t["id"])])
        rows.append(row)
    courses = [t for t in training if not t.get("document")]
    return W.concat(
        *out,
        W.md("{} people, {} documents, **{} trainings on an older revision**, **{} briefings to do** ({} marks a "
             "person whose role must know the document and who has no training record for its current revision; "
             "{} lists them).\n\n", len(people), len(doc_ids), len(outdated), len(to_train),
             badge("to train", "bad"), W.code("qms training-due")),
        W.md('<div class="qms-matrix" markdown>\n\n{}</div>\n\n', table(headers, rows, empty=" ")),
        W.heading(2, "Trained on an older revision"),
        table(["Person", "Document", "Trained on", "Current", "Date", "Record"], outdated),
        W.heading(2, "Courses and other training"),
        table(["Record", "Person", "Course", "Date", "Method", "Result", "Expires"],
              [[page.record(t["id"]), page.person(t["person"]), t.get("course", ""), page.day(t.get("date")),
                t.get("method", ""), t.get("result", ""), page.due(t.get("expires"))]
               for t in sorted(courses, key=lambda t: str(t.get("date")))]))


def _doc_sort_key(doc_id: str) -> tuple:
    prefix, _, number = doc_id.partition("-")
    return (prefix, revision_key(number))


def _month(value: object) -> tuple[int, int] | None:
    match = re.match(r"^(\d{4})-(\d{2})$", str(value))
    return (int(match.group(1)), int(match.group(2))) if match else None


def _planned_cell(audit: dict, page: RecordsPageWriter) -> Markup | str:
    """The month first planned, and the month it was re-planned to with the day and reason when it moved."""
    moved = audit_dates.replan(audit)
    if not moved:
        return str(audit.get("planned", ""))
    return W.md("{} → {} (re-planned on {}: {})", audit.get("planned", ""), page.day(moved["to"]), page.day(moved["decided"]),
                " ".join(str(moved["reason"]).split()))


def audit_programme(page: RecordsPageWriter) -> Markup:
    """Planned against done audits, by audit, by clause and by process."""
    this_month = (page.today.year, page.today.month)
    out = []
    for programme in sorted(page.views["audit-programme"], key=lambda p: str(p.get("year")), reverse=True):
        audits = programme.get("audits") or []
        state = {}
        for audit in audits:
            status = audit.get("status", "planned")
            month = _month(audit_dates.planned_month(audit))
            state[audit["id"]] = ("overdue" if status in ("planned", "postponed") and month is not None
                                  and month < this_month else status)
        counts = Counter(state.values())
        out += [W.heading(2, W.md("Programme {} ({})", programme.get("year", ""), page.record(programme["id"]))),
                W.md("Approved by {} on {}. **{} of {} audits done**; {} overdue, {} planned, {} postponed, "
                     "{} cancelled.\n\n", page.person(programme.get("approved_by", "")), page.day(programme.get("approved")),
                     counts["done"], len(audits), counts["overdue"], counts["planned"], counts["postponed"],
                     counts["cancelled"])]
        kinds = {"done": "ok", "overdue": "bad", "postponed": "warn", "cancelled": "info", "planned": "info"}
        out.append(table(
            ["Audit", "Process", "Clauses", "Planned", "Auditor", "Status", "Done", "Report"],
            [[a["id"], page.doc(a.get("process", ""), with_title=True),
              W.join(", ", (page.clause(c) for c in a.get("clauses") or [])), _planned_cell(a, page),
              page.person(a.get("auditor", "")), badge(state[a["id"]], kinds.get(state[a["id"]], "info")),
              page.day(a.get("done")), page.record(a["report"]) if a.get("report") else ""] for a in audits]))
        by_clause: dict[str, Counter[str]] = defaultdict(Counter)
        by_process: dict[str, Counter[str]] = defaultdict(Counter)
        for a in audits:
            for c in a.get("clauses") or []:
                by_clause[c]["planned"] += 1
                by_clause[c]["done"] += state[a["id"]] == "done"
            by_process[a.get("process", "")]["planned"] += 1
            by_process[a.get("process", "")]["done"] += state[a["id"]] == "done"
        out += [W.heading(3, "By clause"), table(["Clause", "Planned", "Done"],
                                                 [[page.clause(c), by_clause[c]["planned"], by_clause[c]["done"]]
                                                  for c in ordered_clauses(page.project, by_clause)])]
        out += [W.heading(3, "By process"), table(["Process", "Planned", "Done"],
                                                  [[page.doc(p, with_title=True), n["planned"], n["done"]]
                                                   for p, n in sorted(by_process.items())])]
    return W.concat(*out) or Markup("*No audit programme yet.*\n")


def audit_findings(page: RecordsPageWriter) -> Markup:
    """Findings of every audit report, with the corrective action each led to and its status."""
    cas = {c["id"]: c for c in page.views.get("corrective-action", [])}
    rows, counts = [], Counter()
    for report in sorted(page.views["audit-report"], key=lambda r: str(r.get("date")), reverse=True):
        for f in report.get("findings") or []:
            counts[f.get("severity", "")] += 1
            ca = cas.get(f.get("corrective_action", ""))
            ca_status = Markup("")
            if f.get("corrective_action"):
                ca_status = W.md("{} {}", page.record(f["corrective_action"]),
                                 badge(ca.get("status", ""), "ok" if ca.get("status") == "closed" else "warn") if ca else "")
            kind = {"major": "bad", "minor": "warn"}.get(f.get("severity", ""), "info")
            rows.append([page.record(report["id"]), page.day(report.get("date")), page.doc(report.get("process", "")),
                         f.get("id", ""), badge(f.get("severity", ""), kind), page.clause(f.get("clause", "")),
                         f.get("description", ""), ca_status])
    summary = ", ".join(f"{counts[s]} {s}" for s in ("major", "minor", "observation"))
    return W.concat(W.md("{} audit reports, {} findings: {}.\n\n", len(page.views["audit-report"]),
                         sum(counts.values()), summary),
                    table(["Report", "Date", "Process", "Finding", "Grade", "Clause", "Description", "Corrective action"],
                          rows))


def nonconforming_outputs(page: RecordsPageWriter) -> Markup:
    """Open nonconforming outputs first, then closed ones, newest first."""
    views = sorted(page.views["nonconforming-output"], key=lambda v: str(v.get("date")), reverse=True)
    rtype = page.project.record_types["nonconforming-output"]
    open_ = [v for v in views if v.get("status") != "closed"]
    costs = [float(v["cost"]) for v in views if isinstance(v.get("cost"), (int, float))]
    cost = W.md("; recorded cost of scrap and rework {}", formats.money(page.project.settings, sum(costs))) if costs \
        else Markup("")
    headers = ["NCR", "Status", "Date", "Part", "Qty", "Found at", "Nonconformity", "Disposition", "Concession",
               "Decided by", "Corrective action"]

    def row(v: dict) -> list[object]:
        status = badge(v.get("status", ""), "warn" if v.get("status") != "closed" else "ok")
        return [page.record(v["id"]), W.md("{} {}", status, page.day(v["closed"])) if v.get("closed") else status,
                page.day(v.get("date")), v.get("part_number", ""), v.get("quantity", ""),
                v.get("detected_at", ""), v.get("description", ""), v.get("disposition", ""),
                v.get("concession", ""), page.value(rtype, "decided_by", v.get("decided_by")),
                page.record(v["corrective_action"]) if v.get("corrective_action") else ""]

    return W.concat(W.md("{} nonconforming outputs, **{} open**{}.\n\n", len(views), len(open_), cost),
                    W.heading(2, "Open"), table(headers, map(row, open_)),
                    W.heading(2, "Closed"), table(headers, (row(v) for v in views if v.get("status") == "closed")))


def corrective_actions(page: RecordsPageWriter) -> Markup:
    """Open corrective actions (overdue flagged), closed ones awaiting the effectiveness check, and verified ones."""
    views = page.views["corrective-action"]
    open_ = [v for v in views if v.get("status") != "closed"]
    closed = [v for v in views if v.get("status") == "closed"]
    verified = [v for v in closed if v.get("effectiveness_verified")]
    waiting = [v for v in closed if not v.get("effectiveness_verified")]
    overdue = [v for v in open_ if (as_date(v.get("due")) or dt.date.max) < page.today]
    rtype = page.project.record_types["corrective-action"]

    def actions(v: dict) -> str:
        items = v.get("actions") or []
        return f"{sum(1 for a in items if a.get('status') == 'done')} of {len(items)} done" if items else ""

    def check_due(v: dict) -> Markup:
        closed_on = as_date(v.get("closed"))
        return page.due((closed_on + dt.timedelta(days=EFFECTIVENESS_CHECK_DAYS)).isoformat()) if closed_on else Markup("")

    def source(v: dict) -> Markup:
        shown = page.value(rtype, "source", v.get("source"))
        if v.get("source_record"):
            return W.md("{} {}", shown, page.value(rtype, "source_record", v["source_record"]))
        return shown

    return W.concat(
        W.md("**{} open** ({} overdue), {} closed awaiting the effectiveness check, {} verified effective.\n\n",
             len(open_), len(overdue), len(waiting), len(verified)),
        W.heading(2, "Open"),
        table(["CA", "Opened", "Source", "Nonconformity", "Owner", "Actions", "Due"],
              [[page.record(v["id"]), page.day(v.get("opened")), source(v), v.get("nonconformity", ""),
                page.role(v.get("owner", "")), actions(v), page.due(v.get("due"))]
               for v in sorted(open_, key=lambda v: str(v.get("due")))]),
        W.heading(2, "Closed, effectiveness not yet verified"),
        W.md("The check is due about {} days after closing.\n\n", EFFECTIVENESS_CHECK_DAYS),
        table(["CA", "Nonconformity", "Owner", "Closed", "Check due"],
              [[page.record(v["id"]), v.get("nonconformity", ""), page.role(v.get("owner", "")),
                page.day(v.get("closed")), check_due(v)] for v in waiting]),
        W.heading(2, "Verified effective"),
        table(["CA", "Nonconformity", "Closed", "Verified", "Result"],
              [[page.record(v["id"]), v.get("nonconformity", ""), page.day(v.get("closed")),
                page.day(v.get("effectiveness_date")), v.get("effectiveness_result", "")] for v in verified]))


def supplier_evaluations(page: RecordsPageWriter) -> Markup:
    """The latest evaluation of each supplier (the approved supplier list), then every evaluation."""
    views = page.views["supplier-evaluation"]
    current = latest(views, "supplier")
    kinds = {"approved": "ok", "approved-with-conditions": "warn", "on-probation": "warn", "suspended": "bad", "removed": "info"}
    rows = []
    for supplier, v in sorted(current.items()):
        decision = v.get("decision", "")
        rows.append([supplier, v.get("supplies", ""), W.md("{} ({})", page.record(v["id"]), page.day(v.get("date"))),
                     v.get("grade", ""), badge(decision, kinds.get(decision, "info")),
                     "" if decision == "removed" else page.due(v.get("next_evaluation"))])
    grades = Counter(v.get("grade") for v in current.values() if v.get("decision") != "removed")
    listed = sum(grades.values())
    share = f"{100 * (grades['A'] + grades['B']) / listed:.0f} %" if listed else "—"
    return W.concat(
        W.md("{} suppliers on the approved list; graded A or B: {}.\n\n", listed, share),
        W.heading(2, "Approved supplier list (latest evaluation)"),
        table(["Supplier", "Supplies", "Latest evaluation", "Grade", "Decision", "Next evaluation"], rows),
        W.heading(2, "All evaluations"),
        table(["Evaluation", "Date", "Supplier", "Kind", "Quality", "Delivery", "Responsiveness", "Grade", "Decision"],
              [[page.record(v["id"]), page.day(v.get("date")), v.get("supplier", ""), v.get("kind", ""),
                (v.get("scores") or {}).get("quality", ""), (v.get("scores") or {}).get("delivery", ""),
                (v.get("scores") or {}).get("responsiveness", ""), v.get("grade", ""),
                v.get("decision", "")] for v in sorted(views, key=lambda v: str(v.get("date")), reverse=True)]))


def management_reviews(page: RecordsPageWriter) -> Markup:
    """Each management review: inputs, decisions and actions with owner, due date and status."""
    views = sorted(page.views["management-review"], key=lambda v: str(v.get("date")), reverse=True)
    all_actions = [a for v in views for a in v.get("actions") or []]
    open_actions = [a for a in all_actions if a.get("status") != "done"]
    overdue = [a for a in open_actions if (as_date(a.get("due")) or dt.date.max) < page.today]
    out = [W.md("{} reviews; **{} actions open** ({} overdue).", len(views), len(open_actions), len(overdue))]
    if views:
        out.append(W.md(" Last review {}; next review {}.", views[0].get("date"), page.due(views[0].get("next_review"))))
    out.append(Markup("\n\n"))

    def status(a: dict) -> Markup:
        if a.get("status") == "done":
            return W.md("{} {}", badge("done", "ok"), page.day(a.get("done")))
        return badge("open", "warn")

    for v in views:
        out += [W.heading(2, W.md("{}, {}", v["id"], page.day(v.get("date")))),
                W.md("Chaired by the {}; attended by {}.\n\n", page.role(v.get("chair", "")),
                     W.join(", ", (page.role(r) for r in v.get("attendees") or []))),
                W.heading(3, "Inputs reviewed"),
                table(["Input", "Summary"], [[str(i.get("topic", "")).replace("-", " "), i.get("summary", "")]
                                              for i in v.get("inputs") or []]),
                W.heading(3, "Decisions"),
                table(["About", "Decision"], [[str(d.get("about", "")).replace("-", " "), d.get("decision", "")]
                                               for d in v.get("decisions") or []]),
                W.heading(3, "Actions"),
                table(["Action", "Owner", "Due", "Status"],
                      [[a.get("what", ""), page.role(a.get("owner", "")),
                        page.due(a.get("due")) if a.get("status") != "done" else page.day(a.get("due")), status(a)]
                       for a in v.get("actions") or []])]
    return W.concat(*out)


def quality_objectives(page: RecordsPageWriter) -> Markup:
    """Monthly results against each quality objective, and customer satisfaction where measured."""
    views = sorted(page.views["monitoring-result"], key=lambda v: str(v.get("period")))
    objectives = sorted({m["objective"] for v in views for m in v.get("measurements") or []})
    rows = []
    for v in views:
        by_obj = {m["objective"]: m for m in v.get("measurements") or []}
        row: list[object] = [W.md("{} ({})", page.record(v["id"]), v.get("period", ""))]
        for obj in objectives:
            m = by_obj.get(obj)
            if m is None:
                row.append("")
                continue
            met = m["value"] >= m["target"] if m.get("direction") == "at-least" else m["value"] <= m["target"]
            sign = "≥" if m.get("direction") == "at-least" else "≤"
            row.append(W.md("{} {} {}", badge(f"{m['value']} {m.get('unit', '')}", "ok" if met else "bad"), sign,
                            m["target"]))
        cs = v.get("customer_satisfaction") or {}
        row.append(W.md("{} ({})", cs.get("score"), cs.get("source")) if cs else "")
        rows.append(row)
    return W.concat(W.paragraph("Green: the month met the target; red: it did not. The targets are set in the "
                                "quality objectives."),
                    table(["Month", *objectives, "Customer satisfaction"], rows))


@dataclass(frozen=True)
class Register:
    """A published register: its page, title, the record types it reads, and its renderer."""

    name: str
    title: str
    types: tuple[str, ...]
    render: Callable[[RecordsPageWriter], Markup]
    summary: str

    @property
    def uri(self) -> str:
        return f"{REGISTERS_DIR}/{self.name}.md"

    @property
    def xlsx_uri(self) -> str:
        """The register as an Excel workbook: a sheet per record type (qms.render.spreadsheet)."""
        return f"{REGISTERS_DIR}/{self.name}.xlsx"

    def csv_uri(self, type_id: str) -> str:
        """One record type of the register as CSV."""
        return f"{REGISTERS_DIR}/{self.name}-{type_id}.csv"


REGISTERS = (
    Register("calibration-status", "Calibration status", ("equipment", "calibration"), calibration_status,
             "every item of measuring equipment with its last calibration; overdue and due within 30 days flagged"),
    Register("training-matrix", "Training matrix", ("person", "training"), training_matrix,
             "people by id and role against the documents they were trained on; old revisions flagged"),
    Register("audit-programme", "Internal audit programme", ("audit-programme",), audit_programme,
             "planned against done audits, by clause and by process"),
    Register("audit-findings", "Audit findings", ("audit-report", "corrective-action"), audit_findings,
             "findings of internal audits with their grade, clause and corrective action"),
    Register("nonconforming-outputs", "Nonconforming outputs", ("nonconforming-output",), nonconforming_outputs,
             "open and closed NCRs with disposition, concession and the authority that decided"),
    Register("corrective-actions", "Corrective actions", ("corrective-action",), corrective_actions,
             "open (overdue flagged), awaiting the effectiveness check, and verified effective"),
    Register("supplier-evaluations", "Supplier evaluations", ("supplier-evaluation",), supplier_evaluations,
             "the approved supplier list with grades, decisions and next evaluation dates"),
    Register("management-reviews", "Management reviews", ("management-review",), management_reviews,
             "inputs, decisions and actions of each management review"),
    Register("quality-objectives", "Quality objectives results", ("monitoring-result",), quality_objectives,
             "monthly results against each quality objective"),
)


def available_registers(project: Project) -> list[Register]:
    """The registers whose record types the project defines."""
    return [r for r in REGISTERS if all(t in project.record_types for t in r.types)]


def register_page(project: Project, register: Register, today: dt.date, views: Views) -> str:
    page = RecordsPageWriter(project, register.uri, today, views)
    downloads = W.md("**Download:** {} · CSV: {} (published fields only; edit them and bring them back with "
                     "`qms import-records`)\n\n",
                     page.link(register.xlsx_uri, "Excel workbook"),
                     W.join(", ", (page.link(register.csv_uri(t), project.record_types[t].title) for t in register.types)))
    return GENERATED_HEADER + W.concat(W.heading(1, register.title), W.md("This register shows {}.\n\n", register.summary),
                                       downloads, page.serves(register.types), register.render(page), page.footer())


def registers_index(project: Project, today: dt.date, views: Views) -> str:
    page = RecordsPageWriter(project, f"{REGISTERS_DIR}/index.md", today, views)
    rows = [[page.link(r.uri, r.title), r.summary, W.join(", ", map(page.record_type, r.types))]
            for r in available_registers(project)]
    return GENERATED_HEADER + W.concat(
        W.heading(1, "Registers"),
        W.paragraph("Registers are built from the records on every publication. They show only what may be "
                    "published: confidential records and fields never appear."),
        table(["Register", "Shows", "Built from"], rows), page.footer())


# --- record pages ------------------------------------------------------------------------------------

def field_label(rtype: RecordType, fpath: str) -> str:
    """A column heading: the field's schema `title`, else its name in words (plain text, escaped where shown)."""
    schema = rtype.field_schema(fpath) or {}
    return str(schema.get("title") or fpath.replace("_", " ").replace("[]", "").capitalize())


def confidentiality(rtype: RecordType) -> Markup:
    if rtype.confidential:
        return W.md("confidential; only these fields are published: {}.", W.join(", ", map(code, rtype.public_fields)))
    if rtype.confidential_fields:
        return W.md("partly confidential; never published: {}.", W.join(", ", map(code, rtype.confidential_fields)))
    return Markup("not confidential.")


def _clause_rest(clause_ref: str, clause_id: str) -> str:
    """What a retained-information reference says after its clause number ('8.5.2' of '8.5.2 b)')."""
    return clause_ref[len(clause_id):]


def record_type_page(project: Project, rtype: RecordType, today: dt.date, views: Views) -> str:
    """One page per record type: why it is kept, who owns it, how long, and a table of its records."""
    page = RecordsPageWriter(project, paths.record_type_page(rtype.id), today, views)
    retained = [item for item, types in retain_coverage(project.standard, project.record_types) if rtype.id in types]
    producers = page.producers([rtype.id])
    registers = [r for r in available_registers(project) if rtype.id in r.types]
    facts = [
        ("Required by", W.join(", ", map(page.clause, rtype.clauses))),
        ("Owner", page.role(rtype.owner)),
        ("Retention", text(rtype.retention)),
        ("Confidentiality", confidentiality(rtype)),
        ("Produced by", W.join(", ", (page.doc(d.id, with_title=True) for d in producers)) or "—"),
        ("Registers", W.join(", ", (page.link(r.uri, r.title) for r in registers)) or "—"),
        ("Schema", code(rtype.path)),
    ]
    out = [W.heading(1, rtype.title), W.paragraph(rtype.description),
           W.join("", (W.md("- **{}:** {}\n", k, v) for k, v in facts)), Markup("\n")]
    if retained:
        out.append(W.heading(2, W.md("What {} asks us to retain", project.standard.short)))
        out += [W.md("- {}{}: {}\n", page.clause(item.clause_id), _clause_rest(item.clause, item.clause_id), item.what)
                for item in retained]
        out.append(Markup("\n"))
    records = views.get(rtype.id, [])
    if rtype.date_field:
        records = sorted(records, key=lambda v: str(v.get(rtype.date_field, "")), reverse=True)
    columns = [c for c in rtype.columns if split_field(c)[0] in rtype.public_fields]
    web = editlinks.editor(project.settings)
    headers = [field_label(rtype, c) for c in columns]
    rows = [[page.value(rtype, c, v.get(c)) for c in columns] for v in records]
    if web is not None:
        files = {r.id: r.path for r in project.records if r.type == rtype.id}
        headers.append("Source")
        for row, view in zip(rows, records):
            where = files.get(str(view["id"]))
            row.append(W.link("edit", web.edit(where), f"Edit {view['id']} in {web.name}") if where else "")
    form = Markup("") if rtype.confidential else W.md(
        "{}: a form that checks each field and makes the record's YAML.\n\n",
        page.link(f"{paths.RECORDS_DIR}/new/{rtype.id}.md", "New record"))
    out += [W.heading(2, f"Records ({len(records)})"), Markup("Newest first.\n\n" if rtype.date_field else ""),
            form, new_record_link(project, rtype, today, web), table(headers, rows)]
    out += [W.heading(2, "Fields"),
            table(["Field", "Required", "Published", "Description"],
                  [[code(name), "yes" if name in rtype.required else "",
                    "yes" if name in rtype.public_fields and name not in rtype.confidential_fields else "no",
                    rtype.field_description(name)] for name in rtype.properties])]
    return GENERATED_HEADER + W.concat(*out, page.footer())


def new_record_link(project: Project, rtype: RecordType, today: dt.date, web: editlinks.Editor | None) -> Markup:
    """A link to a new-file page in the repository's editor, path (with the next free id) and fields filled in."""
    if web is None:
        return Markup("")
    record_id = next_id(rtype, set(project.record_set.known_ids()) if project.record_set else set(), today)
    if record_id is None:
        return Markup("")
    folder = project.settings.rel(project.settings.records_dir)
    lines = [f"# {rtype.title}: fill in every value, then propose the new file.", f"id: {record_id}"]
    for name in rtype.required:
        if name != "id":
            description = " ".join(str((rtype.properties.get(name) or {}).get("description", "")).split())
            lines.append(f"{name}:   # {description}" if description else f"{name}:")
    url = web.new_file(f"{folder}/{rtype.id}/{record_id}.yaml", "\n".join(lines) + "\n")
    return W.md("{} (the next free id, {}; the change arrives as a pull request).\n\n",
                W.link(f"Add a record on {web.name}", url), record_id)


def records_index(project: Project, today: dt.date, views: Views) -> str:
    """All record types with clause, owner, retention and count; then the retained information the standard asks for."""
    page = RecordsPageWriter(project, f"{paths.RECORDS_DIR}/index.md", today, views)
    rows = [[page.record_type(t.id), W.join(", ", map(page.clause, t.clauses)), page.role(t.owner), t.retention,
             "whole record" if t.confidential else ("some fields" if t.confidential_fields else "no"),
             len(views.get(t.id, [])), W.join(", ", (page.doc(d.id) for d in page.producers([t.id])))]
            for t in sorted(project.record_types.values(), key=lambda t: t.title)]
    coverage = [[W.md("{} {}", page.clause(item.clause_id), _clause_rest(item.clause, item.clause_id).strip())
                 if item.clause != item.clause_id else page.clause(item.clause_id),
                 item.what, W.join(", ", map(page.record_type, types)) or badge("not kept", "bad")]
                for item, types in retain_coverage(project.standard, project.record_types)]
    return GENERATED_HEADER + W.concat(
        W.heading(1, "Records"),
        W.md("Records are the evidence that the quality system works. Each is a YAML file under {}, checked against "
             "its schema on every publication. Confidential records and fields are never published.\n\n",
             code(project.settings.rel(project.settings.records_dir) + "/<type>/")),
        table(["Record type", "Clauses", "Owner", "Retention", "Confidential", "Records", "Produced by"], rows),
        W.heading(2, W.md("Records {} requires", project.standard.short)),
        table(["Clause", "What must be retained", "Kept as"], coverage),
        W.heading(2, "Registers"),
        W.join("", (W.md("- {}: {}\n", page.link(r.uri, r.title), r.summary) for r in available_registers(project))),
        page.footer())


def register_pages(project: Project, today: dt.date) -> dict[str, str]:
    """Every records and registers page: site path relative to docs -> Markdown."""
    if not project.record_types:
        return {}
    views = public_views(project)
    out = {f"{paths.RECORDS_DIR}/index.md": records_index(project, today, views)}
    for rtype in sorted(project.record_types.values(), key=lambda t: t.id):
        out[paths.record_type_page(rtype.id)] = record_type_page(project, rtype, today, views)
    registers = available_registers(project)
    if registers:
        out[f"{REGISTERS_DIR}/index.md"] = registers_index(project, today, views)
    for register in registers:
        out[register.uri] = register_page(project, register, today, views)
    return out
