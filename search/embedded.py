"""The embedded search backend: a tantivy index in ``MARKET_DATA_DIR/search``, no server.

Query semantics (measured on the real catalogs, see docs/benchmarks.md): every whole word of the
query must match (AND), each word scored by its best field (dismax over title ×3, tags and data
items ×2, summary ×1, department/category ×0.5, and for latin words the title's pinyin and
initials); dictionary sub-words and an exact title only add score. When AND finds nothing the
query is retried with OR and a "did you mean" correction is offered. The top 200 hits are
re-ranked with a capped popularity/rating/completeness prior, and exact title matches always come
first. Facets are disjunctive: a facet's counts apply every filter except its own.

Storage, locking and multi-process behaviour live in ``search.embedded_store``.
"""

from __future__ import annotations

import itertools
import json
import logging
import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from . import analysis
from .base import FACETS, FacetValue, Hit, SearchPage, SearchQuery
from .embedded_schema import (
    FACET_FIELDS,
    LABEL_SEP,
    PINYIN_FIELDS,
    TEXT_FIELDS,
    build_schema,
    title_key,
    to_fields,
    to_tantivy,
)
from .embedded_store import IndexStore, IndexUnavailable
from .highlight import highlight
from .typos import correct_query

log = logging.getLogger(__name__)
RERANK = 200
POPULARITY_WEIGHT = 0.3  # a full prior multiplies a score by at most 1.3: never beats a title match
SORT_FIELDS = {"popular": "popular_key", "newest": "newest_key", "rating": "rating_key"}
SynonymSource = Callable[[], Mapping[str, Sequence[str]]]

__all__ = ["EmbeddedBackend", "IndexUnavailable"]


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search-facets")
        return _POOL


def _no_synonyms() -> Mapping[str, Sequence[str]]:
    return {}


PARALLEL_MIN = 4000  # below this, starting worker processes costs more than it saves


def _analysed(documents, size_hint: int | None = None):
    """Yield ``(doc_id, tantivy.Document)`` for ``documents``.

    Text analysis (segmentation, pinyin) is most of the cost of bulk indexing, so large batches
    are analysed in worker processes, one per core. Forking is only safe when this process runs no
    other threads (the CLI: import, seed, reindex); a threaded web server analyses in-process.
    """
    cores = os.cpu_count() or 1
    big = size_hint is None or size_hint >= PARALLEL_MIN
    if cores > 1 and big and threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
        # batches are drawn here, in the calling thread: the source may need the app context
        with mp.get_context("fork").Pool(cores) as pool:
            source = iter(documents)
            while batch := list(itertools.islice(source, 2048)):
                for fields in pool.imap(to_fields, batch, chunksize=128):
                    yield fields["id"], tantivy.Document(**fields)
        return
    for doc in documents:
        yield int(doc["id"]), to_tantivy(doc)


def _apply(writer: tantivy.IndexWriter, kind: str, payload: list) -> None:
    if kind == "index":
        for doc_id, document in _analysed(payload, len(payload)):
            writer.delete_documents_by_term("id", doc_id)
            writer.add_document(document)
    elif kind == "delete":
        for doc_id in payload:
            writer.delete_documents_by_term("id", int(doc_id))
    else:
        raise ValueError(f"unknown index operation {kind!r}")


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, path: Path | str, synonyms: SynonymSource | None = None):
        self.store = IndexStore(Path(path), build_schema)
        self.store.ensure()
        self.schema = build_schema()
        self._synonyms = synonyms or _no_synonyms
        self.unavailable_reason = ""

    # --- writing ------------------------------------------------------------------------------
    def index(self, documents: list[dict]) -> None:
        """Add or replace documents (each has an integer ``id``)."""
        self.store.write([("index", list(documents))], _apply)

    def delete(self, ids: list[int]) -> None:
        """Remove documents by id; unknown ids are ignored."""
        self.store.write([("delete", [int(i) for i in ids])], _apply)

    def rebuild(self, documents) -> int:
        """Build a fresh generation from ``documents`` and swap it in atomically."""
        def fill(writer: tantivy.IndexWriter) -> int:
            n = 0
            for _doc_id, document in _analysed(documents):
                writer.add_document(document)
                n += 1
            return n

        return self.store.rebuild(fill, _apply)

    def clear(self) -> None:
        """Remove every document (tests and demo resets)."""
        self.store.write([("clear", [])], lambda w, k, p: w.delete_all_documents())

    # --- health -------------------------------------------------------------------------------
    def ping(self) -> bool:
        """True when the live generation opens and a document can be read back."""
        try:
            searcher = self.store.searcher()
            hits = searcher.search(Query.all_query(), 1, count=False).hits
            if hits:
                searcher.doc(hits[0][1])
        except (IndexUnavailable, ValueError, OSError) as exc:
            self.unavailable_reason = str(exc)
            return False
        self.unavailable_reason = ""
        return True

    def count(self) -> int:
        return self.store.searcher().num_docs

    # --- query building -----------------------------------------------------------------------
    def _term(self, field: str, value, boost: float = 1.0) -> Query:
        q = Query.term_query(self.schema, field, value)
        return Query.boost_query(q, boost) if boost != 1.0 else q

    def _alternative(self, alt: str) -> Query:
        fields = TEXT_FIELDS + PINYIN_FIELDS if analysis.is_latin(alt) else TEXT_FIELDS
        return Query.disjunction_max_query([self._term(f, alt, w) for f, w in fields], 0.1)

    def _word(self, searcher: tantivy.Searcher, alternatives: list[str]) -> Query:
        alts = [self._alternative(a) for a in alternatives]
        word = alternatives[0]
        # a word the index never saw whole (e.g. a rare compound) is matched by all its sub-words
        parts = analysis.subwords(word)
        if parts and not any(searcher.doc_freq(f, a) for a in alternatives for f, _ in TEXT_FIELDS):
            alts.append(Query.boolean_query([(Occur.Must, self._alternative(p)) for p in parts]))
        return alts[0] if len(alts) == 1 else Query.disjunction_max_query(alts, 0.1)

    def _visibility(self, query: SearchQuery) -> list[tuple[Occur, Query]]:
        clauses = [(Occur.Must, Query.term_set_query(self.schema, "status", list(query.statuses)))]
        if query.open_only:
            clauses.append((Occur.MustNot, self._term("open_attribute", "closed")))
        if query.department_scope is not None:
            clauses.append((Occur.Must, self._term("department_id", int(query.department_scope))))
        return clauses

    def _filter(self, facet: str, values: list[str]) -> tuple[Occur, Query]:
        return Occur.Must, Query.term_set_query(self.schema, FACET_FIELDS[facet][0], [str(v) for v in values])

    def _text(self, searcher, words: list[list[str]], q: str, strict: bool) -> list[tuple[Occur, Query]]:
        required = [self._word(searcher, alts) for alts in words]
        if strict:
            clauses = [(Occur.Must, q) for q in required]
        else:  # at least one word (Should clauses alone would be optional next to the filters)
            clauses = [(Occur.Must, Query.boolean_query([(Occur.Should, q) for q in required]))]
        for alts in words:
            for part in analysis.subwords(alts[0]):
                clauses.append((Occur.Should, self._term("title", part, 0.3)))
        clauses.append((Occur.Should, self._term("title_key", title_key(q), 20.0)))
        return clauses

    @staticmethod
    def _combine(clauses: list[tuple[Occur, Query]]) -> Query:
        if not any(o == Occur.Should or o == Occur.Must for o, _ in clauses):
            clauses = [*clauses, (Occur.Must, Query.all_query())]
        return Query.boolean_query(clauses)

    # --- answering ----------------------------------------------------------------------------
    def query(self, query: SearchQuery) -> SearchPage:
        """Answer one page: hits in order, total, facet counts (disjunctive within a facet)."""
        searcher = self.store.searcher()
        words = analysis.query_words(query.q, self._synonyms()) if query.q.strip() else []
        selected = {k: [str(v) for v in vals] for k, vals in query.filters.items() if k in FACETS and vals}
        base = self._visibility(query)
        filters = {k: self._filter(k, v) for k, v in selected.items()}
        # filters score zero so that only the words decide relevance
        filter_clauses = [(o, Query.const_score_query(q, 0.0)) for o, q in base if o == Occur.Must]
        filter_clauses += [(o, q) for o, q in base if o != Occur.Must]
        facet_clauses = {k: (o, Query.const_score_query(q, 0.0)) for k, (o, q) in filters.items()}

        text = self._text(searcher, words, query.q, strict=True) if words else []
        main = self._combine(text + filter_clauses + list(facet_clauses.values()))
        # facet counts run on another core while this thread ranks (tantivy releases the GIL)
        facet_jobs = self._start_facets(searcher, text, filter_clauses, facet_clauses, query.facet_size)
        result = self._top(searcher, main, query, bool(words))
        did_you_mean = None
        if words and result[1] == 0:
            did_you_mean = correct_query(self, searcher, query.q, words)
            text = self._text(searcher, words, query.q, strict=False)
            main = self._combine(text + filter_clauses + list(facet_clauses.values()))
            facet_jobs = self._start_facets(searcher, text, filter_clauses, facet_clauses, query.facet_size)
            result = self._top(searcher, main, query, True)
        ranked, total = result

        hits = self._hits(searcher, ranked, words)
        facets = self._collect_facets(facet_jobs)
        return SearchPage(hits=hits, total=total, facets=facets, did_you_mean=did_you_mean, backend=self.name)

    def _top(self, searcher, main: Query, query: SearchQuery, has_text: bool):
        end = query.offset + query.per_page
        if query.sort in SORT_FIELDS or not has_text:
            field = SORT_FIELDS.get(query.sort, "quality")
            res = searcher.search(main, query.per_page, count=True, order_by_field=field, offset=query.offset)
            return [addr for _, addr in res.hits], res.count
        res = searcher.search(main, max(RERANK, end), count=True)
        head = res.hits[:RERANK]
        prior = searcher.fast_field_values("quality", [a for _, a in head])
        scored = [(score * (1 + POPULARITY_WEIGHT * (p or 0.0)), i, addr)
                  for i, ((score, addr), p) in enumerate(zip(head, prior, strict=True))]
        scored.sort(key=lambda t: (-t[0], t[1]))
        order = [addr for _, _, addr in scored] + [addr for _, addr in res.hits[RERANK:]]
        # exact title matches first, whatever their popularity
        exact = Query.boolean_query([(Occur.Must, self._term("title_key", title_key(query.q))),
                                     (Occur.Must, Query.const_score_query(main, 0.0))])
        exact_hits = searcher.search(exact, 10, count=False).hits
        if exact_hits:
            keys = {(a.segment_ord, a.doc) for _, a in exact_hits}
            order = [a for _, a in exact_hits] + [a for a in order if (a.segment_ord, a.doc) not in keys]
        return order[query.offset:end], res.count

    def _hits(self, searcher, addresses, words: list[list[str]]) -> list[Hit]:
        terms = {alt for alts in words for alt in alts if not analysis.is_latin(alt)}
        terms |= {p for alts in words for p in analysis.subwords(alts[0])}
        latin = {alt for alts in words for alt in alts if analysis.is_latin(alt)}
        hits = []
        for addr in addresses:
            doc = searcher.doc(addr)
            payload = json.loads(doc.get_first("payload"))
            title, summary = payload["t"], payload["s"]
            marks = set(terms)
            if latin:  # show which Chinese words a pinyin query matched
                marks |= {w for w in analysis.index_tokens(title)
                          if analysis.pinyin_key(w) in latin or analysis.pinyin_initials(w) in latin}
            highlights = {"title": highlight(title, marks)}
            snippet = _snippet(summary, marks)
            if snippet:
                highlights["summary"] = highlight(snippet, marks)
            hits.append(Hit(id=doc.get_first("id"), score=0.0, highlights=highlights))
        return hits

    def _start_facets(self, searcher, text, filter_clauses, facet_clauses, size: int) -> list[Future]:
        """Submit the facet aggregations: one for the unselected facets, one per selected facet."""
        def aggs(names):
            return {n: {"terms": {"field": FACET_FIELDS[n][1], "size": size}} for n in names}

        match = [c for c in text if c[0] == Occur.Must]  # counting needs matching clauses, not scoring ones
        pool = _pool()
        unselected = [n for n in FACETS if n not in facet_clauses]
        jobs = []
        if unselected:
            query = self._combine(match + filter_clauses + list(facet_clauses.values()))
            jobs.append(pool.submit(searcher.aggregate, query, aggs(unselected)))
        for name in facet_clauses:  # disjunctive: every filter except the facet's own
            others = [c for k, c in facet_clauses.items() if k != name]
            jobs.append(pool.submit(searcher.aggregate, self._combine(match + filter_clauses + others), aggs([name])))
        return jobs

    @staticmethod
    def _collect_facets(jobs: list[Future]) -> dict[str, list[FacetValue]]:
        results: dict = {}
        for job in jobs:
            results.update(job.result())
        facets = {}
        for name in FACETS:
            values = []
            for bucket in results.get(name, {}).get("buckets", []):
                value, _, label = str(bucket["key"]).partition(LABEL_SEP)
                values.append(FacetValue(value=value, count=int(bucket["doc_count"]), label=label or value))
            values.sort(key=lambda f: (-f.count, f.value))
            facets[name] = values
        return facets

    # --- completions --------------------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Title completions for the search box: earlier words whole, the last one as a prefix."""
        prefix = prefix.strip()
        words = analysis.words(prefix)
        if not words:
            return []
        searcher = self.store.searcher()
        *done, last = words
        esc = "".join("\\" + c if not c.isalnum() else c for c in last) + ".*"
        fields = ["title", "title_pinyin", "title_initials"] if analysis.is_latin(last) else ["title"]
        clauses = [(Occur.Must, self._alternative(w)) for w in done]
        clauses.append((Occur.Must, Query.boolean_query(
            [(Occur.Should, Query.regex_query(self.schema, f, esc)) for f in fields])))
        clauses.append((Occur.Must, self._term("status", "published")))
        res = searcher.search(Query.boolean_query(clauses), limit * 3, count=False, order_by_field="popular_key")
        titles = [json.loads(searcher.doc(a).get_first("payload"))["t"] for _, a in res.hits]
        titles = list(dict.fromkeys(titles))
        titles.sort(key=lambda t: not t.startswith(prefix))  # stable: popularity within each group
        return titles[:limit]


def _snippet(text: str, marks: set[str], width: int = 120) -> str:
    """The part of ``text`` around the first matched term, or '' when nothing matches."""
    lowered = text.lower()
    positions = [lowered.find(m.lower()) for m in marks if m]
    positions = [p for p in positions if p >= 0]
    if not positions:
        return ""
    start = max(0, min(positions) - width // 4)
    return ("…" if start else "") + text[start:start + width] + ("…" if start + width < len(text) else "")
