"""JSON Schema (2020-12, written in YAML) validation that reports `path:line: field: message`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

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


def validate(schema: Schema, instance: Any, yaml_text: str, display_path: str, line_offset: int = 0) -> list[Problem]:
    """Every way `instance` breaks `schema`, each as a Problem at the line of the offending field.

    `yaml_text` is the YAML the instance was read from; `line_offset` is added to its line numbers
    (the front matter of a Markdown file starts on line 2).
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
