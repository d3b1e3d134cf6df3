"""Typo tolerance for the embedded index: "did you mean" corrections for words it never saw.

Chinese typos are mostly homophones typed through a pinyin IME (营业执招 for 营业执照), so a word
unknown to the index is first looked up by its pinyin in the titles' pinyin field; then by one
edited character (fuzzy term). Latin words are matched against title pinyin with edit distance
1–2 (renkuo → 人口). A correction is offered only when the corrected query finds something.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tantivy import Occur, Query

from . import analysis
from .embedded_schema import PINYIN_FIELDS, TEXT_FIELDS

if TYPE_CHECKING:
    import tantivy

    from .embedded import EmbeddedBackend

SAMPLE = 20


def edit_distance(a: str, b: str) -> int:
    """Edit distance where a swap of two neighbours counts once (renkuo → renkou is 1)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def _known(searcher: tantivy.Searcher, alternatives: list[str]) -> bool:
    for alt in alternatives:
        fields = TEXT_FIELDS + PINYIN_FIELDS if analysis.is_latin(alt) else TEXT_FIELDS
        if any(searcher.doc_freq(f, alt) for f, _ in fields):
            return True
    return False


def _titles(searcher: tantivy.Searcher, query: Query) -> list[str]:
    hits = searcher.search(query, SAMPLE, count=False, order_by_field="popular_key").hits
    return [json.loads(searcher.doc(a).get_first("payload"))["t"] for _, a in hits]


def pinyin_target(word: str) -> tuple[str, int] | None:
    """The pinyin key to look for and the edit distance allowed: a Chinese word must sound the same
    (distance 0), a pinyin word may have one or two typos."""
    key = word if analysis.is_latin(word) else analysis.pinyin_key(word)
    if not key:
        return None
    return key, 0 if not analysis.is_latin(word) else (1 if len(key) <= 6 else 2)


def closest_by_pinyin(titles: list[str], word: str, key: str, distance: int) -> str | None:
    """The Chinese word of ``titles`` whose pinyin is nearest ``key`` (within ``distance``)."""
    best: tuple[int, str] | None = None
    for title in titles:
        for w in dict.fromkeys(analysis.index_tokens(title)):
            if w == word or analysis.is_latin(w):
                continue
            d = edit_distance(analysis.pinyin_key(w), key)
            if d <= distance and (best is None or d < best[0]):
                best = (d, w)
    return best[1] if best else None


def _by_pinyin(backend: EmbeddedBackend, searcher, word: str) -> str | None:
    target = pinyin_target(word)
    if target is None:
        return None
    key, distance = target
    query = (Query.term_query(backend.schema, "title_pinyin", key) if distance == 0
             else Query.fuzzy_term_query(backend.schema, "title_pinyin", key, distance))
    return closest_by_pinyin(_titles(searcher, query), word, key, distance)


def _by_edit(backend: EmbeddedBackend, searcher, word: str) -> str | None:
    if len(word) < 2 or (not analysis.is_latin(word) and len(word) < 3):
        return None  # one changed character of a two-character Chinese word is another word
    distance = 1 if len(word) <= 6 else 2
    candidates: dict[str, int] = {}
    for title in _titles(searcher, Query.fuzzy_term_query(backend.schema, "title", word, distance)):
        for token in analysis.index_tokens(title):
            if token != word and edit_distance(token, word) <= distance:
                candidates[token] = searcher.doc_freq("title", token)
    return max(candidates, key=lambda t: (candidates[t], t)) if candidates else None


def correct_query(backend: EmbeddedBackend, searcher, q: str, words: list[list[str]]) -> str | None:
    """A corrected query string when some words are unknown and the correction finds hits."""
    corrected, fixes = [], []
    for alternatives in words:
        word = alternatives[0]
        fix = None
        if not _known(searcher, alternatives):
            fix = _by_pinyin(backend, searcher, word) or _by_edit(backend, searcher, word)
        corrected.append(fix or word)
        if fix:
            fixes.append((word, fix))
    if not fixes:
        return None
    check = Query.boolean_query([(Occur.Must, backend._alternative(w)) for w in corrected])
    if searcher.search(check, 1, count=True).count == 0:
        return None
    text = q.strip().lower()
    for word, fix in fixes:  # keep the user's spacing and the words that were right
        if word not in text:
            return " ".join(corrected)
        text = text.replace(word, fix)
    return text
