"""Where a value sits in a YAML text: its line, for error messages (ruamel.yaml's round-trip parser).

Used only when something is wrong, so the slower round-trip parser is acceptable. Lives among the
foundations because mkdocs.yml (qms.config) and the quality system's own files (qms.model) both need it.
"""

from __future__ import annotations

from typing import Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor


class _KeepTimestamps(RoundTripConstructor):
    """Round-trip constructor that leaves dates as strings, so an impossible date still has a line."""


_KeepTimestamps.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def line_of(text: str, path: Sequence[str | int]) -> int:
    """Return the 1-based line of the value at `path` in YAML `text` (the nearest parent found); 0 when
    the text does not parse."""
    try:
        reader = YAML()
        reader.Constructor = _KeepTimestamps
        node = reader.load(text)
    except Exception:  # noqa: BLE001 - syntax problems are reported elsewhere
        return 0
    line = 1
    for key in path:
        if isinstance(node, CommentedMap) and key in node:
            try:
                line = node.lc.key(key)[0] + 1
            except (KeyError, TypeError):
                pass
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            try:
                line = node.lc.item(key)[0] + 1
            except (KeyError, TypeError):
                pass
            node = node[key]
        else:
            break
    return line
