"""JSON Schema (2020-12, written in YAML) validation that reports `path:line: field: message`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from qms.model import yamlio
from qms.problems import Problem, QMSError


@dataclass(frozen=True)
class Schema:
    """A loaded JSON Schema with its validator; `path` is where it was read from."""

    path: str
    data: dict
    validator: Draft202012Validator
    digest: str = ""  # of the schema's content: cached validation results are keyed by it

    @property
    def title(self) -> str:
        return str(self.data.get("title", Path(self.path).stem))


def load_schema(path: Path, display_path: str | None = None) -> Schema:
    """Load and check a JSON Schema written in YAML; a broken schema is a QMSError naming the file."""
    stat = path.stat()
    return _load_schema_cached(path, display_path or str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=128)
def _load_schema_cached(path: Path, display: str, _mtime: int, _size: int) -> Schema:
    """Kept in memory by file, modification time and size: checking a schema against the JSON Schema
    meta-schema costs about 7 ms, and every rebuild of `mkdocs serve` (and every test) loads twenty of
    them; an edited schema has a new time or size, so it is read again."""
    try:
        text = yamlio.read_yaml_text(path)
        data = yamlio.load(text)
    except yamlio.YAMLSyntaxProblem as exc:
        raise QMSError(Problem(display, exc.line, exc.message, code=exc.code)) from None
    if not isinstance(data, dict):
        raise QMSError(Problem(display, 1, "a schema must be a YAML mapping", code="invalid-schema"))
    errors = list(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(data))
    if errors:
        err = best_match(errors)
        line = yamlio.line_of(text, list(err.absolute_path))
        raise QMSError(Problem(display, line, f"not a valid JSON Schema: {err.message}", code="invalid-schema"))
    validator = Draft202012Validator(data, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return Schema(display, data, validator, hashlib.sha1(text.encode()).hexdigest())


def field_name(path: list[str | int]) -> str:
    """'owner', 'tasks[1].role' from a jsonschema error path."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate(schema: Schema, instance: Any, yaml_text: str, display_path: str, line_offset: int = 0,
             choices: Mapping[str, Sequence[str]] | None = None) -> list[Problem]:
    """Every way `instance` breaks `schema`, each as a Problem at the line of the offending field.

    `yaml_text` is the YAML the instance was read from; `line_offset` is added to its line numbers
    (the front matter of a Markdown file starts on line 2). `choices` names the values a field may take
    that the schema does not list (the roles of organization.yaml for `owner`, by field path such as
    `tasks[].role`): a missing field's message offers them.
    """
    problems: list[Problem] = []
    for err in schema.validator.iter_errors(instance):
        path = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = set(err.schema.get("properties", {}))
            extra = sorted(k for k in err.instance if k not in known)
            if extra:  # point at the first unknown key rather than at its mapping
                line = yamlio.line_of(yaml_text, [*path, extra[0]]) if yaml_text else 0
                name = field_name(path)
                message = f"unknown field(s) {', '.join(repr(k) for k in extra)}"
                problems.append(Problem(display_path, line + line_offset if line else max(line_offset, 1),
                                        f"{name}: {message}" if name else message, code="schema"))
                continue
        # A missing required property is reported at its parent mapping.
        line = yamlio.line_of(yaml_text, path) if (yaml_text and path) else 0
        name = field_name(path)
        plain = _plain(err, schema.data, path, yaml_text, line, choices or {})
        if plain is not None:
            name, message = plain
        else:
            message = _friendly(err)
        text = f"{name}: {message}" if name else message
        problems.append(Problem(display_path, line + line_offset if line else max(line_offset, 1), text, code="schema"))
    return problems


def _friendly(err: Any) -> str:
    """Shorten jsonschema's messages where they quote whole documents."""
    if err.validator == "enum":
        allowed = ", ".join(repr(v) for v in err.validator_value)
        return f"{err.instance!r} is not one of {allowed}"
    if err.validator == "additionalProperties":
        return err.message.replace("Additional properties are not allowed", "unknown field(s)")
    if err.validator == "format" and err.validator_value == "date":
        return f"{err.instance!r} is not a real date (use YYYY-MM-DD)"
    if err.validator == "pattern" and "description" in err.schema:
        return f"{err.instance!r} does not match: {err.schema['description']}"
    if err.validator == "type" and isinstance(err.instance, (dict, list)):
        return f"must be of type {err.validator_value}"
    return err.message


# --- messages in plain words: what is wrong and the fix -------------------------------------------------

# What to enter, by JSON type, for "empty" and "missing" messages.
_ENTER = {"integer": "a whole number", "number": "a number", "string": "a text", "boolean": "true or false",
          "array": "a list", "object": "its fields"}
_EXAMPLE = {"integer": "1", "number": "1.5", "boolean": "true", "array": "[]"}


def _schema_path_of(path: Sequence[str | int]) -> str:
    """'tasks[].role' (the form `choices` is keyed by) from ['tasks', 0, 'role']."""
    out = ""
    for part in path:
        out += "[]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _types(schema: dict) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return [str(k) for k in kind]
    if kind:
        return [str(kind)]
    enum = schema.get("enum")
    if enum:
        return sorted({"string" if isinstance(v, str) else "integer" if isinstance(v, int) else "other" for v in enum})
    return []


def _what_to_enter(schema: dict) -> str:
    """'a date (YYYY-MM-DD)', 'one of: a, b', 'a whole number' for a field's schema."""
    if schema.get("format") == "date":
        return "a date (YYYY-MM-DD)"
    if "enum" in schema:
        return "one of: " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    if schema.get("description") and "pattern" in schema:
        return str(schema["description"])
    kinds = [k for k in _types(schema) if k != "null"]
    return " or ".join(_ENTER.get(k, k) for k in kinds) or "a value"


def _example(schema: dict, choices: Sequence[str]) -> str:
    """A value to show in `add NAME: VALUE`."""
    if choices:
        return str(choices[0])
    if "default" in schema and not isinstance(schema["default"], (dict, list)):
        return str(schema["default"])
    if "enum" in schema:
        return str(schema["enum"][0])
    if "const" in schema:
        return str(schema["const"])
    if schema.get("format") == "date":
        return "YYYY-MM-DD"
    examples = re.findall(r"(?:e\.g\.|such as) \"?([^\s,;)\"]+)", str(schema.get("description", "")))
    if examples:
        return examples[0].rstrip(".")
    kinds = _types(schema)
    return _EXAMPLE.get(kinds[0], "...") if kinds else "..."


def _condition(root: dict, schema_path: Sequence[str | int]) -> str:
    """' because status is 'closed'' when the error came from the `then` of an `if`; '' otherwise."""
    parts = list(schema_path)
    if "then" not in parts:
        return ""
    cut = len(parts) - 1 - parts[::-1].index("then")
    node: Any = root
    for part in parts[:cut]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return ""
    condition = node.get("if") if isinstance(node, dict) else None
    if not isinstance(condition, dict):
        return ""
    said = []
    for name, sub in (condition.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        if "const" in sub:
            said.append(f"{name} is {_shown(sub['const'])}")
        elif "enum" in sub:
            said.append(f"{name} is {' or '.join(_shown(v) for v in sub['enum'])}")
    if not said:
        said = [f"{name} is given" for name in condition.get("required") or ()]
    return f" (required because {' and '.join(said)})" if said else ""


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, str) else str(value)


def _source_number(yaml_text: str, line: int, value: float | int) -> str:
    """The number as written on its line ('7.10'), which YAML reads as 7.1; str(value) when not found."""
    lines = yaml_text.splitlines()
    if yaml_text and 0 < line <= len(lines):
        for token in re.findall(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.])", lines[line - 1]):
            try:
                if float(token) == float(value):
                    return token
            except ValueError:
                continue
    return str(value)


def _plain(err: Any, root: dict, path: list[str | int], yaml_text: str, line: int,
           choices: Mapping[str, Sequence[str]]) -> tuple[str, str] | None:
    """(field, message) in plain words with the fix for the common mistakes; None for the others."""
    name = field_name(path)
    if err.validator == "required":
        missing = re.match(r"'([^']+)' is a required property", err.message)
        if not missing:
            return None
        prop = missing.group(1)
        sub = ((err.schema.get("properties") or {}).get(prop) or {}) if isinstance(err.schema, dict) else {}
        sub = sub if sub else (_at(root, [*path, prop]) or {})
        allowed = list(choices.get(_schema_path_of([*path, prop]), ()))
        fix = f"add `{prop}: {_example(sub, allowed)}`"
        if allowed:
            fix += f" (roles: {', '.join(allowed)})"
        elif sub and sub.get("format") != "date" and _what_to_enter(sub) not in ("a value", "a text"):
            fix += f" ({_what_to_enter(sub)})"
        return field_name([*path, prop]), f"missing{_condition(root, err.relative_schema_path)} — {fix}"
    if err.validator == "type":
        wanted = _types(err.schema) if isinstance(err.schema, dict) else []
        if err.instance is None:
            return name, f"empty — enter {_what_to_enter(err.schema)}"
        if "string" in wanted and isinstance(err.instance, (int, float)) and not isinstance(err.instance, bool):
            written = _source_number(yaml_text, line, err.instance)
            what = "clause numbers" if "clause" in name.lower() else "this value"
            message = f'put {what} in quotes: "{written}"'
            if written != str(err.instance):
                message += f" (without quotes {written} is read as the number {err.instance})"
            return name, message
        if "string" in wanted and isinstance(err.instance, bool):
            return name, f"{_shown(err.instance)} was read as yes/no: put the text in quotes"
        if wanted and isinstance(err.instance, str) and set(wanted) & {"integer", "number"}:
            return name, f"{err.instance!r} is not {_what_to_enter(err.schema)}: enter digits only"
    if err.validator == "minLength" and err.instance == "":
        return name, f"empty — enter {_what_to_enter(err.schema)}"
    return None


def _at(root: dict, path: Sequence[str | int]) -> dict | None:
    """The schema of the field at a data path (list indexes walk into `items`)."""
    node: Any = root
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get("items") if isinstance(part, int) else (node.get("properties") or {}).get(part)
    return node if isinstance(node, dict) else None
