"""One imported row: check it and turn it into the values of a catalog entry.

Every problem of a row is reported (field and reason); a row with any problem is not imported.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from ..vocab import DeliveryMode, OpenAttribute, ShareAttribute, map_open_condition, map_update_frequency

# column sizes of catalog.models: a longer value is an invalid row, never silently cut
MAX_LEN = {
    "id": 200,
    "title": 300,
    "publisher": 200,
    "category": 100,
    "update_frequency": 100,
    "open_condition": 200,
    "region": 100,
    "url": 500,
}
TAG_MAX, FORMAT_MAX, FIELD_MAX = 100, 40, 200
INT_MAX = 2**31 - 1  # record_count is a 32-bit INTEGER on PostgreSQL
API_FORMATS = frozenset({"API", "HTTP", "REST", "SOAP", "WMS", "WFS", "WMTS", "接口"})
# real catalogs only carry the open condition; sharing and level follow from it
POLICY = {
    OpenAttribute.open: (ShareAttribute.unconditional, 1),
    OpenAttribute.conditional: (ShareAttribute.conditional, 2),
    OpenAttribute.closed: (ShareAttribute.conditional, 3),
}
SAFE_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,120}")
# a portal uses a handful of distinct texts: map each once, not once per row
_open_attribute = lru_cache(maxsize=4096)(map_open_condition)
_update_frequency = lru_cache(maxsize=4096)(map_update_frequency)


@dataclass(slots=True)
class Problem:
    location: str  # "line 12" or "record 3"
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.field}: {self.reason}"


@dataclass(slots=True)
class Entry:
    """A valid row, normalised."""

    location: str
    source_id: str
    title: str
    summary: str
    publisher: str
    category: str | None
    tags: list[str]
    formats: list[str]
    items: list[str]
    update_frequency_text: str | None
    open_condition_text: str | None
    region: str | None
    url: str | None
    published: date | None
    updated: date | None
    record_count: int | None

    def columns(self) -> dict:
        """The entry's own Dataset columns (department and category ids are resolved by the writer)."""
        open_attribute = _open_attribute(self.open_condition_text)
        share_attribute, level = POLICY[open_attribute]
        return {
            "title": self.title,
            "summary": self.summary,
            "update_frequency": _update_frequency(self.update_frequency_text),
            "update_frequency_text": self.update_frequency_text,
            "open_attribute": open_attribute,
            "open_condition_text": self.open_condition_text,
            "share_attribute": share_attribute,
            "level": level,
            "delivery_modes": delivery_modes(self.formats),
            "published_at": self.published,
            "source_updated_at": self.updated,
            "region": self.region,
            "url": self.url,
            "record_count": self.record_count,
        }


def delivery_modes(formats: list[str]) -> list[str]:
    """API-like formats are offered as API calls, every other format as a bulk download."""
    api = any(f in API_FORMATS for f in formats)
    files = any(f not in API_FORMATS for f in formats)
    return [m.value for m, on in ((DeliveryMode.download, files), (DeliveryMode.api, api)) if on]


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})\b")


def parse_date(text: str) -> date | None:
    """The date in 2023-06-02, 2023/6/2 08:00:00, 2023-06-02T…Z, 2023年6月2日 or 20230602; else None."""
    m = _DATE.search(text) or _COMPACT_DATE.match(text.strip())
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _short_hash(text: str, n: int = 10) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def dataset_code(source_id: str) -> str:
    """The catalog code of an imported entry: its source id when that is a usable code, else a
    readable prefix plus a hash of the id (stable across runs)."""
    if SAFE_CODE.fullmatch(source_id):
        return source_id
    slug = re.sub(r"[^A-Za-z0-9_.:-]+", "-", source_id).strip("-")[:100]
    return f"{slug or 'IMP'}-{_short_hash(source_id)}"


def unnamed_publisher(region: str) -> str:
    """The stand-in department for rows of ``region`` that name no provider."""
    return f"{region}（未注明数源部门）"


def department_code(name: str) -> str:
    return f"P-{_short_hash(name)}"


def category_code(name: str) -> str:
    return f"C-{_short_hash(name)}"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Checker:
    """Reads one raw row, collecting every problem instead of stopping at the first."""

    def __init__(self, raw: dict, location: str):
        self.raw, self.location = raw, location
        self.problems: list[Problem] = []

    def fail(self, field: str, reason: str) -> None:
        self.problems.append(Problem(self.location, field, reason))

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.raw.get(key)
        if key == "id" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            self.fail(key, f"must be text, not {_kind(value)}")
            return None
        value = (value or "").strip()
        if not value:
            if required:
                self.fail(key, "missing")
            return None
        limit = MAX_LEN.get(key)
        if limit and len(value) > limit:
            self.fail(key, f"longer than {limit} characters ({len(value)})")
            return None
        return value

    def names(self, key: str, limit: int, *, truncate: bool = False, upper: bool = False) -> list[str]:
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, f"must be a list of text, not {_kind(value)}")
            return []
        seen: dict[str, None] = {}
        for n, item in enumerate(value, 1):
            if item is None:
                continue
            if not isinstance(item, str):
                self.fail(key, f"item {n} must be text, not {_kind(item)}")
                continue
            item = item.strip().upper() if upper else item.strip()
            if len(item) > limit:
                if not truncate:
                    self.fail(key, f"item {n} is longer than {limit} characters ({len(item)})")
                    continue
                item = item[:limit]
            if item:
                seen.setdefault(item)
        return list(seen)

    def day(self, key: str) -> date | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(key, f"must be a date as text, not {_kind(value)}")
            return None
        return parse_date(value)  # unparseable dates are common in real portals: no date, no error

    def count(self, key: str) -> int | None:
        value = self.raw.get(key)
        if (
            isinstance(value, str)
            and re.fullmatch(r"\s*-?\d+\s*", value)
            or isinstance(value, float)
            and value.is_integer()
        ):
            value = int(value)
        elif isinstance(value, str) and not value.strip():
            value = None
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be a whole number, not {_kind(value)}")
            return None
        if value > INT_MAX:
            self.fail(key, f"larger than {INT_MAX}")
            return None
        return value if value >= 0 else None  # portals write -1 for "unknown"


def normalise_row(raw: object, location: str) -> tuple[Entry | None, list[Problem]]:
    """Check one raw row in the common schema; return the entry, or None and every problem found."""
    if not isinstance(raw, dict):
        return None, [Problem(location, "row", f"must be a JSON object, not {_kind(raw)}")]
    c = _Checker(raw, location)
    region = c.text("region")
    publisher = c.text("publisher", required=region is None)
    if publisher is None and region is not None:
        # Some portals omit the provider on part of their rows (e.g. 100 Suqian rows in the Jiangsu
        # file). The portal's region is known, so the entry goes to a clearly marked stand-in
        # department of that region instead of being refused.
        publisher = unnamed_publisher(region)
    entry = Entry(
        location=location,
        source_id=c.text("id", required=True) or "",
        title=c.text("title", required=True) or "",
        summary=c.text("description") or "",
        publisher=publisher or "",
        category=c.text("category"),
        tags=c.names("tags", TAG_MAX),
        formats=c.names("formats", FORMAT_MAX, upper=True),
        items=c.names("fields", FIELD_MAX, truncate=True),
        update_frequency_text=c.text("update_frequency"),
        open_condition_text=c.text("open_condition"),
        region=region,
        url=c.text("url"),
        published=c.day("published"),
        updated=c.day("updated"),
        record_count=c.count("record_count"),
    )
    return (None, c.problems) if c.problems else (entry, [])
