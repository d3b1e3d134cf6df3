"""The embedded index's schema and how a search document (``search.adapters``) becomes a tantivy
document: text pre-segmented by ``search.analysis``, facet values as raw fast fields, and the
quality/sort keys the ranker reads."""

from __future__ import annotations

import json
import math
from datetime import date

import tantivy

from . import analysis
from .base import ranking_rating

# searchable text fields and their weights: title > tags and data items > summary > department etc.
TEXT_FIELDS = (("title", 3.0), ("tags", 2.0), ("fields", 2.0), ("summary", 1.0), ("meta", 0.5))
PINYIN_FIELDS = (("title_pinyin", 2.5), ("title_initials", 2.0))
# facet name -> (filter field, aggregation field); department/category aggregate "code\x1fname"
FACET_FIELDS = {
    "department": ("department", "department_label"),
    "category": ("category", "category_label"),
    "share_attribute": ("share_attribute", "share_attribute"),
    "open_attribute": ("open_attribute", "open_attribute"),
    "level": ("level", "level"),
    "format": ("format", "format"),
    "update_frequency": ("update_frequency", "update_frequency"),
    "tag": ("tag", "tag"),
}
LABEL_SEP = "\x1f"
_EPOCH = date(2000, 1, 1).toordinal()


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name, _ in TEXT_FIELDS + PINYIN_FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("title_key", tokenizer_name="raw", index_option="basic")
    raw = {f for pair in FACET_FIELDS.values() for f in pair} | {"status"}
    for name in sorted(raw):
        sb.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_integer_field("department_id", indexed=True, fast=True)
    for name in ("quality", "popular_key", "newest_key", "rating_key"):
        sb.add_float_field(name, fast=True)
    sb.add_bytes_field("payload", stored=True)
    return sb.build()


def title_key(text: str) -> str:
    """Normalised form for exact-title matching: lowercase, no whitespace."""
    return "".join(text.lower().split())


def _day(iso: str) -> int:
    try:
        return date.fromisoformat(iso[:10]).toordinal() - _EPOCH
    except ValueError:
        return 0


def quality(doc: dict) -> float:
    """0..1 prior: usage and ratings first; completeness and recency so unused entries don't tie."""
    usage = min(1.0, math.log10(1 + doc.get("request_count", 0)) / 4)
    rating = (doc.get("rating") or 0.0) / 5 * min(doc.get("rating_count", 0), 20) / 20
    filled = [len(doc.get("summary", "")) >= 10, bool(doc.get("tags")), len(doc.get("fields", ())) >= 3,
              bool(doc.get("category")), bool(doc.get("format")), doc.get("update_frequency") != "irregular",
              bool(doc.get("published_at"))]
    completeness = sum(filled) / len(filled)
    day = _day(doc.get("updated_at") or doc.get("published_at") or "")
    recency = min(1.0, max(0.0, day / (365 * 30)))
    return 0.6 * usage + 0.2 * rating + 0.15 * completeness + 0.05 * recency


def to_tantivy(doc: dict) -> tantivy.Document:
    """The tantivy document for one search document."""
    return tantivy.Document(**to_fields(doc))


def to_fields(doc: dict) -> dict:
    """The analysed field values of one search document (plain data: can cross processes)."""
    title, summary = doc.get("title", ""), doc.get("summary", "") or ""
    q = quality(doc)
    fields = {
        "id": int(doc["id"]),
        "title": analysis.index_text(title),
        "tags": analysis.index_text(" ".join(doc.get("tags", ()))),
        "fields": analysis.index_text(" ".join(doc.get("fields", ()))),
        "summary": analysis.index_text(summary),
        "meta": analysis.index_text(" ".join(
            [doc.get("department_name", ""), doc.get("category_name", ""), doc.get("code", "")])),
        "title_pinyin": analysis.pinyin_full(title),
        "title_initials": analysis.pinyin_initials(title),
        "title_key": title_key(title),
        "status": doc.get("status", ""),
        "department_id": int(doc.get("department_id") or 0),
        "quality": q,
        # sort keys: the primary value, then the quality prior breaks ties (< 1)
        "popular_key": float(doc.get("request_count", 0)) + 0.99 * q,
        "newest_key": float(_day(doc.get("published_at") or "")) + 0.99 * q,
        "rating_key": round(ranking_rating(doc.get("rating"), doc.get("rating_count")), 3) * 1000 + 0.99 * q,
        "payload": json.dumps({"t": title, "s": summary[:1000], "g": list(doc.get("tags", ()))},
                              ensure_ascii=False).encode(),
    }
    for facet, (filter_field, agg_field) in FACET_FIELDS.items():
        value = doc.get(facet)
        values = [str(v) for v in value] if isinstance(value, (list, tuple)) else ([str(value)] if value else [])
        if values:
            fields[filter_field] = values
            if agg_field != filter_field:
                fields[agg_field] = [f"{v}{LABEL_SEP}{doc.get(facet + '_name', '') or v}" for v in values]
    return fields
