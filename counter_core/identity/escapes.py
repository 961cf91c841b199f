"""Backslash escapes shared by vCard and MECARD values (``\\;`` is a semicolon inside a value)."""

from __future__ import annotations


def split_escaped(value: str, sep: str) -> list[str]:
    """Split at ``sep`` not escaped by a backslash; escapes are kept, to be undone per part afterwards."""
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts
