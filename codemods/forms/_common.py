"""What the forms share: the rows of their examples, and node text."""

from __future__ import annotations

import libcst as cst

# The session rows most examples read: a sessions_list result.
ROWS = 'data = client.invoke("sessions_list", {})\nfor row in data["sessions"]:\n'


def code(node: cst.CSTNode) -> str:
    """The source text of ``node``."""
    return cst.Module(body=[]).code_for_node(node)
