"""Offline evaluation: hold out each user's most recent request, train on everything else, and see whether
the recommender (and, side by side, a most-popular baseline) puts the held-out entries in its top ten.

Protocol (docs/recommendations.md): a user with at least two requests contributes a test case; the test
items are the entries of their latest request they had not asked for before. Every other request line, all
carts and delivery usage (minus the held-out pairs) are the training data, so co-request counts, department
profiles and popularity never see a held-out line. Candidates are what the user could request (published,
shared, another department's) minus what they already asked for in training. Metrics: hit-rate@10 (a test
item in the top ten), NDCG@10 (binary relevance, ideal = all test items first), catalog coverage (distinct
entries recommended to anyone / requestable entries).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from orders.models import AccessRequest, RequestLine

from .data import load_cart_events, load_items, load_request_events, load_usage_events
from .engine import Model, Weights

K = 10


@dataclass
class Case:
    user: int
    department: int | None
    test: set[int]


def holdout() -> tuple[set[int], list[Case]]:
    """(held-out request ids, test cases)."""
    from market.db import db

    rows = db.session.execute(select(AccessRequest.id, AccessRequest.requester_id, AccessRequest.department_id,
                                     AccessRequest.created_at, RequestLine.dataset_id)
                              .join(RequestLine, RequestLine.request_id == AccessRequest.id)).all()
    requests: dict[int, dict] = {}
    for rid, user, dept, at, ds in rows:
        requests.setdefault(rid, {"user": user, "dept": dept, "at": at, "items": set()})["items"].add(ds)
    per_user: dict[int, list[tuple]] = defaultdict(list)
    for rid, r in requests.items():
        per_user[r["user"]].append((r["at"], rid))
    held, cases = set(), []
    for user, reqs in per_user.items():
        if len(reqs) < 2:
            continue
        reqs.sort()
        last = reqs[-1][1]
        before = set().union(*(requests[rid]["items"] for _at, rid in reqs[:-1]))
        test = requests[last]["items"] - before
        if test:
            held.add(last)
            cases.append(Case(user, requests[last]["dept"], test))
    return held, cases


def _ndcg(ranked: list[int], test: set[int]) -> float:
    dcg = sum(1 / math.log2(n + 2) for n, item in enumerate(ranked[:K]) if item in test)
    ideal = sum(1 / math.log2(n + 2) for n in range(min(len(test), K)))
    return dcg / ideal if ideal else 0.0


def evaluate(weights: Weights | None = None) -> dict:
    """Run the protocol; returns {"model": {...}, "popularity": {...}, "cases": n, "catalog": n}."""
    held, cases = holdout()
    held_pairs = set()
    request_events = []
    for e in load_request_events():
        if int(e.basket[1:]) in held:
            held_pairs.add((e.user, e.item))
        else:
            request_events.append(e)
    others = [e for e in load_cart_events() + load_usage_events() if (e.user, e.item) not in held_pairs]
    items = load_items()
    model = Model.build(items, request_events + others, weights)
    requestable = {i for i, it in items.items() if it.published and it.share != "none"}
    results = {}
    for name in ("model", "popularity"):
        hits, ndcg, seen = 0, 0.0, set()
        for case in cases:
            dept = case.department

            def allowed(i, dept=dept):
                it = items[i]
                return it.published and it.share != "none" and it.department_id != dept

            mine = model.user_items.get(case.user, {})
            if name == "model":
                ranked = model.recommend(seeds=model.user_seeds(case.user), department=dept, allowed=allowed,
                                         k=K, exclude=mine)
            else:
                ranked = model.popular(allowed=allowed, k=K, exclude=mine)
            ids = [s.item for s in ranked]
            seen.update(ids)
            hits += any(i in case.test for i in ids)
            ndcg += _ndcg(ids, case.test)
        n = max(1, len(cases))
        results[name] = {"hit_rate_at_10": round(hits / n, 4), "ndcg_at_10": round(ndcg / n, 4),
                         "coverage": round(len(seen) / max(1, len(requestable)), 4)}
    return {**results, "cases": len(cases), "catalog": len(requestable)}
