"""`qms pdf` (and `make pdf`) prints the manual: cover, contents, every document, header and footer on every page.

The PDF is checked the way a person would: poppler's pdftotext reads its text page by page, pdftoppm renders
the first pages to images (kept in test-output/pdf/ for review), pdfinfo gives the page count and sizes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, SUITE_TODAY, run

OUT = ROOT / "test-output" / "pdf"
PROCEDURE = "QP-09"
DIAGRAM_DOC = "QM-04"
A4 = (595.3, 841.9)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                reason="poppler-utils is not installed (apt-get install poppler-utils; .ci/run does)")


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, in order, laid out as printed."""
    pages = pdftotext(pdf, "-layout").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def flat(text: str) -> str:
    """Text on one line, single-spaced."""
    return " ".join(text.split())


def documents() -> dict:
    from qms.config import load_settings
    from qms.model.project import load_project

    return load_project(load_settings(ROOT / "mkdocs.yml")).documents


@pytest.fixture(scope="module")
def printed(example_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example manual printed once: the whole manual and two documents' own PDFs."""
    out = tmp_path_factory.mktemp("pdf")
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "log", "-1", "--format=%h %cs"], capture_output=True, text=True, check=True)
    (out / "head.txt").write_text(head.stdout)
    result = run(["qms", "pdf", "--site", str(example_site), "-o", str(out), "--manual",
                  "--document", PROCEDURE, "--document", DIAGRAM_DOC], cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.output
    (out / "stderr.txt").write_text(result.stderr)
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(out / "quality-manual.pdf", OUT / "quality-manual.pdf")
    shutil.copy(out / "documents" / f"{PROCEDURE}.pdf", OUT / f"{PROCEDURE}.pdf")
    return out


@pytest.fixture(scope="module")
def manual(printed: Path) -> Path:
    return printed / "quality-manual.pdf"


@pytest.fixture(scope="module")
def pages(manual: Path) -> list[str]:
    return page_texts(manual)


def test_make_pdf_leaves_building_the_site_to_qms_pdf():
    """`qms pdf` without --site builds the site unless it is current (tests/test_pdf_edition.py): `make pdf`,
    the showcase's and a new company's, rebuilds nothing after `make site`."""
    for makefile in (ROOT / "Makefile", ROOT / "tools/qms/templates/init/Makefile"):
        recipe = re.search(r"^pdf:.*\n((?:\t.*\n)+)", makefile.read_text(), re.M)
        assert recipe, f"no pdf target in {makefile}"
        assert re.fullmatch(r"\t(\$\(BIN\)/)?qms pdf\n", recipe.group(1)), recipe.group(1)
        assert not re.match(r"^pdf:\s*(site|build)\b", recipe.group(0)), "the site is built by qms pdf when needed"


def test_cover_shows_company_manual_version_status_and_print_date(printed: Path, pages: list[str]):
    cover = flat(pages[0])
    commit, date = (printed / "head.txt").read_text().split()
    assert "Aldwick Precision Engineering Ltd" in cover
    assert "Quality Manual" in cover
    assert f"Manual version commit {commit} of {date}" in cover
    if "with uncommitted changes" in cover:  # a working tree: a developer's machine
        assert "Status Draft: built with uncommitted changes, so not an issued edition" in cover
    else:  # a clean checkout: CI
        assert "Status Issued: built from a committed version of the manual" in cover
    assert f"Printed {SUITE_TODAY}: uncontrolled when printed" in cover
    assert re.search(r"Contents \d+ controlled documents: \d+ effective", cover)


def test_every_page_has_the_header_and_footer(pages: list[str]):
    """Pages are numbered within their section (a document's "Page 2 of 5"), and every section's pages run
    from 1 to its count without a gap."""
    today = SUITE_TODAY
    expected = None  # (the page, of how many) the next page must show
    sections = 0
    for sheet, text in enumerate(pages, start=1):
        lines = [line for line in text.splitlines() if line.strip()]
        footer = flat("\n".join(lines[-3:]))
        assert "Aldwick Precision Engineering Ltd · Uncontrolled when printed · printed " + today in footer, sheet
        assert "Manual edition " in footer, sheet
        number, count = map(int, re.search(r"Page (\d+) of (\d+)", footer).groups())
        if expected is None or expected[0] > expected[1]:
            assert number == 1, f"page {sheet}: a section starts at 'Page {number} of {count}'"
            sections += 1
        else:
            assert (number, count) == expected, f"page {sheet}: 'Page {number} of {count}', not {expected}"
        expected = (number + 1, count)
    assert expected is not None and expected[0] > expected[1], "the last section stops before its last page"
    assert sections >= len(documents())


def test_document_pages_carry_the_document_id_title_and_revision_in_the_header(pages: list[str]):
    docs = documents()
    headed = {}
    for number, text in enumerate(pages, start=1):
        header = text.lstrip().splitlines()[0]
        match = re.match(r"\s*([A-Z]+-\d+)\s+.*?\s+Revision (\S+)\s*$", header)
        if match:
            headed.setdefault(match.group(1), (number, match.group(2), header))
    for doc in docs.values():
        assert doc.id in headed, f"no page headed {doc.id}"
        number, revision, header = headed[doc.id]
        assert revision == doc.revision, header
        assert doc.title[:30] in header, header


def test_contents_lists_every_document_with_its_page(pages: list[str]):
    contents = ""
    for text in pages[1:]:  # the contents start on page 2 and run on as long as they need
        if not text.lstrip().startswith("Contents"):
            break
        contents += text
    docs = documents()
    for doc in docs.values():
        match = re.search(re.escape(doc.id) + r" .*?\.\s*(\d+)\s*$", contents, re.M)
        assert match, f"{doc.id} not in the contents"
        page = int(match.group(1))
        assert pages[page - 1].lstrip().startswith(doc.id), f"{doc.id}: contents says page {page}"


def test_every_document_is_printed_with_its_metadata_block_and_revision_history(pages: list[str]):
    docs = documents()
    starts = {}
    for number, text in enumerate(pages):
        body = flat(text)
        for doc in docs.values():
            if doc.id not in starts and re.search(rf"{re.escape(doc.id)} {re.escape(doc.title[:25])}.* "
                                                  rf"Document {re.escape(doc.id)} · {doc.type} Revision "
                                                  rf"{re.escape(doc.revision)} Status {doc.status} Owner", body):
                starts[doc.id] = number
    assert set(starts) == set(docs), sorted(set(docs) - set(starts))
    procedure = flat("\n".join(pages[starts[PROCEDURE]: starts[PROCEDURE] + 8]))
    assert re.search(r"Revision.*Approved by", procedure), "no revision history table in the printed procedure"


def test_tables_fit_the_page_width(manual: Path):
    """No word of any table lies beyond the page's right edge: columns are wrapped, not clipped."""
    bbox = pdftotext(manual, "-bbox")
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, re.S):
        width = float(page.group(1))
        for word in re.finditer(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>',
                                page.group(3)):
            assert float(word.group(2)) <= width - 10, f"'{word.group(3)}' runs off a page {width} wide"


def test_the_wide_matrix_is_printed_in_landscape_with_every_column(manual: Path, pages: list[str]):
    matrix = next(i for i, t in enumerate(pages) if t.lstrip().startswith("Clause × document matrix"))
    info = subprocess.run(["pdfinfo", "-f", str(matrix + 1), "-l", str(matrix + 1), str(manual)],
                          capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height
    header = flat(pages[matrix])
    for doc_id in documents():
        assert doc_id in header, doc_id


def test_page_count_and_size_are_sensible(manual: Path, pages: list[str]):
    info = subprocess.run(["pdfinfo", str(manual)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert count == len(pages)
    assert 40 <= count <= 600, count
    size = tuple(map(float, re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M).groups()))
    assert abs(size[0] - A4[0]) < 1 and abs(size[1] - A4[1]) < 1, size  # A4 portrait
    assert 50_000 < manual.stat().st_size < 50_000_000
    assert re.search(r"^Title:\s+Quality Manual — Aldwick Precision Engineering Ltd", info, re.M)


def test_first_pages_render_to_images_for_review(manual: Path):
    from PIL import Image

    for old in OUT.glob("page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "4", str(manual), str(OUT / "page")], check=True)
    images = sorted(OUT.glob("page-*.png"))
    assert len(images) == 4
    for number, path in enumerate(images, start=1):
        with Image.open(path) as image:
            gray = image.convert("L")
            ink = sum(gray.histogram()[:128]) / (gray.width * gray.height)
            assert ink > (0.005 if number <= 2 else 0.0005), f"{path.name} looks blank ({ink:.4f} of it is ink)"
            assert gray.height > gray.width  # portrait


def test_printing_shows_its_progress_on_standard_error(printed: Path):
    said = (printed / "stderr.txt").read_text().splitlines()
    steps = [line for line in said if re.match(r"^pdf: \d+/\d+ ", line)]
    assert len(steps) >= 2, said  # the parts as they are laid out, then the joined manual
    done, total = map(int, re.match(r"^pdf: (\d+)/(\d+) ", steps[-1]).groups())
    assert done == total and steps[-1].endswith(" quality-manual.pdf"), steps
    assert any(re.match(r"^pdf: 3 PDF files, \d+ at a time \(\d+\.\d s\)$", line) for line in said), said


def test_a_documents_pdf_is_its_pages_of_the_manual(printed: Path, pages: list[str]):
    """Each page is laid out once: a document's own PDF is cut from the manual, page for page."""
    own = page_texts(printed / "documents" / f"{PROCEDURE}.pdf")
    start = next(i for i, text in enumerate(pages) if text.lstrip().startswith(PROCEDURE)
                 and re.search(rf"Document {PROCEDURE} · procedure", flat(text)))
    assert [flat(t) for t in own] == [flat(t) for t in pages[start: start + len(own)]]


def test_links_across_the_parts_of_the_manual_lead_inside_it(manual: Path):
    """The manual is laid out in parts at once and joined: every link inside it resolves to a place in it."""
    from pypdf import PdfReader

    reader = PdfReader(manual)
    names = set(reader.named_destinations)
    inside, leftover = 0, []
    for page in reader.pages:
        for ref in page.get("/Annots") or []:
            annotation = ref.get_object()
            if "/Dest" in annotation:
                inside += 1
                assert str(annotation["/Dest"]) in names, annotation["/Dest"]
            elif "/A" in annotation and str(annotation["/A"].get("/URI", "")).startswith("qms-anchor:"):
                leftover.append(str(annotation["/A"]["/URI"]))
    assert inside > 1000 and not leftover, leftover[:5]
    assert "p-glossary--nonconformity" in names


def test_a_documents_pdf_links_other_documents_in_the_manual_pdf_beside_it(printed: Path, manual: Path):
    """The manual has no site_url: a link that leaves a document's own PDF leads to that place in the
    manual's PDF (both are published in site/pdf/), not to nowhere."""
    from pypdf import PdfReader

    names = set(PdfReader(manual).named_destinations)
    own, away = 0, []
    for page in PdfReader(printed / "documents" / f"{PROCEDURE}.pdf").pages:
        for ref in page.get("/Annots") or []:
            annotation = ref.get_object()
            uri = str(annotation["/A"].get("/URI", "")) if "/A" in annotation else ""
            if "/Dest" in annotation:
                own += 1
            elif uri.startswith("../quality-manual.pdf#nameddest="):
                away.append(uri.split("=", 1)[1])
            else:
                assert uri.startswith(("http://", "https://", "mailto:")), uri
    assert own and len(away) > 5, (own, away)
    assert not [name for name in away if name not in names], "a link into the manual names no place in it"
    assert not [name for name in away if name.startswith(f"p-procedures-{PROCEDURE.lower()}")]


def test_one_process_prints_the_same_document(printed: Path, example_site: Path, tmp_path: Path):
    result = run(["qms", "pdf", "--site", str(example_site), "-o", str(tmp_path), "--document", PROCEDURE,
                  "--jobs", "1"], cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.output
    alone = page_texts(tmp_path / "documents" / f"{PROCEDURE}.pdf")
    assert [flat(t) for t in alone] == [flat(t) for t in page_texts(printed / "documents" / f"{PROCEDURE}.pdf")]


def test_each_controlled_document_has_its_own_pdf(printed: Path):
    doc = documents()[PROCEDURE]
    path = printed / "documents" / f"{PROCEDURE}.pdf"
    texts = page_texts(path)
    assert 1 <= len(texts) <= 15
    first = flat(texts[0])
    assert first.startswith(f"{PROCEDURE} {doc.title} Revision {doc.revision}")
    assert f"Document {PROCEDURE} · procedure Revision {doc.revision} Status {doc.status} Owner" in first
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in flat(text)
        assert "Uncontrolled when printed · printed " + SUITE_TODAY in flat(text)


def test_diagrams_are_printed_as_their_boxes_and_connections(printed: Path):
    text = flat("\n".join(page_texts(printed / "documents" / f"{DIAGRAM_DOC}.pdf")))
    assert "Diagram (drawn in the online manual)" in text
    assert "Connections:" in text and "→" in text


def test_diagram_description_lists_groups_boxes_and_arrows():
    from qms.publish.pdf import describe_diagram

    text = describe_diagram("flowchart LR\n  A([Customer order])\n  subgraph CORE[Core processes]\n"
                            "    B[Contract review QP-06]\n  end\n  A --> B\n  B -->|accepted| C[Production]\n")
    assert "Core processes:\n  - Contract review QP-06" in text
    assert "Customer order → Contract review QP-06" in text
    assert "Contract review QP-06 → Production (accepted)" in text


def test_links_between_pages_stay_inside_the_pdf(example_site: Path):
    import datetime

    from qms.config import load_settings
    from qms.model.project import load_project
    from qms.publish import pdf

    project = load_project(load_settings(ROOT / "mkdocs.yml"))
    pages = pdf.site_pages(example_site, project)
    edition = pdf.read_edition(project, datetime.date(2026, 1, 31))
    html = pdf.assemble(pages, edition, example_site)
    hrefs = re.findall(r'href="([^"]*)"', html)
    local = [h for h in hrefs if not re.match(r"^[a-z]+:", h)]
    assert local and all(h.startswith("#") for h in local), [h for h in local if not h.startswith("#")][:5]
    ids = set(re.findall(r'id="([^"]+)"', html))
    missing = sorted({h[1:] for h in local} - ids)
    assert not missing, missing[:10]
    assert "#p-glossary--nonconformity" in hrefs


def test_html_parsing_reuses_its_scan_patterns_and_builds_the_same_tree(example_site: Path):
    """tinyhtml5's pattern cache is mended (it never hit): the same trees, each pattern made once."""
    import xml.etree.ElementTree as ET

    import tinyhtml5
    import tinyhtml5.inputstream
    from qms.publish import pdf  # noqa: F401 - mends the cache on import

    page_file = example_site / "registers" / "training-matrix" / "index.html"
    cache = tinyhtml5.inputstream.characters_until_regex
    tree = ET.tostring(tinyhtml5.parse(page_file.read_bytes(), namespace_html_elements=False))
    patterns = len(cache)
    again = ET.tostring(tinyhtml5.parse(page_file.read_bytes(), namespace_html_elements=False))
    assert again == tree and 0 < len(cache) == patterns < 40
    reference = ET.tostring(tinyhtml5.parse(page_file.read_bytes().decode("utf-8"), namespace_html_elements=False))
    assert reference == tree
