"""The demo city's request history, generated from what departments plausibly need: each department has
category weights (its work) and cross-department scenarios (recs.scenarios); its staff pick one or two
scenarios and focus topics, and ask for entries over about eleven months, partly scenario packs, partly
entries of their focus topics (more-used entries more often), with a little noise. Written as real
AccessRequest / SubOrder / RequestLine / ApprovalStep / Grant rows (bulk INSERTs), then the curated bundles
and some verified reviews; ``request_count`` is recounted from the lines so the shop shows real numbers."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from catalog.demo.build import SEED
from catalog.models import Category, DataItem, Dataset, Department
from market.auth.models import Role, User
from market.db import db, utcnow
from orders.decisions import delivery_modes_for
from orders.models import AccessRequest, ApprovalStep, Grant, RequestLine, SubOrder

from .models import Bundle, BundleItem
from .scenarios import NEEDS, SCENARIOS, scenario_weight

HISTORY_DAYS = 330
PERIOD_DAYS = 365
STAFF_PER_DEPARTMENT = 3  # departments with listed needs; others get 2
UNUSABLE_PASSWORD = "!demo-history-account"  # not an argon2 hash: these accounts cannot sign in
CHUNK = 500
PURPOSES = {
    "scenario": "办理“{s}”业务，需核验相关信息。",
    "topic": "开展{c}相关业务的资格审核与统计分析。",
}
LEGAL_BASIS = "《无锡市公共数据管理办法》及部门职责规定"


@dataclass
class Entry:
    id: int
    code: str
    title: str
    department_id: int
    category: str
    share: str
    level: int
    modes: list
    weight: float
    fields: list = field(default_factory=list)
    sensitive: bool = False

    @property
    def delivery_modes(self):
        return self.modes


@dataclass
class Person:
    id: int
    department_id: int
    department_code: str


def _entries() -> dict[int, Entry]:
    cats = dict(db.session.execute(select(Category.id, Category.code)).all())
    fields: dict[int, list] = defaultdict(list)
    sensitive: set[int] = set()
    for ds_id, name, sens in db.session.execute(select(DataItem.dataset_id, DataItem.name, DataItem.sensitive)
                                                .order_by(DataItem.dataset_id, DataItem.position)):
        fields[ds_id].append(name)
        if sens:
            sensitive.add(ds_id)
    out = {}
    for r in db.session.execute(select(Dataset.id, Dataset.code, Dataset.title, Dataset.department_id,
                                       Dataset.category_id, Dataset.share_attribute, Dataset.level,
                                       Dataset.delivery_modes, Dataset.request_count)
                                .where(Dataset.status == "published", Dataset.share_attribute != "none")
                                .order_by(Dataset.id)):  # a fixed order: the history is drawn from it
        # how much an entry is used besides the department's needs: the catalog's own popularity prior
        out[r.id] = Entry(r.id, r.code, r.title, r.department_id, cats.get(r.category_id, ""),
                          str(getattr(r.share_attribute, "value", r.share_attribute)), r.level,
                          list(r.delivery_modes or []), (r.request_count + 2) ** 0.6, fields[r.id], r.id in sensitive)
    return out


def _staff(rng: random.Random, departments: list[Department]) -> list[Person]:
    """Existing department accounts plus a few history-only staff accounts per department."""
    taken = set(db.session.scalars(select(User.username)))
    rows = []
    for dept in departments:
        n = STAFF_PER_DEPARTMENT if dept.code in NEEDS else 2
        for k in range(1, n + 1):
            name = f"{dept.code.lower()}_staff{k}"
            if name not in taken:
                rows.append({"username": name, "password_hash": UNUSABLE_PASSWORD, "role": Role.requester,
                             "department_id": dept.id, "display_name": f"{dept.name}业务人员{k}", "email": "",
                             "active": True, "created_at": utcnow() - timedelta(days=HISTORY_DAYS + 30)})
    if rows:
        db.session.execute(insert(User), rows)
    codes = {d.id: d.code for d in departments}
    return [Person(uid, dept_id, codes[dept_id]) for uid, dept_id in db.session.execute(
        select(User.id, User.department_id).where(User.role.in_((Role.requester, Role.officer)),
                                                  User.department_id.is_not(None)).order_by(User.id))
            if dept_id in codes]


def _weighted(rng: random.Random, pool: list[Entry], k: int) -> list[Entry]:
    chosen: list[Entry] = []
    pool = list(pool)
    while pool and len(chosen) < k:
        pick = rng.choices(pool, weights=[e.weight for e in pool])[0]
        chosen.append(pick)
        pool.remove(pick)
    return chosen


def _usable(e: Entry, department_id: int, held: set[int]) -> bool:
    return e.department_id != department_id and e.id not in held


def _needs(code: str, own_categories: dict[str, float]) -> dict[str, float]:
    return NEEDS.get(code) or own_categories or {"POP": 1.0, "LEGAL": 1.0}


def plan_history(rng: random.Random, people: list[Person], entries: dict[int, Entry],
                 own_cats: dict[int, dict[str, float]], now: datetime) -> list[dict]:
    """The requests to write: [{"user", "department", "at", "purpose", "items": [entry ids]}], per user in
    time order."""
    by_title = {}
    for e in sorted(entries.values(), key=lambda e: e.id):
        by_title.setdefault(e.title, e)
    scenarios = [(name, [by_title[t] for t in titles if t in by_title], weights)
                 for name, _desc, titles, weights in SCENARIOS]
    by_cat: dict[str, list[Entry]] = defaultdict(list)
    for e in entries.values():
        by_cat[e.category].append(e)
    everything = list(entries.values())
    requests = []
    for person in people:
        needs = _needs(person.department_code, own_cats.get(person.department_id, {}))
        mine = [(s, w) for s in scenarios if (w := scenario_weight(s[2], person.department_code)) > 0]
        picked_scen = []
        if mine:
            picked_scen = [rng.choices([s for s, _w in mine], weights=[w for _s, w in mine])[0]
                           for _ in range(1 + (rng.random() < 0.4))]
        cats = [c for c in needs if by_cat.get(c)]
        if not cats:
            continue
        focus = list(dict.fromkeys(rng.choices(cats, weights=[needs[c] for c in cats], k=2)))
        held: set[int] = set()
        n_requests = rng.randint(3, 7)
        times = sorted(now - timedelta(days=rng.uniform(1, HISTORY_DAYS)) for _ in range(n_requests))
        for at in times:
            dept = person.department_id
            items: list[Entry] = []
            if picked_scen and rng.random() < 0.55:
                name, pack, _w = rng.choice(picked_scen)
                pool = [e for e in pack if _usable(e, dept, held)]
                items = rng.sample(pool, min(len(pool), rng.randint(2, 4)))
                purpose = PURPOSES["scenario"].format(s=name)
            if not items:
                cat = rng.choice(focus) if rng.random() < 0.8 else rng.choices(cats, weights=[needs[c] for c in cats])[0]
                items = _weighted(rng, [e for e in by_cat[cat] if _usable(e, dept, held)], rng.randint(1, 3))
                purpose = PURPOSES["topic"].format(c=cat)
            if rng.random() < 0.15:  # noise: something popular, unrelated to the task at hand
                extra = _weighted(rng, [e for e in everything if _usable(e, dept, held)], 1)
                items += [e for e in extra if e not in items]
            if not items:
                continue
            held.update(e.id for e in items)
            requests.append({"user": person.id, "department": person.department_id, "at": at, "purpose": purpose,
                             "items": [e.id for e in items]})
    return requests


def _route_steps(e: Entry) -> list[str]:
    if e.share == "unconditional":
        return []
    return ["owner", "platform"] if e.level >= 3 or e.sensitive else ["owner"]


def write_history(rng: random.Random, requests: list[dict], entries: dict[int, Entry], now: datetime,
                  officers: dict[int, int], operator: int) -> list[dict]:
    """Insert the requests with their sub-orders, lines, steps and grants; returns the grants written."""
    req_rows = [{"requester_id": r["user"], "department_id": r["department"], "purpose": r["purpose"],
                 "legal_basis": LEGAL_BASIS, "period_days": PERIOD_DAYS,
                 "idempotency_key": f"demo-history:{n}", "created_at": r["at"]} for n, r in enumerate(requests)]
    req_ids = _bulk_ids(AccessRequest, req_rows)
    order_rows, order_keys = [], []
    for rid, r in zip(req_ids, requests, strict=True):
        for dept in dict.fromkeys(entries[i].department_id for i in r["items"]):
            order_rows.append({"request_id": rid, "department_id": dept})
            order_keys.append((rid, dept))
    order_ids = dict(zip(order_keys, _bulk_ids(SubOrder, order_rows), strict=True))
    line_rows, line_meta = [], []
    for rid, r in zip(req_ids, requests, strict=True):
        age = (now - r["at"]).days
        for i in r["items"]:
            e = entries[i]
            steps = _route_steps(e)
            if not steps:
                outcome = "granted"
            elif age <= 10 and rng.random() < 0.5:
                outcome = "waiting"
            else:
                outcome = "rejected" if rng.random() < 0.12 else "granted"
            line_rows.append({"request_id": rid, "order_id": order_ids[(rid, e.department_id)], "dataset_id": i,
                              "fields": e.fields, "state": outcome, "route": _route_name(e, steps)})
            line_meta.append((r, e, steps, outcome))
    line_ids = _bulk_ids(RequestLine, line_rows)
    step_rows, grant_rows = [], []
    for lid, (r, e, steps, outcome) in zip(line_ids, line_meta, strict=True):
        at = r["at"]
        for pos, kind in enumerate(steps, start=1):
            started = at + timedelta(days=pos - 1)
            row = {"line_id": lid, "position": pos, "kind": kind, "department_id": e.department_id
                   if kind == "owner" else None, "started_at": started, "due_at": started + timedelta(days=7),
                   "comment": ""}
            decider = officers.get(e.department_id, operator) if kind == "owner" else operator
            if outcome == "granted":
                row.update(state="approved", decided_by_id=decider, decided_at=started + timedelta(hours=20))
            elif outcome == "rejected":
                row.update(state="rejected" if pos == 1 else "cancelled", decided_by_id=decider if pos == 1 else None,
                           decided_at=started + timedelta(days=2) if pos == 1 else None,
                           comment="申请用途与所需信息项不匹配，请缩小信息项范围后重新申请。" if pos == 1 else "")
            else:
                row.update(state="waiting" if pos == 1 else "pending")
                if pos > 1:
                    row.update(started_at=None, due_at=None)
            step_rows.append(row)
        if outcome == "granted":
            granted = at + timedelta(days=len(steps))
            grant_rows.append({"line_id": lid, "user_id": r["user"], "dataset_id": e.id, "fields": e.fields,
                               "delivery_modes": delivery_modes_for(e), "granted_at": granted,
                               "expires_at": granted + timedelta(days=PERIOD_DAYS)})
    for model, rows in ((ApprovalStep, step_rows), (Grant, grant_rows)):
        for start in range(0, len(rows), CHUNK):
            db.session.execute(insert(model), rows[start:start + CHUNK])
    return grant_rows


def _route_name(e: Entry, steps: list[str]) -> str:
    if not steps:
        return "unconditional"
    if len(steps) == 1:
        return "conditional"
    return "conditional_high_level" if e.level >= 3 else "conditional_sensitive"


def _bulk_ids(model, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        ids += list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True),
                                       rows[start:start + CHUNK]))
    return ids


def seed_bundles(entries: dict[int, Entry], operator: int | None) -> int:
    """The scenarios as operator-curated bundles (skipped if the operators already made some)."""
    if db.session.scalar(select(func.count()).select_from(Bundle)):
        return 0
    by_title = {}
    for e in sorted(entries.values(), key=lambda e: e.id):
        by_title.setdefault(e.title, e)
    n = 0
    for pos, (name, desc, titles, _w) in enumerate(SCENARIOS):
        found = [by_title[t] for t in titles if t in by_title]
        if len(found) < 2:
            continue
        bundle = Bundle(name=name, description=desc, position=pos, updated_by_id=operator)
        bundle.items = [BundleItem(dataset_id=e.id, position=k) for k, e in enumerate(found)]
        db.session.add(bundle)
        n += 1
    db.session.flush()
    return n


def recount_requests() -> None:
    """request_count = the entry's request lines (the catalog's seeded numbers were placeholders)."""
    lines = (select(func.count()).select_from(RequestLine).where(RequestLine.dataset_id == Dataset.id)
             .scalar_subquery())
    db.session.execute(update(Dataset).values(request_count=lines, updated_at=Dataset.updated_at)
                       .execution_options(synchronize_session=False))


def seed_history(result=None, *, seed: int = SEED + 6) -> dict:
    """Generate and write the history; returns counts."""
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    departments = list(db.session.scalars(select(Department).order_by(Department.id)))
    entries = _entries()
    own_cats: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for e in entries.values():
        own_cats[e.department_id][e.category] += 1.0
    people = _staff(rng, departments)
    operator = db.session.scalar(select(User.id).where(User.role == Role.operator).order_by(User.id))
    officers = dict(db.session.execute(select(User.department_id, func.min(User.id))
                                       .where(User.role == Role.officer).group_by(User.department_id)).all())
    requests = plan_history(rng, people, entries, own_cats, now)
    grants = write_history(rng, requests, entries, now, officers, operator)
    bundles = seed_bundles(entries, operator)
    recount_requests()
    from ratings.demo import seed_demo_reviews

    reviews = seed_demo_reviews(rng, grants, officers)
    return {"people": len(people), "requests": len(requests), "lines": sum(len(r["items"]) for r in requests),
            "grants": len(grants), "bundles": bundles, "reviews": reviews}


def seed_demo_extra(result) -> str:
    """Add the request history, bundles and reviews to the demo city."""
    c = seed_history(result)
    return (f"Request history: {c['requests']} requests ({c['lines']} lines, {c['grants']} grants) by "
            f"{c['people']} department users; {c['bundles']} scenario bundles; {c['reviews']} reviews")
