"""Project settings, read from the `extra.qms` section of mkdocs.yml without importing MkDocs."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from qms.problems import Problem, QMSError

DEFAULT_CONTROLLED_DIRS = ("procedures", "docs")
CHANGE_FLAGS = ("no-revision-bump", "no-approval", "unsigned", "direct-change")


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

    errors: tuple[str, ...] = ("no-revision-bump",)
    judge_from: dt.date | None = None
    overdue_review_is_error: bool = False


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
    commit_url: str | None = None
    compare_revisions: int = 10
    policy: Policy = field(default_factory=Policy)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

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


def read_mkdocs_yml(path: Path) -> dict:
    """mkdocs.yml as plain data; a YAML error names the file and the line."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise QMSError(Problem(path.name, mark.line + 1 if mark else 0, f"invalid YAML: {exc.problem}",
                               code="yaml-syntax")) from None
    return data if isinstance(data, dict) else {}


def load_settings(config_file: Path | None = None, mkdocs_config: dict | None = None) -> Settings:
    """Settings for the project whose mkdocs.yml is `config_file` (found from the cwd if None).

    `mkdocs_config` lets the MkDocs adapter pass the config it already parsed.
    """
    config_file = (config_file or find_config(Path.cwd())).resolve()
    raw = mkdocs_config if mkdocs_config is not None else read_mkdocs_yml(config_file)
    root = config_file.parent
    qms = ((raw.get("extra") or {}).get("qms") or {}) if isinstance(raw.get("extra"), dict) else {}

    def folder(key: str, default: str) -> Path:
        return (root / str(qms.get(key, default))).resolve()

    docs_dir = Path(str(raw.get("docs_dir") or "docs"))
    docs_dir = docs_dir if docs_dir.is_absolute() else (root / docs_dir)
    policy_raw = qms.get("policy") or {}
    judge_from = policy_raw.get("judge_from")
    if judge_from is not None and not isinstance(judge_from, dt.date):
        try:
            judge_from = dt.date.fromisoformat(str(judge_from))
        except ValueError:
            raise QMSError(Problem(config_file.name, 0, f"extra.qms.policy.judge_from: {judge_from!r} is not a date "
                                                        "(use YYYY-MM-DD)", code="setting")) from None
    flag_errors = tuple(str(f) for f in (policy_raw.get("errors", Policy.errors) or ()))
    unknown = [f for f in flag_errors if f not in CHANGE_FLAGS]
    if unknown:
        raise QMSError(Problem(config_file.name, 0, f"extra.qms.policy.errors: unknown flag(s) {', '.join(unknown)}; "
                                                    f"use any of: {', '.join(CHANGE_FLAGS)}", code="setting"))
    policy = Policy(
        errors=flag_errors,
        judge_from=judge_from,
        overdue_review_is_error=bool(policy_raw.get("overdue_review_is_error", False)),
    )
    standards = qms.get("standards") or ["iso9001-2015"]
    return Settings(
        root=root,
        config_file=config_file,
        docs_dir=docs_dir.resolve(),
        procedures_dir=folder("procedures_dir", "procedures"),
        records_dir=folder("records_dir", "records"),
        schema_dir=folder("schema_dir", "records_schema"),
        organization_file=folder("organization", "organization.yaml"),
        standards=tuple(str(s) for s in standards),
        vocabulary=str(qms.get("vocabulary", "iso9000-2015")),
        site_name=str(raw.get("site_name") or "Quality Manual"),
        repo_url=(str(raw["repo_url"]).rstrip("/") if raw.get("repo_url") else None),
        commit_url=qms.get("commit_url"),
        compare_revisions=int(qms.get("compare_revisions", 10)),
        policy=policy,
        raw=qms,
    )
