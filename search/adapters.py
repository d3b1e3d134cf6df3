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
