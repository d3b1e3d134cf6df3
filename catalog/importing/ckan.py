"""CKAN packages (``package_show`` / ``package_search`` results) in the common row schema.

CKAN keys win; the common keys (description, publisher, formats …) are the fallback, so packages
that were already flattened into the common schema import the same way.
"""

from __future__ import annotations

import re

from .errors import ImportFailed

FREQUENCY_KEYS = ("frequency", "maintenance_and_update_frequency", "update_frequency", "accrual_periodicity")
LANGUAGES = ("zh", "zh_CN", "zh-CN", "en")


def packages_of(doc: object) -> list:
    """The packages in a CKAN API answer: package_search, package_show, or a bare list."""
    if isinstance(doc, dict) and doc.get("success") is False:
        error = doc.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        raise ImportFailed(f"the CKAN answer reports a failure: {message or 'no reason given'}")
    result = doc.get("result", doc) if isinstance(doc, dict) else doc
    if isinstance(result, dict) and "results" in result:
        result = result["results"]
    if isinstance(result, dict):
        return [result]
    if isinstance(result, list):
        return result
    raise ImportFailed('not a CKAN answer: expected {"result": …}, a package or a list of packages')


def _localized(value: object) -> object:
    """A ckanext-fluent value ({"en": …, "fr": …}) as one text; anything else unchanged."""
    if isinstance(value, dict):
        for lang in LANGUAGES:
            if value.get(lang):
                return value[lang]
        return next((v for v in value.values() if v), None)
    return value


def _first(pkg: dict, *keys: str) -> object:
    for key in keys:
        value = _localized(pkg.get(key))
        if value not in (None, "", []):
            return value
    return None


def _title_of(value: object) -> object:
    if isinstance(value, dict):
        return _localized(value.get("title")) or value.get("display_name") or value.get("name")
    return value


def _tags(pkg: dict, problems: list[tuple[str, str]]) -> object:
    tags = pkg.get("tags")
    if isinstance(tags, list) and tags:
        names = [t.get("display_name") or t.get("name") if isinstance(t, dict) else t for t in tags]
        return names
    if tags not in (None, []) and not isinstance(tags, list):
        problems.append(("tags", "must be a list of tags"))
        return None
    keywords = _localized(pkg.get("keywords"))
    if isinstance(keywords, str):
        return [k for k in re.split(r"[,，;；]", keywords) if k.strip()]
    return keywords  # a list, or a wrong type the row check reports


def _formats(pkg: dict, problems: list[tuple[str, str]]) -> object:
    resources = pkg.get("resources")
    if resources is None:
        return pkg.get("formats")
    if not isinstance(resources, list):
        problems.append(("resources", "must be a list of resources"))
        return None
    return [r.get("format") for r in resources if isinstance(r, dict) and r.get("format")]


def _category(pkg: dict) -> object:
    groups = pkg.get("groups")
    if isinstance(groups, list) and groups:
        return _title_of(groups[0])
    subject = _localized(pkg.get("subject"))
    if isinstance(subject, list):
        return subject[0] if subject else None
    return subject or pkg.get("category")


def package_to_row(pkg: object) -> tuple[object, list[tuple[str, str]]]:
    """One CKAN package as a common-schema row, plus (field, reason) problems of its CKAN shape."""
    if not isinstance(pkg, dict):
        return pkg, []
    problems: list[tuple[str, str]] = []
    organization = pkg.get("organization")
    row = {
        "id": pkg.get("id") or pkg.get("name"),
        "title": _first(pkg, "title"),
        "description": _first(pkg, "notes", "description"),
        "publisher": _title_of(organization)
        if organization
        else _first(pkg, "publisher", "author", "maintainer"),
        "category": _category(pkg),
        "tags": _tags(pkg, problems),
        "formats": _formats(pkg, problems),
        "fields": pkg.get("fields"),
        "update_frequency": _first(pkg, *FREQUENCY_KEYS),
        # CKAN has no open condition: the licence says how open the data is ("Open Government Licence")
        "open_condition": _first(pkg, "open_condition", "license_title", "license"),
        "region": pkg.get("region"),
        "url": pkg.get("url"),
        "published": _first(pkg, "date_published", "metadata_created", "published", "created"),
        "updated": _first(pkg, "metadata_modified", "updated"),
        "record_count": pkg.get("record_count"),
    }
    return row, problems
