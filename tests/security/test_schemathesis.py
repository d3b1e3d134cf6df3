"""schemathesis against /api/v1/openapi.json through the WSGI app: no 500s, and every answer matches the
documented status codes and schemas. Bounded (25 examples per operation, derandomized) so runs repeat.

schemathesis' own pytest loader (`from_fixture`) does not run on pytest 9, so each operation's
hypothesis strategy is driven here directly, inside the normal `app` fixture (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
BOUNDED = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))


@pytest.fixture
def api_schema(app, make_dataset, make_department):
    owner = make_department(code="SCHEMA")
    make_dataset("公交线路信息", department=owner, open_attribute="open", share_attribute="unconditional")
    make_dataset("企业登记信息", department=owner, level=3)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _run_every_operation(api_schema, headers: dict | None) -> list[str]:
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10, "the OpenAPI document lost its operations"
    for operation in operations:
        @given(operation.as_strategy())
        @BOUNDED
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (AssertionError, BaseExceptionGroup) as exc:  # report every operation's failures together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return failures


def test_api_anonymous(api_schema):
    failures = _run_every_operation(api_schema, None)
    assert not failures, "\n\n".join(failures)


def test_api_with_bearer_token(api_schema, make_user, api_token):
    from catalog.models import Department
    from market.db import db

    dept = db.session.scalar(db.select(Department).where(Department.code == "SCHEMA"))
    failures = _run_every_operation(api_schema, api_token(make_user("officer", department=dept)))
    assert not failures, "\n\n".join(failures)


def test_every_api_route_is_documented(app, client):
    """schemathesis only exercises what the document lists: every /api/v1 route and method must be in it."""
    import re

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    documented = {(m.upper(), p) for p, ops in paths.items() for m in ops if m in ("get", "post", "put", "patch",
                                                                                    "delete")}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "platform.openapi":
            continue
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, path) not in documented:
                missing.append(f"{method} {path}")
    assert not missing, "undocumented API routes (add them to the package's openapi module):\n" + "\n".join(missing)
