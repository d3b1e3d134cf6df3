"""The rules library (规则库) for routing access requests: a table operators edit, with the issue's
defaults, and a pure function that turns (dataset, requested items) into approval steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select

from audit import record_event
from market.db import db
from market.errors import ValidationFailed

from .models import RoutingRule
from .state import StepKind

OUTCOMES = ("grant", "approve", "refuse")


@dataclass(frozen=True)
class Rule:
    name: str
    outcome: str  # grant | approve | refuse
    steps: tuple[StepKind, ...] = ()
    share_attribute: str | None = None
    min_level: int | None = None
    sensitive_requested: bool | None = None

    def matches(self, share_attribute: str, level: int, sensitive: bool) -> bool:
        return ((self.share_attribute is None or self.share_attribute == share_attribute)
                and (self.min_level is None or level >= self.min_level)
                and (self.sensitive_requested is None or self.sensitive_requested == sensitive))


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("not_shared", "refuse", share_attribute="none"),
    Rule("unconditional", "grant", share_attribute="unconditional"),
    Rule("conditional_high_level", "approve", (StepKind.owner, StepKind.platform),
         share_attribute="conditional", min_level=3),
    Rule("conditional_sensitive", "approve", (StepKind.owner, StepKind.platform),
         share_attribute="conditional", sensitive_requested=True),
    Rule("conditional", "approve", (StepKind.owner,), share_attribute="conditional"),
)
# what applies when no rule matches: the strictest approval path, never an automatic grant
FALLBACK = Rule("fallback", "approve", (StepKind.owner, StepKind.platform))
# public applicants (enterprises, citizens) for conditional-open (有条件开放) entries: the owning
# department's officer decides; the share-attribute rules above are for departments only
PUBLIC_RULE = Rule("public_conditional_open", "approve", (StepKind.owner,))


@dataclass(frozen=True)
class Route:
    rule: str
    outcome: str
    steps: tuple[StepKind, ...] = field(default=())

    @property
    def kind(self) -> str:
        """granted | owner | owner_platform | refused (plus other step lists an operator may set)."""
        if self.outcome == "grant":
            return "granted"
        if self.outcome == "refuse":
            return "refused"
        if tuple(self.steps) == (StepKind.owner,):
            return "owner"
        if tuple(self.steps) == (StepKind.owner, StepKind.platform):
            return "owner_platform"
        return "+".join(str(s) for s in self.steps)


def route_for(dataset, requested: list[str] | None, rules: tuple[Rule, ...] | list[Rule]) -> Route:
    """Pure: the approval route for ``requested`` item names of ``dataset`` (None = every item)."""
    names = set(requested) if requested is not None else {i.name for i in dataset.items}
    sensitive = any(i.sensitive and i.name in names for i in dataset.items)
    share = getattr(dataset.share_attribute, "value", dataset.share_attribute)
    for rule in rules:
        if rule.matches(share, dataset.level, sensitive):
            return Route(rule.name, rule.outcome, tuple(rule.steps) if rule.outcome == "approve" else ())
    return Route(FALLBACK.name, FALLBACK.outcome, FALLBACK.steps)


def route_for_public(dataset) -> Route:
    """The approval route of a public applicant's line (a conditional-open entry): the owner's officer."""
    return Route(PUBLIC_RULE.name, PUBLIC_RULE.outcome, PUBLIC_RULE.steps)


def load_rules() -> tuple[Rule, ...]:
    """The rules in force: the table's rows, or the defaults while operators have saved none."""
    rows = db.session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all()
    if not rows:
        return DEFAULT_RULES
    return tuple(Rule(r.name, r.outcome, tuple(StepKind(s) for s in r.steps), r.share_attribute, r.min_level,
                      r.sensitive_requested) for r in rows)


def rule_to_dict(rule: Rule) -> dict:
    return {"name": rule.name, "outcome": rule.outcome, "steps": [str(s) for s in rule.steps],
            "share_attribute": rule.share_attribute, "min_level": rule.min_level,
            "sensitive_requested": rule.sensitive_requested}


def _parse_rule(n: int, raw: dict, errors: dict) -> Rule | None:
    where = f"rules[{n}]"
    if not isinstance(raw, dict):
        errors[where] = ["must be an object"]
        return None
    name = str(raw.get("name") or "").strip()[:40]
    outcome = raw.get("outcome")
    share = raw.get("share_attribute")
    min_level = raw.get("min_level")
    sensitive = raw.get("sensitive_requested")
    steps = raw.get("steps") or []
    problems = []
    if not name:
        problems.append("name is required")
    if outcome not in OUTCOMES:
        problems.append(f"outcome must be one of {', '.join(OUTCOMES)}")
    if share not in (None, "unconditional", "conditional", "none"):
        problems.append("share_attribute must be unconditional, conditional, none or null")
    if min_level is not None and (not isinstance(min_level, int) or isinstance(min_level, bool)
                                  or not 1 <= min_level <= 4):
        problems.append("min_level must be 1–4 or null")
    if sensitive not in (None, True, False):
        problems.append("sensitive_requested must be true, false or null")
    kinds = [k.value for k in StepKind]
    if not isinstance(steps, list) or any(s not in kinds for s in steps):
        problems.append(f"steps must be a list of {', '.join(kinds)}")
    elif outcome == "approve" and not steps:
        problems.append("an 'approve' rule needs at least one step")
    elif outcome != "approve" and steps:
        problems.append(f"a '{outcome}' rule has no steps")
    if problems:
        errors[where] = problems
        return None
    return Rule(name, outcome, tuple(StepKind(s) for s in steps), share, min_level, sensitive)


def replace_rules(raw_rules: list, *, actor) -> tuple[Rule, ...]:
    """Replace the routing rules with ``raw_rules`` (in order); audited as a configuration change."""
    errors: dict[str, list[str]] = {}
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ValidationFailed("rules: give a non-empty list of rules.", fields={"rules": ["non-empty list"]})
    rules = [_parse_rule(n, r, errors) for n, r in enumerate(raw_rules)]
    if errors:
        first = next(iter(errors.items()))
        raise ValidationFailed(f"Invalid rule {first[0]}: {first[1][0]}", fields=errors)
    before = [rule_to_dict(r) for r in load_rules()]
    db.session.execute(delete(RoutingRule))
    for pos, rule in enumerate(rules, start=1):
        db.session.add(RoutingRule(position=pos, name=rule.name, outcome=rule.outcome,
                                   steps=[str(s) for s in rule.steps], share_attribute=rule.share_attribute,
                                   min_level=rule.min_level, sensitive_requested=rule.sensitive_requested,
                                   updated_by_id=actor.id))
    db.session.flush()
    record_event("routing_rules.replaced", "routing_rules", "all", actor=actor,
                 payload={"before": before, "after": [rule_to_dict(r) for r in rules]})
    return tuple(rules)
