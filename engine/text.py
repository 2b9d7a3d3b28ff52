"""Text that came from data or files (class labels, column names, experiment names), made safe to
show: control characters (ESC, OSC, bell, carriage return...) never reach a terminal raw, and a
Markdown table cell cannot break its table."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text, keep_newlines: bool = False) -> str:
    """``text`` with every control character written as an escape (``\\x1b``), so that it shows
    as what it is and never acts on the terminal."""
    text = str(text)
    if not keep_newlines:
        text = text.replace("\n", "\\n").replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def md_cell(text) -> str:
    """A Markdown table cell: printable, with ``|`` escaped."""
    return printable(text).replace("|", "\\|")
