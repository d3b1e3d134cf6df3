"""Harvest (目录级联): pull catalog entries from CKAN and DCAT sources into ours, incrementally."""

from __future__ import annotations

from .services import HarvestFailed, harvest, harvest_ckan, harvest_dcat

__all__ = ["HarvestFailed", "harvest", "harvest_ckan", "harvest_dcat"]
