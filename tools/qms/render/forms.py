"""Record forms in the published manual: for each record type a page whose form is built from the type's JSON
Schema and checked in the browser by the same rules, producing the record's YAML with the next free id.

The page itself is plain Markdown (it passes the page sanitizer); the form is drawn by the engine's script
(`assets/qms-forms.js`, no library, nothing fetched: it works from a file or an intranet without internet) from
a per-type specification written here as a script file (`assets/qms/forms/TYPE.js`). References become pick
lists of public ids only (document, role, clause, equipment, person and record ids), never a confidential value.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from qms import package
from qms.model.project import Project
from qms.model.records import RecordType, next_id
from qms.render import editlinks, paths
from qms.render.pages import GENERATED_HEADER
from qms.render.writer import SITE as W

FORMS_DIR = f"{paths.RECORDS_DIR}/new"
SPEC_DIR = "assets/qms/forms"
SCRIPT_URI = "assets/qms/qms-forms.js"
SCRIPT_FILE = "qms-forms.js"
LONG_TEXT = 3  # free text that must hold at least this many characters (a description, a basis) gets a text area


def form_uri(type_id: str) -> str:
    return f"{FORMS_DIR}/{type_id}.md"


def spec_uri(type_id: str) -> str:
    return f"{SPEC_DIR}/{type_id}.js"


def _choices(project: Project, target: str | None) -> list[list[str]] | None:
    """[value, label] pairs a reference may take; labels show public facts only (ids, document titles, roles)."""
    if target is None:
        return None
    if target == "document":
        return [[d.id, d.label] for d in sorted(project.documents.values(), key=lambda d: d.id)]
    if target == "role":
        return [[r.id, r.title] for r in project.organization.roles.values()]
    if target == "clause":
        return [[c.id, f"{c.id} {c.title}".strip()] for c in project.standard.clauses]
    if target.startswith("record"):
        wanted = target.partition(":")[2]
        ids = sorted(r.id for r in project.records if not wanted or r.type == wanted)
        return [[i, i] for i in ids]
    return None


def _kind(schema: dict) -> str | None:
    """How a field is entered: text, textarea, date, integer, number, boolean, choice, list; None: not in the form."""
    kind = schema.get("type")
    if "enum" in schema:
        return "choice"
    if kind == "string" or kind is None and ("pattern" in schema or "format" in schema):
        if schema.get("format") == "date":
            return "date"
        free = not any(k in schema for k in ("pattern", "enum", "const", "format"))
        return "textarea" if free and schema.get("minLength", 0) >= LONG_TEXT else "text"
    if kind in ("integer", "number", "boolean"):
        return str(kind)
    if kind == "array" and (schema.get("items") or {}).get("type") in ("string", None) \
            and not (schema.get("items") or {}).get("properties"):
        return "list"
    return None


def _field(project: Project, rtype: RecordType, name: str, schema: dict, first_id: str | None) -> dict[str, Any]:
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    target = rtype.reference_target(name) or rtype.reference_target(f"{name}[]")
    spec: dict[str, Any] = {
        "name": name,
        "label": str(schema.get("title") or name.replace("_", " ").capitalize()),
        "description": " ".join(str(schema.get("description", "")).split()),
        "kind": _kind(schema),
        "required": name in rtype.required,
    }
    rules = items if spec["kind"] == "list" else schema
    for key in ("enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "format", "default"):
        if key in rules:
            spec[key] = rules[key]
    choices = _choices(project, target)
    if choices is not None:
        spec["choices"] = choices
    if name == "id" and first_id:
        spec["default"] = first_id
    return spec


def _conditions(schema: dict) -> list[dict[str, Any]]:
    """The schema's if/then rules the form checks: when FIELD is one of VALUES, these fields are required (or a
    field must not take a value)."""
    out = []
    for rule in [*(schema.get("allOf") or []), schema] if "if" in schema else schema.get("allOf") or []:
        if not isinstance(rule, dict) or "if" not in rule:
            continue
        when = {}
        for name, sub in ((rule["if"].get("properties") or {}).items()):
            if "const" in sub:
                when[name] = [sub["const"]]
            elif "enum" in sub:
                when[name] = list(sub["enum"])
        then = rule.get("then") or {}
        forbid = {name: sub["not"]["const"] for name, sub in (then.get("properties") or {}).items()
                  if isinstance(sub, dict) and isinstance(sub.get("not"), dict) and "const" in sub["not"]}
        if when:
            out.append({"when": when, "required": list(then.get("required") or []), "forbid": forbid})
    return out


def form_spec(project: Project, rtype: RecordType, today: dt.date) -> dict[str, Any]:
    """Everything the browser needs to draw and check one type's form, public data only."""
    first_id = next_id(rtype, set(project.record_set.known_ids()) if project.record_set else set(), today)
    fields = [_field(project, rtype, name, schema or {}, first_id) for name, schema in rtype.properties.items()]
    web = editlinks.editor(project.settings)
    folder = project.settings.rel(project.settings.records_dir)
    return {
        "type": rtype.id,
        "title": rtype.title,
        "folder": f"{folder}/{rtype.id}",
        "nextId": first_id,
        "fields": [f for f in fields if f["kind"] is not None],
        "skipped": [f["name"] for f in fields if f["kind"] is None],
        "conditions": _conditions(rtype.schema.data),
        "editor": {"kind": web.kind, "base": web.base, "branch": web.branch, "name": web.name} if web else None,
        "header": f"{rtype.title}: made with the form in the published manual; check it with `qms check`.",
    }


def form_page(project: Project, rtype: RecordType, today: dt.date) -> str:
    uri = form_uri(rtype.id)
    back = W.link(rtype.title, paths.relative(paths.record_type_page(rtype.id), uri))
    return GENERATED_HEADER + W.concat(
        W.heading(1, f"New {rtype.title.lower()} record"),
        W.md("Fill in the form: each field is checked by the same rules as {} (its schema, {}). The form makes the "
             "record's YAML with the next free id; download it, copy it, or open a new-file page in the repository "
             "with it, so the record arrives as a pull request. Nothing is sent anywhere by this page.\n\n",
             back, W.code(rtype.path)),
        W.md('<div class="qms-form" id="qms-form-{}" markdown>\n\n*This form needs JavaScript. Without it, use '
             '`qms new record {}`.*\n\n</div>\n\n', rtype.id, rtype.id))


def forms_index(project: Project) -> str:
    uri = f"{FORMS_DIR}/index.md"
    rows = [[W.link(t.title, paths.relative(form_uri(t.id), uri)), t.description]
            for t in sorted(project.record_types.values(), key=lambda t: t.title) if not t.confidential]
    return GENERATED_HEADER + W.concat(
        W.heading(1, "New record forms"),
        W.paragraph("A form for each record type that is not confidential. Confidential records (people) are "
                    "made with `qms new record` in the repository, never in the published manual."),
        W.table(["Record type", "What it records"], rows))


def form_files(project: Project, today: dt.date) -> dict[str, str]:
    """The forms' pages, their specifications and the script that draws them: uri -> text."""
    types = [t for t in project.record_types.values() if not t.confidential]
    if not types:
        return {}
    out = {f"{FORMS_DIR}/index.md": forms_index(project),
           SCRIPT_URI: (package.ASSETS / SCRIPT_FILE).read_text(encoding="utf-8")}
    for rtype in types:
        out[form_uri(rtype.id)] = form_page(project, rtype, today)
        data = json.dumps(form_spec(project, rtype, today), ensure_ascii=False, indent=1).replace("</", "<\\/")
        out[spec_uri(rtype.id)] = f"window.QMS_FORMS = window.QMS_FORMS || {{}};\nwindow.QMS_FORMS[{json.dumps(rtype.id)}] = {data};\n"
    return out
