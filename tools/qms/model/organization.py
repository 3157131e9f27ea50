"""The organization: company facts and roles, from organization.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qms.model import yamlio
from qms.problems import Problem


@dataclass(frozen=True)
class Role:
    """A role that owns documents and performs tasks."""

    id: str
    title: str
    reports_to: str | None = None
    summary: str = ""


@dataclass(frozen=True)
class Organization:
    """Company name, scope and roles."""

    name: str
    short_name: str
    site: str
    scope: str
    roles: dict[str, Role]
    code: str = ""  # the company's short code, the prefix of its record ids (qms init --code)

    def role_title(self, role_id: str) -> str:
        role = self.roles.get(role_id)
        return role.title if role else role_id


EMPTY = Organization("Our company", "Our company", "", "", {})


def load_organization(path: Path, display: str) -> tuple[Organization, list[Problem]]:
    """Read organization.yaml; a missing file gives an empty organization and one problem."""
    if not path.exists():
        return EMPTY, [Problem(display, 0, "missing: create it with a 'company:' mapping and a 'roles:' list "
                                           "(see 'qms init' for an example)", code="missing-file")]
    try:
        text = yamlio.read_yaml_text(path)
        data = yamlio.load(text) or {}
    except yamlio.YAMLSyntaxProblem as exc:
        return EMPTY, [Problem(display, exc.line, exc.message, code=exc.code)]
    if not isinstance(data, dict):
        return EMPTY, [Problem(display, 1, "must be a mapping with 'company:' and 'roles:'", code="not-a-mapping")]
    problems: list[Problem] = []
    company = data.get("company") or {}
    if not isinstance(company, dict):
        problems.append(Problem(display, yamlio.line_of(text, ["company"]), "company: must be a mapping with name "
                                                                          "and short_name", code="invalid-company"))
        company = {}
    if not isinstance(data.get("roles") or [], list):
        problems.append(Problem(display, yamlio.line_of(text, ["roles"]), "roles: must be a list of roles",
                                code="invalid-role"))
        data = {**data, "roles": []}
    roles: dict[str, Role] = {}
    for i, raw in enumerate(data.get("roles") or []):
        if not isinstance(raw, dict) or not raw.get("id") or not raw.get("title"):
            problems.append(Problem(display, yamlio.line_of(text, ["roles", i]), "each role needs an id and a title",
                                    code="invalid-role"))
            continue
        rid = str(raw["id"])
        if rid in roles:
            problems.append(Problem(display, yamlio.line_of(text, ["roles", i]), f"role id '{rid}' is used twice",
                                    code="duplicate-id"))
        roles[rid] = Role(rid, str(raw["title"]), raw.get("reports_to"), str(raw.get("summary", "")))
    for i, role in enumerate(roles.values()):
        if role.reports_to and role.reports_to not in roles:
            problems.append(Problem(display, yamlio.line_of(text, ["roles", i, "reports_to"]),
                                    f"role '{role.id}' reports to unknown role '{role.reports_to}'", code="unknown-role"))
    org = Organization(
        name=str(company.get("name", "Our company")),
        short_name=str(company.get("short_name") or company.get("name", "Our company")),
        site=str(company.get("site", "")),
        scope=str(company.get("scope", "")),
        roles=roles,
        code=str(company.get("code") or ""),
    )
    return org, problems
