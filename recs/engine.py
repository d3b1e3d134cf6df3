"""The recommender as a pure, in-memory model: built from catalog features and implicit feedback (request
lines, carts, grants, deliveries), it scores candidates by a blend of

* co-request (item–item cosine over the baskets, users and departments that asked for both),
* content similarity (TF-IDF over category, tags, data items and segmented title/summary),
* department context (what colleagues in the user's department use), and
* a small popularity prior (cold start: new users; content similarity brings in new entries),

and keeps, per candidate, the strongest reason so every item can say why it is there. No database access
here: ``recs.data`` loads the inputs, ``recs.services`` filters by permissions and formats the reasons,
``recs.evaluate`` replays held-out history against it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    id: int
    department_id: int
    category_id: int | None
    published: bool
    share: str  # unconditional | conditional | none
    open: str  # open | conditional | closed
    title: str
    category: str = ""
    tags: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()  # data item names
    words: tuple[str, ...] = ()  # segmented title
    summary_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """One piece of implicit feedback: ``user`` (of ``department``) wanted ``item``."""

    user: int
    department: int | None
    item: int
    basket: str | None  # the request / cart it came in, None for single deliveries
    at: float  # POSIX seconds, for recency
    weight: float = 1.0


@dataclass(frozen=True)
class Reason:
    kind: str  # co_request | same_items | same_topic | same_category | department | popular | bundle
    other: int | None = None  # the entry the reason refers to
    count: int = 0  # departments / colleagues
    detail: tuple[str, ...] = ()  # shared data items, tag, …


@dataclass
class Scored:
    item: int
    score: float
    reason: Reason


@dataclass(frozen=True)
class Weights:
    co_request: float = 1.0
    content: float = 0.5
    department: float = 0.3
    popularity: float = 0.08
    recent_boost: float = 1.5  # the user's latest basket counts this much more
    neighbours: int = 60  # item–item neighbours kept per entry and signal


TOKEN_WEIGHTS = {"c": 2.0, "t": 1.5, "i": 1.0, "w": 1.0, "s": 0.3, "d": 0.5}
MAX_POSTING = 5000  # tokens shared by more entries carry no signal and cost time
COMMON_SHARE = 0.15  # …nor do tokens in more than this share of the catalog (信息, 数据, 无锡 …)
MAX_DEPT_ITEMS = 400  # department co-occurrence is quadratic: keep each department's most used entries


@dataclass
class Model:
    items: dict[int, Item]
    weights: Weights = field(default_factory=Weights)
    user_items: dict[int, dict[int, float]] = field(default_factory=dict)
    user_recent: dict[int, set[int]] = field(default_factory=dict)
    user_dept: dict[int, int | None] = field(default_factory=dict)
    item_users: Counter = field(default_factory=Counter)
    item_depts: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    dept_items: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    dept_users: Counter = field(default_factory=Counter)
    co_basket: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    co_user: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    co_dept: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    basket_count: Counter = field(default_factory=Counter)
    vectors: dict[int, dict[str, float]] = field(default_factory=dict)
    postings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _cf_cache: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    _ct_cache: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    _top_users: int | None = None

    # --- building ---------------------------------------------------------------------------------
    @classmethod
    def build(cls, items: dict[int, Item], events: Iterable[Event], weights: Weights | None = None,
              reuse_content: Model | None = None) -> Model:
        """Build from catalog features and feedback; ``reuse_content`` (a model built from the same
        ``items``) lends its content index, so new requests only rebuild the feedback part."""
        model = cls(items=items, weights=weights or Weights())
        if reuse_content is not None and reuse_content.items is items and reuse_content.weights == model.weights:
            model.vectors, model.postings = reuse_content.vectors, reuse_content.postings
            model._ct_cache = reuse_content._ct_cache
        else:
            model._build_content()
        model._build_feedback(list(events))
        return model

    def _build_content(self) -> None:
        raw: dict[int, dict[str, float]] = {}
        df: Counter = Counter()
        for it in self.items.values():
            vec: dict[str, float] = {}
            toks = ([("c", str(it.category_id))] if it.category_id else []) + [("t", t) for t in it.tags] \
                + [("i", f) for f in it.fields] + [("w", w) for w in it.words] \
                + [("s", w) for w in it.summary_words] + [("d", str(it.department_id))]
            for kind, tok in toks:
                key = f"{kind}:{tok}"
                vec[key] = max(vec.get(key, 0.0), TOKEN_WEIGHTS[kind])
            raw[it.id] = vec
            df.update(vec.keys())
        n = max(1, len(self.items))
        common = min(MAX_POSTING, max(20, int(COMMON_SHARE * n)))
        for item_id, vec in raw.items():
            weighted = {k: v * math.log(1 + n / df[k]) for k, v in vec.items()}
            norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
            self.vectors[item_id] = {k: v / norm for k, v in weighted.items()}
            for k in weighted:
                if 1 < df[k] <= common:
                    self.postings[k].append(item_id)

    def _build_feedback(self, events: list[Event]) -> None:
        baskets: dict[str, set[int]] = defaultdict(set)
        last_basket: dict[int, tuple[float, str]] = {}
        dept_sets: dict[int, Counter] = defaultdict(Counter)
        for e in events:
            if e.item not in self.items:
                continue
            mine = self.user_items.setdefault(e.user, {})
            mine[e.item] = max(mine.get(e.item, 0.0), e.weight)
            self.user_dept[e.user] = e.department
            if e.basket:
                baskets[e.basket].add(e.item)
                if e.user not in last_basket or e.at > last_basket[e.user][0]:
                    last_basket[e.user] = (e.at, e.basket)
        for user, (_at, basket) in last_basket.items():
            self.user_recent[user] = set(baskets[basket])
        for user, mine in self.user_items.items():
            dept = self.user_dept.get(user)
            self.item_users.update(mine.keys())
            if dept is not None:
                self.dept_users[dept] += 1
                dept_sets[dept].update(mine.keys())
                for item in mine:
                    self.item_depts[item].add(dept)
            self._pairs(list(mine), self.co_user)
        for basket, members in baskets.items():
            self.basket_count.update(members)
            self._pairs(list(members), self.co_basket)
        for dept, counts in dept_sets.items():
            self.dept_items[dept] = counts
            top = [i for i, _n in counts.most_common(MAX_DEPT_ITEMS)]
            self._pairs(top, self.co_dept)

    @staticmethod
    def _pairs(members: list[int], into: dict[int, Counter]) -> None:
        for a in range(len(members)):
            ia = members[a]
            row = into[ia]
            for b in range(a + 1, len(members)):
                ib = members[b]
                row[ib] += 1
                into[ib][ia] += 1

    # --- item–item signals ------------------------------------------------------------------------
    def co_request_neighbours(self, item: int) -> list[tuple[int, float]]:
        """Entries asked for together with ``item``: cosine over baskets, users and departments."""
        cached = self._cf_cache.get(item)
        if cached is not None:
            return cached
        scores: Counter = Counter()
        nb, nu, nd = self.basket_count[item], self.item_users[item], len(self.item_depts.get(item, ()))
        for other, n in self.co_basket.get(item, {}).items():
            scores[other] += n / math.sqrt(nb * self.basket_count[other])
        for other, n in self.co_user.get(item, {}).items():
            scores[other] += 0.5 * n / math.sqrt(nu * self.item_users[other])
        for other, n in self.co_dept.get(item, {}).items():
            scores[other] += 0.3 * n / math.sqrt(nd * len(self.item_depts[other]))
        out = scores.most_common(self.weights.neighbours)
        self._cf_cache[item] = out
        return out

    def content_neighbours(self, item: int) -> list[tuple[int, float]]:
        """Entries most similar in category, tags, data items and wording (cosine of TF-IDF vectors)."""
        cached = self._ct_cache.get(item)
        if cached is not None:
            return cached
        vec = self.vectors.get(item, {})
        dots: Counter = Counter()
        for key, w in vec.items():
            for other in self.postings.get(key, ()):
                if other != item:
                    dots[other] += w * self.vectors[other][key]
        out = dots.most_common(self.weights.neighbours)
        self._ct_cache[item] = out
        return out

    def departments_together(self, a: int, b: int) -> int:
        return self.co_dept.get(a, {}).get(b, 0)

    def content_reason(self, source: int, target: int) -> Reason:
        a, b = self.items[source], self.items[target]
        shared = [f for f in b.fields if f in set(a.fields)]
        if shared:
            return Reason("same_items", source, len(shared), tuple(shared[:3]))
        tags = [t for t in b.tags if t in set(a.tags)]
        if tags:
            return Reason("same_topic", source, len(tags), tuple(tags[:2]))
        if a.category_id and a.category_id == b.category_id:
            return Reason("same_category", source, 0, (b.category,))
        return Reason("similar", source)

    def popularity(self, item: int) -> float:
        if self._top_users is None:
            self._top_users = max(self.item_users.values(), default=0)
        top = self._top_users
        return math.log1p(self.item_users[item]) / math.log1p(top) if top else 0.0

    # --- recommending -----------------------------------------------------------------------------
    def recommend(self, *, seeds: dict[int, float], department: int | None, allowed: Callable[[int], bool],
                  k: int = 10, exclude: Iterable[int] = (), department_weight: float | None = None,
                  seed_reason: str = "co_request") -> list[Scored]:
        """Top ``k`` entries for a context: ``seeds`` (entry → weight: the user's history, the entry on
        the page, the cart) and the user's ``department``; ``allowed`` filters candidates."""
        w = self.weights
        skip = set(exclude) | set(seeds)
        total = sum(seeds.values()) or 1.0
        cf: dict[int, float] = defaultdict(float)
        ct: dict[int, float] = defaultdict(float)
        cf_by: dict[int, tuple[float, int]] = {}
        ct_by: dict[int, tuple[float, int]] = {}
        for seed, sw in seeds.items():
            for other, s in self.co_request_neighbours(seed):
                v = sw * s / total
                cf[other] += v
                if v > cf_by.get(other, (0.0, 0))[0]:
                    cf_by[other] = (v, seed)
            for other, s in self.content_neighbours(seed):
                v = sw * s / total
                ct[other] += v
                if v > ct_by.get(other, (0.0, 0))[0]:
                    ct_by[other] = (v, seed)
        dept_w = w.department if department_weight is None else department_weight
        dept_counts = self.dept_items.get(department, Counter()) if department is not None else Counter()
        dept_n = max(1, self.dept_users.get(department, 0))
        candidates = set(cf) | set(ct) | set(dept_counts)
        if len(candidates) < 4 * k:  # cold start: fill with what is used most
            candidates |= {i for i, _n in self.item_users.most_common(8 * k)}
        scored: list[tuple[float, int, dict]] = []
        for item in candidates:
            if item in skip or item not in self.items or not allowed(item):
                continue
            parts = {
                "co_request": w.co_request * cf.get(item, 0.0),
                "content": w.content * ct.get(item, 0.0),
                "department": dept_w * dept_counts.get(item, 0) / dept_n,
                "popular": w.popularity * self.popularity(item),
            }
            score = sum(parts.values())
            if score > 0:
                scored.append((score, item, parts))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [Scored(item, score, self._reason(item, parts, cf_by, ct_by, dept_counts))
                for score, item, parts in scored[:k]]

    def _reason(self, item, parts, cf_by, ct_by, dept_counts) -> Reason:
        kind = max(parts, key=parts.get)
        if kind == "co_request" and item in cf_by:
            seed = cf_by[item][1]
            return Reason("co_request", seed, self.departments_together(seed, item))
        if kind == "content" and item in ct_by:
            return self.content_reason(ct_by[item][1], item)
        if kind == "department" and dept_counts.get(item):
            return Reason("department", None, dept_counts[item])
        return Reason("popular", None, self.item_users[item])

    def user_seeds(self, user: int) -> dict[int, float]:
        """The user's history as seeds, the latest request weighted up."""
        recent = self.user_recent.get(user, set())
        return {i: wt * (self.weights.recent_boost if i in recent else 1.0)
                for i, wt in self.user_items.get(user, {}).items()}

    def popular(self, *, allowed: Callable[[int], bool], k: int = 10, exclude: Iterable[int] = ()) -> list[Scored]:
        """The baseline: most requested entries (by distinct users) the user does not have yet."""
        skip = set(exclude)
        out = []
        for item, n in sorted(self.item_users.items(), key=lambda x: (-x[1], x[0])):
            if item in skip or item not in self.items or not allowed(item):
                continue
            out.append(Scored(item, float(n), Reason("popular", None, n)))
            if len(out) == k:
                break
        return out
