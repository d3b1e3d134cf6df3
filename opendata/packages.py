"""Catalog entries, departments and categories in CKAN's shapes (package, resource, organization,
group, tag). The CKAN API and the harvester's round-trip tests read these; our attributes travel as
``extras`` (CKAN's key/value strings)."""

from __future__ import annotations

import json

from flask import url_for

from catalog.importing.rows import API_FORMATS
from catalog.models import Category, Dataset, Department
from catalog.vocab import DeliveryMode, label

from .datastore import datasets_with_rows, datastore_resource

MEDIA_TYPES = {
    "CSV": "text/csv", "JSON": "application/json", "XML": "application/xml", "XLSX":
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLS": "application/vnd.ms-excel",
    "PDF": "application/pdf", "ZIP": "application/zip", "GEOJSON": "application/geo+json", "RDF":
    "application/rdf+xml", "TXT": "text/plain", "HTML": "text/html", "DOCX":
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "SHP": "application/zip",
}
# a delivery mode offered without a matching file format still gets a resource of its own
MODE_FORMATS = {DeliveryMode.api.value: "API", DeliveryMode.query.value: "QUERY"}
# what CKAN clients see as the API version we emulate (status_show)
CKAN_VERSION = "2.10.0"


def landing_page(ds: Dataset) -> str:
    return url_for("catalog.detail", dataset_id=ds.id, _external=True)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def resource_dicts(ds: Dataset) -> list[dict]:
    """One resource per format (delivered by download, or as an API for API-like formats) and one
    per delivery mode that no format covers."""
    modes = list(ds.delivery_modes or [])
    planned: list[tuple[str, str]] = []
    for fmt in ds.formats:
        mode = DeliveryMode.api.value if fmt in API_FORMATS else DeliveryMode.download.value
        if modes and mode not in modes:
            mode = modes[0]
        planned.append((fmt, mode))
    covered = {mode for _, mode in planned}
    planned += [(MODE_FORMATS[m], m) for m in modes if m in MODE_FORMATS and m not in covered]
    page = landing_page(ds)
    resources = [{
        "id": f"{ds.code}--{fmt.lower()}",
        "package_id": ds.code,
        "name": f"{ds.title} ({fmt})",
        "description": label("delivery_mode", mode),
        "format": fmt,
        "mimetype": MEDIA_TYPES.get(fmt),
        "url": f"{page}#resources",
        "position": n,
        "state": "active",
        "delivery_mode": mode,
        "created": _iso(ds.created_at),
        "last_modified": _iso(ds.updated_at),
        "url_type": None,
        "datastore_active": False,
    } for n, (fmt, mode) in enumerate(planned)]
    if ds.id in datasets_with_rows():  # rows behind the entry: readable through datastore_search
        resources.append(datastore_resource(ds, len(resources)))
    return resources


def organization_dict(dept: Department, package_count: int | None = None) -> dict:
    out = {"id": dept.code, "name": dept.code, "title": dept.name, "display_name": dept.name,
           "description": dept.description or "", "type": "organization", "is_organization": True,
           "state": "active", "approval_status": "approved", "image_url": "", "created": _iso(dept.created_at)}
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group_dict(cat: Category, package_count: int | None = None) -> dict:
    out = {"id": cat.code, "name": cat.code, "title": cat.name, "display_name": cat.name,
           "description": label("library", cat.library.value), "type": "group", "is_organization": False,
           "state": "active", "approval_status": "approved", "image_url": ""}
    if package_count is not None:
        out["package_count"] = package_count
    return out


def tag_dict(name: str) -> dict:
    return {"id": name, "name": name, "display_name": name, "state": "active", "vocabulary_id": None}


def extras_of(ds: Dataset) -> dict[str, str]:
    """Our attributes as CKAN extras (strings only; empty values left out)."""
    values = {
        "code": ds.code,
        "share_attribute": ds.share_attribute.value,
        "open_attribute": ds.open_attribute.value,
        "level": str(ds.level),
        "update_frequency": ds.update_frequency.value,
        "update_frequency_text": ds.update_frequency_text or "",
        "open_condition_text": ds.open_condition_text or "",
        "delivery_modes": ",".join(ds.delivery_modes or []),
        "formats": ",".join(ds.formats),
        "data_items": json.dumps([{"name": i.name, "type": i.type, "description": i.description or "",
                                   "sensitive": bool(i.sensitive)} for i in ds.items], ensure_ascii=False),
        "published_at": _iso(ds.published_at) or "",
        "source_updated_at": _iso(ds.source_updated_at) or "",
        "region": ds.region or "",
        "record_count": "" if ds.record_count is None else str(ds.record_count),
        "source_url": ds.url or "",
    }
    return {k: v for k, v in values.items() if v != ""}


def package_dict(ds: Dataset) -> dict:
    """A catalog entry as a CKAN package (``id`` and ``name`` are both our catalog code)."""
    resources = resource_dicts(ds)
    tags = [tag_dict(t) for t in ds.tags]
    return {
        "id": ds.code,
        "name": ds.code,
        "title": ds.title,
        "notes": ds.summary or "",
        "url": landing_page(ds),
        "author": ds.department.name,
        "maintainer": ds.department.name,
        "license_id": f"market-{ds.open_attribute.value}",
        # the open attribute's label, so CKAN importers that map licences (ours too) read it right
        "license_title": label("open_attribute", ds.open_attribute.value),
        "isopen": ds.open_attribute.value == "open",
        "metadata_created": _iso(ds.created_at),
        "metadata_modified": _iso(ds.updated_at),
        "state": "active" if ds.status.value == "published" else "deleted",
        "private": False,
        "type": "dataset",
        "version": None,
        "owner_org": ds.department.code,
        "organization": organization_dict(ds.department),
        "groups": [group_dict(ds.category)] if ds.category else [],
        "tags": tags,
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "extras": [{"key": k, "value": v} for k, v in extras_of(ds).items()],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }
