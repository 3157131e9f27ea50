"""The package's folders are its layers: each imports only from its own layer or those below, never in a cycle,
and only the front ends (adapters) import MkDocs."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "tools" / "qms"
# Lowest first. A module may import from its own layer and any layer before it.
LAYERS = (
    ("qms", "foundations: problems, clock, settings, the disk cache, package files"),
    ("qms.model", "catalogues, organization, documents, records, schemas, YAML"),
    ("qms.history", "git access, revision history, redlines, change control, pull requests"),
    ("qms.analysis", "checks, gap analysis, reviews, tasks, audit preparation, review pack"),
    ("qms.importing", "existing Markdown and Word procedures proposed as controlled documents"),
    ("qms.render", "Markdown and HTML for pages and reports"),
    ("qms.site", "the site plan: every page the manual adds, as data for any front end"),
    ("qms.publish", "the PDF"),
    ("qms.cli", "the qms command"),
    ("qms.adapters", "the MkDocs/ProperDocs plugin and mkdocs-macros: the plan as MkDocs objects"),
)
FRONT_END_ONLY = ("mkdocs", "mkdocs_macros", "material", "properdocs")


def module_of(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    best = 0
    for index, (prefix, _) in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            best = index if prefix != "qms" else best
    return best


def runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import that runs (inside functions too), leaving out `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}:{node.lineno}: use absolute qms.* imports"
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if (PACKAGE.parent / f"{node.module}.{alias.name}".replace(".", "/")).with_suffix(".py").exists()
                      or (PACKAGE.parent / f"{node.module}.{alias.name}".replace(".", "/")).is_dir()]
    return found


def modules() -> dict[str, Path]:
    return {module_of(p): p for p in sorted(PACKAGE.rglob("*.py")) if "templates" not in p.parts}


def test_no_module_imports_from_a_layer_above_it():
    wrong = []
    for name, path in modules().items():
        mine = layer_of(name)
        for line, target in runtime_imports(path):
            if target.startswith("qms.") and layer_of(target) > mine:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {name} ({LAYERS[mine][0]}) imports {target} "
                             f"({LAYERS[layer_of(target)][0]})")
    assert not wrong, "\n".join(wrong)


def test_only_the_front_ends_import_mkdocs():
    wrong = []
    for name, path in modules().items():
        if name.startswith("qms.adapters"):
            continue
        for line, target in runtime_imports(path):
            if target.split(".")[0] in FRONT_END_ONLY:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_there_is_no_import_cycle():
    known = modules()
    graph = {name: sorted({t for _, t in runtime_imports(path) if t in known and t != name})
             for name, path in known.items()}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    # a package's __init__ importing its own submodule is not a cycle of two jobs
    cycles = [c for c in cycles if not all(part.startswith(c.split(" -> ")[0]) for part in c.split(" -> "))]
    assert not cycles, "\n".join(cycles)


def test_every_folder_of_the_package_is_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == {prefix.split(".")[1] for prefix, _ in LAYERS[1:]}
