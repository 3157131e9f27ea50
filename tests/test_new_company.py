"""A new company's manual, from `qms init` to a published site, with the engine installed as a company would.

A wheel of this checkout is built and installed into a clean virtual environment; its `qms init` makes the
repository (pinned to that wheel). The generated pipelines' shell steps then run in order, each in a fresh clean
virtual environment that reaches nothing but the wheel and the package index: the GitHub workflow's `run:` steps
and the GitLab jobs' `script:` lines, for a pull/merge request and for the default branch. Steps that only set
up the CI machine (apt-get) or talk to GitHub's or GitLab's API (posting the comment) are the ones not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml
from conftest import ENV, ROOT

# Installing the wheel reaches the package index over TLS, whose certificates libfaketime makes look expired.
pytestmark = [pytest.mark.slow, pytest.mark.realclock]

GIT_ENV = {"GIT_AUTHOR_NAME": "Quality Manager", "GIT_AUTHOR_EMAIL": "qm@example.com",
           "GIT_COMMITTER_NAME": "Quality Manager", "GIT_COMMITTER_EMAIL": "qm@example.com",
           "GIT_CONFIG_NOSYSTEM": "1"}
MACHINE_SETUP = re.compile(r"\bapt-get\b")


def sh(args: list[str], cwd: Path, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**ENV, **GIT_ENV, **(env or {})})


def clean_venv(where: Path) -> Path:
    """A new virtual environment with nothing installed; its bin folder."""
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    return where / "bin"


def venv_env(bin_dir: Path, home: Path) -> dict:
    """An environment whose `python`, `qms` and `mkdocs` are those of `bin_dir` only."""
    path = os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"])
    return {"PATH": path, "VIRTUAL_ENV": str(bin_dir.parent), "HOME": str(home),
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "QMS_CACHE_DIR": str(home / "qms-cache")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, as a release would be built."""
    out = tmp_path_factory.mktemp("dist")
    result = sh([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)], cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("qms_iso9001-*.whl")
    return built


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> dict:
    """`qms init` from the installed wheel, pushed to a bare remote, and a change on a branch."""
    base = tmp_path_factory.mktemp("company")
    home = base / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = master\n")  # qms init must still make main
    tools = clean_venv(base / "engine-venv")
    env = venv_env(tools, home)
    result = sh([str(tools / "python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=base, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    repo = base / "bramwell-qms"
    result = sh(["qms", "init", str(repo), "--company", "Bramwell Lighting Ltd", "--code", "BWL"], cwd=base, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    pinned = (repo / "requirements.txt").read_text()
    assert f"qms-iso9001 @ {wheel.as_uri()}" in pinned  # where the running engine came from
    assert sh(["git", "rev-parse", "--abbrev-ref", "HEAD"], repo, env).stdout.strip() == "main"
    remote = base / "remote.git"
    assert sh(["git", "clone", "-q", "--bare", str(repo), str(remote)], base, env).returncode == 0
    assert sh(["git", "remote", "add", "origin", str(remote)], repo, env).returncode == 0
    # The change an author proposes: a procedure reworded with its revision raised, and, hidden in it, a
    # mkdocs-macros module (main.py, loaded by default) and a weakened policy in mkdocs.yml.
    sh(["git", "switch", "-q", "-c", "reword-qp01"], repo, env)
    procedure = next((repo / "procedures").glob("QP-01-*.md"))
    text = procedure.read_text().replace('revision: "1"', 'revision: "2"', 1)
    procedure.write_text(text.replace("## Procedure", "## Procedure\n\nEvery change is reviewed before it is merged.", 1))
    marker = base / "pull-request-code-ran"
    (repo / "main.py").write_text(f"def define_env(env):\n    open({str(marker)!r}, 'w').write('ran')\n")
    config = (repo / "mkdocs.yml").read_text()
    (repo / "mkdocs.yml").write_text(config.replace("errors: [no-revision-bump, self-approval, revision-not-increased]", "errors: []"))
    sh(["git", "add", "-A"], repo, env)
    assert sh(["git", "commit", "-q", "-m", "QP-01: every change is reviewed"], repo, env).returncode == 0
    assert sh(["git", "push", "-q", "origin", "reword-qp01"], repo, env).returncode == 0
    return {"base": base, "home": home, "repo": repo, "remote": remote, "marker": marker}


def checkout(company: dict, name: str, ref: str) -> Path:
    """What CI checks out: a full clone of the remote at `ref`."""
    work = company["base"] / name
    result = sh(["git", "clone", "-q", str(company["remote"]), str(work)], company["base"], venv_env(Path("/usr/bin"), company["home"]))
    assert result.returncode == 0, result.stderr
    if ref != "main":
        assert sh(["git", "checkout", "-q", "-B", ref, f"origin/{ref}"], work).returncode == 0
    return work


def run_script(script: str, work: Path, env: dict, what: str) -> None:
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=work,
                            capture_output=True, text=True, timeout=1200, env={**ENV, **GIT_ENV, **env})
    assert result.returncode == 0, f"{what} failed:\n{script}\n--- stdout\n{result.stdout[-4000:]}\n" \
                                   f"--- stderr\n{result.stderr[-6000:]}"


def github_steps(work: Path, job: str) -> list[tuple[str, str, dict]]:
    """(name, script, env) of each `run:` step of a job, with the job's and workflow's env, in order."""
    workflow = yaml.safe_load((work / ".github/workflows/manual.yml").read_text())
    job_data = workflow["jobs"][job]
    return [(s.get("name", s["run"][:40]), s["run"], {**workflow.get("env", {}), **job_data.get("env", {}),
                                                       **s.get("env", {})})
            for s in job_data["steps"] if "run" in s]


GITHUB_VALUES = {"origin/${{ github.base_ref }}": "origin/main"}


def github_env(step_env: dict, temp: Path) -> dict:
    out = {}
    for key, value in step_env.items():
        value = str(GITHUB_VALUES.get(value, value)).replace("${{ runner.temp }}", str(temp))
        value = re.sub(r"\$\{\{ env\.(\w+) \}\}", lambda m: out[m.group(1)], value)  # QMS_BASE: ${{ env.BASE }}
        assert "${{" not in value, f"{key}: {value}"
        out[key] = value
    return out


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_github_workflow_steps_pass_on_a_fresh_manual(company: dict, event: str, tmp_path: Path):
    work = checkout(company, f"gh-{event}", "reword-qp01" if event == "pull_request" else "main")
    bin_dir = clean_venv(tmp_path / "ci-venv")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    summary = temp / "step-summary.md"
    env = {**venv_env(bin_dir, company["home"]), "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp),
           "CI": "true", "GITHUB_ACTIONS": "true"}
    job = "check" if event == "pull_request" else "publish"
    ran = 0
    for name, script, step_env in github_steps(work, job):
        if MACHINE_SETUP.search(script):
            continue  # the CI machine's own packages: this machine has them
        run_script(script, work, {**env, **github_env(step_env, temp)}, name)
        ran += 1
    assert ran >= 4
    if event == "pull_request":
        diff = (work / "qms-diff.md").read_text()
        assert "QP-01" in diff and "1 → 2" in diff
        assert "Not applied in this build" in diff and "`main.py`" in diff and "`mkdocs.yml`" in diff
        assert "QP-01" in summary.read_text()
        assert not company["marker"].exists(), "the pull request's main.py ran in its own build"
        assert "errors: [no-revision-bump, self-approval, revision-not-increased]" in (work / "mkdocs.yml").read_text()  # the target branch's policy
        assert "Every change is reviewed before it is merged." in (work / "site/procedures/QP-01-control-of-documented-information.html").read_text()
    else:
        assert (work / "site/index.html").is_file()
        assert (work / "site/pdf/quality-manual.pdf").stat().st_size > 10_000


def gitlab_script(work: Path, job: str) -> str:
    ci = yaml.safe_load((work / ".gitlab-ci.yml").read_text())
    lines = [*ci["default"].get("before_script", []), *ci[job]["script"]] if "before_script" not in ci[job] \
        else [*ci[job]["before_script"], *ci[job]["script"]]
    kept = [line for line in lines if not MACHINE_SETUP.search(line)]
    variables = {**ci.get("variables", {}), **ci[job].get("variables", {})}
    exports = [f'export {k}="{v}"' for k, v in variables.items()]
    return "\n".join([*exports, *kept])


@pytest.mark.parametrize("event", ["merge_request_event", "push"])
def test_gitlab_job_scripts_pass_on_a_fresh_manual(company: dict, event: str, tmp_path: Path):
    work = checkout(company, f"gl-{event}", "reword-qp01" if event != "push" else "main")
    bin_dir = clean_venv(tmp_path / "ci-venv")
    env = {**venv_env(bin_dir, company["home"]), "CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": str(work),
           "CI_DEFAULT_BRANCH": "main", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    job = "check" if event != "push" else "pages"
    script = gitlab_script(work, job).replace("/tmp/target-branch", str(tmp_path / "target-branch"))
    run_script(script, work, env, f"GitLab job {job}")
    if job == "check":
        assert "QP-01" in (work / "qms-diff.md").read_text()
        assert not company["marker"].exists()
        assert (work / "public/index.html").is_file()
    else:
        assert (work / "public/pdf/quality-manual.pdf").stat().st_size > 10_000


# --- the README's "Start your own manual", word for word ---------------------------------------------------------

def readme_commands() -> list[str]:
    """The shell blocks of the README section "Start your own manual", in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Start your own manual\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_the_readme_start_your_own_manual_works_word_for_word(wheel: Path, tmp_path: Path):
    blocks = readme_commands()
    assert len(blocks) == 5
    script = "\n".join(blocks)
    # The only words a reader replaces: the release they were given (twice: first and upgraded) and their remote.
    releases = [wheel, tmp_path / "newer" / wheel.name]
    releases[1].parent.mkdir()
    releases[1].write_bytes(wheel.read_bytes())
    engine_lines = re.findall(r"^QMS_ENGINE=.*$", script, re.M)
    assert len(engine_lines) == 2
    for line, release in zip(engine_lines, releases):
        script = script.replace(line, f"QMS_ENGINE={release}", 1)
    remote = tmp_path / "remote.git"
    assert sh(["git", "init", "-q", "--bare", str(remote)], tmp_path).returncode == 0
    script = re.sub(r"^REMOTE=.*$", f"REMOTE={remote}", script, count=1, flags=re.M)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
           "QMS_CACHE_DIR": str(home / "qms-cache")}
    work = tmp_path / "desk"
    work.mkdir()
    run_script(script, work, env, "README: Start your own manual")
    manual = work / "bramwell-qms"
    assert (manual / "site/index.html").is_file()
    assert (manual / "procedures/QP-02-purchasing.md").is_file()
    assert f"qms-iso9001 @ {releases[1].as_uri()}" in (manual / "requirements.txt").read_text()
    log = sh(["git", "log", "--format=%s", "--all"], manual, env).stdout
    assert "Import the quality manual made by qms init" in log and "QP-02: purchasing, first draft" in log
    assert sh(["git", "rev-parse", "--verify", "-q", "refs/heads/main"], remote, env).returncode == 0
