"""Write the demo city into the database: departments, categories, demo accounts, catalog entries
with their data items, tags, formats and change history, all in the caller's transaction.

Entries are written with bulk INSERTs in chunks (a few dozen statements for the whole catalog),
not object by object: the seed runs in about a second on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import func, insert, or_, select

from market.auth.models import User
from market.auth.services import create_user
from market.db import db
from market.errors import Conflict

from ..models import Category, DataItem, Dataset, DatasetChange, DatasetFormat, DatasetTag, Department
from .build import build_catalog
from .departments import CATEGORIES, DEPARTMENTS
from .users import DEMO_USERS, DemoUser

CHUNK = 100
RETIRE_REASON = "数据源业务系统已整合，由新目录替代。"


@dataclass
class SeedResult:
    dataset_ids: list[int] = field(default_factory=list)
    departments: int = 0
    categories: int = 0
    accounts: list[tuple[DemoUser, bool]] = field(default_factory=list)  # (account, newly created)


def count_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(Dataset)) or 0


def seed_demo(
    *, entries: list[dict] | None = None, progress: Callable[[int], None] | None = None
) -> SeedResult:
    """Load the demo city of Wuxi into an empty catalog, without committing.

    Departments, categories and accounts that already exist (same code, name or username) are
    reused, so a database with an operator but no catalog can still be seeded. ``entries`` is the
    output of ``build_catalog()`` (built here when omitted); ``progress`` receives entry counts.
    """
    existing = count_entries()
    if existing:
        raise Conflict(
            f"The catalog already has {existing} entries; the demo city is only loaded into an "
            "empty catalog.",
            code="catalog_not_empty",
        )
    entries = build_catalog() if entries is None else entries
    departments = _ensure_departments()
    categories = _ensure_categories()
    accounts = _ensure_users(departments)
    operator = db.session.scalar(select(User.id).where(User.username == "operator"))
    officers = {
        u.department: db.session.scalar(select(User.id).where(User.username == u.username))
        for u, _new in accounts
        if u.role == "officer"
    }
    result = SeedResult(departments=len(departments), categories=len(categories), accounts=accounts)
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start : start + CHUNK]
        ids = _insert_chunk(chunk, departments, categories, officers, operator)
        result.dataset_ids.extend(ids)
        if progress:
            progress(len(chunk))
    return result


def _ensure_departments() -> dict[str, Department]:
    found = {}
    for code, name, name_en, description in DEPARTMENTS:
        dept = db.session.scalar(
            select(Department).where(or_(Department.code == code, Department.name == name))
        )
        if dept is None:
            dept = Department(code=code, name=name, name_en=name_en, description=description)
            db.session.add(dept)
        found[code] = dept
    db.session.flush()
    return found


def _ensure_categories() -> dict[str, int]:
    found = {}
    for position, (code, name, name_en, library) in enumerate(CATEGORIES):
        cat = db.session.scalar(select(Category).where(or_(Category.code == code, Category.name == name)))
        if cat is None:
            cat = Category(code=code, name=name, name_en=name_en, library=library, position=position)
            db.session.add(cat)
        found[code] = cat
    db.session.flush()
    return {code: cat.id for code, cat in found.items()}


def _ensure_users(departments: dict[str, Department]) -> list[tuple[DemoUser, bool]]:
    accounts = []
    for demo in DEMO_USERS:
        taken = db.session.scalar(select(User.id).where(func.lower(User.username) == demo.username.lower()))
        if taken is None:
            dept_code = departments[demo.department].code if demo.department else None
            create_user(
                demo.username,
                demo.password,
                demo.role,
                department_code=dept_code,
                display_name=demo.display_name,
            )
        accounts.append((demo, taken is None))
    return accounts


def _insert_chunk(
    chunk: list[dict],
    departments: dict[str, Department],
    categories: dict[str, int],
    officers: dict[str, int | None],
    operator: int | None,
) -> list[int]:
    rows = [_dataset_row(e, departments[e["department"]].id, categories[e["category"]]) for e in chunk]
    ids = list(db.session.scalars(insert(Dataset).returning(Dataset.id, sort_by_parameter_order=True), rows))
    items, tags, formats, changes = [], [], [], []
    for ds_id, entry in zip(ids, chunk, strict=True):
        items += [dict(item, dataset_id=ds_id, position=n) for n, item in enumerate(entry["items"])]
        tags += [{"dataset_id": ds_id, "name": name} for name in dict.fromkeys(entry["tags"])]
        formats += [{"dataset_id": ds_id, "name": name} for name in dict.fromkeys(entry["formats"])]
        changes += _history(ds_id, entry, officers.get(entry["department"]) or operator)
    for model, values in (
        (DataItem, items),
        (DatasetTag, tags),
        (DatasetFormat, formats),
        (DatasetChange, changes),
    ):
        if values:
            db.session.execute(insert(model), values)
    return ids


def _dataset_row(entry: dict, department_id: int, category_id: int) -> dict:
    keys = (
        "code",
        "title",
        "summary",
        "update_frequency",
        "update_frequency_text",
        "share_attribute",
        "open_attribute",
        "level",
        "delivery_modes",
        "status",
        "price",
        "published_at",
        "source_updated_at",
        "region",
        "record_count",
        "sample",
        "featured",
        "request_count",
        "rating_avg",
        "rating_count",
        "created_at",
    )
    row = {k: entry[k] for k in keys}
    row.update(
        department_id=department_id,
        category_id=category_id,
        updated_at=datetime.combine(entry["source_updated_at"], time(2, 0)),
    )
    return row


def _history(ds_id: int, entry: dict, actor_id: int | None) -> list[dict]:
    """The change rows a real life cycle would have left: created, published, maybe retired."""
    rows = [
        {
            "dataset_id": ds_id,
            "at": entry["created_at"],
            "actor_id": actor_id,
            "action": "created",
            "changes": {"title": entry["title"], "source": "seed-demo"},
        }
    ]
    if entry["published_at"]:
        rows.append(
            {
                "dataset_id": ds_id,
                "at": datetime.combine(entry["published_at"], time(10, 0)),
                "actor_id": actor_id,
                "action": "published",
                "changes": {"status": ["draft", "published"]},
            }
        )
    if entry["retired_on"]:
        rows.append(
            {
                "dataset_id": ds_id,
                "at": datetime.combine(entry["retired_on"], time(16, 0)),
                "actor_id": actor_id,
                "action": "retired",
                "changes": {"status": ["published", "retired"], "reason": RETIRE_REASON},
            }
        )
    return rows
