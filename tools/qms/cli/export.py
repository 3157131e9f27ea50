"""`qms export`: print one JSON model of the manual."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qms import files
from qms.config import load_settings
from qms.model.project import load_project
from qms.render.export import export_model


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="print the manual as one JSON model (clauses, terms, documents, records)")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project = load_project(load_settings(args.config_file))
    text = json.dumps(export_model(project), indent=2, ensure_ascii=False)
    if args.output:
        files.write_atomic(Path(args.output), text + "\n", newline=None)
    else:
        sys.stdout.write(text + "\n")
    return 0
