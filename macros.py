"""Aldwick Precision's own macros: the mkdocs-macros module named in mkdocs.yml (`macros: module_name: macros`).

The qms plugin brings the manual's own macros, term(), clause(), doc() and record_type(); nothing here is needed
for them. This file is where the company adds macros of its own: a Python function registered in `define_env`,
which pages call as {{ name(arguments) }}. Pages render inside the engine's page sandbox, so the functions here
are the only code a page can run: keep them small, and review a change to this file as a change to the build.

The example: the environmental limits of the inspection rooms (QP-03) are written once, below, and pages quote
them with {{ room_limits('cmm') }}, so a procedure and a work instruction can never state different figures. A
name that is not in the table stops the build with the page, the line and the names that exist.
"""

ROOM_LIMITS = {
    "inspection": "20 °C ± 2 °C",
    "cmm": "20 °C ± 1 °C",
}


def define_env(env):
    """Register the company's macros with mkdocs-macros."""

    @env.macro
    def room_limits(room: str) -> str:
        """The temperature an inspection room is kept at (QP-03), e.g. room_limits('cmm')."""
        if room not in ROOM_LIMITS:
            raise ValueError(f"room_limits: no room {room!r}; use one of {', '.join(map(repr, ROOM_LIMITS))}")
        return ROOM_LIMITS[room]
