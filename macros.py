"""mkdocs-macros module of the quality manual: a thin adapter over the qms engine.

Macros for pages: term('nonconformity'), clause('8.7.2'), doc('QP-09'), record_type('calibration'),
each with an optional second argument for the text shown. Pages render inside a Jinja sandbox.
"""

from qms.adapters.macros import define_env, on_pre_page_macros  # noqa: F401
