"""Links into the repository's web editor (GitHub, GitLab): edit a document or record, or open a new-file page
with its path and content filled in, so a change arrives as a pull (merge) request without a local clone.

The forge and branch come from MkDocs' `repo_url` and `edit_uri` (or the plugin's `edit_branch`); without a
`repo_url` on github.com or a GitLab host there are no links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from qms.config import Settings

DEFAULT_BRANCH = "main"
MAX_PREFILL = 6000  # characters of content put in a new-file link (browsers and forges limit URL length)


@dataclass(frozen=True)
class Editor:
    """A repository's web editor: its kind (github or gitlab), its base URL and the branch changes go to."""

    kind: str
    base: str
    branch: str

    def edit(self, path: str) -> str:
        """The page that edits the file at `path` (repository-relative)."""
        where = f"{quote(self.branch, safe='')}/{quote(path)}"
        return f"{self.base}/edit/{where}" if self.kind == "github" else f"{self.base}/-/edit/{where}"

    def new_file(self, path: str, content: str = "") -> str:
        """The page that creates `path` with `content` filled in."""
        folder, _, name = path.rpartition("/")
        if self.kind == "github":
            query = {"filename": path}
            if content and len(content) <= MAX_PREFILL:
                query["value"] = content
            return f"{self.base}/new/{quote(self.branch, safe='')}?{urlencode(query, quote_via=quote)}"
        query = {"file_name": name}
        if content and len(content) <= MAX_PREFILL:
            query["content"] = content
        folder_part = f"/{quote(folder)}" if folder else ""
        return f"{self.base}/-/new/{quote(self.branch, safe='')}{folder_part}?{urlencode(query, quote_via=quote)}"

    @property
    def name(self) -> str:
        return "GitHub" if self.kind == "github" else "GitLab"


def editor(settings: Settings) -> Editor | None:
    """The web editor of the manual's repository, or None when its forge is not known."""
    if not settings.repo_url:
        return None
    url = settings.repo_url.rstrip("/")
    if url.endswith(".git"):
        url = url[:-4]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    edit_uri = settings.edit_uri or ""
    host = parts.netloc.lower()
    if host == "github.com" or host.endswith(".github.com"):
        kind = "github"
    elif "gitlab" in host or "/-/" in edit_uri:
        kind = "gitlab"
    else:
        return None
    match = re.match(r"^/?(?:-/)?(?:edit|blob)/([^/]+)/", edit_uri)
    branch = settings.edit_branch or (match.group(1) if match else DEFAULT_BRANCH)
    return Editor(kind, url, branch)
