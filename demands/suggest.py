"""Which departments probably hold what a demand asks for: the platform's routing suggestions.

A department's score adds up three kinds of evidence, each kept as a reason (a small dict the pages
render: ``catalog`` query/count, ``keywords`` words, ``name`` name, ``function`` words):

* catalog matches — the demand's title, each wanted data item and its key words are searched with the
  search service (the same index as the shop); for every query a department gets
  ``weight × (1 + log2(entries of that department matching)) / sqrt(departments matching)`` (title ×3,
  data item ×2, key word ×1; a generic word such as 地址 that many departments hold counts for little);
* its name — the department's short name (无锡市公安局 → 公安) occurring in the demand: +4;
* its functions — key words of the demand found in the department's description (职能): +1.5 each, at most 3.

At most ``MAX_QUERIES`` searches run per demand (bounded work); departments that already answered
"not held by us" are left out. The top three are kept with their reasons.
"""

from __future__ import annotations

import math
import re

from sqlalchemy import select

from catalog.models import Department
from market.db import db
from search.analysis import words
from search.base import SearchQuery
from search.service import search_datasets

MAX_QUERIES = 8
TOP = 3
WEIGHT_TITLE, WEIGHT_ITEM, WEIGHT_WORD = 3.0, 2.0, 1.0
NAME_BONUS, FUNCTION_BONUS, FUNCTION_MAX = 4.0, 1.5, 3
_PREFIXES = ("国家税务总局", "无锡市", "江苏省")
_SUFFIXES = ("管理委员会", "委员会", "管理局", "办公室", "服务中心", "中心", "总局", "局", "委", "办")


def short_name(name: str) -> str:
    """The distinctive part of a department name: 无锡市公安局 → 公安, 无锡市卫生健康委员会 → 卫生健康."""
    core = name
    for p in _PREFIXES:
        core = core.removeprefix(p)
    for s in _SUFFIXES:
        if core.endswith(s) and len(core) > len(s) + 1:
            core = core[: -len(s)]
            break
    return core


def _queries(title: str, items: list[str], text: str) -> list[tuple[str, float, str]]:
    """(query, weight, what it came from) — title first, then data items, then key words; deduplicated."""
    out: list[tuple[str, float, str]] = []
    seen: set[str] = set()

    def add(q: str, weight: float, source: str) -> None:
        q = re.sub(r"\s+", " ", q).strip()[:100]
        if q and q.lower() not in seen and len(out) < MAX_QUERIES:
            seen.add(q.lower())
            out.append((q, weight, source))

    add(title, WEIGHT_TITLE, "title")
    for item in items:
        add(item, WEIGHT_ITEM, "item")
    for word in _keywords(f"{title} {text}"):
        add(word, WEIGHT_WORD, "word")
    return out


def _keywords(text: str) -> list[str]:
    """Key words of the demand: two or more characters, longest first, deduplicated."""
    found = [w for w in dict.fromkeys(words(text)) if len(w) >= 2 and not w.isdigit()]
    return sorted(found, key=len, reverse=True)[:12]


def suggest_departments(title: str, items: list[str], text: str = "", *, exclude: list[int] = ()) -> list[dict]:
    """Top departments for a demand, best first: ``{"department_id", "code", "name", "score", "reasons"}``."""
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    by_code = {d.code: d for d in departments.values()}
    excluded = set(exclude or ())
    scores: dict[int, float] = {}
    reasons: dict[int, list[str]] = {}
    examples: dict[int, list[str]] = {}

    def credit(dept_id: int, points: float, reason: dict | None = None) -> None:
        if dept_id in excluded:
            return
        scores[dept_id] = scores.get(dept_id, 0.0) + points
        if reason and reason not in reasons.setdefault(dept_id, []):
            reasons[dept_id].append(reason)

    for q, weight, source in _queries(title, items, text):
        page = search_datasets(SearchQuery(q=q, per_page=5, statuses=("published",), open_only=False,
                                           facet_size=20))
        matching = [fv for fv in page.facets.get("department", []) if fv.count > 0 and fv.value in by_code]
        specificity = 1 / math.sqrt(len(matching)) if matching else 0.0
        for fv in matching:
            dept = by_code[fv.value]
            credit(dept.id, weight * (1 + math.log2(fv.count)) * specificity,
                   {"kind": "catalog", "query": q, "count": fv.count} if source != "word" else None)
            if source == "word":
                examples.setdefault(dept.id, [])
                if q not in examples[dept.id]:
                    examples[dept.id].append(q)
    for dept_id, found in examples.items():
        if dept_id in scores and found:
            reasons.setdefault(dept_id, []).append({"kind": "keywords", "words": found[:4]})

    full_text = f"{title} {' '.join(items)} {text}"
    key_words = _keywords(full_text)
    for dept in departments.values():
        core = short_name(dept.name)
        if len(core) >= 2 and core in full_text:
            credit(dept.id, NAME_BONUS, {"kind": "name", "name": core})
        hits = [w for w in key_words if dept.description and w in dept.description][:FUNCTION_MAX]
        if hits:
            credit(dept.id, FUNCTION_BONUS * len(hits), {"kind": "function", "words": hits})

    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], departments[kv[0]].code))[:TOP]
    return [{"department_id": d, "code": departments[d].code, "name": departments[d].name,
             "score": round(s, 2), "reasons": reasons.get(d, [])[:4]} for d, s in ranked if s > 0]
