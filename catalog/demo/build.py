"""Turn the templates into catalog entries: pure and deterministic (one ``random.Random(seed)``), no
database. ``seed.py`` writes what this returns."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from catalog.vocab import label

from . import catalog_city, catalog_districts, catalog_economy, catalog_gov, catalog_society
from .departments import CATEGORIES, DEPARTMENTS, DISTRICTS
from .fields import FIELDS
from .samples import value
from .spec import Template

SEED = 20260101
DEMO_TODAY = date(2026, 11, 1)  # fixed, so a seed made next year still matches one made today
FIRST_PUBLISH = date(2021, 1, 1)
PRICED = 14
FEATURED = 8
_STALENESS = {
    "realtime": 1,
    "daily": 3,
    "weekly": 10,
    "monthly": 40,
    "quarterly": 100,
    "yearly": 400,
    "irregular": 700,
}
_FORMATS = (("CSV", "XLSX"), ("XLSX",), ("CSV", "JSON"), ("JSON", "XML"), ("CSV",), ("XLSX", "JSON"))
_PRICES = (500, 800, 1200, 2000, 3000, 5000, 8000, 12000, 20000)


class TemplateError(ValueError):
    """A template names a data item, category or department the demo does not define."""


def iter_templates(rng: random.Random):
    """(department code, template, title) for every entry, city departments first, then districts."""
    for module in (catalog_gov, catalog_economy, catalog_society, catalog_city):
        for code, templates in module.TEMPLATES.items():
            for tpl in templates:
                for title in tpl.titles():
                    yield code, tpl, title
    for code, place in DISTRICTS.items():
        picked = sorted(rng.sample(range(len(catalog_districts.TEMPLATES)), k=rng.randint(15, 19)))
        for index in picked:
            tpl = catalog_districts.TEMPLATES[index]
            yield code, tpl, tpl.title.format(d=place)


def _check(code: str, tpl: Template, title: str, departments: dict, categories: set) -> None:
    where = f"template '{title}' of {code}"
    if code not in departments:
        raise TemplateError(f"{where}: unknown department code")
    if tpl.category not in categories:
        raise TemplateError(f"{where}: unknown category '{tpl.category}'")
    unknown = [f for f in tpl.fields if f not in FIELDS]
    if unknown:
        raise TemplateError(
            f"{where}: unknown data items {', '.join(unknown)} (add them to catalog/demo/fields.py)"
        )
    if not 3 <= len(tpl.fields) <= 15:
        raise TemplateError(f"{where}: needs 3–15 data items, has {len(tpl.fields)}")


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _classify(rng: random.Random, tpl: Template, sensitive: bool) -> tuple[int, str, str, list[str]]:
    """Level, share attribute, open attribute and delivery modes, consistent with each other."""
    if tpl.level == 4:
        level = 4
    elif sensitive or tpl.level == 3:
        level = 3
    elif tpl.public:
        level = 1 if rng.random() < 0.7 else 2
    else:
        level = 1 if rng.random() < 0.25 else 2
    # public-facing data (statistics, timetables, facilities) is always shareable
    share = _pick(
        rng,
        {"unconditional": 0.6, "conditional": 0.4} if tpl.public and level <= 2 else {
            1: {"unconditional": 0.55, "conditional": 0.45},
            2: {"unconditional": 0.3, "conditional": 0.55, "none": 0.15},
            3: {"conditional": 0.8, "none": 0.2},
            4: {"conditional": 0.55, "none": 0.45},
        }[level],
    )
    if share == "none" or sensitive or level >= 3:
        openness = "closed"  # personal or restricted data is never opened to society
    elif level == 1 or tpl.public:
        openness = _pick(rng, {"open": 0.72, "conditional": 0.23, "closed": 0.05})
    else:
        openness = _pick(rng, {"conditional": 0.35, "closed": 0.65})
    if level == 1:
        modes = ["download", "api"] + (["query"] if rng.random() < 0.2 else [])
    elif level == 2:
        modes = list(rng.choice((("api",), ("download", "api"), ("api", "query"), ("download",))))
    elif level == 3:
        modes = list(rng.choice((("api", "query"), ("query",), ("api",))))
    else:
        modes = list(rng.choice((("query",), ("api", "query"))))  # level 4: never a bulk copy
    return level, share, openness, modes


def _items(rng: random.Random, tpl: Template) -> list[dict]:
    names = list(tpl.fields)
    if len(names) > 6:  # vary entries built from one template: drop up to two optional plain items
        for _ in range(rng.choice((0, 0, 1, 2))):
            optional = [i for i in range(3, len(names)) if not FIELDS[names[i]][2]]
            if optional:
                names.pop(rng.choice(optional))
    return [
        {"name": n, "type": FIELDS[n][0], "description": FIELDS[n][1], "sensitive": FIELDS[n][2]}
        for n in names
    ]


def _sample(rng: random.Random, items: list[dict]) -> list[dict]:
    rows = []
    for _ in range(rng.randint(3, 5)):
        ctx: dict = {}  # one fake person/company per row keeps the row self-consistent
        rows.append({i["name"]: value(FIELDS[i["name"]][3], rng, ctx) for i in items})
    return rows


def _summary(title: str, department: str, tpl: Template, items: list[dict]) -> str:
    names = "、".join(i["name"] for i in items[:4])
    text = f"{title}，由{department}负责采集和维护，包含{names}等{len(items)}个信息项。"
    if tpl.use:
        text += f"{tpl.use}。"
    return text + f"数据更新频率：{label('update_frequency', tpl.freq)}。"


def _entry(rng: random.Random, code: str, serial: int, tpl: Template, title: str, department: str) -> dict:
    items = _items(rng, tpl)
    sensitive = any(i["sensitive"] for i in items)
    level, share, openness, modes = _classify(rng, tpl, sensitive)
    roll = rng.random()
    status = "draft" if roll < 0.03 else "retired" if roll < 0.05 else "published"
    published = None
    if status != "draft":
        published = FIRST_PUBLISH + timedelta(days=rng.randrange((DEMO_TODAY - FIRST_PUBLISH).days - 30))
    updated = DEMO_TODAY - timedelta(days=rng.randrange(_STALENESS[tpl.freq]))
    if published and updated < published:
        updated = published
    created = (published or DEMO_TODAY) - timedelta(days=rng.randrange(1, 45))
    retired = None
    if status == "retired":
        retired = published + timedelta(days=rng.randrange(1, max(2, (DEMO_TODAY - published).days)))
        updated = min(updated, retired)
    formats = ("JSON",) if tpl.freq == "realtime" else rng.choice(_FORMATS)
    requests = 0
    if status != "draft":  # long tail: most entries are asked for a few times, a handful very often
        requests = min(int((rng.paretovariate(1.15) - 1) * (9 if tpl.public or tpl.product else 5)), 4000)
    ratings = int(requests * rng.uniform(0.1, 0.45))
    return {
        "code": f"{code}-{serial:05d}",
        "title": title,
        "department": code,
        "category": tpl.category,
        "summary": _summary(title, department, tpl, items),
        "tags": list(tpl.tags),
        "formats": list(formats) + (["API"] if "api" in modes else []),
        "update_frequency": tpl.freq,
        "update_frequency_text": label("update_frequency", tpl.freq),
        "share_attribute": share,
        "open_attribute": openness,
        "level": level,
        "delivery_modes": modes,
        "status": status,
        "published_at": published,
        "source_updated_at": updated,
        "region": "无锡市",
        "record_count": max(1, int(tpl.rows * rng.uniform(0.6, 1.4))),
        "items": items,
        "sample": _sample(rng, items),
        "request_count": requests,
        "rating_count": ratings,
        "rating_avg": round(min(5.0, max(2.6, rng.gauss(4.2, 0.45))), 1) if ratings else None,
        "featured": False,
        "price": None,
        "product": tpl.product,
        "created_at": datetime.combine(created, time(rng.randrange(8, 18), rng.randrange(60))),
        "retired_on": retired,
    }


def build_catalog(seed: int = SEED) -> list[dict]:
    """Every demo catalog entry as a plain dict, the same for the same ``seed``."""
    rng = random.Random(seed)
    departments = {code: name for code, name, _en, _desc in DEPARTMENTS}
    categories = {c[0] for c in CATEGORIES}
    serials: dict[str, int] = {}
    entries, seen = [], set()
    for code, tpl, title in iter_templates(rng):
        _check(code, tpl, title, departments, categories)
        if title in seen:
            raise TemplateError(f"template '{title}' of {code}: the title is already used by another entry")
        seen.add(title)
        serials[code] = serials.get(code, 0) + 1
        entries.append(_entry(rng, code, serials[code], tpl, title, departments[code]))
    _mark_products(rng, entries)
    return entries


def _mark_products(rng: random.Random, entries: list[dict]) -> None:
    """Price a few conditionally open data products (open data stays free) and feature eight popular open
    entries."""
    from .users import DEMO_USERS  # an entry is priced by its department's officer: only those with one

    sellers = {u.department for u in DEMO_USERS if u.role == "officer"}
    sellable = [
        e for e in entries
        if e["status"] == "published" and e["open_attribute"] == "conditional" and e["department"] in sellers
    ]
    for entry in rng.sample(sellable, k=min(PRICED, len(sellable))):
        entry["price"] = Decimal(rng.choice(_PRICES)).quantize(Decimal("0.01"))
    showcase = sorted(
        (e for e in entries if e["status"] == "published" and e["open_attribute"] == "open"),
        key=lambda e: (-e["request_count"], e["code"]),
    )[: FEATURED * 3]
    for entry in rng.sample(showcase, k=min(FEATURED, len(showcase))):
        entry["featured"] = True
