"""Tamper-evident audit log: every state change, decision, grant and configuration change is a row
whose hash covers the previous row's hash (a hash chain)."""

from __future__ import annotations

from .services import record_event, verify_chain

__all__ = ["record_event", "verify_chain"]
