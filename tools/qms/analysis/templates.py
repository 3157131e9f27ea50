"""Template errors found by `qms check`, as the build would find them: each page's text (code set aside, see
qms.model.codespans) parsed by Jinja, and every name it uses looked up among the names a page can use."""

from __future__ import annotations

import re

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from qms.config import read_mkdocs_yml
from qms.model.codespans import LITERAL_HINT
from qms.model.project import Project
from qms.problems import Problem, QMSError

# What every page can use: the engine's link macros, Jinja's globals, mkdocs-macros' safe variables and macros.
KNOWN = frozenset({"term", "clause", "doc", "record_type", "range", "lipsum", "dict", "cycler", "joiner", "namespace",
                   "config", "page", "extra", "now", "fix_url", "loop", "self", "varargs", "kwargs", "caller"})


class _ParseOnly(SandboxedEnvironment):
    """Parses and inspects pages, never computes: Jinja folds constant expressions while it compiles (and
    `find_undeclared_variables` compiles), except the operators a sandbox intercepts, so `10**(10**8)` or
    `'x' * 10**10` in a page is never evaluated here."""

    intercepted_binops = frozenset({"**", "*", "%", "//", "+"})
    intercepted_unops = frozenset({"-", "+"})

    def __init__(self, **options: str):
        super().__init__(**options)
        self.filters = {name: _inert for name in self.filters}  # nor is a filter run (`center(10**9)`)
        self.tests = {name: _inert for name in self.tests}


def _inert(*args: object, **kwargs: object) -> object:
    raise RuntimeError("not evaluated while checking")


_WORD = re.compile(r"[A-Za-z_]\w*")
_PAGE_KEY = re.compile(r"^([A-Za-z_]\w*)\s*:", re.M)


def _macros_settings(project: Project) -> tuple[dict, set[str]]:
    """mkdocs-macros' options in mkdocs.yml, and the names mkdocs.yml's `extra:` and the macros module define."""
    try:
        data = read_mkdocs_yml(project.settings.config_file)
    except QMSError:
        return {}, set()
    options: dict = {}
    for plugin in data.get("plugins") or []:
        if isinstance(plugin, dict) and isinstance(plugin.get("macros"), dict):
            options = plugin["macros"]
        elif plugin == "macros":
            options = {}
    names = set((data.get("extra") or {}) if isinstance(data.get("extra"), dict) else ())
    module = str(options.get("module_name") or "main")
    root = project.settings.root
    for path in (root / f"{module}.py", root / module):
        files = [path] if path.is_file() else sorted(path.glob("**/*.py")) if path.is_dir() else []
        for file in files:
            try:
                names |= set(_WORD.findall(file.read_text(encoding="utf-8", errors="replace")))
            except OSError:
                pass
    return options, names


def _line_of_name(text: str, name: str) -> int:
    """1-based line of the first template tag in `text` that uses `name`."""
    match = re.search(r"\{[{%][^}]*?\b" + re.escape(name) + r"\b", text, re.S)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def template_problems(project: Project) -> list[Problem]:
    """A problem for every page whose template would not render: syntax errors, and (with mkdocs-macros'
    `on_undefined: strict`) names no page can use."""
    pages = [p for p in project.pages if p.template is not None]
    if not pages:
        return []
    options, defined = _macros_settings(project)
    if options.get("render_by_default") is False:
        return []
    strict = options.get("on_undefined") == "strict" and not options.get("include_yaml")
    delimiters = ("block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
                  "comment_start_string", "comment_end_string")
    env = _ParseOnly(**{k: str(options[f"j2_{k}"]) for k in delimiters if options.get(f"j2_{k}")})
    problems = []
    for page in pages:
        assert page.template is not None
        try:
            tree = env.parse(page.template)
        except TemplateSyntaxError as exc:
            problems.append(Problem(page.path, page.body_line + (exc.lineno or 1) - 1,
                                    f"template syntax error: {exc.message}: {LITERAL_HINT}", code="template"))
            continue
        try:
            used = meta.find_undeclared_variables(tree)
        except TemplateSyntaxError as exc:  # a filter or test no one defines (the build fails on it too)
            unknown = re.search(r"named '(\w+)'", exc.message or "")
            if unknown is None or unknown.group(1) not in defined:
                problems.append(Problem(page.path, page.body_line + (exc.lineno or 1) - 1,
                                        f"template error: {exc.message}: {LITERAL_HINT}", code="template"))
            continue
        if not strict:
            continue
        own = set(_PAGE_KEY.findall(_front_matter_text(project, page.path)))
        for name in sorted(used - KNOWN - defined - own):
            problems.append(Problem(page.path, page.body_line + _line_of_name(page.template, name) - 1,
                                    f"'{name}' is undefined: use one of the manual's macros (term, clause, doc, "
                                    f"record_type) or a defined variable; {LITERAL_HINT}", code="template"))
    return problems


def _front_matter_text(project: Project, path: str) -> str:
    """The front matter of a page (its keys are variables of that page)."""
    try:
        text = (project.settings.root / path).read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return ""
    if not text.startswith("---"):
        return ""
    end = text.find("\n---", 3)
    return text[: end if end > 0 else 0]

