"""Pipelines for a company's repository: GitHub Actions, GitLab CI and pre-commit, made by `qms init` and kept here.

On a pull request they fetch the full history, run `qms check --base` against the target branch, build strictly
and post or attach the `qms diff` summary; on the main branch they build the site and the PDF and publish them.
The files are validated against the schemas GitHub and GitLab publish (vendored in check-jsonschema), their
shell steps with `bash -n`, their qms command lines with qms's own argument parser, and the pre-commit hook by
running it on a real commit.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import BIN, ROOT, run

GITHUB = ".github/workflows/manual.yml"
GITLAB = ".gitlab-ci.yml"
PRE_COMMIT = ".pre-commit-config.yaml"
TEMPLATE = ROOT / "tools/qms/templates/init"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONTEXTS = {"github", "env", "steps", "secrets", "vars", "job", "runner", "matrix", "needs", "inputs"}
FUNCTIONS = {"hashFiles", "cancelled", "success", "failure", "always", "contains", "startsWith", "format"}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120)


def github_steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def runs(steps: list[dict]) -> str:
    return "\n".join(step.get("run", "") for step in steps)


def shell_lines(script: str) -> list[str]:
    """The logical lines of a shell script (continuations joined)."""
    return [line.strip() for line in script.replace("\\\n", " ").splitlines() if line.strip()]


def qms_command_lines(script: str) -> list[list[str]]:
    """Each `qms …` command of a script, as arguments, with shell variables and GitHub expressions filled in."""
    commands = []
    for line in shell_lines(script):
        line = EXPRESSION.sub("origin/main", line)
        line = re.sub(r"\$\{?[A-Z_][A-Z0-9_]*\}?", "origin/main", line)
        for part in re.split(r"\s*(?:&&|\|\||;|\|)\s*", line):
            if not part.startswith("qms "):
                continue
            words = shlex.split(part)
            if words and words[0] == "qms":
                commands.append(words[1:])
    return commands


def assert_qms_commands_parse(script: str) -> int:
    from qms.cli.app import build_parser

    commands = qms_command_lines(script)
    for args in commands:
        try:
            parsed = build_parser().parse_args(args)
        except SystemExit:
            pytest.fail(f"qms does not accept: qms {' '.join(args)}")
        assert getattr(parsed, "func", None), args
    return len(commands)


# --- the files, here and in what `qms init` creates ---------------------------------------------------------

@pytest.mark.parametrize("where", ["repository", "template"])
def test_github_workflow_is_valid(where: str):
    path = (ROOT if where == "repository" else TEMPLATE) / GITHUB
    result = check_jsonschema("vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr
    for expression in EXPRESSION.findall(path.read_text()):
        code = re.sub(r"'[^']*'", "''", expression)  # string literals hold no names
        names = set(re.findall(r"(?<![\w.])([A-Za-z_][\w-]*)(?=\s*[.(])", code))
        assert names <= CONTEXTS | FUNCTIONS, f"unknown context or function in ${{{{ {expression} }}}}"


@pytest.mark.parametrize("where", ["repository", "template"])
def test_gitlab_ci_file_is_valid(where: str):
    path = (ROOT if where == "repository" else TEMPLATE) / GITLAB
    result = check_jsonschema("vendor.gitlab-ci", path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("where", ["repository", "template"])
def test_pre_commit_configuration_is_valid(where: str):
    path = (ROOT if where == "repository" else TEMPLATE) / PRE_COMMIT
    result = run(["pre-commit", "validate-config", str(path)], cwd=ROOT)
    assert result.returncode == 0, result.output
    if where == "repository":
        result = run(["pre-commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], cwd=ROOT)
        assert result.returncode == 0, result.output


def test_pipeline_files_of_a_new_company_are_those_of_this_repository():
    for rel in (GITHUB, GITLAB, PRE_COMMIT):
        assert (ROOT / rel).read_text() == (TEMPLATE / rel).read_text(), rel
    assert "qms" not in [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]


def test_qms_init_creates_the_pipelines_with_github_expressions_intact(new_project: Path):
    for rel in (GITHUB, GITLAB, PRE_COMMIT):
        assert (new_project / rel).read_text() == (TEMPLATE / rel).read_text(), rel
    text = (new_project / GITHUB).read_text()
    assert "origin/${{ github.base_ref }}" in text
    result = check_jsonschema("vendor.github-workflows", new_project / GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr


# --- what the pipelines do --------------------------------------------------------------------------------------

FROM_TARGET = "for path in mkdocs.yml macros.py main.py records_schema; do"


def test_github_pull_request_job_builds_with_the_target_branch_engine_and_config_and_holds_no_write_token():
    workflow = load(ROOT / GITHUB)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and "push" in triggers and not (triggers["push"] or {}).get("branches")
    job = workflow["jobs"]["check"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["permissions"] == {"contents": "read"}  # nothing that can write while the pull request is built
    assert job["env"]["BASE"] == "origin/${{ github.base_ref }}"
    steps = job["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0 and checkout["with"]["persist-credentials"] is False
    script = runs(steps)
    assert "GH_TOKEN" not in str(job) and "secrets." not in str(job)
    install = script.index('git worktree add --detach "$BASE_TREE" "$BASE"')
    assert install < script.index("python -m pip install --quiet -r requirements.txt") < script.index(FROM_TARGET)
    assert script.index(FROM_TARGET) < script.index("qms diff") < script.index("qms check") \
        < script.index("mkdocs build --strict")
    assert 'qms check --base "$BASE"' in script
    assert 'qms diff --base "$BASE" --format md --output qms-diff.md' in script
    assert "$GITHUB_STEP_SUMMARY" in script
    assert assert_qms_commands_parse(script) == 2


def test_github_summary_is_posted_by_a_job_that_runs_nothing_of_the_pull_request():
    job = load(ROOT / GITHUB)["jobs"]["comment"]
    assert job["needs"] == "check" and "!cancelled()" in job["if"]
    assert job["permissions"] == {"pull-requests": "write"}
    assert not any(s.get("uses", "").startswith("actions/checkout@") for s in job["steps"])
    post = next(s for s in job["steps"] if "gh pr comment" in s.get("run", ""))
    assert post["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_github_default_branch_job_builds_the_site_and_pdf_and_deploys_to_pages():
    workflow = load(ROOT / GITHUB)
    job = workflow["jobs"]["publish"]
    assert "github.event.repository.default_branch" in job["if"] and "main" not in job["if"]
    assert job["permissions"]["pages"] == "write" and job["permissions"]["id-token"] == "write"
    steps = job["steps"]
    assert next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))["with"]["fetch-depth"] == 0
    script = runs(steps)
    assert "python -m pip install --quiet -r requirements.txt" in script
    assert "mkdocs build --strict" in script and "qms pdf --site site" in script
    assert "libpango-1.0-0" in script  # WeasyPrint's system library
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert assert_qms_commands_parse(script) == 2
    assert "heads/main" not in (ROOT / GITHUB).read_text()


def test_gitlab_merge_request_job_builds_with_the_target_branch_engine_and_config_and_attaches_the_diff():
    ci = load(ROOT / GITLAB)
    assert ci["variables"]["GIT_DEPTH"] == "0"
    job = ci["check"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    script = "\n".join(job["script"])
    assert job["variables"]["BASE"] == "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    assert script.index("git worktree add") < script.index("-r requirements.txt") < script.index(FROM_TARGET) \
        < script.index("qms check") < script.index("mkdocs build --strict")
    assert 'qms check --base "$BASE"' in script
    assert 'qms diff --base "$BASE" --format md --output qms-diff.md' in script
    assert "TOKEN" not in str(job) and "after_script" not in job
    assert job["artifacts"]["when"] == "always" and job["artifacts"]["expose_as"]
    assert "qms-diff.md" in job["artifacts"]["paths"]
    assert assert_qms_commands_parse(script) == 2


def test_gitlab_comment_job_alone_gets_the_token_and_checks_out_nothing():
    ci = load(ROOT / GITLAB)
    job = ci["comment"]
    assert job["variables"]["GIT_STRATEGY"] == "none" and job["before_script"] == []
    assert job["environment"]["name"] == "qms-comments"
    assert job["needs"] == [{"job": "check", "artifacts": True}]
    note = "\n".join(job["script"])
    assert "merge_requests" in note and "QMS_BOT_TOKEN" in note
    python = note.split("<<'PY'\n", 1)[1].split("\nPY", 1)[0]
    compile(python.replace("\n      ", "\n"), "comment", "exec")
    others = {name: j for name, j in ci.items() if isinstance(j, dict) and name != "comment"}
    assert "QMS_BOT_TOKEN" not in str(others)


def test_gitlab_default_branch_job_publishes_site_and_pdf_with_pages():
    ci = load(ROOT / GITLAB)
    job = ci["pages"]
    assert job["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    script = "\n".join(job["script"])
    assert "python -m pip install --quiet -r requirements.txt" in script
    assert "mkdocs build --strict --site-dir public" in script and "qms pdf --site public" in script
    assert job["artifacts"]["paths"] == ["public"]
    assert assert_qms_commands_parse(script) == 2


def test_every_shell_step_is_valid_bash():
    workflow = load(ROOT / GITHUB)
    scripts = [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]
    ci = load(ROOT / GITLAB)
    for job in ci.values():
        if isinstance(job, dict):
            for key in ("before_script", "script", "after_script"):
                if isinstance(job.get(key), list):
                    scripts.append("\n".join(job[key]))
    assert len(scripts) >= 10
    for script in scripts:
        script = EXPRESSION.sub("placeholder", script)
        result = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert result.returncode == 0, f"{result.stderr}\n{script}"


def test_pre_commit_hook_runs_qms_check_on_the_staged_quality_files():
    config = load(ROOT / PRE_COMMIT)
    hook = config["repos"][0]["hooks"][0]
    assert hook["entry"] == "qms check" and hook.get("pass_filenames", True)
    files = re.compile(hook["files"])
    for path in ("procedures/QP-01-control-of-documented-information.md", "docs/manual/QM-03-scope.md",
                 "records/calibration/CAL-2026-001.yaml", "records_schema/calibration.schema.yaml",
                 "organization.yaml", "mkdocs.yml"):
        assert files.search(path), path
    for path in ("tools/qms/cli.py", "README.md", "tests/test_pdf.py"):
        assert not files.search(path), path


def test_pre_commit_hook_stops_a_commit_that_breaks_a_staged_document(new_project: Path, tmp_path: Path):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"), "NO_MKDOCS_2_WARNING": "1",
           "GIT_AUTHOR_NAME": "Quality Manager", "GIT_AUTHOR_EMAIL": "qm@example.com",
           "GIT_COMMITTER_NAME": "Quality Manager", "GIT_COMMITTER_EMAIL": "qm@example.com"}

    def sh(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), cwd=new_project, env=env, capture_output=True, text=True, timeout=300)

    assert sh("git", "add", "-A").returncode == 0
    assert sh("git", "commit", "-q", "-m", "New quality manual").returncode == 0
    assert sh("pre-commit", "install").returncode == 0
    procedure = next((new_project / "procedures").glob("QP-01-*.md"))
    text = procedure.read_text()
    procedure.write_text(re.sub(r"^status: .*$", "status: approved-ish", text, count=1, flags=re.M))
    sh("git", "add", str(procedure))
    commit = sh("git", "commit", "-m", "Break QP-01")
    output = commit.stdout + commit.stderr
    assert commit.returncode != 0, output
    assert "qms check" in output and re.search(rf"procedures/{re.escape(procedure.name)}:\d+: status: 'approved-ish'", output), output
    procedure.write_text(text)
    sh("git", "add", str(procedure))
    commit = sh("git", "commit", "-q", "--allow-empty", "-m", "Fixed")
    assert commit.returncode == 0, commit.stdout + commit.stderr
