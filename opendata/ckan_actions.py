"""CKAN's read actions over our catalog. Each takes the request's parameters and the caller (a
user from a valid API token, or None for anonymous) and returns the ``result`` of CKAN's envelope.

Visibility is the shop's: published entries only, and only open-visible ones (not 不予开放) unless
the token belongs to government staff.
"""

from __future__ import annotations

from flask import request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.models import Category, Dataset, DatasetTag, Department
from catalog.permissions import visibility
from market.db import db

from .ckan_params import CkanError, as_bool, as_int, as_list, required_text
from .ckan_search import MAX_ROWS, package_search
from .datastore import datastore_search
from .packages import CKAN_VERSION, group_dict, organization_dict, package_dict, resource_dicts, tag_dict

MAX_LIST = 1000  # longest list any action answers at once; page with limit/offset beyond it


def visible(user) -> list:
    """SQL conditions for the entries ``user`` may see through the CKAN API."""
    vis = visibility(user)
    conds = [Dataset.status.in_(vis["statuses"])]
    if vis["open_only"]:
        conds.append(Dataset.open_attribute != "closed")
    return conds


def _visible_dataset(key: str, user) -> Dataset:
    ds = db.session.scalar(select(Dataset).where(Dataset.code == key, *visible(user))
                           .options(selectinload(Dataset.items)))
    if ds is None:
        raise CkanError("Not Found Error", f"Not found: no package {key!r} (or it is not open to you)")
    return ds


def status_show(params: dict, user) -> dict:
    """Site information and the CKAN API level this catalog emulates."""
    return {"site_title": "公共数据资源超市", "site_description": "Public Data Resource Supermarket",
            "site_url": request.host_url.rstrip("/"), "ckan_version": CKAN_VERSION, "locale_default": "zh_Hans_CN",
            "extensions": ["market_catalog", "dcat"]}


def package_show(params: dict, user) -> dict:
    """One package by ``id`` (our catalog code; ``name`` is the same)."""
    return package_dict(_visible_dataset(required_text(params, "id"), user))


def package_list(params: dict, user) -> list[str]:
    """Names (catalog codes) of every visible package, sorted; ``limit``/``offset`` page through them."""
    limit = as_int(params, "limit", MAX_LIST, minimum=0, maximum=MAX_LIST)
    offset = as_int(params, "offset", 0)
    stmt = select(Dataset.code).where(*visible(user)).order_by(Dataset.code).offset(offset).limit(limit)
    return list(db.session.scalars(stmt))


def current_package_list_with_resources(params: dict, user) -> list[dict]:
    """Visible packages with their resources, most recently modified first (``limit``, ``offset``)."""
    limit = as_int(params, "limit", 10, minimum=0, maximum=MAX_ROWS)
    offset = as_int(params, "offset", 0)
    rows = db.session.scalars(select(Dataset).where(*visible(user)).options(selectinload(Dataset.items))
                              .order_by(Dataset.updated_at.desc(), Dataset.id.desc()).offset(offset).limit(limit))
    return [package_dict(ds) for ds in rows]


def resource_show(params: dict, user) -> dict:
    """One resource by ``id`` (``<package code>--<format>``)."""
    key = required_text(params, "id")
    code, sep, _ = key.rpartition("--")
    if sep:
        try:
            ds = _visible_dataset(code, user)
        except CkanError:
            ds = None
        for resource in resource_dicts(ds) if ds is not None else []:
            if resource["id"] == key:
                return resource
    raise CkanError("Not Found Error", f"Not found: no resource {key!r}")


# --- organizations (departments) and groups (categories) ------------------------------------------
def _counts(column, user) -> dict[int, int]:
    return dict(db.session.execute(select(column, func.count()).where(*visible(user)).group_by(column)).all())


def _sorted(rows: list[tuple], sort: str, field: str) -> list[tuple]:
    """Sort (object, count) pairs by CKAN's ``sort``: ``title``, ``name`` or ``package_count``, asc/desc."""
    key, _, direction = " ".join(sort.lower().split()).partition(" ")
    keys = {"title": lambda r: r[0].name, "name": lambda r: r[0].code, "package_count": lambda r: r[1]}
    if key not in keys or direction not in ("", "asc", "desc"):
        raise CkanError("Validation Error", "sort: use title, name or package_count with asc or desc",
                        {"sort": [f"unsupported {sort!r}"]})
    return sorted(rows, key=keys[key], reverse=direction == "desc")


def _list(model, column, as_dict, params: dict, user, field: str) -> list:
    limit = as_int(params, "limit", MAX_LIST, minimum=0, maximum=MAX_LIST)
    offset = as_int(params, "offset", 0)
    wanted = set(as_list(params, field))
    counts = _counts(column, user)
    rows = [(obj, counts.get(obj.id, 0)) for obj in db.session.scalars(select(model))
            if not wanted or obj.code in wanted]
    rows = _sorted(rows, str(params.get("sort") or "title asc"), field)[offset:offset + limit]
    if as_bool(params, "all_fields"):
        return [as_dict(obj, n) for obj, n in rows]
    return [obj.code for obj, _ in rows]


def _show(model, column, as_dict, params: dict, user, what: str) -> dict:
    key = required_text(params, "id")
    obj = db.session.scalar(select(model).where((model.code == key) | (model.name == key)))
    if obj is None:
        raise CkanError("Not Found Error", f"Not found: no {what} {key!r}")
    count = db.session.scalar(select(func.count()).select_from(Dataset).where(column == obj.id, *visible(user)))
    out = as_dict(obj, count)
    if as_bool(params, "include_datasets"):
        rows = db.session.scalars(select(Dataset).where(column == obj.id, *visible(user))
                                  .options(selectinload(Dataset.items)).order_by(Dataset.code).limit(MAX_LIST))
        out["packages"] = [package_dict(ds) for ds in rows]
    return out


def organization_list(params: dict, user) -> list:
    """Departments: codes, or dicts with ``package_count`` when ``all_fields`` (sort, limit, offset)."""
    return _list(Department, Dataset.department_id, organization_dict, params, user, "organizations")


def organization_show(params: dict, user) -> dict:
    """One department by code or name; ``include_datasets`` adds its visible packages."""
    return _show(Department, Dataset.department_id, organization_dict, params, user, "organization")


def group_list(params: dict, user) -> list:
    """Categories (基础库/主题库): codes, or dicts with ``package_count`` when ``all_fields``."""
    return _list(Category, Dataset.category_id, group_dict, params, user, "groups")


def group_show(params: dict, user) -> dict:
    """One category by code or name; ``include_datasets`` adds its visible packages."""
    return _show(Category, Dataset.category_id, group_dict, params, user, "group")


def tag_list(params: dict, user) -> list:
    """Tags of visible packages, sorted; ``query`` keeps those containing it; ``all_fields`` gives dicts."""
    query = str(params.get("query") or params.get("q") or "").strip()
    stmt = (select(DatasetTag.name).join(Dataset, Dataset.id == DatasetTag.dataset_id).where(*visible(user))
            .group_by(DatasetTag.name).order_by(DatasetTag.name))
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(DatasetTag.name.ilike(f"%{escaped}%", escape="\\"))
    names = list(db.session.scalars(stmt))
    return [tag_dict(n) for n in names] if as_bool(params, "all_fields") else names


def help_show(params: dict, user) -> str:
    """The documentation of the action named ``name``."""
    name = required_text(params, "name")
    action = ACTIONS.get(name)
    if action is None:
        raise CkanError("Not Found Error", f"Not found: action {name!r}")
    return action.__doc__ or ""


ACTIONS = {f.__name__: f for f in (
    status_show, package_search, package_show, package_list, current_package_list_with_resources,
    resource_show, organization_list, organization_show, group_list, group_show, tag_list, help_show,
    datastore_search)}
