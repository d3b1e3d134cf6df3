"""Safe highlighting: escape everything, wrap matches in <mark>."""

from __future__ import annotations

import re

from markupsafe import escape


def highlight(text: str, terms) -> str:
    """Return ``text`` as escaped HTML with every (case-insensitive) occurrence of ``terms`` marked."""
    words = [t for t in sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)]
    if not words:
        return str(escape(text))
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(str(escape(text[pos:m.start()])))
        out.append(f"<mark>{escape(m.group())}</mark>")
        pos = m.end()
    out.append(str(escape(text[pos:])))
    return "".join(out)
