"""mkdocs-macros front end: registers the link macros and renders pages inside a Jinja sandbox.

A company's macros.py only needs: `from qms.adapters.macros import define_env, on_pre_page_macros`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, NoReturn

from qms.adapters import mkdocs as hooks
from qms.model.yamlio import split_front_matter
from qms.render.links import resolve_literal_calls
from qms.render.sandbox import describe, sandboxed

SAFE_CONFIG_KEYS = ("site_name", "site_url", "site_description", "site_author", "repo_url", "repo_name",
                    "copyright", "extra")


def _safe_config(config: Any) -> dict:
    """The few config values a page may show; the full MkDocs config stays out of the pages' reach."""
    return {key: config.get(key) for key in SAFE_CONFIG_KEYS}


def _macro(kind: str, env: Any) -> Callable[..., str]:
    def render(value: str, text: str | None = None) -> str:
        st = hooks.state()
        page = env.page
        path = st.settings.rel(Path(page.file.abs_src_path)) if page.file.abs_src_path else page.file.src_uri
        method = getattr(st.linker, kind)
        markdown, problem = method(value, text, page.file.src_uri, path)
        if problem is not None:
            key = (path, problem.code, problem.message)  # the same problem found by the static check: once
            if key not in st.reported:
                st.reported.add(key)
                hooks.report([problem])
        return markdown

    render.__name__ = kind
    render.__doc__ = f"Link to a {kind.replace('_', ' ')}: {kind}('id'[, 'text shown'])."
    return render


def define_env(env: Any) -> None:
    """Register term(), clause(), doc() and record_type() and hide the raw MkDocs config."""
    env.variables["config"] = _safe_config(env.conf)
    for kind in ("term", "clause", "doc", "record_type"):
        env.macro(_macro(kind, env), kind)


def on_pre_page_macros(env: Any) -> None:
    """Before each page renders: resolve literal macro calls, and make sure Jinja is the sandbox."""
    box = sandboxed(env._env)  # noqa: SLF001 - mkdocs-macros has no public setter
    env._env = box  # noqa: SLF001
    file = env.page.file
    st = hooks.state()
    path = st.settings.rel(Path(file.abs_src_path)) if file.abs_src_path else file.src_uri
    if st.linker is not None:
        env.markdown = resolve_literal_calls(st.linker, env.markdown, file.src_uri, path)
    first_body_line = _body_line(file.abs_src_path)

    def stop(exc: BaseException, line: int) -> NoReturn:
        where = f"{path}:{line + first_body_line - 1}" if line else path
        hooks.log.error(f"{where}: {describe(exc)}")
        raise SystemExit(1)

    box.on_error = stop


def _body_line(abs_path: str | None) -> int:
    """Line of the file where the Markdown body (what Jinja renders) starts."""
    if not abs_path:
        return 1
    try:
        return split_front_matter(Path(abs_path).read_text(encoding="utf-8-sig")).body_line
    except OSError:
        return 1
