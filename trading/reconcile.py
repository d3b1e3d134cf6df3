"""Reconciliation: our ledger against the provider's record of charges and refunds (``market payments
reconcile``). Also checks our own invariant: no grant of a paid line without a net-positive charge."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from market.db import db
from orders.models import RequestLine
from orders.state import LineState

from .models import LedgerEntry, Payment
from .providers import Provider


@dataclass(frozen=True)
class Difference:
    kind: str  # missing_charge, unknown_charge, missing_refund, unknown_refund, amount, grant_without_payment
    ref: str
    ours: int | None
    theirs: int | None
    detail: str = ""

    def line(self) -> str:
        return f"{self.kind:22} {self.ref:32} ours={_fmt(self.ours)} provider={_fmt(self.theirs)} {self.detail}".rstrip()


def _fmt(fen: int | None) -> str:
    return "-" if fen is None else f"{fen / 100:.2f}"


def _compare(kind: str, ours: dict[str, int], theirs: dict[str, int], labels: dict[str, str]) -> list[Difference]:
    out = []
    for ref in sorted(set(ours) | set(theirs)):
        a, b = ours.get(ref), theirs.get(ref)
        if a is None:
            out.append(Difference(f"missing_{kind}", ref, None, b, labels.get(ref, "at the provider, not in our ledger")))
        elif b is None:
            out.append(Difference(f"unknown_{kind}", ref, a, None, "in our ledger, not at the provider"))
        elif a != b:
            out.append(Difference("amount", ref, a, b, kind))
    return out


def reconcile(provider: Provider) -> tuple[list[Difference], dict]:
    """(differences, counts). Only the provider's attempts made by this market (metadata market_payment)."""
    charges: dict[str, int] = {}
    refunds: dict[str, int] = {}
    labels: dict[str, str] = {}
    foreign = 0
    for intent in provider.list_intents():
        if "market_payment" not in intent.metadata:
            foreign += 1
            continue
        if intent.status != "succeeded":
            continue
        charges[intent.id] = intent.amount
        labels[intent.id] = f"payment {intent.metadata['market_payment']}: charged, not in our ledger"
        for r in intent.refunds:
            if r.status == "succeeded":
                refunds[r.id] = r.amount
                labels[r.id] = f"payment {intent.metadata['market_payment']}: refunded, not in our ledger"
    ours_charges: dict[str, int] = {}
    ours_refunds: dict[str, int] = {}
    for entry in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)):
        (ours_charges if entry.kind == "charge" else ours_refunds)[entry.provider_ref] = abs(entry.amount_fen)
    diffs = _compare("charge", ours_charges, charges, labels) + _compare("refund", ours_refunds, refunds, labels)
    # a granted paid line must have a charge that is not fully refunded
    rows = db.session.execute(select(Payment.id, Payment.line_id, Payment.amount_fen, Payment.refunded_fen,
                                     Payment.intent_id)
                              .join(RequestLine, RequestLine.id == Payment.line_id)
                              .where(RequestLine.state == LineState.granted)).all()
    for row in rows:
        net = ours_charges.get(row.intent_id or "", 0) - row.refunded_fen
        if net <= 0:
            diffs.append(Difference("grant_without_payment", f"line {row.line_id}", net, None,
                                    f"payment {row.id} is not paid but the line is granted"))
    counts = {"provider_charges": len(charges), "provider_refunds": len(refunds), "ledger_charges": len(ours_charges),
              "ledger_refunds": len(ours_refunds), "other_provider_payments": foreign}
    return diffs, counts
