"""A small quality manual in a real git repository, for tests of change control: commits with fixed dates,
authors by name, merges and squashes as the platforms make them, and `qms` run in this process."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT
from qms.cli import app as cli


class GitManual:
    """The N-th commit or merge is dated 2024-01-N; an author "Bob Builder" commits as bob@example.com."""

    def __init__(self, path: Path, mkdocs_yml: str, organization_yaml: str):
        self.path = path
        self.day = 0
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Alice Author")
        self.git("config", "user.email", "alice@example.com")
        self.git("config", "commit.gpgsign", "false")
        self.write("mkdocs.yml", mkdocs_yml)
        self.write("organization.yaml", organization_yaml)
        (path / "records_schema").mkdir()
        shutil.copy(ROOT / "records_schema" / "document.schema.yaml", path / "records_schema")
        self.write("docs/index.md", "# Home\n")

    def git(self, *args: str, author: str | None = None) -> str:
        self.day += args[0] in ("commit", "merge")
        when = f"2024-01-{self.day:02d}T10:00:00+00:00"
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        if author:
            email = f"{author.split()[0].lower()}@example.com"
            env.update(GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL=email,
                       GIT_COMMITTER_NAME=author, GIT_COMMITTER_EMAIL=email)
        return subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, check=True,
                              text=True).stdout.strip()

    def write(self, rel: str, text: str) -> None:
        (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.path / rel).write_text(text, encoding="utf-8")

    def commit(self, message: str, *extra: str, author: str | None = None) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, *extra, author=author)
        return self.git("rev-parse", "HEAD")

    def merge(self, branch: str, message: str, author: str = "Dan Director") -> str:
        self.git("merge", "-q", "--no-ff", branch, "-m", message, author=author)
        return self.git("rev-parse", "HEAD")

    def squash(self, branch: str, message: str, author: str = "Dan Director") -> str:
        self.git("merge", "-q", "--squash", branch)
        return self.commit(message, author=author)

    def qms(self, *args: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
        code = cli.main(["-f", str(self.path / "mkdocs.yml"), *args])
        out, err = capsys.readouterr()
        return code, out, err
