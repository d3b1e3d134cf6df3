"""Who may do what with a demand or an objection. Views, API and templates share these predicates."""

from __future__ import annotations

from .state import OPEN_DEMAND_STATES, DemandState, ObjectionState


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def can_post(user) -> bool:
    """Anyone signed in — department staff, officers, operators, enterprises and citizens."""
    return _user(user) is not None


def can_route(demand, user) -> bool:
    """Operators route a demand that waits for routing, or re-route one before the owner answers."""
    user = _user(user)
    return user is not None and user.is_operator and demand.state in (DemandState.submitted, DemandState.routed)


def is_owner_officer(demand, user) -> bool:
    user = _user(user)
    return user is not None and user.is_officer_of(demand.department_id)


def can_answer(demand, user) -> bool:
    """Only a data officer of the department the demand is routed to answers it."""
    return demand.state == DemandState.routed and is_owner_officer(demand, user)


def can_link(demand, user) -> bool:
    """The owner links the entry that meets the demand (before or after announcing a date)."""
    return demand.state in (DemandState.routed, DemandState.planned) and is_owner_officer(demand, user)


def has_supported(demand, user) -> bool:
    user = _user(user)
    return user is not None and any(s.user_id == user.id for s in demand.supporters)


def can_me_too(demand, user) -> bool:
    user = _user(user)
    return (user is not None and demand.state in OPEN_DEMAND_STATES and demand.requester_id != user.id
            and not is_owner_officer(demand, user) and not has_supported(demand, user))


def can_withdraw(demand, user) -> bool:
    user = _user(user)
    return user is not None and demand.requester_id == user.id and demand.state in OPEN_DEMAND_STATES


def can_see_purposes(demand, user) -> bool:
    """Supporters' purposes: the requester, operators and the owner see them all (others see their own)."""
    user = _user(user)
    return user is not None and (user.is_operator or demand.requester_id == user.id
                                 or is_owner_officer(demand, user))


def can_view_objection(objection, user) -> bool:
    user = _user(user)
    return user is not None and (user.is_operator or objection.raised_by_id == user.id
                                 or user.is_officer_of(objection.department_id))


def can_answer_objection(objection, user) -> bool:
    """Only a data officer of the owning department answers an objection."""
    user = _user(user)
    return (user is not None and objection.state == ObjectionState.open
            and user.is_officer_of(objection.department_id))
