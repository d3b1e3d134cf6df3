"""The reference limit for the search benchmark: bare tantivy computing the same page as the shop
(AND over rjieba words, best field per word, filters, top 20 + total + 8 disjunctive facets, hits as
dicts) without synonyms, pinyin, re-ranking, highlights or typo handling."""

from __future__ import annotations

import json
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from search import analysis
from search.base import FACETS

FIELDS = (("title", 3.0), ("tags", 2.0), ("fields", 2.0), ("summary", 1.0))


class BareIndex:
    def __init__(self, path: Path):
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("id", stored=True, indexed=True, fast=True)
        for name, _ in FIELDS:
            sb.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
        for name in (*FACETS, "status"):
            sb.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
        sb.add_bytes_field("payload", stored=True)
        self.schema = sb.build()
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path))

    def build(self, docs) -> None:
        writer = self.index.writer(256_000_000, 1)
        for d in docs:
            fields = {"id": d["id"], "title": analysis.index_text(d["title"]),
                      "tags": analysis.index_text(" ".join(d["tags"])),
                      "fields": analysis.index_text(" ".join(d["fields"])),
                      "summary": analysis.index_text(d["summary"]), "status": d["status"],
                      "payload": json.dumps({"t": d["title"]}, ensure_ascii=False).encode()}
            for f in FACETS:
                v = d.get(f)
                vals = [str(x) for x in v] if isinstance(v, list) else ([str(v)] if v else [])
                if vals:
                    fields[f] = vals
            writer.add_document(tantivy.Document(**fields))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def page(self, q: str, filters: dict[str, list[str]]) -> dict:
        s = self.schema
        clauses = [(Occur.Must, Query.const_score_query(Query.term_query(s, "status", "published"), 0.0))]
        for w in analysis.words(q):
            clauses.append((Occur.Must, Query.disjunction_max_query(
                [Query.boost_query(Query.term_query(s, f, w), b) for f, b in FIELDS])))
        if len(clauses) == 1:
            clauses.append((Occur.Must, Query.all_query()))
        fq = {k: (Occur.Must, Query.const_score_query(Query.term_set_query(s, k, v), 0.0)) for k, v in filters.items()}
        main = Query.boolean_query(clauses + list(fq.values()))
        res = self.searcher.search(main, 20, count=True)
        hits = [{"id": d.get_first("id"), "title": json.loads(d.get_first("payload"))["t"]}
                for d in (self.searcher.doc(a) for _, a in res.hits)]
        aggs = {f: {"terms": {"field": f, "size": 50}} for f in FACETS if f not in fq}
        facets = self.searcher.aggregate(main, aggs)
        for k in fq:
            others = [c for name, c in fq.items() if name != k]
            facets.update(self.searcher.aggregate(Query.boolean_query(clauses + others),
                                                  {k: {"terms": {"field": k, "size": 50}}}))
        return {"hits": hits, "total": res.count,
                "facets": {k: [(b["key"], b["doc_count"]) for b in v["buckets"]] for k, v in facets.items()}}
