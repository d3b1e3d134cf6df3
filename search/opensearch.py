"""The scale-out search backend: an OpenSearch 2/3 or Elasticsearch 8/9 cluster at ``MARKET_SEARCH_URL``.

Same semantics as the embedded index (``search.embedded``): Chinese text is segmented here, in
Python, by ``search.analysis`` (rjieba + the government user dictionary), and the cluster only splits
on whitespace, so no analysis plugin (smartcn, ik) is needed and both backends see the same tokens.
Every whole query word must match (AND), each word scored by its best field (title ×3, tags and
data items ×2, summary ×1, department/category/code ×0.5, the title's pinyin for latin words);
synonyms are expanded at query time, so changing them needs no reindex. A word the index only
holds in pieces (人口统计 in 常住人口统计) also matches when all its dictionary sub-words do. When
AND finds nothing the query is retried with OR and a "did you mean" correction is offered
(``search.opensearch_typos``). The score is multiplied by 1 + 0.3 × a usage/rating/completeness
prior, and an exact title match multiplies it by 1000, so popularity never buries it. Facet filters
go in ``post_filter``; each facet's terms aggregation applies every filter but its own
(disjunctive), so a facet with nothing selected counts exactly the hits in ``total``.

Indexes and the alias. ``MARKET_SEARCH_INDEX`` names an alias; the data lives in timestamped
indexes ``<alias>-<20 digits>`` with one explicit mapping (``dynamic: strict``). ``rebuild`` (``market
reindex``) fills a new index while the old one keeps serving, then moves the alias in one atomic
``_aliases`` call and deletes the old index. Updates made meanwhile are written to every
``<alias>-*`` index, and the rebuild only ``create``s documents, so a newer document written during
the rebuild is never overwritten by the older copy the rebuild read. Run one rebuild at a time; a
dataset deleted from the database during a rebuild may reappear until its next update.

Compatibility. Request bodies stay within what ES 8/9 and OpenSearch 2/3 share: no mapping types,
``_doc`` ids, ``track_total_hits: true``, ``function_score``/``dis_max``/``terms``/``prefix``/
``fuzzy`` queries, ``filter`` + ``terms`` aggregations, ``_aliases`` actions incl. ``remove_index``.
The client is ``opensearch-py``; it sends no product or compatibility headers and ES 8/9 accept
plain ``application/json``.

What the test double cannot prove. The contract suite runs against osmem-server 0.1.6 (in-memory,
OpenSearch API 3.8.0, one node). It cannot prove: Lucene's exact BM25 scores (rankings with close
scores may differ on a real cluster); the analyzers of a real node (only ``whitespace`` +
``lowercase`` are used, on purpose); near-real-time refresh (osmem shows writes at once, a cluster
after ``refresh_interval``; this backend does not wait unless ``refresh=True``); shards, replicas,
cluster health, snapshots, security (TLS, users) and ``max_result_window`` set differently per
index; and Elasticsearch itself: the ``elasticsearch`` 9 client gets HTTP 406 from osmem (it
sends ``compatible-with`` headers osmem refuses), so ES 8/9 are covered by staying inside the
shared subset, not by a test run. See docs/search-backends.md.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import NotFoundError, RequestError, TransportError

from . import analysis
from .base import FACETS, FacetValue, Hit, SearchPage, SearchQuery, ranking_rating
from .embedded_schema import LABEL_SEP, quality, title_key
from .highlight import highlight

SynonymSource = Callable[[], Mapping[str, Sequence[str]]]

TEXT_FIELDS = (("title_words", 3.0), ("tags_words", 2.0), ("fields_words", 2.0), ("summary_words", 1.0),
               ("meta_words", 0.5))
PINYIN_FIELDS = (("title_pinyin", 2.5), ("title_initials", 2.0))
# facet -> (filter field, aggregation field); department/category aggregate "code\x1fname" for labels
FACET_FIELDS = {f: (f, f) for f in FACETS} | {"department": ("department", "department_label"),
                                              "category": ("category", "category_label")}
POPULARITY_WEIGHT = 0.3  # as the embedded backend: a full prior multiplies a score by 1.3 at most
EXACT_TITLE_WEIGHT = 1000.0
MAX_WINDOW = 10_000  # index.max_result_window's default: deeper pages answer total and facets only
BULK_CHUNK = 1000
SUMMARY_KEPT = 1000  # characters of the summary kept for snippets, as the embedded backend

_TEXT = {"type": "text", "analyzer": "words", "index_options": "freqs"}
_KEYWORD = {"type": "keyword"}
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "long"},
        "code": _KEYWORD,
        "title": {"type": "keyword", "index": False, "doc_values": False},  # shown, never searched
        "summary": {"type": "text", "index": False},
        "title_key": _KEYWORD,
        **{name: _TEXT for name, _ in TEXT_FIELDS + PINYIN_FIELDS},
        **{name: _KEYWORD for pair in FACET_FIELDS.values() for name in pair},
        "status": _KEYWORD,
        "department_id": {"type": "integer"},
        "request_count": {"type": "integer"},
        "rating": {"type": "float"},
        "rating_count": {"type": "integer"},
        "rating_rank": {"type": "float"},
        "quality": {"type": "float"},
        "published_at": {"type": "date"},
        "updated_at": {"type": "date"},
    },
}
SETTINGS = {
    "number_of_shards": 1,  # a catalog of 10^6 short rows fits one shard; replicas: cluster default
    "analysis": {"analyzer": {"words": {"type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]}}},
}
_INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _no_synonyms() -> Mapping[str, Sequence[str]]:
    return {}


def to_source(doc: dict) -> dict:
    """The cluster document for one search document (``search.adapters``)."""
    title, summary = doc.get("title", ""), doc.get("summary", "") or ""
    source = {
        "id": int(doc["id"]),
        "code": doc.get("code", ""),
        "title": title,
        "summary": summary[:SUMMARY_KEPT],
        "title_key": title_key(title),
        "title_words": analysis.index_text(title),
        "tags_words": analysis.index_text(" ".join(doc.get("tags", ()))),
        "fields_words": analysis.index_text(" ".join(doc.get("fields", ()))),
        "summary_words": analysis.index_text(summary),
        "meta_words": analysis.index_text(" ".join(
            [doc.get("department_name", ""), doc.get("category_name", ""), doc.get("code", "")])),
        "title_pinyin": analysis.pinyin_full(title),
        "title_initials": analysis.pinyin_initials(title),
        "status": doc.get("status", ""),
        "department_id": int(doc.get("department_id") or 0),
        "request_count": int(doc.get("request_count") or 0),
        "rating": float(doc.get("rating") or 0.0),
        "rating_count": int(doc.get("rating_count") or 0),
        "rating_rank": ranking_rating(doc.get("rating"), doc.get("rating_count")),
        "quality": quality(doc),
        "published_at": doc.get("published_at") or None,
        "updated_at": doc.get("updated_at") or None,
    }
    for facet, (filter_field, agg_field) in FACET_FIELDS.items():
        value = doc.get(facet)
        values = [str(v) for v in value] if isinstance(value, (list, tuple)) else ([str(value)] if value else [])
        source[filter_field] = values
        if agg_field != filter_field:
            source[agg_field] = [f"{v}{LABEL_SEP}{doc.get(facet + '_name', '') or v}" for v in values]
    return source


class OpenSearchBackend:
    name = "opensearch"

    def __init__(self, url: str, index: str = "market-datasets", *, synonyms: SynonymSource | None = None,
                 refresh: bool = False, timeout: float = 10.0, client: OpenSearch | None = None):
        if not _INDEX_NAME.match(index) or len(index) > 200:
            raise ValueError(f"MARKET_SEARCH_INDEX={index!r}: use lowercase letters, digits, '-', '_' or '.', "
                             "starting with a letter or digit")
        self.alias = index
        self.url = url
        # refresh=True makes every write visible to the next query (tests, demos); a cluster
        # otherwise shows writes after its refresh_interval (1 s by default)
        self.refresh = refresh
        self.client = client or OpenSearch(hosts=[url], timeout=timeout, max_retries=1, retry_on_timeout=False)
        self._synonyms = synonyms or _no_synonyms
        self._own = re.compile(rf"^{re.escape(index)}-\d{{20}}$")
        self.unavailable_reason = ""

    # --- indexes and the alias ----------------------------------------------------------------
    def _new_index_name(self) -> str:
        return f"{self.alias}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}{time.time_ns() % 1_000_000:06d}"

    def _create_index(self, name: str, *, building: bool = False) -> None:
        settings = dict(SETTINGS, refresh_interval="-1") if building else SETTINGS
        self.client.indices.create(index=name, body={"settings": settings, "mappings": MAPPING})

    def _own_indices(self) -> list[str]:
        """Every index of this alias, live or being built, oldest first."""
        return sorted(n for n in self.client.indices.get_alias(index=f"{self.alias}-*") if self._own.match(n))

    def _alias_holders(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def _write_targets(self) -> list[str]:
        names = self._own_indices()
        if names:
            return names
        # first write to an empty cluster: a fixed first name, so concurrent workers create one index
        first = f"{self.alias}-{0:020d}"
        try:
            self._create_index(first)
        except RequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
        self.client.indices.update_aliases(body={"actions": [{"add": {"index": first, "alias": self.alias}}]})
        return [first]

    def _bulk(self, actions: Iterable[dict], *, tolerate: tuple[int, ...] = ()) -> int:
        """Send ``actions`` in chunks; return how many took effect (or were tolerated); raise on others."""
        done, failures = 0, []
        for ok, item in helpers.streaming_bulk(self.client, actions, chunk_size=BULK_CHUNK, raise_on_error=False,
                                               max_retries=2, refresh=self.refresh):
            result = next(iter(item.values()))
            if ok or result.get("status") in tolerate:
                done += 1
            else:
                failures.append(result)
        if failures:
            first = failures[0]
            raise RuntimeError(f"{len(failures)} search index writes failed; first: id {first.get('_id')} "
                               f"in {first.get('_index')}: {first.get('error') or first.get('result')}")
        return done

    # --- writing ------------------------------------------------------------------------------
    def index(self, documents: list[dict]) -> None:
        """Add or replace documents (each has an integer ``id``) in every index of the alias."""
        sources = [to_source(d) for d in documents]
        if not sources:
            return
        self._bulk({"_op_type": "index", "_index": name, "_id": s["id"], "_source": s}
                   for name in self._write_targets() for s in sources)

    def delete(self, ids: list[int]) -> None:
        """Remove documents by id; unknown ids are ignored."""
        if not ids:
            return
        self._bulk(({"_op_type": "delete", "_index": name, "_id": int(i)}
                    for name in self._write_targets() for i in ids), tolerate=(404,))

    def clear(self) -> None:
        """Remove every document (tests and demo resets)."""
        for name in self._own_indices():
            self.client.delete_by_query(index=name, body={"query": {"match_all": {}}}, refresh=True,
                                        conflicts="proceed")

    def rebuild(self, documents) -> int:
        """Fill a new index from ``documents``, move the alias to it atomically, drop the old ones."""
        name = self._new_index_name()
        self._create_index(name, building=True)
        try:
            # `create`: an update written meanwhile by a web worker is newer than this copy (409)
            count = self._bulk(({"_op_type": "create", "_index": name, "_id": s["id"], "_source": s}
                                for s in map(to_source, documents)), tolerate=(409,))
            self.client.indices.put_settings(index=name, body={"index": {"refresh_interval": None}})
            self.client.indices.refresh(index=name)
            holders = self._alias_holders()
            actions = [{"remove": {"index": old, "alias": self.alias}} for old in holders]
            if not holders and self.client.indices.exists(index=self.alias):
                actions.append({"remove_index": {"index": self.alias}})  # a plain index in the alias's place
            actions.append({"add": {"index": name, "alias": self.alias}})
            self.client.indices.update_aliases(body={"actions": actions})
        except BaseException:
            self.client.indices.delete(index=name, ignore_unavailable=True)
            raise
        for old in self._own_indices():
            if old != name:
                self.client.indices.delete(index=old, ignore_unavailable=True)
        return count

    # --- health -------------------------------------------------------------------------------
    def ping(self) -> bool:
        """True when the cluster answers and the alias points to a readable index."""
        try:
            self.client.count(index=self.alias)
            problem = self._mapping_problem()
        except NotFoundError:
            problem = f"search index {self.alias!r} missing on {self._where()}: run `market reindex`"
        except (TransportError, OSError) as exc:
            problem = f"search cluster {self._where()} unavailable: {exc}"
        self.unavailable_reason = problem
        return not problem

    def _mapping_problem(self) -> str:
        """Why the live index cannot answer our queries (an older or foreign mapping), or ''."""
        wanted = {name: spec["type"] for name, spec in MAPPING["properties"].items()}
        for name, body in self.client.indices.get_mapping(index=self.alias).items():
            have = {k: v.get("type") for k, v in body.get("mappings", {}).get("properties", {}).items()}
            wrong = sorted(k for k, t in wanted.items() if have.get(k) != t)
            if wrong:
                return (f"search index {name} has another mapping (fields {', '.join(wrong[:5])}): "
                        "run `market reindex`")
        return ""

    def count(self) -> int:
        return int(self.client.count(index=self.alias)["count"])

    def _where(self) -> str:
        return re.sub(r"//[^@/]*@", "//", self.url)  # never log credentials

    # --- query building -----------------------------------------------------------------------
    def _alternative(self, alt: str, boost: float = 1.0) -> dict:
        fields = TEXT_FIELDS + PINYIN_FIELDS if analysis.is_latin(alt) else TEXT_FIELDS
        return {"multi_match": {"query": alt, "fields": [f"{f}^{w:g}" for f, w in fields], "type": "best_fields",
                                "operator": "and", "tie_breaker": 0.1, "boost": boost}}

    def _word(self, alternatives: list[str]) -> dict:
        alts = [self._alternative(a) for a in alternatives]
        parts = analysis.subwords(alternatives[0])
        if parts:  # the word only in pieces: all its sub-words, scored lower than the whole word
            alts.append({"bool": {"must": [self._alternative(p) for p in parts], "boost": 0.5}})
        return alts[0] if len(alts) == 1 else {"dis_max": {"queries": alts, "tie_breaker": 0.1}}

    def _text(self, words: list[list[str]], q: str, strict: bool) -> dict:
        clauses = [self._word(alts) for alts in words]
        extra = [{"term": {"title_words": {"value": part, "boost": 0.3}}}
                 for alts in words for part in analysis.subwords(alts[0])]
        extra.append({"term": {"title_key": {"value": title_key(q), "boost": 20.0}}})
        if strict:
            return {"bool": {"must": clauses, "should": extra}}
        return {"bool": {"should": clauses + extra, "minimum_should_match": 1}}

    @staticmethod
    def _visibility(query: SearchQuery) -> list[dict]:
        clauses = [{"terms": {"status": list(query.statuses)}}]
        if query.open_only:
            clauses.append({"bool": {"must_not": [{"term": {"open_attribute": "closed"}}]}})
        if query.department_scope is not None:
            clauses.append({"term": {"department_id": int(query.department_scope)}})
        return clauses

    @staticmethod
    def _ranked(text: dict | None, filters: list[dict], q: str) -> dict:
        functions = [{"weight": 1}, {"field_value_factor": {"field": "quality", "factor": POPULARITY_WEIGHT,
                                                            "missing": 0}}]
        if text is not None:
            functions.append({"filter": {"term": {"title_key": title_key(q)}}, "weight": EXACT_TITLE_WEIGHT})
        inner = {"bool": {"must": [text or {"match_all": {}}], "filter": filters}}
        return {"function_score": {"query": inner, "functions": functions, "score_mode": "sum",
                                   "boost_mode": "multiply"}}

    @staticmethod
    def _sort(sort: str) -> list:
        if sort == "popular":
            return [{"request_count": "desc"}, {"quality": "desc"}, {"id": "asc"}]
        if sort == "newest":
            return [{"published_at": {"order": "desc", "missing": "_last"}}, {"quality": "desc"}, {"id": "desc"}]
        if sort == "rating":
            return [{"rating_rank": "desc"}, {"rating_count": "desc"}, {"quality": "desc"}, {"id": "asc"}]
        return ["_score", {"id": "asc"}]

    def _body(self, query: SearchQuery, text: dict | None) -> dict:
        selected = {k: [str(v) for v in vals] for k, vals in query.filters.items() if k in FACETS and vals}
        terms = {k: {"terms": {FACET_FIELDS[k][0]: v}} for k, v in selected.items()}
        aggs = {}
        for name in FACETS:
            others = [t for k, t in terms.items() if k != name]
            agg = {"terms": {"field": FACET_FIELDS[name][1], "size": query.facet_size}}
            aggs[name] = {"filter": {"bool": {"filter": others}} if others else {"match_all": {}},
                          "aggs": {"values": agg}}
        size = query.per_page if query.offset + query.per_page <= MAX_WINDOW else 0
        body = {"query": self._ranked(text, self._visibility(query), query.q), "track_total_hits": True,
                "from": query.offset if size else 0, "size": size, "sort": self._sort(query.sort),
                "_source": ["id", "title", "summary"], "aggs": aggs}
        if terms:
            body["post_filter"] = {"bool": {"filter": list(terms.values())}}
        return body

    # --- answering ----------------------------------------------------------------------------
    def query(self, query: SearchQuery) -> SearchPage:
        """Answer one page: hits in order, total, facet counts (disjunctive within a facet)."""
        words = analysis.query_words(query.q, self._synonyms()) if query.q.strip() else []
        text = self._text(words, query.q, strict=True) if words else None
        res = self.client.search(index=self.alias, body=self._body(query, text))
        did_you_mean = None
        if words and res["hits"]["total"]["value"] == 0:
            from .opensearch_typos import correct_query

            did_you_mean = correct_query(self, query.q, words)
            res = self.client.search(index=self.alias, body=self._body(query, self._text(words, query.q, False)))
        facets = {}
        for name in FACETS:
            values = []
            for bucket in res["aggregations"][name]["values"]["buckets"]:
                value, _, label = str(bucket["key"]).partition(LABEL_SEP)
                values.append(FacetValue(value=value, count=int(bucket["doc_count"]), label=label or value))
            values.sort(key=lambda f: (-f.count, f.value))
            facets[name] = values
        return SearchPage(hits=self._hits(res["hits"]["hits"], words), total=int(res["hits"]["total"]["value"]),
                          facets=facets, did_you_mean=did_you_mean, backend=self.name)

    @staticmethod
    def _hits(raw: list[dict], words: list[list[str]]) -> list[Hit]:
        # the cluster's own highlighter is not used: we mark the stored text and escape it ourselves
        terms = {alt for alts in words for alt in alts if not analysis.is_latin(alt)}
        terms |= {p for alts in words for p in analysis.subwords(alts[0])}
        latin = {alt for alts in words for alt in alts if analysis.is_latin(alt)}
        hits = []
        for h in raw:
            title, summary = h["_source"]["title"], h["_source"].get("summary", "")
            marks = set(terms)
            if latin:  # show which Chinese words a pinyin query matched
                marks |= {w for w in analysis.words(title)
                          if analysis.pinyin_key(w) in latin or analysis.pinyin_initials(w) in latin}
            highlights = {"title": highlight(title, marks)}
            snippet = _snippet(summary, marks)
            if snippet:
                highlights["summary"] = highlight(snippet, marks)
            hits.append(Hit(id=int(h["_source"]["id"]), score=float(h.get("_score") or 0.0), highlights=highlights))
        return hits

    # --- completions --------------------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Title completions for the search box: earlier words whole, the last one as a prefix."""
        prefix = prefix.strip()
        words = analysis.words(prefix)
        if not words:
            return []
        *done, last = words
        fields = ["title_words", "title_pinyin", "title_initials"] if analysis.is_latin(last) else ["title_words"]
        must = [self._alternative(w) for w in done]
        must.append({"bool": {"should": [{"prefix": {f: last}} for f in fields], "minimum_should_match": 1}})
        body = {"query": {"bool": {"must": must, "filter": [{"term": {"status": "published"}}]}},
                "size": limit * 3, "_source": ["title"], "sort": self._sort("popular")}
        res = self.client.search(index=self.alias, body=body)
        titles = list(dict.fromkeys(h["_source"]["title"] for h in res["hits"]["hits"]))
        titles.sort(key=lambda t: not t.startswith(prefix))  # stable: popularity within each group
        return titles[:limit]


def _snippet(text: str, marks: set[str], width: int = 120) -> str:
    """The part of ``text`` around the first matched term, or '' when nothing matches."""
    lowered = text.lower()
    positions = [p for p in (lowered.find(m.lower()) for m in marks if m) if p >= 0]
    if not positions:
        return ""
    start = max(0, min(positions) - width // 4)
    return ("…" if start else "") + text[start:start + width] + ("…" if start + width < len(text) else "")
