"""The fingerprint scheme: which cells of a delivered row carry a mark for a grant, and what the mark is.

Pure functions, no database: :class:`Scheme` is built from a key and a list of :class:`Column` specs.
For every row, a keyed BLAKE2b of (grant, row identity) decides whether the row carries a mark (about
``MARK_RATE`` of rows), which eligible cell carries it, and its direction. The row identity is the value
of the entry's key column when it is delivered, else a hash of the row's anchor columns (columns that
are never marked), so it depends neither on row order nor on headers. See docs/fingerprinting.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MARK_RATE = 0.2  # share of rows that carry one mark
_RATE_BOUND = int(MARK_RATE * 2**32)
SCHEME_VERSION = b"market-watermark-v1"

NUMERIC_TYPES = frozenset({"integer", "decimal"})
TEXT_TYPES = frozenset({"string"})
MIN_SIGNIFICANT_DIGITS = 3  # a ±1 change in the last digit stays within 1 % of the value

# half-width ↔ full-width punctuation that renders alike in Chinese text
_HALF_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"}
_TWINS = {**_HALF_FULL, **{full: half for half, full in _HALF_FULL.items()}}
_TWIN_RE = re.compile("[" + re.escape("".join(_TWINS)) + "]")
_TEXT_MARKABLE_RE = re.compile("[\u3400-\u9fff " + re.escape("".join(_TWINS)) + "]")
_NUMBER_RE = re.compile(r"^[+-]?(\d+)(?:\.(\d+))?$")
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")  # 12,345.67 as a spreadsheet shows it
_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
NBSP = "\u00a0"


def derive_key(secret: str | bytes) -> bytes:
    """The watermark key: derived from the app secret, so it never equals the session-signing key."""
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.digest(secret, SCHEME_VERSION, "sha256")


def grant_key(key: bytes, grant_id: int) -> bytes:
    return hmac.digest(key, b"grant:%d" % grant_id, "sha256")[:32]


# --- normalisation: the same value read back from CSV, XLSX or JSON gives the same text -----------------
def normalize(value) -> str:
    """Canonical text of a cell for identity and comparison (numbers by value, dates as ISO dates)."""
    if value is None:
        return ""
    if type(value) is str:
        text = value.strip()
        if text and (text[0].isdigit() or text[0] in "+-"):  # only then can it be a number or a date
            if _NUMBER_RE.match(text):
                return _canonical_number(Decimal(text))
            if _GROUPED_RE.match(text):
                return _canonical_number(Decimal(text.replace(",", "")))
            m = _DATE_RE.match(text)
            if m:  # 2024/5/1, 2024-05-01 00:00:00 and an Excel date are the same day
                try:
                    return normalize(dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0),
                                                 int(m[5] or 0), int(m[6] or 0)))
                except ValueError:
                    return text
        elif len(text) in (4, 5) and text.lower() in ("true", "false"):
            return text.lower()
        return text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return _canonical_number(Decimal(str(value)))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return normalize(str(value))


_MARK_FREE = str.maketrans({**{full: half for half, full in _HALF_FULL.items()}, NBSP: " "})


def mark_free(text: str) -> str:
    """``text`` with every possible text mark undone (punctuation to half width, no-break spaces to
    spaces, outer spaces dropped): the same for a marked and an unmarked copy."""
    return text.translate(_MARK_FREE).strip()


def _canonical_number(d: Decimal) -> str:
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def to_decimal(value) -> Decimal | None:
    """The numeric value of a cell, or None (text that is not a plain decimal number)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    text = str(value).strip()
    if _GROUPED_RE.match(text):
        text = text.replace(",", "")
    elif not _NUMBER_RE.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# --- columns and eligibility --------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One delivered column. ``kind``: "numeric" or "text" (may carry a mark), "anchor" (never marked,
    part of the row identity when there is no key column) or "skip" (sensitive: never marked, never part
    of the identity, because a masked copy shows it differently from the store)."""

    name: str
    kind: str


def column_kind(item_type: str | None, *, sensitive: bool = False, is_key: bool = False) -> str:
    if sensitive:
        return "skip"
    if is_key:
        return "anchor"
    if item_type in NUMERIC_TYPES:
        return "numeric"
    if item_type in TEXT_TYPES:
        return "text"
    return "anchor"


def _number_parts(value) -> tuple[str, str] | None:
    """(integer digits, fraction digits) as written, or None when the value cannot carry a numeric mark."""
    kind = type(value)
    if kind is int:
        return str(abs(value)), ""
    if kind is float:
        text = repr(value)
        if "e" in text or "n" in text:  # 1e-07, nan, inf
            return None
        whole, _, frac = text.lstrip("-").partition(".")
        return whole, "" if frac == "0" else frac
    if value is None or kind is bool:
        return None
    m = _NUMBER_RE.match(str(value).strip())
    if not m:
        return None
    return m[1], m[2] or ""


def numeric_eligible(value) -> bool:
    parts = _number_parts(value)
    if parts is None:
        return False
    digits = (parts[0] + parts[1]).lstrip("0")
    # round values (ending in 0) are left alone: 5000 → 5001 draws the eye, and 3.10 may lose its 0
    return len(digits) >= MIN_SIGNIFICANT_DIGITS and not digits.endswith("0")


def text_eligible(value) -> bool:
    if not isinstance(value, str) or len(value.strip()) < 2 or value != value.strip():
        return False
    return _TEXT_MARKABLE_RE.search(value) is not None  # Chinese text, punctuation with a twin, or a space


def numeric_variant(value, up: bool):
    """``value`` moved one unit of its last written digit up or down, in the type it came in."""
    frac = _number_parts(value)[1]
    unit = Decimal(1).scaleb(-len(frac))
    new = to_decimal(value) + (unit if up else -unit)
    if isinstance(value, int):
        return int(new)
    if isinstance(value, float):
        return float(round(new, len(frac)))
    if isinstance(value, Decimal):
        return new
    return f"{new:.{len(frac)}f}"


def text_variant(value: str) -> str:
    """A variant that looks the same: one punctuation mark swapped to its other width, else one inner
    space turned into a no-break space, else a trailing space."""
    m = _TWIN_RE.search(value)
    if m:
        return value[: m.start()] + _TWINS[m[0]] + value[m.end():]
    i = value.find(" ")
    if i > 0:
        return value[:i] + NBSP + value[i + 1:]
    return value + " "


def cell_eligible(col: Column, value) -> bool:
    if col.kind == "numeric":
        return numeric_eligible(value)
    if col.kind == "text":
        return text_eligible(value)
    return False


# --- the scheme ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mark:
    column: str
    original: object
    marked: object


class Scheme:
    """Marks for one grant over one list of delivered columns."""

    def __init__(self, key: bytes, grant_id: int, columns: list[Column], key_column: str | None):
        self.grant_id = grant_id
        self.columns = columns
        self.markable = [c for c in columns if c.kind in ("numeric", "text")]
        names = [c.name for c in columns]
        self.key_column = key_column if key_column in names else None
        # without a key column a row is known by its anchors and its text in mark-free form (text marks
        # only change punctuation width and spaces, which ``mark_free`` undoes)
        anchors = [c.name for c in columns if c.kind == "anchor" or c.kind == "text"]
        if self.key_column is None and not anchors and self.markable:
            # only numbers: keep one column (the first by name) unmarked to identify the row
            first = min(c.name for c in self.markable)
            self.markable = [c for c in self.markable if c.name != first]
            anchors = [first]
        self.anchors = sorted(anchors)
        gkey = grant_key(key, grant_id)
        # keyed BLAKE2b states, copied per row (cheaper than keying a new state every time)
        self._row_mac = hashlib.blake2b(key=gkey, digest_size=8)
        self._col_mac = hashlib.blake2b(key=gkey, digest_size=4)

    def identity(self, row: dict) -> str | None:
        """Order- and header-independent identity of a row; None when it cannot be computed."""
        if self.key_column is not None:
            value = normalize(row.get(self.key_column))
            return "k:" + value if value else None
        parts = [mark_free(normalize(row.get(a))) for a in self.anchors]
        if not any(parts):
            return None
        return "h:" + "\x1f".join(parts)

    def eligible(self, row: dict) -> list[Column]:
        """The columns of ``row`` that can carry this scheme's mark."""
        return [c for c in self.markable if cell_eligible(c, row.get(c.name))]

    def mark_for(self, row: dict, ident: str | None = None, eligible: list[Column] | None = None) -> Mark | None:
        """The mark this grant puts on ``row`` (as delivered, unmarked), or None. ``ident`` and
        ``eligible`` may be passed when already known (tracing tries many grants on the same rows)."""
        if ident is None:
            ident = self.identity(row)
            if ident is None:
                return None
        mac = self._row_mac.copy()
        mac.update(ident.encode())
        d = mac.digest()
        if int.from_bytes(d[:4], "big") >= _RATE_BOUND:
            return None
        if eligible is None:
            eligible = self.eligible(row)
        if not eligible:
            return None
        if len(eligible) == 1:
            col = eligible[0]
        else:  # rank by a keyed hash per column, so the choice does not depend on column order or set
            col = min(eligible, key=lambda c: self._column_rank(ident, c.name))
        value = row.get(col.name)
        marked = numeric_variant(value, bool(d[4] & 1)) if col.kind == "numeric" else text_variant(value)
        return Mark(col.name, value, marked)

    def _column_rank(self, ident: str, name: str) -> bytes:
        mac = self._col_mac.copy()
        mac.update(f"{ident}\x1f{name}".encode())
        return mac.digest()

    def mark_row(self, row: dict) -> dict:
        mark = self.mark_for(row)
        if mark is None:
            return row
        out = dict(row)
        out[mark.column] = mark.marked
        return out


def same_value(observed, expected) -> bool:
    """Cell equality that survives CSV ↔ XLSX: numbers by value, text exactly (marks live in whitespace
    and punctuation width), dates and booleans by their canonical form."""
    a, b = to_decimal(expected), to_decimal(observed)
    if a is not None and b is not None:
        return a == b or (a != 0 and abs(a - b) <= abs(a) * Decimal("1e-12"))
    if isinstance(expected, str) and isinstance(observed, str):
        return observed == expected
    return normalize(observed) == normalize(expected)
