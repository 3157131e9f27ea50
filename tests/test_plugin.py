"""qms is a MkDocs plugin: options checked against one schema (with their line in mkdocs.yml), macros from the
installed package, plain messages instead of tracebacks, and one clear message for manuals wired the old way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_example, mkdocs_build, page, run

QP = "procedures/QP-01-control-of-documented-information.md"

# What `qms init` wrote before qms was a plugin: a hooks shim, a macros.py shim, the settings under extra.qms.
OLD_HOOKS = '''"""MkDocs hooks of the quality manual: publish procedures/ and the generated pages (qms engine)."""

from qms.adapters.mkdocs import on_config, on_files, on_nav, on_page_markdown, on_serve  # noqa: F401
from qms.adapters.published import on_post_build, on_post_page  # noqa: F401
'''
OLD_MACROS = '''"""mkdocs-macros module of the quality manual: a thin adapter over the qms engine."""

from qms.adapters.macros import define_env, on_pre_page_macros  # noqa: F401
'''


def set_option(project: Path, line: str) -> int:
    """Put `line` (e.g. 'compare_revisions: ten') among the qms plugin's options; its line number in mkdocs.yml."""
    config = project / "mkdocs.yml"
    lines = config.read_text().split("\n")
    at = lines.index("  - qms:") + 1
    lines.insert(at, " " * 6 + line)
    config.write_text("\n".join(lines))
    return at + 1


def wire_the_old_way(project: Path) -> None:
    """Turn a manual made by `qms init` into one made before qms was a plugin."""
    config = project / "mkdocs.yml"
    text = config.read_text()
    block = re.search(r"(?ms)^  # The quality manual engine.*?\n  - qms:\n(.*?)(?=^  # Renders)", text)
    assert block is not None, text
    settings = "".join(line[2:] + "\n" for line in block.group(1).splitlines())
    text = text.replace(block.group(0), "").replace("  - macros:\n", "  - macros:\n      module_name: macros\n")
    text = text.replace("\nmarkdown_extensions:", "\nhooks:\n  - qms_hooks.py\n\nmarkdown_extensions:")
    config.write_text(text + "\nextra:\n  qms:\n    # kept through the upgrade\n" + settings)
    (project / "qms_hooks.py").write_text(OLD_HOOKS)
    (project / "macros.py").write_text(OLD_MACROS)


def qms_options(project: Path) -> dict:
    plugins = yaml.safe_load((project / "mkdocs.yml").read_text())["plugins"]
    return next(item["qms"] for item in plugins if isinstance(item, dict) and "qms" in item)


@pytest.mark.parametrize("option, expected", [
    ("compare_revisions: ten", "qms option compare_revisions: 'ten' is not a whole number: give how many recent "
                               "revisions of each document to compare, e.g. 10 (0 for all)"),
    ("compare_revisions: -1", "qms option compare_revisions: -1 is below 0"),
    ("procedures_dir: ../../etc", "qms option procedures_dir: '../../etc' is outside the repository"),
    ("commit_url: https://git.example.com/commit/", "qms option commit_url: 'https://git.example.com/commit/' is "
                                                    "not accepted here: give a URL with {sha}"),
    ("colour: blue", "qms options: unknown option colour (known: allow_html, commit_url, compare_revisions"),
])
def test_a_bad_option_is_reported_with_its_line_by_the_build_and_by_qms_check(new_project: Path,
                                                                             option: str, expected: str):
    line = set_option(new_project, option)
    build = mkdocs_build(new_project)
    assert build.returncode == 1
    assert f"mkdocs.yml:{line}: {expected}" in build.output, build.output[-3000:]
    check = run(["qms", "check"], cwd=new_project)
    assert check.returncode == 1 and f"mkdocs.yml:{line}: {expected}" in check.stderr, check.output
    assert "Traceback" not in build.output + check.output


def test_a_judge_from_day_that_is_not_a_date_is_a_plain_message(new_project: Path):
    config = new_project / "mkdocs.yml"
    text = config.read_text()
    line = text[:text.index("judge_from:")].count("\n") + 1
    config.write_text(re.sub(r"judge_from: .*", "judge_from: 02/12/2026", text))
    expected = (f"mkdocs.yml:{line}: qms option policy.judge_from: '02/12/2026' is not a date: "
                "write the day as YYYY-MM-DD")
    for result in (mkdocs_build(new_project), run(["qms", "check"], cwd=new_project)):
        assert result.returncode == 1 and expected in result.output, result.output[-3000:]
        assert "Traceback" not in result.output
        assert len(result.output.splitlines()) < 25, result.output  # a message, not 40 lines of traceback


def test_allow_html_lets_a_page_keep_a_tag_but_never_a_script(new_project: Path):
    line = set_option(new_project, "allow_html: {tags: [video, script], attributes: {video: [src, controls]}}")
    target = new_project / QP
    target.write_text(target.read_text() + '\n<video src="films/setup.mp4" controls onplay="x()"></video>\n')
    result = mkdocs_build(new_project)
    assert f"mkdocs.yml:{line}: qms option allow_html.tags: <script> can never be allowed" in result.output
    assert result.returncode == 1  # the refused part fails a strict build
    config = new_project / "mkdocs.yml"
    config.write_text(config.read_text().replace("[video, script]", "[video]"))
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    html = page(new_project / "site", QP)
    assert '<video src="films/setup.mp4" controls' in html and "onplay" not in html


def test_the_change_flags_the_schema_accepts_are_the_ones_change_control_knows():
    from qms.config import options_schema
    from qms.history.changecontrol import FLAGS

    accepted = options_schema()["properties"]["policy"]["properties"]["errors"]["items"]["enum"]
    assert tuple(accepted) == FLAGS


def test_the_macros_come_from_the_installed_engine_and_macros_py_holds_the_companys_own(new_project: Path):
    assert not (new_project / "macros.py").exists()
    (new_project / "macros.py").write_text(
        "def define_env(env):\n"
        "    @env.macro\n"
        "    def hotline():\n"
        "        return 'call 0123 456 789'\n")
    config = new_project / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - macros:\n", "  - macros:\n      module_name: macros\n"))
    target = new_project / QP
    target.write_text(target.read_text() + "\n\nQuestions: {{ hotline() }}; see {{ term('nonconformity') }}.\n")
    result = mkdocs_build(new_project)
    assert result.returncode == 0, result.output
    html = page(new_project / "site", QP)
    assert "Questions: call 0123 456 789; see" in html and 'class="qms-term"' in html


def test_a_company_macro_with_the_name_of_an_engine_macro_is_refused_with_the_fix(new_project: Path):
    (new_project / "macros.py").write_text("def define_env(env):\n    env.macro(lambda name: name, 'term')\n")
    config = new_project / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - macros:\n", "  - macros:\n      module_name: macros\n"))
    result = mkdocs_build(new_project)
    assert result.returncode == 1
    assert "macros.py: defines term(), which the qms plugin provides: rename yours" in result.output, result.output
    assert "Traceback" not in result.output


def test_the_showcase_company_macro_quotes_its_figure_and_names_the_rooms_when_misspelt(tmp_path: Path,
                                                                                      example_site: Path):
    wi = "procedures/WI-02-cmm-measurement.md"
    assert "the room temperature on the logger is 20 °C ± 1 °C and has been" in page(example_site, wi)
    project = copy_example(tmp_path)
    instruction = project / wi
    text = instruction.read_text()
    line = text[:text.index("room_limits('cmm') }}")].count("\n") + 1
    instruction.write_text(text.replace("room_limits('cmm') }}", "room_limits('lab') }}"))
    result = mkdocs_build(project)
    assert result.returncode == 1
    assert (f"{wi}:{line}: ValueError: room_limits: no room 'lab'; use one of 'inspection', 'cmm'"
            in result.output), result.output[-3000:]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("typo, expected", [
    ("{{ termm('audit') }}", "'termm' is undefined: use one of the manual's macros"),
    ("{{ term('audit' }}", "template syntax error"),
    ("{% for x in range(2) %}no end", "template syntax error"),
])
def test_a_template_error_ends_the_build_with_the_page_and_line_and_no_traceback(new_project: Path, typo: str,
                                                                               expected: str):
    target = new_project / QP
    text = target.read_text()
    target.write_text(text + f"\n{typo}\n")
    line = (text + "\n").count("\n") + 1
    result = mkdocs_build(new_project)
    assert result.returncode == 1
    assert f"{QP}:{line}: {expected}" in result.output, result.output[-3000:]
    assert "Traceback" not in result.output and "Macro Rendering Error" not in result.output
    assert "Aborted with a BuildError" in result.output  # a PluginError, not an exit of the process


def test_without_mkdocs_macros_the_plugin_says_what_to_add(new_project: Path):
    config = new_project / "mkdocs.yml"
    text = config.read_text()
    config.write_text(re.sub(r"(?ms)^  # Renders.*?include_dir: docs/_includes\n", "", text))
    result = mkdocs_build(new_project)
    assert result.returncode == 1
    assert "mkdocs.yml: the qms plugin needs mkdocs-macros: add `- macros` under plugins:" in result.output


def test_a_manual_wired_with_the_old_hooks_file_gets_one_message_and_qms_upgrade_moves_it(new_project: Path):
    wire_the_old_way(new_project)
    old_config = (new_project / "mkdocs.yml").read_text()
    hooks_line = old_config[:old_config.index("  - qms_hooks.py")].count("\n") + 1
    build = mkdocs_build(new_project)
    assert build.returncode == 1
    errors = [line for line in build.output.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, build.output
    assert f"mkdocs.yml:{hooks_line}: this manual is wired to the qms engine the old way" in errors[0]
    for step in ("Run `qms upgrade`", "add `- qms` under plugins:, before `- macros`",
                 "delete `qms:` and its settings under extra:", "delete `- qms_hooks.py` under hooks: and the file",
                 "delete the line `from qms.adapters.macros import ...` from macros.py"):
        assert step in errors[0], step
    assert "Traceback" not in build.output
    check = run(["qms", "check"], cwd=new_project)
    assert check.returncode == 1 and "this manual is wired to the qms engine the old way" in check.stderr

    dry = run(["qms", "upgrade", "--dry-run"], cwd=new_project)
    assert dry.returncode == 0 and "+  - qms:" in dry.stdout and "delete qms_hooks.py" in dry.stdout
    assert (new_project / "mkdocs.yml").read_text() == old_config  # a dry run writes nothing

    upgrade = run(["qms", "upgrade"], cwd=new_project)
    assert upgrade.returncode == 0, upgrade.output
    assert not (new_project / "qms_hooks.py").exists() and not (new_project / "macros.py").exists()
    config = (new_project / "mkdocs.yml").read_text()
    assert not re.search(r"(?m)^(hooks|extra):|^\s+module_name:", config), config
    assert "      # kept through the upgrade\n" in config  # comments move with the settings
    assert qms_options(new_project)["policy"]["errors"] == ["no-revision-bump", "self-approval",
                                                            "revision-not-increased"]
    assert config.index("  - qms:") < config.index("  - macros:")
    assert mkdocs_build(new_project).returncode == 0
    again = run(["qms", "upgrade"], cwd=new_project)
    assert again.returncode == 0 and "nothing to change" in again.stdout


def test_the_plugin_with_settings_left_under_extra_qms_says_to_move_them(new_project: Path):
    config = new_project / "mkdocs.yml"
    config.write_text(config.read_text() + "\nextra:\n  qms:\n    compare_revisions: 3\n")
    result = mkdocs_build(new_project)
    assert result.returncode == 1
    assert "move the settings under extra.qms into the qms plugin's options" in result.output, result.output
    assert "add `- qms`" not in result.output


def test_upgrade_keeps_a_hooks_file_and_a_macros_py_that_hold_code_of_their_own(new_project: Path):
    wire_the_old_way(new_project)
    (new_project / "qms_hooks.py").write_text(OLD_HOOKS + "\n\ndef on_post_build(config):\n    pass\n")
    (new_project / "macros.py").write_text(OLD_MACROS.replace(
        "from qms.adapters.macros import define_env, on_pre_page_macros  # noqa: F401\n",
        "from qms.adapters.macros import on_pre_page_macros  # noqa: F401\n\n\n"
        "def define_env(env):\n    env.macro(lambda: 'ours', 'ours')\n"))
    result = run(["qms", "upgrade"], cwd=new_project)
    assert result.returncode == 0, result.output
    assert (new_project / "qms_hooks.py").exists() and "holds hooks of your own" in result.stdout
    macros = (new_project / "macros.py").read_text()
    assert "qms.adapters" not in macros and "def define_env(env):" in macros
    assert "module_name: macros" in (new_project / "mkdocs.yml").read_text()


def test_the_old_wiring_names_both_hooks_files_it_was_written_with(tmp_path: Path):
    from qms.config import old_wiring

    for hooks in ("qms_hooks.py", "tools/qms/adapters/hooks.py"):
        config = tmp_path / "mkdocs.yml"
        config.write_text(f"site_name: X\nplugins:\n  - search\n  - macros\nhooks:\n  - {hooks}\n")
        problem = old_wiring(config).problem()
        assert problem is not None and problem.line == 6 and f"delete `- {hooks}` under hooks:" in problem.message
        assert ("and the file" in problem.message) == (hooks == "qms_hooks.py")  # the engine's own file stays


def test_the_repository_wires_the_plugin_by_name_only():
    config = (ROOT / "mkdocs.yml").read_text()
    assert "  - qms:" in config and "hooks:" not in config and "tools/qms" not in config
    assert "qms.adapters" not in (ROOT / "macros.py").read_text()


def test_the_readme_documents_every_option_the_schema_accepts():
    from qms.config import options_schema

    readme = (ROOT / "README.md").read_text()
    properties = options_schema()["properties"]
    names = [name for name in properties if name != "policy"]
    names += [f"policy.{name}" for name in properties["policy"]["properties"]]
    missing = [name for name in names if f"| `{name}` |" not in readme]
    assert not missing, f"README's table of options lacks {missing}"
