"""Typo tolerance for the cluster backend: the same "did you mean" rules as ``search.typos`` (the
embedded index), asked of OpenSearch/Elasticsearch with ``term``/``fuzzy`` queries.

Chinese typos are mostly homophones typed through a pinyin IME (营业执招 for 营业执照), so a word the
index does not know is first looked up by its pinyin in the titles' pinyin field, then by one edited
character; latin words are matched against title pinyin with edit distance 1–2 (renkuo → 人口). A
correction is offered only when the corrected query finds something. It runs only after a query
found nothing, so its few extra requests never slow down a normal page.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from . import analysis
from .typos import closest_by_pinyin, edit_distance, pinyin_target

if TYPE_CHECKING:
    from .opensearch import OpenSearchBackend

SAMPLE = 20


def _count(backend: OpenSearchBackend, query: dict) -> int:
    return int(backend.client.count(index=backend.alias, body={"query": query})["count"])


def _titles(backend: OpenSearchBackend, query: dict) -> list[str]:
    body = {"query": query, "size": SAMPLE, "_source": ["title"], "sort": backend._sort("popular")}
    return [h["_source"]["title"] for h in backend.client.search(index=backend.alias, body=body)["hits"]["hits"]]


def _by_pinyin(backend: OpenSearchBackend, word: str) -> str | None:
    target = pinyin_target(word)
    if target is None:
        return None
    key, distance = target
    query = ({"term": {"title_pinyin": key}} if distance == 0
             else {"fuzzy": {"title_pinyin": {"value": key, "fuzziness": distance, "transpositions": True}}})
    return closest_by_pinyin(_titles(backend, query), word, key, distance)


def _by_edit(backend: OpenSearchBackend, word: str) -> str | None:
    if len(word) < 2 or (not analysis.is_latin(word) and len(word) < 3):
        return None  # one changed character of a two-character Chinese word is another word
    distance = 1 if len(word) <= 6 else 2
    seen: Counter[str] = Counter()
    query = {"fuzzy": {"title_words": {"value": word, "fuzziness": distance, "transpositions": True}}}
    for title in _titles(backend, query):
        for token in set(analysis.index_tokens(title)):
            if token != word and edit_distance(token, word) <= distance:
                seen[token] += 1
    return max(seen, key=lambda t: (seen[t], t)) if seen else None


def correct_query(backend: OpenSearchBackend, q: str, words: list[list[str]]) -> str | None:
    """A corrected query string when some words are unknown and the correction finds hits."""
    corrected, fixes = [], []
    for alternatives in words:
        word = alternatives[0]
        fix = None
        known = {"dis_max": {"queries": [backend._alternative(a) for a in alternatives]}}
        if _count(backend, known) == 0:
            fix = _by_pinyin(backend, word) or _by_edit(backend, word)
        corrected.append(fix or word)
        if fix:
            fixes.append((word, fix))
    if not fixes:
        return None
    if _count(backend, {"bool": {"must": [backend._alternative(w) for w in corrected]}}) == 0:
        return None
    text = q.strip().lower()
    for word, fix in fixes:  # keep the user's spacing and the words that were right
        if word not in text:
            return " ".join(corrected)
        text = text.replace(word, fix)
    return text
