"""Who may see a request, decide a line, and act as requester. Views, API and templates share these."""

from __future__ import annotations

from market.auth.models import Role

from .state import OPEN_LINE_STATES, StepKind, StepState


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def can_shop(user) -> bool:
    """Department staff have a cart; operators and the public do not request shared data."""
    user = _user(user)
    return user is not None and user.role in (Role.requester, Role.officer)


def current_step(line):
    """The step a line is waiting on (or asked more information at), or None."""
    return next((s for s in line.steps if s.state in (StepState.waiting, StepState.info_requested)), None)


def is_step_decider(step, user) -> bool:
    user = _user(user)
    if user is None or step is None:
        return False
    if step.kind == StepKind.owner:
        return user.is_officer_of(step.department_id)
    return user.is_operator


def can_decide(line, user) -> bool:
    """True when ``line`` waits for a decision ``user`` may take."""
    step = current_step(line)
    return step is not None and step.state == StepState.waiting and is_step_decider(step, user)


def is_requester(request, user) -> bool:
    user = _user(user)
    return user is not None and request.requester_id == user.id


def is_withdrawable(line) -> bool:
    """The line is still open (nothing decided for good), whoever asks."""
    return line.state in OPEN_LINE_STATES


def awaits_answer(line) -> bool:
    """An approver asked for more information on the line and waits for the requester's answer."""
    from .state import LineState

    return line.state == LineState.info_requested


def can_withdraw(line, user) -> bool:
    """The withdraw button: ``user`` raised the request and the line is still open."""
    return is_requester(line.request, user) and is_withdrawable(line)


def can_answer(line, user) -> bool:
    """The answer form: ``user`` raised the request and an approver waits for their answer."""
    return is_requester(line.request, user) and awaits_answer(line)


def can_see_line(line, user) -> bool:
    user = _user(user)
    if user is None:
        return False
    if user.is_operator or line.request.requester_id == user.id:
        return True
    return user.is_officer_of(line.order.department_id)


def can_view_request(request, user) -> bool:
    return any(can_see_line(line, user) for line in request.lines)
