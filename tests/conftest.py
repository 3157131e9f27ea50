"""Shared fixtures: the example manual built once per session, and small real projects in tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every test run gets its own cache folder (history, redlines, record validation), also for subprocesses.
os.environ.setdefault("QMS_CACHE_DIR", tempfile.mkdtemp(prefix="qms-cache-tests-"))
# The engine's "today" for the whole suite, in this process and in every mkdocs/qms it starts: no outcome may
# depend on the machine's calendar (CI also runs the suite under a faked clock years ahead to prove it).
# A test that needs another day says so (QMS_TODAY in its env, --as-of, or an explicit as_of argument).
SUITE_TODAY = "2026-12-02"
os.environ["QMS_TODAY"] = SUITE_TODAY
BIN = Path(sys.executable).parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(args: list[str], cwd: Path, timeout: int = 300, env: dict | None = None) -> Run:
    """Run a command of the virtual environment (mkdocs, qms) or git, capturing its output."""
    exe = str(BIN / args[0]) if (BIN / args[0]).exists() else args[0]
    proc = subprocess.run([exe, *args[1:]], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**ENV, **(env or {})})
    return Run(proc.returncode, proc.stdout, proc.stderr)


def mkdocs_build(project: Path, site: Path | None = None) -> Run:
    """`mkdocs build --strict` (never with -q or -v: both hide warnings from strict mode in MkDocs 1.6.1)."""
    site = site or project / "site"
    return run(["mkdocs", "build", "--strict", "-d", str(site)], cwd=project)


@pytest.fixture(autouse=True)
def default_cli_output():
    """`qms` run in this process (`--quiet`, `--color`) sets the output's state: every test starts without it."""
    from qms.cli import output

    output.configure()
    yield
    output.configure()


@pytest.fixture
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git configuration (signing, log.showSignature, hooks) leaks into a test."""
    from qms.history import revisions as history

    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    history.clear_cache()


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example company's manual, built once with `mkdocs build --strict`."""
    site = tmp_path_factory.mktemp("example") / "site"
    result = mkdocs_build(ROOT, site)
    assert result.returncode == 0, result.output[-5000:]
    return site


@pytest.fixture
def new_project(tmp_path: Path) -> Path:
    """A fresh quality manual made by `qms init`, in an empty git repository, built for a web server.

    (`qms init`'s own defaults, the import commit and the site that opens from disk, are tested with the
    `company` fixture of tests/test_init.py.)"""
    project = tmp_path / "qms-repo"
    result = run(["qms", "init", str(project), "--company", "Testing Widgets Ltd", "--no-offline", "--no-git"],
                 cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert subprocess.run(["git", "init", "-q", str(project)], capture_output=True).returncode == 0
    return project


def page(site: Path, src: str) -> str:
    """HTML of the page built from docs-relative source `src` (either layout: page/index.html or page.html)."""
    stem = src[:-3]
    flat = site / f"{stem}.html"
    if flat.is_file() and not (site / stem / "index.html").is_file():
        return flat.read_text(encoding="utf-8")
    path = site / ("index.html" if stem == "index" else f"{stem}/index.html")
    if stem.endswith("/index"):
        path = site / stem[: -len("index")] / "index.html"
    return path.read_text(encoding="utf-8")


def copy_example(tmp_path: Path) -> Path:
    """A copy of the example company's sources (no git history) to break on purpose."""
    target = tmp_path / "example"
    ignore = shutil.ignore_patterns(".git", ".venv", "site", "tests", "*.egg-info", "__pycache__",
                                    "test-output", "bench-output", "tools")
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


# The browser fixtures (one Chromium for the session), shared by every browser test module.
from browserkit import browser, site_url, tab  # noqa: E402,F401


def strip_starter(root: Path) -> None:
    """A manual from `qms init` without its starter documents and gap assessment, for tests that build a
    quality system of their own from nothing."""
    for starter in (*(root / "docs" / "manual").glob("*.md"), *(root / "procedures").glob("*.md"),
                    root / "gap-assessment.yaml"):
        starter.unlink()
