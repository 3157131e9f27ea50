"""The files `qms import` reads: Markdown as it is, Word (.docx) through mammoth, each as Markdown with its images.

A source is read without touching the repository: images are kept in memory with the name they will get, and
the proposal decides where they go. Markdown keeps its own front matter, if it has some, for the proposal to
reuse; a Word file's paragraphs, headings, lists, tables and images come through mammoth's semantic HTML
(qms.importing.htmlmd). What mammoth could not convert is listed, for the report.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

from qms.importing import htmlmd
from qms.model import yamlio
from qms.problems import Problem, QMSError

SUFFIXES = (".md", ".markdown", ".docx")
_IMAGE_LINK = re.compile(r"(!\[[^\]\n]*\]\()([^)\s]+)((?:\s+\"[^\"\n]*\")?\))")


@dataclass
class Image:
    """An image of a source: the name it will be saved under and its bytes."""

    name: str
    data: bytes


@dataclass
class Source:
    """One file to import, read as Markdown."""

    path: Path
    display: str
    body: str
    front_matter: dict = field(default_factory=dict)
    images: list[Image] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def collect(paths: list[Path], cwd: Path) -> list[Path]:
    """The files named, and the Markdown and Word files in the folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        path = path if path.is_absolute() else cwd / path
        if path.is_symlink():
            raise QMSError(Problem(str(path), 0, "is a symlink: import the file it points to instead",
                                   code="symlink"))
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
                            and not p.is_symlink() and not p.name.startswith(("~$", ".")))
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise QMSError(Problem(str(path), 0, f"cannot import a {path.suffix or 'file without a suffix'}: "
                                                     "give Markdown (.md) or Word (.docx) files",
                                       code="import-unsupported"))
            found.append(path)
        else:
            raise QMSError(Problem(str(path), 0, "no such file or folder", code="missing-file"))
    unique: dict[Path, None] = dict.fromkeys(p.resolve() for p in found)
    return list(unique)


def read(path: Path, display: str) -> Source:
    if path.suffix.lower() == ".docx":
        return _read_docx(path, display)
    return _read_markdown(path, display)


def _read_markdown(path: Path, display: str) -> Source:
    text = yamlio.read_text(path)
    front = yamlio.split_front_matter(text)
    meta: dict = {}
    body = text
    if front.present:
        try:
            loaded = yamlio.load(front.yaml_text, unique_keys=True)
        except yamlio.YAMLSyntaxProblem as exc:
            raise QMSError(Problem(display, exc.line, exc.message, code=exc.code)) from None
        meta = loaded if isinstance(loaded, dict) else {}
        body = front.body
    source = Source(path, display, body, meta)
    source.body = _IMAGE_LINK.sub(lambda m: _local_image(source, m), source.body)
    return source


def _local_image(source: Source, match: re.Match[str]) -> str:
    """An image next to a Markdown source is brought along; a web image is left as a link."""
    target = match.group(2)
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
        return match.group(0)
    file = (source.path.parent / target.split("#")[0]).resolve()
    if not file.is_file() or file.is_symlink():
        source.notes.append(f"image {target} not found next to the file: the link was kept as it is")
        return match.group(0)
    name = f"image-{len(source.images) + 1}{file.suffix.lower()}"
    source.images.append(Image(name, file.read_bytes()))
    return f"{match.group(1)}{{IMAGE}}/{name}{match.group(3)}"


def _read_docx(path: Path, display: str) -> Source:
    import mammoth  # imported here: only Word imports need it

    source = Source(path, display, "")

    def save(image: mammoth.documents.Image) -> dict[str, str]:
        extension = mimetypes.guess_extension(image.content_type or "") or ".bin"
        extension = {".jpe": ".jpg", ".jpeg": ".jpg"}.get(extension, extension)
        name = f"image-{len(source.images) + 1}{extension}"
        with image.open() as stream:
            source.images.append(Image(name, stream.read()))
        return {"src": f"{{IMAGE}}/{name}", "alt": image.alt_text or ""}

    try:
        with path.open("rb") as stream:
            result = mammoth.convert_to_html(stream, convert_image=mammoth.images.img_element(save))
    except Exception as exc:  # noqa: BLE001 - mammoth raises many kinds on a damaged file
        raise QMSError(Problem(display, 0, f"cannot read this Word file ({type(exc).__name__}: {exc}): open it in "
                                           "Word and save it again as .docx", code="import-unreadable")) from None
    source.body = htmlmd.to_markdown(result.value)
    source.notes += sorted({_mammoth_note(message.message) for message in result.messages})
    return source


def _mammoth_note(message: str) -> str:
    if message.startswith("Unrecognised paragraph style"):
        return f"{message}: its text was imported as ordinary paragraphs"
    return message
