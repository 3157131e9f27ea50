"""`qms upgrade`: move a manual wired the old way (a hooks file, settings under extra.qms, a macros.py that imports
the engine) to the qms plugin.

It changes exactly what the build's message lists (qms.config.OldWiring) and nothing else: mkdocs.yml is edited
round-trip (comments, order and untouched lines stay as written), a hooks file or macros.py is deleted only when
it holds nothing but the engine's import lines, and every file is written atomically. `--dry-run` shows the
change without writing it.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from qms import files
from qms.config import PLUGIN, OldWiring, find_config, old_wiring, option_problems, parse_mkdocs_yml, plugin_entry
from qms.model import yamlio
from qms.problems import Problem, QMSError

_ENGINE_IMPORT = re.compile(r"^\s*(?:from\s+qms\.adapters(?:\.\w+)*\s+import\b.*|import\s+qms\.adapters\b.*)$\n?", re.M)
MACROS_FUNCTIONS = ("define_env", "on_pre_page_macros", "on_post_page_macros", "on_post_build")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("upgrade", help="move a manual wired with the old hooks file to the qms plugin",
                       description="Edit mkdocs.yml (and macros.py) of a manual wired the old way, with a hooks "
                                   "file and settings under extra.qms, so it uses the qms plugin. Changes only "
                                   "what the build's message lists; comments and untouched lines stay.")
    p.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    p.set_defaults(func=run)


@dataclass
class Change:
    """What the upgrade writes: new texts by path (None: delete the file), and what it tells the person."""

    texts: dict[Path, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def only_engine_imports(text: str) -> bool:
    """Whether a Python file holds nothing but a docstring and the engine's import lines (a copied shim)."""
    try:
        tree = ast.parse(_ENGINE_IMPORT.sub("", text))
    except SyntaxError:
        return False
    body = tree.body[1:] if tree.body and isinstance(tree.body[0], ast.Expr) \
        and isinstance(tree.body[0].value, ast.Constant) else tree.body
    return not body


def _defines_a_macros_function(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return True  # not ours to judge: mkdocs-macros reports it
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    names |= {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    return bool(names & set(MACROS_FUNCTIONS))


def _entry_index(plugins: CommentedSeq, name: str) -> int | None:
    for index, item in enumerate(plugins):
        if item == name or (isinstance(item, dict) and name in item):
            return index
    return None


def _macros_options(plugins: Any) -> dict | None:
    """The options of mkdocs-macros' entry under plugins:, if it has any."""
    if isinstance(plugins, dict):
        options = plugins.get("macros")
    else:
        index = _entry_index(plugins, "macros")
        options = plugins[index].get("macros") if index is not None and isinstance(plugins[index], dict) else None
    return options if isinstance(options, dict) else None


def _move_settings(data: CommentedMap, settings: CommentedMap | None) -> None:
    """List the qms plugin (with `settings` as its options) before mkdocs-macros, or merge them into its entry."""
    plugins = data.get("plugins")
    if plugins is None:
        plugins = data["plugins"] = CommentedSeq(["search"])
    if isinstance(plugins, dict):  # the mapping form of plugins:
        current = plugins.get(PLUGIN) or CommentedMap()
        for key, value in (settings or {}).items():
            current.setdefault(key, value)
        plugins[PLUGIN] = current if current else None
        return
    index = _entry_index(plugins, PLUGIN)
    if index is None:
        entry: Any = PLUGIN
        if settings:
            entry = CommentedMap()
            entry[PLUGIN] = settings
        macros = _entry_index(plugins, "macros")
        plugins.insert(len(plugins) if macros is None else macros, entry)
    elif settings:
        item = plugins[index]
        current = item[PLUGIN] if isinstance(item, dict) and item[PLUGIN] else CommentedMap()
        for key, value in settings.items():
            current.setdefault(key, value)
        replacement = CommentedMap()
        replacement[PLUGIN] = current
        plugins[index] = replacement


def _reindent_comments(text: str, start_line: str) -> str:
    """Comment lines inside the block that starts at `start_line` take the indentation of the line they describe
    (ruamel keeps a comment's old column when its mapping moves)."""
    lines = text.split("\n")
    try:
        first = lines.index(start_line)
    except ValueError:
        return text
    block_indent = len(start_line) - len(start_line.lstrip())
    for i in range(first + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line.lstrip().startswith("#") and len(line) - len(line.lstrip()) <= block_indent:
            break
        if line.lstrip().startswith("#"):
            following = next((x for x in lines[i + 1:] if x.strip() and not x.lstrip().startswith("#")), "")
            lines[i] = " " * (len(following) - len(following.lstrip())) + line.lstrip()
    return "\n".join(lines)


def plan_upgrade(config_file: Path) -> Change:
    """Every change that moves the manual of `config_file` to the qms plugin (nothing when it already uses it)."""
    text = config_file.read_text(encoding="utf-8")
    wiring: OldWiring = old_wiring(config_file, text=text)
    change = Change()
    root = config_file.parent
    module = wiring.macros_import
    module_goes = module is not None and only_engine_imports(module.read_text(encoding="utf-8"))
    if wiring.hooks or wiring.settings_in_extra or not wiring.has_plugin or module_goes:
        data = yamlio.round_trip().load(text)
        settings = None
        if wiring.settings_in_extra:
            settings = data["extra"].pop(PLUGIN)
            if not data["extra"]:
                del data["extra"]
        _move_settings(data, settings)
        positions = {index for index, _ in wiring.hooks}
        if positions:
            data["hooks"] = CommentedSeq([h for i, h in enumerate(data["hooks"]) if i not in positions])
            if not data["hooks"]:
                del data["hooks"]
        if module_goes:  # mkdocs-macros would look for the deleted file
            options = _macros_options(data["plugins"])
            if options is not None and "module_name" in options:
                del options["module_name"]
        new_text = yamlio.dump_round_trip(data, text).rstrip("\n") + "\n"
        new_text = _reindent_comments(new_text, next((line for line in new_text.split("\n")
                                                      if line.strip() == f"- {PLUGIN}:"), ""))
        change.texts[config_file] = new_text
    for _, path in wiring.hooks:
        hooks_file = root / path
        if path.replace("\\", "/").endswith("qms/adapters/hooks.py") or not hooks_file.is_file():
            continue  # the engine's own file (this repository) or already gone
        if only_engine_imports(hooks_file.read_text(encoding="utf-8")):
            change.texts[hooks_file] = None
        else:
            change.notes.append(f"{path}: holds hooks of your own besides the engine's; it is no longer listed "
                                "under hooks:, so list it again if you still need them")
    if module is not None:
        source = module.read_text(encoding="utf-8")
        if module_goes:
            change.texts[module] = None
        else:
            rest = _ENGINE_IMPORT.sub("", source)
            change.texts[module] = rest
            if not _defines_a_macros_function(rest):
                change.notes.append(f"{module.name}: has no define_env(env) left, which mkdocs-macros needs: add "
                                    "one, or delete the file and `module_name` under macros:")
    return change


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step: a reader sees the old file or the new one, never half of one."""
    files.write_atomic(path, text)


def _show(path: Path, root: Path, old: str, new: str | None) -> str:
    rel = path.relative_to(root).as_posix()
    if new is None:
        return f"delete {rel}\n"
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{rel}", f"b/{rel}"))


def run(args: argparse.Namespace) -> int:
    config_file = (args.config_file or find_config(Path.cwd())).resolve()
    root = config_file.parent
    change = plan_upgrade(config_file)
    if not change.texts:
        print(f"{config_file.name}: already uses the qms plugin; nothing to change.")
        return 0
    for path, new in change.texts.items():
        print(_show(path, root, path.read_text(encoding="utf-8"), new), end="")
    if args.dry_run:
        print("\n(dry run: nothing written)")
    else:
        for path, new in change.texts.items():
            if new is None:
                path.unlink()
            else:
                write_atomically(path, new)
        print(f"\nUpgraded {config_file.name} to the qms plugin. Check it with: mkdocs build --strict")
    for note in change.notes:
        print(f"note: {note}")
    new_config = change.texts.get(config_file)
    if new_config is not None:
        entry = plugin_entry(parse_mkdocs_yml(new_config, config_file.name))
        problems: list[Problem] = option_problems(config_file, entry[1] if entry else {}) if not args.dry_run else []
        if problems:
            raise QMSError(problems)  # options that were already wrong under extra.qms: now with their lines
    return 0
