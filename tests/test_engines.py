"""Both engines build the manual: MkDocs 1.6.1 and ProperDocs 1.6.x (its continuation) give the same pages."""

from __future__ import annotations

from pathlib import Path

from conftest import BIN, ROOT, Run, run

QP = "procedures/QP-01-control-of-documented-information.md"
GENERATOR = r'<meta name="generator" content="[^"]*">'  # "mkdocs-1.6.1, ..." or "mkdocs-ProperDocs 1.6.7, ..."


def properdocs_build(project: Path, site: Path) -> Run:
    """`properdocs build --strict` (never -q or -v, as with MkDocs)."""
    return run(["properdocs", "build", "--strict", "-f", str(project / "mkdocs.yml"), "-d", str(site)], cwd=project)


def test_properdocs_builds_the_showcase_strictly_with_the_same_pages_as_mkdocs(example_site: Path, tmp_path: Path):
    site = tmp_path / "properdocs-site"
    result = properdocs_build(ROOT, site)
    assert result.returncode == 0, result.output[-5000:]
    assert 'content="mkdocs-ProperDocs 1.6.' in (site / "index.html").read_text()  # the other engine built it
    compared = run([str(BIN / "python"), str(ROOT / "tools/compare_sites.py"), str(example_site), str(site),
                    "--ignore", GENERATOR], cwd=ROOT)
    assert compared.returncode == 0, compared.output[-5000:]
    assert " 0 changed; 0 added, 0 removed." in compared.stdout


def test_properdocs_fails_strictly_on_a_broken_reference_as_mkdocs_does(new_project: Path):
    target = new_project / QP
    text = target.read_text()
    target.write_text(text + "\nSee {{ term('nonconformityy') }}.\n")
    result = properdocs_build(new_project, new_project / "site")
    assert result.returncode == 1
    assert f"{QP}:{text.count(chr(10)) + 2}: unknown term 'nonconformityy'" in result.output, result.output[-3000:]
