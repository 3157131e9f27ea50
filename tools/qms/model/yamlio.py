"""YAML reading (fast, with line numbers on demand) and round-trip writing.

Reading uses PyYAML's C loader: it is fast enough to parse every front matter and record of a
large quality system on each build. Dates stay strings, so the JSON Schema `format: date`
check decides whether they are real dates. Line numbers for error messages come from
ruamel.yaml, which is only asked when something is wrong. Anything that writes YAML back
uses ruamel.yaml round-trip, so comments, key order, quoting and untouched lines survive.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml
from ruamel.yaml import YAML

from qms.yamllines import line_of  # noqa: F401 - the model's files and mkdocs.yml share one lookup

try:  # the C loader ships in PyYAML wheels; the pure one is a fallback
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader  # type: ignore[misc]


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that keeps timestamps as strings."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in _BaseLoader.yaml_implicit_resolvers.copy().items()
}


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping names a key twice (the Problem code `duplicate-key`)."""


class _UniqueKeyLoader(_Loader):
    """The same loader, refusing a mapping that names a key twice (PyYAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first: dict[object, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first:
                raise _DuplicateKey(
                    None, None, f"'{key}' is given twice (first on line {first[key]}): keep only one",
                    key_node.start_mark)
            first[key] = line
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class YAMLSyntaxProblem(Exception):
    """A YAML text that does not parse; `line` is 1-based within that text."""

    line: int
    message: str
    code: str = "yaml-syntax"  # the Problem code it becomes

    def __str__(self) -> str:
        return self.message


def load(text: str, unique_keys: bool = False, first_line: int = 1) -> Any:
    """Parse YAML text into plain Python data (dates as strings).

    Raises YAMLSyntaxProblem with the line and a short reason when the text is not YAML, and, with
    `unique_keys`, when a mapping names the same key twice. Line numbers in messages count from
    `first_line` (2 for the front matter of a Markdown file); `line` stays 1-based within `text`.
    """
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader if unique_keys else _Loader)  # noqa: S506 - safe loaders
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        tab = _tab_line(text, line)
        if tab:
            raise YAMLSyntaxProblem(tab, f"line {tab + first_line - 1} starts with a tab: indent with spaces (YAML does not allow "
                                         "tabs for indentation)") from None
        reason = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            reason = f"{exc.context}, {exc.problem}"
        code = "duplicate-key" if isinstance(exc, _DuplicateKey) else "yaml-syntax"
        raise YAMLSyntaxProblem(line, f"invalid YAML: {reason}{_hint(reason)}", code) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxProblem(0, f"invalid YAML: {exc}") from None


def _tab_line(text: str, error_line: int) -> int:
    """The 1-based line, at or before the error, that is indented with a tab; 0 when none is."""
    for number, raw in enumerate(text.splitlines()[:max(error_line, 1)], start=1):
        indent = raw[:len(raw) - len(raw.lstrip(" \t"))]
        if "\t" in indent and raw.strip():
            return number
    return 0


def _hint(reason: str) -> str:
    """The fix for YAML's commonest syntax messages."""
    if "mapping values are not allowed" in reason:
        return ": a value holding ': ' needs quotes, e.g. note: \"Ra: 0.8\""
    if "found unexpected end of stream" in reason or "found unexpected ':'" in reason:
        return ": close the quote or bracket opened on this line"
    if "found character '`'" in reason or "found character '@'" in reason:
        return ": put the value in quotes"
    return ""


def decode_error_line(raw: bytes, exc: UnicodeDecodeError) -> int:
    """The 1-based line holding the byte that is not UTF-8."""
    return raw[:exc.start].count(b"\n") + 1


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


@dataclass(frozen=True)
class FrontMatter:
    """The YAML header of a Markdown file and the body after it."""

    yaml_text: str | None
    body: str
    body_line: int  # 1-based line number of the first body line

    @property
    def present(self) -> bool:
        return self.yaml_text is not None


def split_front_matter(text: str) -> FrontMatter:
    """Split a Markdown text into its front matter (between `---` lines) and body."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return FrontMatter(None, text, 1)
    yaml_text = match.group(1) or ""
    body_line = text.count("\n", 0, match.end()) + 1
    return FrontMatter(yaml_text, text[match.end():], body_line)


def round_trip() -> YAML:
    """A ruamel.yaml instance that writes back what it read, changing only what was changed."""
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def _detect_indent(text: str) -> tuple[int, int, int]:
    """Guess (mapping, sequence, offset) indentation from existing YAML so dumping keeps it."""
    seq = re.search(r"^( *)\S.*:\s*\n( *)- ", text, re.M)
    if seq:
        parent, dash = len(seq.group(1)), len(seq.group(2))
        offset = dash - parent
        return 2, offset + 2, offset
    return 2, 2, 0


def dump_round_trip(data: Any, original_text: str = "") -> str:
    """Dump round-trip data to text, keeping the sequence indentation style of `original_text`."""
    rt = round_trip()
    mapping, sequence, offset = _detect_indent(original_text)
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


def set_values(text: str, changes: Iterable[tuple[Sequence[str | int], Any]]) -> str:
    """Return YAML `text` with each (path, value) set, every other line left byte-for-byte.

    Only the lines holding a changed value differ; a new key is appended to its mapping.
    """
    rt = round_trip()
    data = rt.load(text)
    for path, value in changes:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    dumped = dump_round_trip(data, text)
    return _keep_untouched_lines(text, dumped)


def _keep_untouched_lines(original: str, dumped: str) -> str:
    """Where ruamel re-formatted a line it did not need to change, put the original back."""
    import difflib

    a = original.splitlines(keepends=True)
    b = dumped.splitlines(keepends=True)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(a[i1:i2])
        elif tag == "replace" and (i2 - i1) == (j2 - j1):
            for old, new in zip(a[i1:i2], b[j1:j2]):
                out.append(old if _same_yaml_line(old, new) else new)
        else:
            out.extend(b[j1:j2])
    result = "".join(out)
    if original.endswith("\n") is False and result.endswith("\n"):
        result = result[:-1]
    return result


def _same_yaml_line(old: str, new: str) -> bool:
    """True when two lines differ only in trailing whitespace (layout, not content)."""
    return old.rstrip() == new.rstrip()


def set_front_matter_values(markdown: str, changes: Iterable[tuple[Sequence[str | int], Any]]) -> str:
    """Return a Markdown text with front matter values changed and everything else untouched."""
    fm = split_front_matter(markdown)
    if fm.yaml_text is None:
        raise ValueError("the file has no YAML front matter between '---' lines")
    match = _FRONT_MATTER.match(markdown)
    assert match is not None
    start = markdown.index("\n") + 1
    new_yaml = set_values(fm.yaml_text, changes)
    if not new_yaml.endswith("\n"):
        new_yaml += "\n"
    end_of_yaml = start + len(fm.yaml_text)
    return markdown[:start] + new_yaml + markdown[end_of_yaml:]


def read_text(path: Path) -> str:
    """Read a UTF-8 text file (a BOM is dropped)."""
    return path.read_text(encoding="utf-8-sig")
