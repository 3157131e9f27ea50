"""`qms import`: a folder of GitHub-flavoured procedures and Word files become controlled documents that build
strictly and render, structure for structure, as GitHub renders the Markdown the import wrote."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from pathlib import Path

import cmarkgfm
import docx
import docx.document
import pytest
from cmarkgfm.cmark import Options
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from conftest import page, run
from test_gfm import article, structure

VIGILANCE = """\
# SOP-012 Vigilance reporting

| Process owner | Quality Manager |
|---|---|

This procedure meets ISO 9001:2015 clauses 8.5.5 and 10.2, and ISO 13485:2016 8.2.3.
Report the incident within:
- 2 days for a death or serious threat
  - by telephone to the duty officer
- 10 days for a serious deterioration
- 15 days for \\<any other\\> incident

Letters to the customer start "Dear {{customer_name}}," and {% if %} is text too.

Corrective action follows [the CAPA procedure](sop-013%20capa.md#scope), see the flow chart:

![Reporting flow](img/flow.png)

## Records

<enter the name of the record>
"""

CAPA = """\
# SOP-013 Corrective and preventive action

Corrective action as ISO 9001 10.2.1 asks.

## Scope

All nonconformities found in production.

**Process owner:** Head of Regulatory Affairs
"""


def png() -> bytes:
    """A 2×2 red PNG, written by hand (no imaging library needed)."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def numbered_list(document: docx.document.Document):
    """A list as Word numbers it: steps 1., 2., 3. with bullets one level in (Word's own numbering part)."""
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        '<w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="bullet"/>'
        '<w:lvlText w:val="-"/></w:lvl></w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def item(text: str, level: int) -> None:
        paragraph = document.add_paragraph(text, style="List Paragraph")
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))

    return item


def word_file(path: Path) -> None:
    """A work instruction as a quality manager writes it in Word."""
    document = docx.Document()
    document.add_heading("WI-05 Packing of medical parts", level=1)
    document.add_paragraph("This work instruction covers ISO 9001 clause 8.5.4 for the packing line.")
    table = document.add_table(rows=3, cols=2)
    for row, (key, value) in zip(table.rows, (("Step", "Check"), ("Process owner", "Quality Manager"),
                                               ("Seal", "Seal width 8 mm | no creases"))):
        row.cells[0].text, row.cells[1].text = key, value
    document.add_heading("Steps", level=2)
    steps = numbered_list(document)
    steps("Clean the bench", 0)
    steps("Pack the parts", 0)
    steps("one tray per bag", 1)
    steps("Label the bag with <enter label format>", 0)
    document.add_paragraph("The seal looks like this:")
    document.add_picture(io.BytesIO(png()))
    document.add_paragraph("Totals use *asterisks* and 2 # marks, and {% never run %}.")
    document.save(path)


@pytest.fixture
def manual(tmp_path: Path) -> Path:
    # Built for a web server and without qms init's repository, as before it made them (tests/test_init.py).
    result = run(["qms", "init", str(tmp_path / "manual"), "--company", "Import Test Ltd", "--no-offline", "--no-git"],
                 cwd=tmp_path)
    assert result.returncode == 0, result.output
    return tmp_path / "manual"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "old-sops"
    (folder / "img").mkdir(parents=True)
    (folder / "sop-012 vigilance.md").write_text(VIGILANCE, encoding="utf-8")
    (folder / "sop-013 capa.md").write_text(CAPA, encoding="utf-8")
    (folder / "img" / "flow.png").write_bytes(png())
    word_file(folder / "packing.docx")
    return folder


def build(project: Path) -> Path:
    result = run(["mkdocs", "build", "--strict"], cwd=project)
    assert result.returncode == 0, result.output
    return project / "site"


def github(markdown_file: Path) -> str:
    """What GitHub shows for a file the import wrote (its body; Jinja's `{{ '{{' }}` read as GitHub would not)."""
    body = markdown_file.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    body = body.replace("{{ '{{' }}", "{{").replace("{{ '{%' }}", "{%")
    return cmarkgfm.github_flavored_markdown_to_html(body, options=Options.CMARK_OPT_UNSAFE)


def test_a_folder_of_markdown_and_word_procedures_imports_and_builds_strictly(manual: Path, sources: Path) -> None:
    result = run(["qms", "import", str(sources)], cwd=manual)
    assert result.returncode == 0, result.output
    vigilance = manual / "procedures" / "SOP-012-vigilance-reporting.md"
    capa = manual / "procedures" / "SOP-013-corrective-and-preventive-action.md"
    packing = manual / "procedures" / "WI-05-packing-of-medical-parts.md"
    assert vigilance.is_file() and capa.is_file() and packing.is_file(), result.output
    text = vigilance.read_text(encoding="utf-8")
    assert 'id: "SOP-012"' in text and 'title: "Vigilance reporting"' in text and "status: draft" in text
    assert 'clauses: ["8.5.5", "10.2"]' in text
    assert "ISO 13485:2016 8.2.3" in text.split("---")[1]  # another standard: kept in the front matter's comment
    assert "# SOP-012" not in text  # the title heading left the body
    assert "{{ doc('SOP-013') }}" in text
    assert "type: work instruction" in packing.read_text(encoding="utf-8")
    assert (manual / "docs" / "images" / "SOP-012" / "image-1.png").read_bytes() == png()
    assert "Needs a decision" in result.output and "Head of Regulatory Affairs" in result.output
    assert "- id: head-of-regulatory-affairs" in result.output

    site = build(manual)
    html = page(site, "procedures/SOP-012-vigilance-reporting.md")
    assert html.count("<h1") == 1 and "SOP-012 Vigilance reporting<a class=\"headerlink\"" in html
    assert "Dear {{customer_name}}," in html and "and {% if %} is text too" in html
    assert 'href="../SOP-013-corrective-and-preventive-action/"' in html
    assert "&lt;enter the name of the record&gt;" in html  # a placeholder shown, not dropped as a tag
    assert (site / "images" / "SOP-012" / "image-1.png").is_file()
    assert 'src="../../images/SOP-012/image-1.png"' in html

    check = run(["qms", "check"], cwd=manual)
    assert "SOP-012-vigilance-reporting.md:" in check.output and "unfinished text (fill-in)" in check.output
    assert "WI-05-packing-of-medical-parts.md:" in check.output and "<enter label format>" in check.output


@pytest.mark.parametrize("name", ["SOP-012-vigilance-reporting.md", "WI-05-packing-of-medical-parts.md"])
def test_imported_documents_render_as_github_renders_them(manual: Path, sources: Path, name: str) -> None:
    assert run(["qms", "import", str(sources)], cwd=manual).returncode == 0
    site = build(manual)
    ours = structure(article(page(site, f"procedures/{name}")))
    theirs = structure(github(manual / "procedures" / name))
    assert ours.items == theirs.items and ours.items
    # the page adds its control block and revision history as tables of its own around the body's
    assert theirs.tables and all(table in ours.tables for table in theirs.tables)
    for text in ("\\<", "\\*", "\\#", "\\|"):
        assert text not in ours.text


def test_word_structure_survives_headings_lists_tables_images(manual: Path, sources: Path) -> None:
    assert run(["qms", "import", str(sources / "packing.docx")], cwd=manual).returncode == 0
    site = build(manual)
    found = structure(article(page(site, "procedures/WI-05-packing-of-medical-parts.md")))
    assert [(d, kind) for d, kind, _ in found.items] == [(0, "ol"), (0, "ol"), (1, "ul"), (0, "ol")]
    assert [["Step", "Check"], ["Process owner", "Quality Manager"],
            ["Seal", "Seal width 8 mm | no creases"]] in found.tables
    assert "Totals use *asterisks* and 2 # marks, and {% never run %}." in found.text
    text = (manual / "procedures" / "WI-05-packing-of-medical-parts.md").read_text(encoding="utf-8")
    assert "## Steps" in text and "owner: quality-manager" in text and 'clauses: ["8.5.4"]' in text
    assert (manual / "docs" / "images" / "WI-05" / "image-1.png").is_file()


def test_existing_files_are_never_replaced_without_overwrite(manual: Path, sources: Path) -> None:
    assert run(["qms", "import", str(sources / "sop-013 capa.md")], cwd=manual).returncode == 0
    target = manual / "procedures" / "SOP-013-corrective-and-preventive-action.md"
    target.write_text(target.read_text(encoding="utf-8") + "\nMy own edit.\n", encoding="utf-8")
    again = run(["qms", "import", str(sources / "sop-013 capa.md")], cwd=manual)
    assert again.returncode == 0 and "exists: not replaced (pass --overwrite" in again.output
    assert "My own edit." in target.read_text(encoding="utf-8")
    assert not (manual / "procedures" / "SOP-014-corrective-and-preventive-action.md").exists()
    forced = run(["qms", "import", "--overwrite", str(sources / "sop-013 capa.md")], cwd=manual)
    assert forced.returncode == 0 and "My own edit." not in target.read_text(encoding="utf-8")


def test_an_id_the_manual_already_uses_gets_the_next_free_one_and_a_decision(manual: Path, tmp_path: Path) -> None:
    (tmp_path / "QP-01 Purchasing.md").write_text("# QP-01 Purchasing\n\nHow we buy, per ISO 9001 8.4.\n",
                                                  encoding="utf-8")
    result = run(["qms", "import", str(tmp_path / "QP-01 Purchasing.md")], cwd=manual)
    assert result.returncode == 0, result.output
    assert "QP-01 is already used by procedures/QP-01-control-of-documented-information.md: imported as QP-02" \
        in result.output
    assert (manual / "procedures" / "QP-02-purchasing.md").is_file()


def test_effective_import_is_one_commit_and_checks_clean(manual: Path, sources: Path) -> None:
    for step in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 ["git", "-c", "user.name=Q", "-c", "user.email=q@example.com", "commit", "-qm", "Start"]):
        subprocess.run(step, cwd=manual, check=True)
    result = run(["qms", "import", "--effective", str(sources / "sop-013 capa.md")], cwd=manual,
                 env={"GIT_AUTHOR_NAME": "Q", "GIT_AUTHOR_EMAIL": "q@example.com",
                      "GIT_COMMITTER_NAME": "Q", "GIT_COMMITTER_EMAIL": "q@example.com"})
    assert result.returncode == 0, result.output
    log = subprocess.run(["git", "log", "--format=%s", "--name-only", "-1"], cwd=manual, capture_output=True,
                         text=True).stdout
    assert log.startswith("Import 1 document into the quality manual")
    assert "procedures/SOP-013-corrective-and-preventive-action.md" in log
    text = (manual / "procedures" / "SOP-013-corrective-and-preventive-action.md").read_text(encoding="utf-8")
    assert 'revision: "1"' in text and "status: effective" in text


def test_help_says_what_is_not_converted() -> None:
    result = run(["qms", "import", "--help"], cwd=Path.cwd())
    assert result.returncode == 0
    for words in ("Not converted from Word", "merged table cells", "tracked changes", "--effective", "--overwrite"):
        assert words in result.output


def test_unsupported_and_missing_files_are_plain_messages(manual: Path, tmp_path: Path) -> None:
    (tmp_path / "old.pdf").write_bytes(b"%PDF-1.4")
    result = run(["qms", "import", str(tmp_path / "old.pdf")], cwd=manual)
    assert result.returncode == 1 and "cannot import a .pdf" in result.output and "Traceback" not in result.output
    (tmp_path / "broken.docx").write_bytes(b"not a zip")
    result = run(["qms", "import", str(tmp_path / "broken.docx")], cwd=manual)
    assert result.returncode == 1 and "cannot read this Word file" in result.output
    assert "Traceback" not in result.output
