"""Pure parts: the routing rules, the state tables, the aggregate state, working-day due times."""

from datetime import datetime
from types import SimpleNamespace

import pytest

from orders.deadlines import due_at, remind_at
from orders.routing import DEFAULT_RULES, Rule, route_for
from orders.state import LINE_TRANSITIONS, LineState, RequestState, StepKind, aggregate_state


def ds(share="conditional", level=2, items=(("姓名", False), ("身份证号", True))):
    return SimpleNamespace(share_attribute=share, level=level,
                           items=[SimpleNamespace(name=n, sensitive=s) for n, s in items])


@pytest.mark.parametrize(("dataset", "requested", "kind"), [
    (ds("unconditional", 4), None, "granted"),
    (ds("none"), None, "refused"),
    (ds("conditional", 2, (("姓名", False),)), None, "owner"),
    (ds("conditional", 3, (("姓名", False),)), None, "owner_platform"),
    (ds("conditional", 2), None, "owner_platform"),  # all items → the sensitive one is requested
    (ds("conditional", 2), ["姓名"], "owner"),  # leaving out the sensitive item avoids the platform step
    (ds("conditional", 2), ["身份证号"], "owner_platform"),
])
def test_default_routes(dataset, requested, kind):
    assert route_for(dataset, requested, DEFAULT_RULES).kind == kind


def test_first_matching_rule_wins_and_unmatched_falls_back_to_the_strictest_route():
    rules = (Rule("all_level_1_free", "grant", min_level=None, share_attribute="conditional"),)
    assert route_for(ds("conditional", 1), None, rules).kind == "granted"
    assert route_for(ds("unconditional", 1), None, rules).kind == "owner_platform"


def test_compliance_step_routes_are_possible():
    rules = (Rule("checked", "approve", (StepKind.compliance, StepKind.owner)),)
    route = route_for(ds(), None, rules)
    assert route.steps == (StepKind.compliance, StepKind.owner) and route.kind == "compliance+owner"


def test_terminal_line_states_have_no_way_out():
    for state in (LineState.rejected, LineState.withdrawn, LineState.expired, LineState.revoked):
        assert LINE_TRANSITIONS[state] == set()
    assert LineState.granted not in LINE_TRANSITIONS[LineState.waiting]  # only via approved


@pytest.mark.parametrize(("states", "expected"), [
    (["waiting", "waiting"], RequestState.in_review),
    (["granted", "waiting"], RequestState.partly_approved),
    (["granted", "rejected"], RequestState.partly_approved),
    (["granted", "granted"], RequestState.approved),
    (["rejected", "rejected"], RequestState.rejected),
    (["rejected", "withdrawn"], RequestState.rejected),
    (["withdrawn"], RequestState.withdrawn),
    (["info_requested", "waiting"], RequestState.info_requested),
    (["expired", "revoked"], RequestState.closed),
])
def test_aggregate_state(states, expected):
    assert aggregate_state([LineState(s) for s in states]) == expected


@pytest.mark.parametrize(("start", "days", "due"), [
    ("2026-03-02 09:30", 5, "2026-03-09 09:30"),  # Monday + 5 working days = next Monday
    ("2026-03-06 10:00", 1, "2026-03-09 10:00"),  # Friday + 1 = Monday
    ("2026-03-05 10:00", 2, "2026-03-09 10:00"),  # Thursday + 2 = Monday
    ("2026-03-07 10:00", 2, "2026-03-11 10:00"),  # Saturday counts from Monday
    ("2026-03-04 10:00", 0, "2026-03-04 10:00"),
])
def test_due_at_counts_working_days(start, days, due):
    fmt = "%Y-%m-%d %H:%M"
    assert due_at(datetime.strptime(start, fmt), days) == datetime.strptime(due, fmt)


def test_reminder_is_one_working_day_before_the_due_time():
    assert remind_at(datetime(2026, 3, 9, 10)) == datetime(2026, 3, 6, 10)  # Monday → Friday
    with pytest.raises(ValueError):
        due_at(datetime(2026, 3, 9), -1)
