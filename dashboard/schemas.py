"""Query arguments of the dashboard page and ``GET /api/v1/dashboard``."""

from __future__ import annotations

from marshmallow import fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from market.validation_messages import LocalizedSchema

from .tables import TABLES


class DashboardArgs(LocalizedSchema):
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)
    department = fields.String(load_default=None, validate=validate.Length(max=64))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))
    table = fields.String(load_default=None, validate=validate.OneOf(tuple(TABLES)))

    @validates_schema
    def csv_needs_table(self, data, **kwargs):
        if data.get("format") == "csv" and not data.get("table"):
            raise ValidationError(f"format=csv needs table=<one of {', '.join(TABLES)}>", field_name="table")
