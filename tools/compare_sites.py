"""Compare two built sites page by page: which files were added, removed or changed, and how.

    python tools/compare_sites.py OLD_SITE NEW_SITE [--diff N] [--ignore REGEX ...] [--canonical]

Used to show that a refactoring changes nothing a reader sees (or only what it meant to). Build dates and
the search index's ordering are ignored; HTML is compared after collapsing white space between tags, so a
renderer that writes the same page with other line breaks is not reported. With --canonical, every HTML page is
parsed (HTML5 rules) and written out again before the comparison, so the same document spelt differently
(`&para;` or `¶`, `<br />` or `<br>`, single or double quotes) is not reported either; escaped text stays escaped,
so markup that became text (or the reverse) still counts. Exit status 1 when a page differs.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import sys
from pathlib import Path

# What changes from build to build without a reader noticing.
DEFAULT_IGNORES = (
    r"<lastmod>[^<]*</lastmod>",
    r"Generated from records/ on \d{4}-\d{2}-\d{2}",
    r"DTSTAMP:[0-9TZ]+",
)
BINARY_SUFFIXES = {".gz", ".png", ".jpg", ".svg", ".woff", ".woff2", ".ttf", ".pdf", ".ico"}


def normalise(text: str, ignores: list[re.Pattern[str]]) -> str:
    for pattern in ignores:
        text = pattern.sub("", text)
    text = re.sub(r">\s+<", "><", text)
    return re.sub(r"[ \t]+", " ", text)


def search_index(path: Path) -> str:
    """The search index with its documents sorted by location, so only content differences count."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["docs"] = sorted(data.get("docs", []), key=lambda d: (d.get("location", ""), d.get("title", "")))
    return json.dumps(data, indent=1, sort_keys=True)


def canonical(text: str) -> str:
    """The document as the HTML5 parser reads it, written out again."""
    import xml.etree.ElementTree as ET

    import tinyhtml5

    return ET.tostring(tinyhtml5.parse(text), encoding="unicode")


def read(path: Path, ignores: list[re.Pattern[str]], parse: bool = False) -> str | bytes:
    if path.suffix in BINARY_SUFFIXES:
        return hashlib.sha256(path.read_bytes()).hexdigest().encode()
    if path.name == "search_index.json":
        return search_index(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    return normalise(canonical(text) if parse and path.suffix == ".html" else text, ignores)


def files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


def compare(old: Path, new: Path, ignores: list[re.Pattern[str]], show: int, parse: bool = False) -> int:
    a, b = files(old), files(new)
    added, removed = sorted(b - a), sorted(a - b)
    changed = []
    for rel in sorted(a & b):
        if read(old / rel, ignores, parse) != read(new / rel, ignores, parse):
            changed.append(rel)
    print(f"{len(a & b)} files in both sites, {len(a & b) - len(changed)} the same, {len(changed)} changed; "
          f"{len(added)} added, {len(removed)} removed.")
    for title, items in (("Added", added), ("Removed", removed), ("Changed", changed)):
        if items:
            print(f"\n{title}:")
            for rel in items:
                print(f"  {rel}")
    for rel in changed[:show]:
        old_text, new_text = read(old / rel, ignores, parse), read(new / rel, ignores, parse)
        if isinstance(old_text, bytes) or isinstance(new_text, bytes):
            continue
        split = (lambda t: re.sub(r"(<(?:p|tr|li|h\d|div|table)\b)", r"\n\1", t).splitlines())
        diff = difflib.unified_diff(split(old_text), split(new_text), f"old/{rel}", f"new/{rel}", n=0, lineterm="")
        print("\n" + "\n".join(list(diff)[:60]))
    return 1 if changed or added or removed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--diff", type=int, default=5, metavar="N", help="show the differences of N changed files")
    parser.add_argument("--ignore", action="append", default=[], metavar="REGEX", help="also ignore text matching")
    parser.add_argument("--canonical", action="store_true",
                        help="compare HTML pages as parsed documents (ignore how the same markup is spelt)")
    args = parser.parse_args(argv)
    ignores = [re.compile(p) for p in (*DEFAULT_IGNORES, *args.ignore)]
    return compare(args.old, args.new, ignores, args.diff, args.canonical)


if __name__ == "__main__":
    sys.exit(main())
