"""Turn aggregates into search documents. One adapter per aggregate (datasets now)."""

from __future__ import annotations

from catalog.models import Dataset


def dataset_document(ds: Dataset) -> dict:
    """The flat document every search backend indexes for a catalog entry."""
    return {
        "id": ds.id,
        "code": ds.code,
        "title": ds.title,
        "summary": ds.summary or "",
        "tags": ds.tags,
        "fields": [f"{i.name} {i.description or ''}".strip() for i in ds.items],
        "department": ds.department.code,
        "department_name": ds.department.name,
        "department_id": ds.department_id,
        "category": ds.category.code if ds.category else "",
        "category_name": ds.category.name if ds.category else "",
        "share_attribute": ds.share_attribute.value,
        "open_attribute": ds.open_attribute.value,
        "level": str(ds.level),
        "format": ds.formats,
        "tag": ds.tags,
        "update_frequency": ds.update_frequency.value,
        "status": ds.status.value,
        "request_count": ds.request_count or 0,
        "rating": ds.rating_avg or 0.0,
        "rating_count": ds.rating_count or 0,
        "published_at": ds.published_at.isoformat() if ds.published_at else "",
        "updated_at": ds.updated_at.isoformat() if ds.updated_at else "",
    }


def _value(v):
    return getattr(v, "value", v)


def load_dataset_documents(session, ids: list[int]) -> list[dict]:
    """The same documents as ``dataset_document``, read with four Core queries instead of the ORM.

    Bulk paths (import, seed, reindex) index tens of thousands of rows; building ORM objects for each
    cost more than indexing them.
    """
    from sqlalchemy import select

    from catalog.models import Category, DataItem, DatasetFormat, DatasetTag, Department

    if not ids:
        return []
    d, dept, cat = Dataset.__table__, Department.__table__, Category.__table__
    rows = session.execute(
        select(d.c.id, d.c.code, d.c.title, d.c.summary, d.c.department_id, dept.c.code.label("dept_code"),
               dept.c.name.label("dept_name"), cat.c.code.label("cat_code"), cat.c.name.label("cat_name"),
               d.c.share_attribute, d.c.open_attribute, d.c.level, d.c.update_frequency, d.c.status,
               d.c.request_count, d.c.rating_avg, d.c.rating_count, d.c.published_at, d.c.updated_at)
        .select_from(d.join(dept, dept.c.id == d.c.department_id).outerjoin(cat, cat.c.id == d.c.category_id))
        .where(d.c.id.in_(ids)).order_by(d.c.id)).all()
    tags: dict[int, list[str]] = {}
    for ds_id, name in session.execute(select(DatasetTag.dataset_id, DatasetTag.name)
                                       .where(DatasetTag.dataset_id.in_(ids))):
        tags.setdefault(ds_id, []).append(name)
    formats: dict[int, list[str]] = {}
    for ds_id, name in session.execute(select(DatasetFormat.dataset_id, DatasetFormat.name)
                                       .where(DatasetFormat.dataset_id.in_(ids))):
        formats.setdefault(ds_id, []).append(name)
    items: dict[int, list[str]] = {}
    for ds_id, name, desc in session.execute(
            select(DataItem.dataset_id, DataItem.name, DataItem.description)
            .where(DataItem.dataset_id.in_(ids)).order_by(DataItem.dataset_id, DataItem.position, DataItem.id)):
        items.setdefault(ds_id, []).append(f"{name} {desc or ''}".strip())
    docs = []
    for r in rows:
        ds_tags = tags.get(r.id, [])
        docs.append({
            "id": r.id, "code": r.code, "title": r.title, "summary": r.summary or "", "tags": ds_tags,
            "fields": items.get(r.id, []), "department": r.dept_code, "department_name": r.dept_name,
            "department_id": r.department_id, "category": r.cat_code or "", "category_name": r.cat_name or "",
            "share_attribute": _value(r.share_attribute), "open_attribute": _value(r.open_attribute),
            "level": str(r.level), "format": formats.get(r.id, []), "tag": ds_tags,
            "update_frequency": _value(r.update_frequency), "status": _value(r.status),
            "request_count": r.request_count or 0, "rating": r.rating_avg or 0.0, "rating_count": r.rating_count or 0,
            "published_at": r.published_at.isoformat() if r.published_at else "",
            "updated_at": r.updated_at.isoformat() if r.updated_at else "",
        })
    return docs
