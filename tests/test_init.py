"""`qms init DIR` creates a new company's manual that builds strictly against the installed engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, mkdocs_build, page, run


@pytest.fixture
def company(tmp_path: Path) -> Path:
    """A new company's manual exactly as `qms init` makes it by default (the import commit included)."""
    project = tmp_path / "qms-repo"
    result = run(["qms", "init", str(project), "--company", "Testing Widgets Ltd"], cwd=tmp_path)
    assert result.returncode == 0, result.output
    return project


def test_init_creates_the_layout_and_it_builds_strictly(company: Path):
    new_project = company
    for rel in ("mkdocs.yml", "organization.yaml", "docs/index.md",
                "records_schema/document.schema.yaml", "procedures/QP-01-control-of-documented-information.md"):
        assert (new_project / rel).is_file(), rel
    assert (new_project / ".git").is_dir()
    assert not list(new_project.rglob("*.py")), "a new manual has no Python file of the engine's to copy"
    config = (new_project / "mkdocs.yml").read_text()
    assert "- qms:" in config and "hooks:" not in config and "extra:" not in config
    assert "tools/qms" not in config and "qms.adapters" not in config  # no path into the engine
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    html = page(new_project / "site", "procedures/QP-01-control-of-documented-information.md")
    assert "QP-01 Control of documented information" in html
    assert "Testing Widgets Ltd" in html
    home = (new_project / "site" / "index.html").read_text(encoding="utf-8")
    nav = home[home.index("md-nav--primary"):]
    assert nav.index("Quality policy") < nav.index("Control of documented information") < nav.index("Glossary") \
        < nav.index("Authoring guide")  # the manual in reading order, the glossary and the guide at the end


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path):
    (tmp_path / "keep.txt").write_text("mine")
    result = run(["qms", "init", str(tmp_path)], cwd=tmp_path)
    assert result.returncode == 1
    assert "folder is not empty" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_init_ships_the_same_front_matter_schema_as_this_repository():
    shipped = ROOT / "tools/qms/templates/init/records_schema/document.schema.yaml"
    assert shipped.read_text() == (ROOT / "records_schema/document.schema.yaml").read_text()


# --- a new company's starting point -------------------------------------------------------------------------------

import json  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402

import yaml  # noqa: E402


GIT_ENV = {"GIT_AUTHOR_NAME": "Quality Manager", "GIT_AUTHOR_EMAIL": "qm@example.com",
           "GIT_COMMITTER_NAME": "Quality Manager", "GIT_COMMITTER_EMAIL": "qm@example.com"}


def git(project: Path, *args: str, env: dict | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True,
                            env={**__import__("os").environ, **GIT_ENV, **(env or {})})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_import_is_the_first_commit_on_main_and_is_not_judged(company: Path):
    assert git(company, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(company, "status", "--porcelain") == ""
    (day,) = git(company, "log", "--format=%cs").split()
    config = (company / "mkdocs.yml").read_text()
    assert re.search(r"judge_from: (\S+)", config).group(1) == "2026-12-03" and day == "2026-12-02"
    result = run(["qms", "check"], cwd=company)
    assert result.returncode == 0 and "No problems found." in result.output, result.output


def test_the_starter_manual_has_every_part_in_reading_order(company: Path):
    for rel in ("docs/manual/POL-01-quality-policy.md", "docs/manual/QM-02-scope.md",
                "docs/manual/QM-03-context-and-interested-parties.md", "docs/manual/QM-04-organization-and-roles.md",
                "docs/manual/QM-05-quality-objectives.md", "docs/authoring-guide.md", "Makefile", "requirements.txt"):
        assert (company / rel).is_file(), rel
    scope = yaml.safe_load((company / "docs/manual/QM-02-scope.md").read_text().split("---")[1])
    assert scope["not_applicable"] == []
    assert "NO_MKDOCS_2_WARNING" in (company / "Makefile").read_text()
    for target in ("build:", "serve:", "check:", "pdf:"):
        assert target in (company / "Makefile").read_text()
    guide = (company / "docs/authoring-guide.md").read_text()
    assert guide == (ROOT / "docs/authoring-guide.md").read_text()  # one guide, the example's and every company's
    gap = yaml.safe_load((company / "gap-assessment.yaml").read_text())
    assert len(gap["clauses"]) > 60 and all(c["practice"] == "not assessed" and "status" not in c
                                           for c in gap["clauses"])
    assert {"4.1", "7.5.3", "10.3"} <= {c["clause"] for c in gap["clauses"]}


def test_every_iso_required_record_type_is_there_and_new_record_works_for_each(company: Path):
    from qms.config import load_settings
    from qms.model.project import load_project
    from qms.model.records import retain_coverage

    project = load_project(load_settings(company / "mkdocs.yml"))
    coverage = retain_coverage(project.standard, project.record_types)
    assert len(coverage) == 21 and [item.clause for item, types in coverage if not types] == []
    organization = yaml.safe_load((company / "organization.yaml").read_text())
    assert organization["company"]["code"] == "TW"  # the initials of "Testing Widgets Ltd"
    roles = {r["id"] for r in organization["roles"]}
    assert {t.owner for t in project.record_types.values()} <= roles
    for type_id in sorted(project.record_types):
        result = run(["qms", "new", "record", type_id], cwd=company)
        assert result.returncode == 0, result.output
        (created,) = (company / "records" / type_id).glob("*.yaml")
        assert created.name.startswith("TW-"), created
    check = run(["qms", "check", "--format", "json"], cwd=company)
    problems = json.loads(check.stdout)["problems"]
    assert problems and all(p["path"].startswith("records/") for p in problems), problems  # only values to fill in


def test_new_document_takes_the_next_free_id_and_checks_clean(company: Path):
    made = []
    for kind, title in (("procedure", "Purchasing"), ("procedure", "Sales and quotations"),
                        ("work-instruction", "Packing an order"), ("form", "Complaint form"),
                        ("policy", "Data protection"), ("manual", "Process map")):
        result = run(["qms", "new", "document", "--type", kind, "--title", title], cwd=company)
        assert result.returncode == 0, result.output
        made.append(result.stdout.split(":", 1)[0])
    assert made == ["procedures/QP-02-purchasing.md", "procedures/QP-03-sales-and-quotations.md",
                    "procedures/WI-01-packing-an-order.md", "procedures/F-01-complaint-form.md",
                    "docs/manual/POL-02-data-protection.md", "docs/manual/QM-06-process-map.md"]
    front = yaml.safe_load((company / made[2]).read_text().split("---")[1])
    assert front["id"] == "WI-01" and front["type"] == "work instruction" and front["status"] == "draft"
    result = run(["qms", "check"], cwd=company)
    assert result.returncode == 0 and "No problems found." in result.output, result.output
    bad = run(["qms", "new", "document", "--type", "procedure", "--title", "X", "--owner", "nobody"], cwd=company)
    assert bad.returncode == 1 and "unknown role 'nobody'" in bad.stderr


def test_new_record_type_writes_a_skeleton_that_new_record_can_use(company: Path):
    result = run(["qms", "new", "record-type", "customer-complaint", "--clauses", "9.1.2"], cwd=company)
    assert result.returncode == 0, result.output
    schema = yaml.safe_load((company / "records_schema/customer-complaint.schema.yaml").read_text())
    assert schema["properties"]["id"]["pattern"] == "^TW-CC-[0-9]{4}-[0-9]{3}$"
    assert schema["x-qms"]["clauses"] == ["9.1.2"] and schema["x-qms"]["owner"] == "quality-manager"
    assert "retention" in schema["x-qms"] and schema["x-qms"]["confidential"] is False
    assert run(["qms", "check"], cwd=company).returncode == 0
    result = run(["qms", "new", "record", "customer-complaint"], cwd=company)
    assert result.returncode == 0 and "TW-CC-2026-001.yaml" in result.stdout, result.output


def test_ignored_flags_are_not_reported_and_shown_as_not_judged(company: Path):
    config = company / "mkdocs.yml"
    config.write_text(config.read_text().replace("ignore: []", "ignore: [unsigned]"))
    procedure = next((company / "procedures").glob("QP-01-*.md"))
    procedure.write_text(procedure.read_text().replace('revision: "1"', 'revision: "2"').replace(
        "## Procedure", "## Procedure\n\nReviewed weekly.", 1))
    later = {"GIT_AUTHOR_DATE": "2026-12-05T10:00:00+00:00", "GIT_COMMITTER_DATE": "2026-12-05T10:00:00+00:00"}
    git(company, "commit", "-qam", "QP-01: reviewed weekly", env=later)
    result = run(["qms", "check"], cwd=company)
    assert "direct-change" in result.output and "unsigned" not in result.output, result.output
    trail = run(["qms", "audit-trail", "--format", "md"], cwd=company).stdout
    assert "| 2026-12-05 |" in trail or "2026-12-05" in trail
    row = next(line for line in trail.splitlines() if "reviewed weekly" in line)
    assert "unsigned (not judged)" in row and "direct-change (not judged)" not in row and "direct-change" in row
    config.write_text(config.read_text().replace("errors: [no-revision-bump,", "errors: [unsigned, no-revision-bump,"))
    result = run(["qms", "check"], cwd=company)
    assert result.returncode == 1 and re.search(r"mkdocs.yml:\d+: qms option policy.ignore: unsigned is also listed",
                                                result.stderr), result.output


def test_a_person_record_names_the_git_identities_that_sign_changes(company: Path):
    """The library's person type takes git: and signing_keys:, so a new company's approvals name its people."""
    person = company / "records" / "person" / "TW-P-001.yaml"
    person.parent.mkdir(parents=True)
    person.write_text("id: TW-P-001\nname: Dana Author\nrole: quality-manager\nstatus: active\nstarted: 2020-01-06\n"
                      "git: [Dana Author <dana@example.com>]\n"
                      "signing_keys: [SHA256:3f1kS7uA9pW2bQe0xLmN8vYtRz4cHjK6dGfE5sUoIiA]\n")
    procedure = next((company / "procedures").glob("QP-01-*.md"))
    procedure.write_text(procedure.read_text().replace('revision: "1"', 'revision: "2"').replace(
        "## Procedure", "## Procedure\n\nReviewed weekly.", 1))
    later = {"GIT_AUTHOR_DATE": "2026-12-05T10:00:00+00:00", "GIT_COMMITTER_DATE": "2026-12-05T10:00:00+00:00",
             "GIT_AUTHOR_NAME": "Dana Author", "GIT_AUTHOR_EMAIL": "dana@example.com",
             "GIT_COMMITTER_NAME": "Dana Author", "GIT_COMMITTER_EMAIL": "dana@example.com"}
    git(company, "add", "-A")
    git(company, "commit", "-qm", "QP-01: reviewed weekly; Dana in the person register", env=later)
    result = run(["qms", "check"], cwd=company)
    assert result.returncode == 0, result.output
    assert "TW-P-001" not in result.output and "unknown-author" not in result.output, result.output
    assert "direct-change" in result.output  # still judged: committed straight to main


def test_upgrade_engine_changes_only_the_pin(company: Path, tmp_path: Path):
    requirements = company / "requirements.txt"
    before = requirements.read_text()
    result = run(["qms", "upgrade-engine", "0.3.0"], cwd=company)
    assert result.returncode == 0, result.output
    after = requirements.read_text()
    assert after.splitlines()[-1] == "qms-iso9001==0.3.0"
    assert after.splitlines()[:-1] == before.splitlines()[:-1]  # the comments stay
    wheel = tmp_path / "qms_iso9001-0.4.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    run(["qms", "upgrade-engine", str(wheel)], cwd=company)
    assert requirements.read_text().splitlines()[-1] == f"qms-iso9001 @ {wheel.as_uri()}"
    bad = run(["qms", "upgrade-engine", "not a spec"], cwd=company)
    assert bad.returncode == 1 and "is not a version, an existing path or a URL" in bad.stderr
    requirements.unlink()  # a manual made before requirements.txt existed
    result = run(["qms", "upgrade-engine", "0.3.0"], cwd=company)
    assert result.returncode == 0 and requirements.read_text() == before.splitlines(keepends=True)[0] + \
        "".join(before.splitlines(keepends=True)[1:-1]) + "qms-iso9001==0.3.0\n"


def test_init_pins_the_engine_given_and_refuses_a_bad_code(tmp_path: Path):
    result = run(["qms", "init", str(tmp_path / "a"), "--engine", "git+https://example.com/org/qms@v1.2.0",
                  "--code", "AB"], cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert "qms-iso9001 @ git+https://example.com/org/qms@v1.2.0" in (tmp_path / "a/requirements.txt").read_text()
    bad = run(["qms", "init", str(tmp_path / "b"), "--code", "b-1"], cwd=tmp_path)
    assert bad.returncode == 1 and "is not a short code" in bad.stderr and not (tmp_path / "b").exists()
