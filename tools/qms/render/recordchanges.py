"""The records part of the pull-request summary (`qms diff`): records added, changed field by field and deleted,
their flags, and changes to what a record type publishes. Portable Markdown (the writer's PLAIN dialect); values of
non-public fields never reach it (qms.history.recordchanges hides them).
"""

from __future__ import annotations

from typing import Sequence

from qms.history.recordchanges import APPROVAL_TRAILER, CONFIDENTIALITY_CHANGE, RECORD_FLAG_TEXT, RecordDiff
from qms.render.writer import PLAIN as W
from qms.render.writer import Markup

STATUS_TEXT = {"A": "added", "M": "changed", "R": "moved", "D": "deleted"}


def record_diff_markdown(diff: RecordDiff, base_rev: str) -> str:
    """What a pull request changes in the records and in what record types publish; '' when it changes neither."""
    out: list[Markup] = []
    if diff.schemas:
        out.append(Markup("### "))
        out.append(W.md("Changes to what records publish since {}\n\n", W.code(base_rev)))
        for s in diff.schemas:
            verdict = (W.md("approved by {}", ", ".join(s.approved_by)) if s.approved else
                       W.md("**error {}**: needs a commit by {} with the trailer {}", W.code(CONFIDENTIALITY_CHANGE),
                            " or ".join(s.roles) or "a role the policy names", W.code(f"{APPROVAL_TRAILER}: Name <email>")))
            out.append(W.md("- {} ({}): {}\n", W.code(s.path), s.record_type, verdict))
            out.append(W.bullets(s.changes, indent=2))
            if s.refused:
                out.append(W.bullets([f"not counted: {r}" for r in s.refused], indent=2))
        out.append(Markup("\n"))
    if diff.records:
        out.append(Markup("### "))
        out.append(W.md("Records changed since {}\n\n", W.code(base_rev)))
        rows = []
        for c in diff.records:
            what = W.text(STATUS_TEXT.get(c.status, c.status))
            if c.old_path:
                what = W.md("{} from {}", what, W.code(c.old_path))
            rows.append([c.record_id, c.record_type, what, W.join("; ", c.changes_text) or "—",
                         W.join(" ", map(W.code, c.flags)) or "—"])
        out.append(W.table(["Record", "Type", "Change", "Fields (before → after)", "Flags"], rows))
        flagged = [(c, flag, reason) for c in diff.records for flag, reason in zip(c.flags, c.reasons)]
        if flagged:
            out.append(W.md("**Records under change control:**\n\n"))
            out.append(W.bullets([W.md("{} {}: {} ({})", W.code(flag), c.record_id, RECORD_FLAG_TEXT[flag], reason)
                                  for c, flag, reason in flagged]))
    return W.concat(*out) if out else ""


def record_cells(fields: Sequence[str], reasons: Sequence[str]) -> str:
    """The fields a record change touched and why it was flagged, as one line of text for an audit-trail cell."""
    return "; ".join([*fields, *reasons])
