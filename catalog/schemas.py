"""marshmallow at the edge: what the forms and the JSON API accept, and what the API returns."""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from market.validation_messages import LocalizedSchema
from search.base import FACETS, SORTS

from .vocab import DeliveryMode, OpenAttribute, ShareAttribute, UpdateFrequency

ITEM_TYPES = ("string", "integer", "decimal", "date", "datetime", "boolean", "geometry", "binary")
MAX_ITEMS = 300
MAX_TAGS = 30


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class DataItemInput(LocalizedSchema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    type = fields.String(load_default="string", validate=validate.OneOf(ITEM_TYPES))
    description = fields.String(load_default="", validate=validate.Length(max=1000))
    sensitive = fields.Boolean(load_default=False)

    @pre_load
    def strip(self, data, **kwargs):
        return {k: _strip(v) for k, v in data.items()} if isinstance(data, dict) else data


class DatasetInput(LocalizedSchema):
    """Create or edit a catalog entry (the owner's form and ``POST/PATCH /api/v1/datasets``)."""

    title = fields.String(required=True, validate=validate.Length(2, 300))
    summary = fields.String(load_default="", validate=validate.Length(max=5000))
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    department = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    tags = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list,
                       validate=validate.Length(max=MAX_TAGS))
    formats = fields.List(fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,20}$")), load_default=list,
                          validate=validate.Length(max=20))
    update_frequency = fields.Enum(UpdateFrequency, by_value=True, load_default=UpdateFrequency.irregular)
    share_attribute = fields.Enum(ShareAttribute, by_value=True, required=True)
    open_attribute = fields.Enum(OpenAttribute, by_value=True, required=True)
    level = fields.Integer(required=True, strict=False, validate=validate.Range(1, 4))
    delivery_modes = fields.List(fields.Enum(DeliveryMode, by_value=True), load_default=list)
    price = fields.Decimal(load_default=None, allow_none=True, places=2,
                           validate=validate.Range(min=0, max=10_000_000))
    items = fields.List(fields.Nested(DataItemInput), load_default=list, validate=validate.Length(max=MAX_ITEMS))

    @pre_load
    def clean(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        data = {k: _strip(v) for k, v in data.items()}
        for key in ("tags", "formats"):
            if isinstance(data.get(key), str):
                data[key] = [t for t in (p.strip() for p in data[key].replace("，", ",").split(",")) if t]
        if isinstance(data.get("formats"), list):
            data["formats"] = [f.upper() if isinstance(f, str) else f for f in data["formats"]]
        if data.get("price") in ("", None):
            data["price"] = None
        if data.get("category") == "":
            data["category"] = None
        return data

    @validates_schema
    def unique_items(self, data, **kwargs):
        # Rules over the whole entry (level 4 never downloadable, 不予共享 never open) live in
        # catalog.services.check_invariants, which also sees the stored values a PATCH leaves alone.
        names = [i["name"] for i in data.get("items", [])]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValidationError({"items": [_("信息项名称重复：%(names)s", names="、".join(dupes))]})


class DatasetPatch(DatasetInput):
    """Partial update: only the fields sent are loaded (instantiate with ``partial=True``)."""

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class DatasetListArgs(LocalizedSchema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(1, 500))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    department = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)
    category = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)
    share_attribute = fields.List(fields.Enum(ShareAttribute, by_value=True), load_default=list)
    open_attribute = fields.List(fields.Enum(OpenAttribute, by_value=True), load_default=list)
    level = fields.List(fields.Integer(validate=validate.Range(1, 4)), load_default=list)
    format = fields.List(fields.String(validate=validate.Length(max=20)), load_default=list)
    update_frequency = fields.List(fields.Enum(UpdateFrequency, by_value=True), load_default=list)
    tag = fields.List(fields.String(validate=validate.Length(max=100)), load_default=list)

    @staticmethod
    def filters(args: dict) -> dict[str, list[str]]:
        out = {}
        for name in FACETS:
            values = args.get(name) or []
            out[name] = [str(getattr(v, "value", v)) for v in values][:20]
        return {k: v for k, v in out.items() if v}


class DepartmentOut(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()


class DataItemOut(Schema):
    name = fields.String()
    type = fields.String()
    description = fields.String()
    sensitive = fields.Boolean()


class DatasetOut(Schema):
    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    summary = fields.String()
    department = fields.Function(lambda d: {"code": d.department.code, "name": d.department.name})
    category = fields.Function(lambda d: {"code": d.category.code, "name": d.category.name} if d.category else None)
    tags = fields.List(fields.String())
    formats = fields.List(fields.String())
    update_frequency = fields.Function(lambda d: d.update_frequency.value)
    update_frequency_text = fields.String()
    share_attribute = fields.Function(lambda d: d.share_attribute.value)
    open_attribute = fields.Function(lambda d: d.open_attribute.value)
    open_condition_text = fields.String()
    level = fields.Integer()
    fields_ = fields.List(fields.Nested(DataItemOut), attribute="items", data_key="fields")
    delivery_modes = fields.List(fields.String())
    status = fields.Function(lambda d: d.status.value)
    price = fields.Function(lambda d: str(d.price) if d.price is not None else None)
    published_at = fields.Date()
    updated_at = fields.DateTime()
    region = fields.String()
    rating = fields.Function(lambda d: round(d.rating_avg, 2) if d.rating_avg is not None else None)
    rating_count = fields.Integer()
    request_count = fields.Integer()


class DatasetSummaryOut(DatasetOut):
    class Meta:
        exclude = ("fields_", "update_frequency_text", "open_condition_text")
