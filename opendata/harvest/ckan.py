"""Read a CKAN catalog through its Action API (``package_search`` paging) as harvest records."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from catalog.importing.ckan import package_to_row

from .http import FetchFailed, fetch_json
from .records import Record

PAGE_ROWS = 1000  # CKAN's usual rows maximum


def action_base(url: str) -> str:
    """The Action API base of a CKAN site given as its home page or as …/api/3/action."""
    return re.sub(r"/+(api(/3)?(/action)?/*)?$", "", url.strip()) + "/api/3/action/"


def _extras(pkg: dict) -> dict[str, str]:
    extras = pkg.get("extras")
    if not isinstance(extras, list):
        return {}
    return {e["key"]: e.get("value") for e in extras if isinstance(e, dict) and isinstance(e.get("key"), str)}


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [p for p in (s.strip() for s in text.split(",")) if p]


def package_record(pkg: object) -> Record:
    """A CKAN package as a record: the importer's CKAN mapping, plus our extras when present."""
    row, shape_problems = package_to_row(pkg)
    if not isinstance(row, dict):
        return Record(remote_id="?", row=row, problems=[("package", "must be a JSON object")])
    extras = _extras(pkg)
    overrides: dict = {}
    if "open_attribute" in extras:  # one of ours: exact attributes travel as extras
        for key in ("open_attribute", "share_attribute", "level", "update_frequency"):
            if extras.get(key) is not None:
                overrides[key] = extras[key]
        overrides["update_frequency_text"] = extras.get("update_frequency_text")
        overrides["open_condition_text"] = extras.get("open_condition_text")
        overrides["delivery_modes"] = _split(extras.get("delivery_modes")) or []
        overrides["formats"] = _split(extras.get("formats")) or []
        if extras.get("data_items"):
            try:
                overrides["items"] = json.loads(extras["data_items"])
            except ValueError:
                overrides["items"] = "<not JSON>"
        row["published"] = extras.get("published_at") or row.get("published")
        row["updated"] = extras.get("source_updated_at") or row.get("updated")
        row["region"] = extras.get("region") or row.get("region")
        row["record_count"] = extras.get("record_count") or row.get("record_count")
        row["formats"] = overrides["formats"]
    return Record(remote_id=str(row.get("id") or "?"), row=row, overrides=overrides, remote_url=pkg.get("url"),
                  problems=shape_problems)


def _result(answer: object, action: str) -> dict:
    if not isinstance(answer, dict) or answer.get("success") is not True or not isinstance(answer.get("result"),
                                                                                          dict):
        message = answer.get("error") if isinstance(answer, dict) else None
        raise FetchFailed(f"{action}: not a successful CKAN answer ({message or 'unexpected shape'})")
    return answer["result"]


def ckan_pages(url: str, *, organization: str | None = None,
               rows: int = PAGE_ROWS) -> Iterator[tuple[int, list[Record]]]:
    """Yield (total, records of one page) for every ``package_search`` page of the source."""
    endpoint = action_base(url) + "package_search"
    params = {"q": "*:*", "rows": rows, "sort": "name asc"}
    if organization:
        params["fq"] = f'organization:"{organization}"'
    start = 0
    while True:
        result = _result(fetch_json(endpoint, {**params, "start": start}), "package_search")
        packages = result.get("results")
        if not isinstance(packages, list) or not isinstance(result.get("count"), int):
            raise FetchFailed("package_search: the answer has no count/results")
        yield result["count"], [package_record(p) for p in packages]
        start += len(packages)
        if not packages or start >= result["count"]:
            return
