"""CKAN's ``datastore_search`` over the rows behind catalog entries (the delivery package's row store).

Who may read is decided by ``delivery.access.for_entry`` (mode ``api``): open entries for anyone with
sensitive items masked, otherwise the caller's active grant (only granted items) or ownership; level 4
entries are never served in bulk. Every call is written to the usage ledger like the data API.
The resource is ``<catalog code>--datastore`` (listed by ``package_show`` for entries that have rows).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import request, url_for
from sqlalchemy import String, case, cast, func, or_, select

from delivery import store
from delivery.access import for_entry, hand_out
from delivery.ledger import record_usage
from delivery.models import DataRow, DataTable
from delivery.records import _expr, _value, parse_fields
from market.db import db
from market.errors import Forbidden, ValidationFailed

from .ckan_params import CkanError, as_bool, as_int, invalid

SUFFIX = "--datastore"
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
MAX_OFFSET = 1_000_000
MAX_FILTERS, MAX_VALUES, MAX_SORT, MAX_TEXT = 10, 100, 3, 200
# our item types as the datastore's (PostgreSQL) column types
CKAN_TYPES = {"string": "text", "integer": "int", "decimal": "numeric", "date": "date", "datetime": "timestamp",
              "boolean": "bool", "geometry": "text", "binary": "text"}


def resource_id(code: str) -> str:
    return f"{code}{SUFFIX}"


def datasets_with_rows() -> set[int]:
    """Ids of the entries that have rows (once per request: package lists ask for many entries)."""
    from flask import g

    if "opendata_rows" not in g:
        g.opendata_rows = set(db.session.scalars(select(DataTable.dataset_id).where(DataTable.rows > 0)))
    return g.opendata_rows


def datastore_resource(ds, position: int) -> dict:
    """The ``package_show`` resource that ``datastore_search`` answers for."""
    rid = resource_id(ds.code)
    return {
        "id": rid, "package_id": ds.code, "name": f"{ds.title}（数据接口）", "format": "JSON",
        "description": "CKAN datastore_search: rows of this entry (open entries for anyone, others with a grant)",
        "mimetype": "application/json", "position": position, "state": "active", "delivery_mode": "api",
        "url": url_for("ckan_api.action", action="datastore_search", resource_id=rid, _external=True),
        "url_type": "datastore", "datastore_active": True,
        "created": ds.created_at.isoformat() if ds.created_at else None,
        "last_modified": ds.updated_at.isoformat() if ds.updated_at else None,
    }


def _json_param(params: dict, key: str):
    value = params.get(key)
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            raise invalid(key, "is not valid JSON") from None
    return value


def _fields(params: dict, delivery) -> list[str]:
    value = _json_param(params, "fields")
    if value in (None, "", []):
        return delivery.columns
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("fields", "a list of field names")
    wanted = [v for v in value if v and v != "_id"]
    if not wanted:
        return delivery.columns
    try:
        return parse_fields(delivery, ",".join(wanted))
    except ValidationFailed as exc:  # names the available items
        raise invalid("fields", exc.message) from None


def _readable(delivery, name: str, key: str) -> None:
    if name not in delivery.columns:
        raise invalid(key, f"field {name!r} is not available; fields: {', '.join(delivery.columns)}")
    if name in delivery.masked:
        raise invalid(key, f"field {name!r} is sensitive and masked: it cannot be searched or sorted")


def _typed(kinds: dict, name: str, raw, key: str):
    if isinstance(raw, bool) or raw is None or isinstance(raw, dict | list):
        raise invalid(key, f"{name}: a text or number value expected")
    try:
        return _value(kinds[name], name, str(raw)[:MAX_TEXT])
    except ValidationFailed as exc:
        raise invalid(key, exc.message) from None


def _filters(params: dict, delivery, kinds: dict) -> list:
    value = _json_param(params, "filters")
    if value in (None, "", {}):
        return []
    if not isinstance(value, dict):
        raise invalid("filters", 'a JSON object {"field": value or [values]}')
    if len(value) > MAX_FILTERS:
        raise invalid("filters", f"at most {MAX_FILTERS} fields")
    conds = []
    for name, wanted in value.items():
        _readable(delivery, name, "filters")
        values = wanted if isinstance(wanted, list) else [wanted]
        if not values or len(values) > MAX_VALUES:
            raise invalid("filters", f"{name}: 1–{MAX_VALUES} values")
        conds.append(_expr(kinds[name], name).in_([_typed(kinds, name, v, "filters") for v in values]))
    return conds


def _like(expr, text: str):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(cast(expr, String)).like(f"%{escaped.lower()}%", escape="\\")


def _q(params: dict, delivery) -> list:
    """``q``: text every word of which appears in some readable field (substring match, case-insensitive),
    or ``{"field": "text"}`` per field."""
    value = _json_param(params, "q")
    if value in (None, ""):
        return []
    readable = [c for c in delivery.columns if c not in delivery.masked]
    if isinstance(value, dict):
        conds = []
        for name, text in value.items():
            _readable(delivery, name, "q")
            if not isinstance(text, str | int | float) or isinstance(text, bool):
                raise invalid("q", f"{name}: text expected")
            conds.append(_like(DataRow.data[name].as_string(), str(text)[:MAX_TEXT]))
        return conds
    if not isinstance(value, str):
        raise invalid("q", "text, or an object {field: text}")
    words = value[:MAX_TEXT].split()[:10]
    return [or_(*[_like(DataRow.data[c].as_string(), w) for c in readable]) for w in words] if readable else []


def _sort(params: dict, delivery, kinds: dict) -> list:
    raw = params.get("sort")
    if raw in (None, ""):
        return [DataRow.id]
    if not isinstance(raw, str):
        raise invalid("sort", 'text like "field asc, other desc"')
    order = []
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_SORT:
        raise invalid("sort", f"at most {MAX_SORT} fields")
    for part in parts:
        name, _, direction = part.rpartition(" ") if part.lower().endswith((" asc", " desc")) else (part, "", "asc")
        name, direction = name.strip().strip('"'), direction.lower()
        if name == "_id":
            order.append(DataRow.id.desc() if direction == "desc" else DataRow.id)
            continue
        _readable(delivery, name, "sort")
        expr = _expr(kinds[name], name)
        order += [case((expr.is_(None), 1), else_=0), expr.desc() if direction == "desc" else expr]
    return [*order, DataRow.id]


def _link(params: dict, **changes) -> str:
    keep = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in {**params, **changes}.items() if v not in (None, "") and k != "offset"}
    if changes.get("offset"):
        keep["offset"] = str(changes["offset"])
    return url_for("ckan_api.action", action="datastore_search") + "?" + urlencode(keep)


def datastore_search(params: dict, user) -> dict:
    """Rows of an entry: ``resource_id`` (``<code>--datastore``), ``q``, ``filters``, ``fields``, ``limit``
    (default 100, at most 1000), ``offset``, ``sort``, ``include_total``. Open entries for anyone
    (sensitive items masked); others need a grant (send the API token in ``Authorization``)."""
    from catalog.models import Dataset

    from .ckan_actions import visible

    rid = params.get("resource_id") or params.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise invalid("resource_id", "Missing value")
    code = rid.strip().removesuffix(SUFFIX)
    ds = db.session.scalar(select(Dataset).where(Dataset.code == code, *visible(user))) \
        if rid.strip().endswith(SUFFIX) else None
    if ds is None or not store.has_rows(ds.id):
        raise CkanError("Not Found Error", f'Resource "{rid}" was not found (datastore resources are '
                                           f'"<package id>{SUFFIX}", listed by package_show)')
    if params.get("records_format", "objects") != "objects":
        raise invalid("records_format", "only objects is supported")
    try:
        delivery = for_entry(ds, user, "api")
    except Forbidden as exc:
        hint = "" if user is not None else " Send your API token in the Authorization header."
        raise CkanError("Authorization Error", f"Access denied: {exc.message}{hint}") from None
    kinds = {i.name: i.type for i in ds.items}
    columns = _fields(params, delivery)
    limit = as_int(params, "limit", DEFAULT_LIMIT, minimum=0, maximum=MAX_LIMIT)
    offset = as_int(params, "offset", 0, maximum=MAX_OFFSET)
    include_total = as_bool(params, "include_total", True)
    conds = [DataRow.dataset_id == ds.id, *_filters(params, delivery, kinds), *_q(params, delivery)]
    order = _sort(params, delivery, kinds)
    if user is not None:
        from delivery import keys

        keys.charge_user(user)
    rows = db.session.execute(select(DataRow.id, DataRow.data).where(*conds).order_by(*order)
                              .offset(offset).limit(limit)).all()
    # whole delivered rows through the same hook as a download (mask; the grant's watermark), then the fields
    handed = hand_out(delivery, ({c: data.get(c) for c in delivery.columns} for _, data in rows))
    records = [{"_id": row_id, **{c: rec[c] for c in columns}} for (row_id, _), rec in zip(rows, handed, strict=True)]
    out = {
        "resource_id": rid, "include_total": include_total, "records_format": "objects",
        "fields": [{"id": "_id", "type": "int"}] + [{"id": c, "type": CKAN_TYPES.get(kinds.get(c), "text"),
                                                     "info": {"label": c, "sensitive_masked": c in delivery.masked}}
                                                    for c in columns],
        "records": records, "limit": limit, "offset": offset,
        "_links": {"start": _link(params), "next": _link(params, offset=offset + limit)},
    }
    for key in ("q", "filters", "sort"):
        if params.get(key) not in (None, ""):
            out[key] = _json_param(params, key)
    if include_total:
        out["total"] = db.session.scalar(select(func.count()).select_from(DataRow).where(*conds))
        out["total_was_estimated"] = False
    record_usage(action="api", dataset_id=ds.id, user=user, grant_id=delivery.grant_id, rows=len(records),
                 fields=columns, address=request.remote_addr or "")
    db.session.commit()
    return out

