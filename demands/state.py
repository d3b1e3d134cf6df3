"""The vocabularies of demands and objections: states, outcomes, kinds, and how long each stage may take."""

from __future__ import annotations

from enum import StrEnum


class Frequency(StrEnum):
    """How often the requester needs the data."""

    once = "once"
    realtime = "realtime"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


class DemandState(StrEnum):
    submitted = "submitted"  # waiting for an operator to route it (again, after "not held by us")
    routed = "routed"  # waiting for the owning department's answer
    planned = "planned"  # the owner will publish an entry by ``publish_by``
    fulfilled = "fulfilled"  # an entry linked to the demand was published
    existing = "existing"  # the owner pointed to an entry that already exists
    refused = "refused"  # the owner refused, with a reason
    withdrawn = "withdrawn"  # the requester no longer needs it


OPEN_DEMAND_STATES = (DemandState.submitted, DemandState.routed, DemandState.planned)
MET_DEMAND_STATES = (DemandState.fulfilled, DemandState.existing)


class DemandOutcome(StrEnum):
    """The owner's standard answers."""

    will_publish = "will_publish"  # will publish by a date
    exists = "exists"  # exists already → link to the entry
    not_held = "not_held"  # not held by us → back to the operator for rerouting
    refused = "refused"  # refused with a reason


class ObjectionKind(StrEnum):
    wrong = "wrong"  # 数据错误
    missing = "missing"  # 数据缺失
    late = "late"  # 更新不及时
    inconsistent = "inconsistent"  # 与其他来源不一致


class ObjectionState(StrEnum):
    open = "open"
    corrected = "corrected"
    explained = "explained"
    rejected = "rejected"


class ObjectionOutcome(StrEnum):
    corrected = "corrected"  # corrected in version N; holders of the data are told
    explained = "explained"  # the data is right; explanation given
    rejected = "rejected"  # rejected, with a reason


# Working days each stage may take (orders.deadlines.due_at counts them).
ROUTE_WORKING_DAYS = 2  # operator routes a new demand
ANSWER_WORKING_DAYS = 5  # owning department answers a routed demand
OBJECTION_WORKING_DAYS = 5  # owning department answers an objection
