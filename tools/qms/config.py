"""Project settings: the qms plugin's options in mkdocs.yml, validated by one JSON Schema, without importing MkDocs.

The MkDocs (or ProperDocs) plugin passes the options it was given; the qms command reads mkdocs.yml itself. Both
go through `settings_from`, so a bad value gets the same `mkdocs.yml:LINE: message` under `mkdocs build`,
`mkdocs serve` and `qms check`. A manual still wired the old way (a hooks file, settings under `extra.qms`) gets
one message that says what to change (`old_wiring`); `qms upgrade` makes the change.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from qms import package
from qms.problems import Problem, QMSError
from qms.yamllines import line_of

DEFAULT_CONTROLLED_DIRS = ("procedures", "docs")
# The target branch of the pull request being built (e.g. origin/main), set by the pipelines: the branch's commits
# are judged as one proposed change from the merge base, as `qms check --base` does.
BASE_ENV = "QMS_BASE"
PLUGIN = "qms"  # the plugin's name in mkdocs.yml (its entry point)
OPTIONS_SCHEMA = package.SCHEMAS / "options.schema.yaml"


class _TolerantLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, which may hold tags such as !!python/name: or !ENV, as plain data."""


def _any_tag(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("!", _any_tag)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


@dataclass(frozen=True)
class Policy:
    """Which change-control flags are errors, and from when history is judged."""

    errors: tuple[str, ...] = ("no-revision-bump", "self-approval", "revision-not-increased")
    ignore: tuple[str, ...] = ()  # flags the company does not use: never reported, shown as "not judged"
    judge_from: dt.date | None = None
    overdue_review_is_error: bool = False
    confidentiality_approvers: tuple[str, ...] = ("owner", "quality-manager")  # roles; 'owner': the type's owner
    # Who may approve: (document type, roles) pairs, 'owner' meaning the document's owner role, 'default'
    # for the types not listed; the types that need two approvers; whether a trailer's claim counts; and
    # the platform identities whose well-signed squash commits count as pull requests.
    approvers: tuple[tuple[str, tuple[str, ...]], ...] = (("default", ("owner", "quality-manager")),)
    two_approvals: tuple[str, ...] = ()
    claims_count: bool = False
    squash_committers: tuple[str, ...] = ()
    overdue_records_is_error: bool = False  # calibrations, corrective actions, training, audits, management review
    unfinished_text_is_error: bool = False


@dataclass(frozen=True)
class Settings:
    """Where things are and which catalogues apply; all paths are absolute."""

    root: Path
    config_file: Path
    docs_dir: Path
    procedures_dir: Path
    records_dir: Path
    schema_dir: Path
    organization_file: Path
    standards: tuple[str, ...] = ("iso9001-2015",)
    vocabulary: str = "iso9000-2015"
    site_name: str = "Quality Manual"
    repo_url: str | None = None
    edit_uri: str | None = None  # MkDocs' edit_uri (e.g. edit/main/docs/): its branch is the edit links' default
    commit_url: str | None = None
    compare_revisions: int = 10
    revision_scheme: str = "auto"  # see qms.history.revisions.REVISION_SCHEMES
    locale: str = "en_GB"
    currency: str | None = None
    date_format: str = "iso"
    edit_branch: str | None = None
    policy: Policy = field(default_factory=Policy)
    unfinished_rules: Path | None = None  # the company's patterns of unfinished text, else the engine's
    raw: dict = field(default_factory=dict, compare=False, repr=False)  # the plugin's options as written

    @property
    def catalogue_dirs(self) -> tuple[Path, ...]:
        return (self.root / "catalogues",)

    @cached_property
    def _root_prefix(self) -> str:
        return str(self.root.resolve()) + os.sep

    def rel(self, path: Path) -> str:
        """A path as shown to users: relative to the project root, with forward slashes."""
        text = str(path)
        if text.startswith(self._root_prefix):  # the common case: no filesystem calls
            return text[len(self._root_prefix):].replace(os.sep, "/")
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def base_from_environment() -> str | None:
    """The pull request's target branch the pipeline names in QMS_BASE, or None (not a pull request build)."""
    return os.environ.get(BASE_ENV, "").strip() or None


def find_config(start: Path) -> Path:
    """mkdocs.yml in `start` or its nearest parent."""
    start = start.resolve()
    for folder in (start, *start.parents):
        for name in ("mkdocs.yml", "mkdocs.yaml"):
            if (folder / name).is_file():
                return folder / name
    raise QMSError(Problem(str(start), 0, "no mkdocs.yml here or in a parent folder: run this inside a "
                                          "quality-manual repository, or create one with 'qms init DIR'",
                           code="no-config"))


def parse_mkdocs_yml(text: str, name: str) -> dict:
    """mkdocs.yml's text as plain data; a YAML error names the file and the line."""
    try:
        data = yaml.load(text, Loader=_TolerantLoader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise QMSError(Problem(name, mark.line + 1 if mark else 0, f"invalid YAML: {exc.problem}",
                               code="yaml-syntax")) from None
    return data if isinstance(data, dict) else {}


def read_mkdocs_yml(path: Path) -> dict:
    """mkdocs.yml as plain data; a YAML error names the file and the line."""
    return parse_mkdocs_yml(path.read_text(encoding="utf-8"), path.name)


# ----------------------------------------------------------------------------------------------
# The plugin's options


def plugin_entry(raw: dict, name: str = PLUGIN) -> tuple[list[str | int], dict] | None:
    """Where plugin `name` is listed in mkdocs.yml (a path for line lookups) and its options; None when the
    file does not list it. MkDocs accepts `plugins:` as a list (`- qms`, `- qms: {...}`) or as a mapping."""
    plugins = raw.get("plugins")
    if isinstance(plugins, dict):
        if name in plugins:
            return ["plugins", name], dict(plugins[name] or {})
    elif isinstance(plugins, list):
        for index, item in enumerate(plugins):
            if item == name:
                return ["plugins", index], {}
            if isinstance(item, dict) and name in item:
                return ["plugins", index, name], dict(item[name] or {})
    return None


@functools.cache
def options_schema() -> dict:
    """The one JSON Schema of the plugin's options (schemas/options.schema.yaml)."""
    return yaml.safe_load(OPTIONS_SCHEMA.read_text(encoding="utf-8"))


def _plain(value: Any) -> Any:
    """YAML data as JSON data: dates (YAML reads 2026-11-27 as one) become their ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _reason(error: ValidationError) -> str:
    """What is wrong with a value, in words (jsonschema's own messages are for programmers)."""
    value, kind = error.instance, error.validator
    shown = repr(value) if isinstance(value, (str, int, float, bool)) or value is None else "this value"
    if kind == "type":
        wanted = {"integer": "a whole number", "boolean": "true or false", "array": "a list", "string": "a text",
                  "object": "a set of options (name: value lines)"}.get(str(error.validator_value), "valid")
        return f"{shown} is not {wanted}"
    if kind == "format":
        return f"{shown} is not a date"
    if kind == "enum":
        return f"{shown} is unknown"
    if kind == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(value) - set(known)) if isinstance(value, dict) else []
        return f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} (known: {', '.join(known)})"
    if kind == "minimum":
        return f"{shown} is below {error.validator_value}"
    if kind in ("minItems", "minLength"):
        return "is empty"
    if kind == "uniqueItems":
        return "names the same item twice"
    if kind == "pattern":
        return f"{shown} {error.schema.get('x-reason', 'is not accepted here')}"
    return error.message


def _fix(error: ValidationError) -> str:
    """The fix the schema suggests for the option in error (`x-fix`), else for the schema that failed."""
    node: dict = options_schema()
    fix = ""
    for part in error.absolute_path:
        node = node.get("properties", {}).get(part, {}) if isinstance(part, str) else node.get("items", {})
        fix = node.get("x-fix", fix)
    return fix or error.schema.get("x-fix", "")


def _where(config_file: Path) -> tuple[str, list[str | int]]:
    """mkdocs.yml's text and the path of the plugin's options in it, for line lookups."""
    try:
        text = config_file.read_text(encoding="utf-8")
        entry = plugin_entry(parse_mkdocs_yml(text, config_file.name))
    except (OSError, QMSError):
        return "", []
    return text, (entry[0] if entry else [])


def option_line(config_file: Path, path: list[str | int]) -> int:
    """The line of the plugin's option at `path` (e.g. ['allow_html']) in mkdocs.yml; 0 when it is not written."""
    text, entry = _where(config_file)
    return line_of(text, [*entry, *path]) if text and entry else 0


def option_problems(config_file: Path, options: dict) -> list[Problem]:
    """Every way the plugin's `options` break the schema, as `mkdocs.yml:LINE: qms option NAME: ...`."""
    validator = Draft202012Validator(options_schema(), format_checker=FormatChecker())
    found = list(validator.iter_errors(_plain(options)))
    if not found:
        policy = _plain(options).get("policy") or {}
        both = [flag for flag in policy.get("ignore") or () if flag in (policy.get("errors") or ())]
        if not both:
            return []
        text, entry = _where(config_file)
        line = line_of(text, [*entry, "policy", "ignore"]) if text and entry else 0
        return [Problem(config_file.name, line, f"qms option policy.ignore: {', '.join(both)} is also listed under "
                                               "policy.errors: a flag is either an error or not judged; remove it from "
                                               "one of the two lists", code="setting")]
    text, entry = _where(config_file)
    problems = []
    for error in found:
        path = list(error.absolute_path)
        name = ".".join(str(p) for p in path if isinstance(p, str))
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):  # the line of the name
            path += sorted(k for k in error.instance if k not in error.schema.get("properties", {}))[:1]
        line = line_of(text, [*entry, *path]) if text and entry else 0
        fix = _fix(error)
        problems.append(Problem(config_file.name, line, (f"qms option {name}: " if name else "qms options: ")
                                + _reason(error) + (f": {fix}" if fix else ""), code="setting"))
    return sorted(problems)


def settings_from(config_file: Path, options: dict, *, docs_dir: str | Path | None = None,
                  site_name: str | None = None, repo_url: str | None = None,
                  edit_uri: str | None = None) -> Settings:
    """Settings from the plugin's options and the three MkDocs settings the engine reads.

    Raises QMSError with one problem per option that breaks the schema (file, line, what to write instead).
    """
    given_root = Path(os.path.abspath(config_file)).parent
    config_file = config_file.resolve()
    problems = option_problems(config_file, options)
    if problems:
        raise QMSError(problems)
    root = config_file.parent
    schema = options_schema()["properties"]
    qms = _plain(options)

    def value(key: str) -> Any:
        return qms.get(key, schema[key].get("default"))

    def inside(key: str) -> Path:  # not resolved: a symlink stays visible, and is refused (qms.files)
        return Path(os.path.normpath(root / str(value(key))))

    policy_raw = qms.get("policy") or {}
    policy_schema = schema["policy"]["properties"]
    judge_from = policy_raw.get("judge_from")
    docs = Path(os.path.abspath(given_root / str(docs_dir or "docs")))
    if docs.is_relative_to(given_root):
        docs = root / docs.relative_to(given_root)
    return Settings(
        root=root,
        config_file=config_file,
        docs_dir=docs,
        procedures_dir=inside("procedures_dir"),
        records_dir=inside("records_dir"),
        schema_dir=inside("schema_dir"),
        organization_file=inside("organization"),
        standards=tuple(value("standards")),
        vocabulary=str(value("vocabulary")),
        site_name=str(site_name or "Quality Manual"),
        repo_url=str(repo_url).rstrip("/") if repo_url else None,
        edit_uri=str(edit_uri) if edit_uri else None,
        commit_url=qms.get("commit_url"),
        compare_revisions=int(value("compare_revisions")),
        revision_scheme=str(value("revision_scheme")),
        locale=str(value("locale")),
        currency=qms.get("currency"),
        date_format=str(value("date_format")),
        edit_branch=qms.get("edit_branch"),
        policy=Policy(
            # A flag the company ignores is not an error even where the default lists it (self-approval).
            errors=tuple(flag for flag in policy_raw.get("errors", policy_schema["errors"]["default"])
                         if flag not in (policy_raw.get("ignore") or ())),
            ignore=tuple(policy_raw.get("ignore") or ()),
            judge_from=dt.date.fromisoformat(judge_from) if judge_from else None,
            overdue_review_is_error=bool(policy_raw.get("overdue_review_is_error", False)),
            confidentiality_approvers=tuple(policy_raw.get("confidentiality_approvers",
                                                           policy_schema["confidentiality_approvers"]["default"])),
            approvers=tuple((str(kind), tuple(str(r) for r in roles)) for kind, roles in
                            (policy_raw.get("approvers") or policy_schema["approvers"]["default"]).items()),
            two_approvals=tuple(policy_raw.get("two_approvals", ())),
            claims_count=bool(policy_raw.get("claims_count", False)),
            squash_committers=tuple(policy_raw.get("squash_committers", ())),
            overdue_records_is_error=bool(policy_raw.get("overdue_records_is_error", False)),
            unfinished_text_is_error=bool(policy_raw.get("unfinished_text_is_error", False)),
        ),
        unfinished_rules=inside("unfinished_text") if qms.get("unfinished_text") else None,
        raw=dict(options),
    )


def load_settings(config_file: Path | None = None) -> Settings:
    """Settings for the project whose mkdocs.yml is `config_file` (found from the cwd if None), read without MkDocs.

    A mkdocs.yml that lists no qms plugin gets the defaults; one still wired the old way gets the one message
    of `old_wiring` (as a QMSError).
    """
    config_file = (config_file or find_config(Path.cwd())).resolve()
    text = config_file.read_text(encoding="utf-8")
    raw = parse_mkdocs_yml(text, config_file.name)
    problem = old_wiring(config_file, raw, text).problem()
    if problem is not None:
        raise QMSError(problem)
    entry = plugin_entry(raw)
    options = {k: v for k, v in (entry[1] if entry else {}).items() if k != "enabled"}  # MkDocs' own option
    return settings_from(config_file, options, docs_dir=raw.get("docs_dir"), site_name=raw.get("site_name"),
                         repo_url=raw.get("repo_url"), edit_uri=raw.get("edit_uri"))


# ----------------------------------------------------------------------------------------------
# Manuals wired the old way: a hooks file, settings under extra.qms, macros.py importing the engine

_IMPORTS_ADAPTERS = re.compile(r"^\s*(?:from|import)\s+qms\.adapters\b", re.M)
_IMPORTS_MACROS = re.compile(r"^\s*from\s+qms\.adapters\.macros\s+import\b.*$\n?", re.M)


def _imports_engine_hooks(path: Path) -> bool:
    try:
        return bool(_IMPORTS_ADAPTERS.search(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return False


def macros_module(root: Path, raw: dict) -> Path | None:
    """The mkdocs-macros module file of the project (`module_name`, default main), if it exists."""
    entry = plugin_entry(raw, "macros")
    name = str((entry[1] if entry else {}).get("module_name") or "main")
    for path in (root / f"{name}.py", root / name / "__init__.py"):
        if path.is_file():
            return path
    return None


@dataclass(frozen=True)
class OldWiring:
    """What a mkdocs.yml still has of the wiring before qms was a plugin (nothing, in an up-to-date manual)."""

    config_file: Path
    text: str  # mkdocs.yml's text, for the line of the message
    hooks: tuple[tuple[int, str], ...]  # (position under hooks:, path) of each hooks file that imports the engine
    settings_in_extra: bool  # settings under extra.qms
    has_plugin: bool
    macros_import: Path | None  # the mkdocs-macros module, when it imports the engine's macros

    @property
    def line(self) -> int:
        """The line a person should look at first: the hooks entry, else extra.qms, else plugins:."""
        for path, present in ((["hooks", self.hooks[0][0]] if self.hooks else [], bool(self.hooks)),
                              (["extra", PLUGIN], self.settings_in_extra), (["plugins"], True)):
            if present:
                return line_of(self.text, path)
        return 0

    def steps(self) -> list[str]:
        """What to change, in the order a person would do it."""
        steps = []
        if not self.has_plugin:
            steps.append("add `- qms` under plugins:, before `- macros`" + (
                ", with the settings now under extra.qms as its options (`- qms:` followed by the same keys, "
                "indented)" if self.settings_in_extra else ""))
        elif self.settings_in_extra:
            steps.append("move the settings under extra.qms into the qms plugin's options (`- qms:` under plugins:)")
        if self.settings_in_extra:
            steps.append("delete `qms:` and its settings under extra:")
        for _, path in self.hooks:
            copied = not path.replace("\\", "/").endswith("qms/adapters/hooks.py")
            steps.append(f"delete `- {path}` under hooks:" + (f" and the file {path}" if copied else ""))
        if self.macros_import is not None:
            steps.append(f"delete the line `from qms.adapters.macros import ...` from {self.macros_import.name} "
                         "(the plugin registers term, clause, doc and record_type itself; keep the file for macros "
                         "of your own)")
        return steps

    def problem(self) -> Problem | None:
        """The one message for a manual wired the old way; None when only the harmless macros import is left."""
        if not (self.hooks or self.settings_in_extra):
            return None
        what = " and ".join(x for x in ("a hooks file" if self.hooks else "",
                                        "settings under extra.qms" if self.settings_in_extra else "") if x)
        steps = "; ".join(f"({n}) {step}" for n, step in enumerate(self.steps(), 1))
        return Problem(self.config_file.name, self.line,
                       f"this manual is wired to the qms engine the old way ({what}); qms is now a MkDocs plugin. "
                       f"Run `qms upgrade` to make the change, or by hand: {steps}", code="old-wiring")


def old_wiring(config_file: Path, raw: dict | None = None, text: str | None = None) -> OldWiring:
    """What of the old wiring mkdocs.yml (`config_file`; `raw`/`text` when already read) still has."""
    text = config_file.read_text(encoding="utf-8") if text is None else text
    raw = parse_mkdocs_yml(text, config_file.name) if raw is None else raw
    root = config_file.parent
    hooks = raw.get("hooks") if isinstance(raw.get("hooks"), list) else []
    engine_hooks = tuple((i, str(h)) for i, h in enumerate(hooks)
                         if str(h).replace("\\", "/").endswith(("qms_hooks.py", "qms/adapters/hooks.py"))
                         or _imports_engine_hooks(root / str(h)))
    extra = raw.get("extra") if isinstance(raw.get("extra"), dict) else {}
    module = macros_module(root, raw)
    imports = module is not None and bool(_IMPORTS_MACROS.search(module.read_text(encoding="utf-8")))
    return OldWiring(config_file=config_file, text=text, hooks=engine_hooks, settings_in_extra=PLUGIN in extra,
                     has_plugin=plugin_entry(raw) is not None, macros_import=module if imports else None)
