"""CKAN's error types and the parameter checks every action shares."""

from __future__ import annotations

import json

# CKAN's error types and the HTTP status its API answers them with
STATUS = {"Validation Error": 409, "Not Found Error": 404, "Authorization Error": 403,
          "Search Query Error": 400, "Bad Request": 400}


class CkanError(Exception):
    """An action failed; answered as ``{"success": false, "error": {"__type", "message", …}}``."""

    def __init__(self, kind: str, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.kind, self.message, self.fields = kind, message, fields or {}

    @property
    def status(self) -> int:
        return STATUS.get(self.kind, 400)

    def body(self) -> dict:
        # CKAN's validation errors list the bad fields next to __type
        return {"__type": self.kind, "message": self.message, **self.fields}


def invalid(field: str, reason: str) -> CkanError:
    return CkanError("Validation Error", f"{field}: {reason}", {field: [reason]})


def as_int(params: dict, key: str, default: int | None, *, minimum: int | None = 0,
           maximum: int | None = None) -> int | None:
    value = params.get(key)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(key, f"must be a whole number, not {value!r}") from None
    if isinstance(value, bool):
        raise invalid(key, "must be a whole number, not true/false")
    if minimum is not None and number < minimum:
        raise invalid(key, f"must be {minimum} or more")
    if maximum is not None and number > maximum:
        number = maximum  # CKAN caps limits at its configured maximum rather than failing
    return number


def as_bool(params: dict, key: str, default: bool = False) -> bool:
    value = params.get(key)
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise invalid(key, f"must be true or false, not {value!r}")


def as_list(params: dict, key: str) -> list[str]:
    """A list parameter: a JSON list (as CKAN clients send ``facet.field``), or one value."""
    value = params.get(key)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise invalid(key, "must be a JSON list of text") from None
        else:
            value = [text]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(key, "must be a list of text")
    return value


def required_text(params: dict, key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise invalid(key, "Missing value")
    return value.strip()
