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

from qms.yamllines import line_of  # the model's files and mkdocs.yml share one lookup

try:  # the C loader ships in PyYAML wheels; the pure one is a fallback
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader  # type: ignore[misc]


class _AliasRefused(yaml.constructor.ConstructorError):
    """The text uses an alias (`*name`, `<<: *name`): never needed in front matter or records, and the way to
    make a few lines expand to gigabytes (the Problem code `yaml-alias`)."""


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that keeps timestamps as strings, refuses aliases and numbers too long to be one."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {len(node.value):,} digits is more than any field may hold: "
                            "quote it if it is meant as text", node.start_mark) from None

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _AliasRefused(None, None, "the value anchored here (&name) is repeated by an alias (*name): YAML "
                                "anchors and aliases are not allowed in the quality system's files; "
                                "write the value out",
                                node.start_mark)
        return super().construct_object(node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
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
            if key_node in self.constructed_objects:  # the same key node met again: an alias
                self.construct_object(key_node)
            key = super().construct_object(key_node)
            del self.constructed_objects[key_node]  # constructed again, once, by construct_mapping
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


_CONFLICT_START = re.compile(r"^<{7}(?: |$)", re.M)
_CONFLICT_END = re.compile(r"^>{7}(?: |$)", re.M)
CONFLICT_FIX = ("an unresolved merge conflict (<<<<<<< ======= >>>>>>>): keep the right text, delete the three "
                "marker lines, then commit")


def conflict_line(text: str) -> int:
    """1-based line of the first merge conflict's `<<<<<<<` marker in `text`, 0 when there is none (a line of
    `=======` alone is a Markdown heading's underline, not a conflict)."""
    start = _CONFLICT_START.search(text)
    if start is None or _CONFLICT_END.search(text, start.end()) is None:
        return 0
    return text.count("\n", 0, start.start()) + 1


def load(text: str, unique_keys: bool = True, first_line: int = 1) -> Any:
    """Parse YAML text into plain Python data (dates as strings).

    Raises YAMLSyntaxProblem with the line and a short reason when the text is not YAML, when it uses an alias
    (`*name`), holds a merge-conflict marker, and, with `unique_keys` (the default), when a mapping names the
    same key twice. Line numbers in messages count from `first_line` (2 for the front matter of a Markdown
    file); `line` stays 1-based within `text`.
    """
    marker = conflict_line(text) if "<<<<<<<" in text else 0
    if marker:
        raise YAMLSyntaxProblem(marker, CONFLICT_FIX, "conflict-marker")
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
        code = ("duplicate-key" if isinstance(exc, _DuplicateKey) else
                "yaml-alias" if isinstance(exc, _AliasRefused) else "yaml-syntax")
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

    Only the lines holding a changed value differ; a new key is appended to its mapping. A BOM and CRLF line
    endings are kept. Raises YAMLSyntaxProblem (code `round-trip`) instead of rewriting anything else: for
    text that does not parse, names a key twice, uses anchors or aliases, mixes line endings, or whose other
    lines the YAML writer would change (flow style, escapes).
    """
    changes = list(changes)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    crlf = "\r\n" in body
    plain = body.replace("\r\n", "\n") if crlf else body
    if "\r" in plain or (crlf and plain.count("\n") != body.count("\r\n")):
        raise YAMLSyntaxProblem(0, "not changed: the file mixes line endings (CRLF and LF or CR): give it one kind "
                                   "first", "round-trip")
    load(plain)  # the reader's own verdict first: syntax, duplicate keys, aliases (YAMLSyntaxProblem)
    if _ANCHOR.search(plain) and _has_anchor(plain):
        raise YAMLSyntaxProblem(0, "not changed: the file uses a YAML anchor (&name): write the value out first",
                                "round-trip")
    rt = round_trip()
    data = rt.load(plain)
    touched: set[int] = set()
    for path, value in changes:
        node = data
        for key in path[:-1]:
            node = node[key]
        if path[-1] in node:
            touched |= _value_lines(plain, list(path))
        node[path[-1]] = value
    dumped = dump_round_trip(data, plain)
    result = _keep_untouched_lines(plain, dumped, touched)
    changed = _changed_original_lines(plain, result)
    if changed - touched:
        line = min(changed - touched) + 1
        raise YAMLSyntaxProblem(line, "not changed: writing the new value would also rewrite this line (the YAML "
                                      "writer does not keep its flow style or escapes): edit the file by hand",
                                "round-trip")
    if crlf:
        result = result.replace("\n", "\r\n")
    return bom + result


_ANCHOR = re.compile(r"&[^\s]")


def _has_anchor(text: str) -> bool:
    """True when the YAML text defines an anchor (`&name`), by its tokens (an `&` inside a string is no anchor)."""
    try:
        return any(isinstance(token, yaml.AnchorToken) for token in yaml.scan(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return False


def _value_lines(text: str, path: list) -> set[int]:
    """0-based lines of the value at `path`: its key's line and the more indented lines after it."""
    first = line_of(text, path) - 1
    lines = text.splitlines()
    if not 0 <= first < len(lines):
        return set()
    indent = len(lines[first]) - len(lines[first].lstrip(" -"))
    span = {first}
    for number in range(first + 1, len(lines)):
        line = lines[number]
        if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
            break
        span.add(number)
    return span


def _changed_original_lines(original: str, result: str) -> set[int]:
    """0-based lines of `original` that `result` replaces or deletes."""
    import difflib

    a, b = original.splitlines(), result.splitlines()
    changed: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            changed.update(range(i1, i2))
    return changed


def _keep_untouched_lines(original: str, dumped: str, touched: frozenset[int] | set[int] = frozenset()) -> str:
    """Where ruamel re-formatted a line it did not need to change, put the original back (a line not among the
    0-based `touched` lines holds the same value it held: an escape or quoting the writer would change)."""
    import difflib

    a = original.splitlines(keepends=True)
    b = dumped.splitlines(keepends=True)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(a[i1:i2])
        elif tag == "replace" and (i2 - i1) == (j2 - j1):
            for number, (old, new) in enumerate(zip(a[i1:i2], b[j1:j2]), start=i1):
                out.append(old if _same_yaml_line(old, new) or number not in touched else new)
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


def read_yaml_text(path: Path) -> str:
    """Read a UTF-8 YAML file; YAMLSyntaxProblem (code `not-utf8`) when it is not text or cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YAMLSyntaxProblem(0, f"not UTF-8 text ({exc.reason} at byte {exc.start}): save the file as UTF-8",
                                "not-utf8") from None
    except OSError as exc:
        raise YAMLSyntaxProblem(0, f"cannot be read: {exc.strerror or exc}", "not-utf8") from None
    if "\x00" in text:
        raise YAMLSyntaxProblem(0, "is binary (it holds NUL bytes), not YAML text", "not-utf8")
    return text
