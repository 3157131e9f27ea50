"""JSON data from the engine's values: one serialiser for every `--format json` output and export.

A frozen dataclass becomes an object of its fields in their order (dates as YYYY-MM-DD, tuples as lists,
nested dataclasses the same way), followed by the properties its `JSON_EXTRA` names (a tuple of names,
or a mapping of output key to attribute name); a field declared
with `field(metadata={"json": False})` is left out. Outputs whose shape is not a dataclass's fields
(renamed keys, counts, summaries) build their dictionaries themselves and use `jsondata` for the parts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any


def jsondata(value: Any) -> Any:
    """`value` as JSON data (see the module docstring); TypeError for a value JSON cannot hold."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: jsondata(getattr(value, f.name)) for f in dataclasses.fields(value)
               if f.metadata.get("json", True)}
        extra = getattr(value, "JSON_EXTRA", ())
        for key, name in (extra.items() if isinstance(extra, Mapping) else zip(extra, extra)):
            out[key] = jsondata(getattr(value, name))
        return out
    if isinstance(value, Mapping):
        return {str(k): jsondata(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsondata(v) for v in value]
    raise TypeError(f"{type(value).__name__} is not JSON data")
