"""Helpers shared by the JSON APIs: load a body or query through a marshmallow schema."""

from __future__ import annotations

from flask import request
from marshmallow import Schema, ValidationError

from market.errors import BadRequest, ValidationFailed


def _fail(exc: ValidationError):
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    first = next(iter(messages.items()), ("", [""]))
    detail = first[1][0] if isinstance(first[1], list) and first[1] else first[1]
    raise ValidationFailed(f"Invalid input: {first[0]}: {detail}", fields=messages)


def load_json(schema: Schema) -> dict:
    """Validate the JSON body; 400 when it is not a JSON object, 422 naming the fields otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object (Content-Type: application/json).", code="bad_json")
    try:
        return schema.load(body)
    except ValidationError as exc:
        _fail(exc)


def load_args(schema: Schema, args=None) -> dict:
    """Validate query-string arguments (lists for repeated keys declared as List fields)."""
    args = request.args if args is None else args
    raw: dict = {}
    for key in args:
        field = schema.fields.get(key)
        values = args.getlist(key)
        if field is not None and field.__class__.__name__ == "List":
            raw[key] = [v for v in values if v != ""]
        else:
            raw[key] = values[-1]
    try:
        return schema.load(raw, unknown="exclude")
    except ValidationError as exc:
        _fail(exc)
