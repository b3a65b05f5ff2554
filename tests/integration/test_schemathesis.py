"""Property-based requests generated from the committed OpenAPI schema, valid and invalid ones,
for every operation: no 5xx, ever. ``FAPIAO_FUZZ_EXAMPLES`` examples per operation (200: about
7,000 requests in all, where the last defects were found)."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from fapiao.api.keys import apikey_create
from fapiao.cli.management.commands.openapi import COMMITTED
from fapiao.core.roles import Role
from fapiao.wsgi import application
from tests.integration.world import make_world

SEEN: dict[str, list[int]] = defaultdict(list)
EXAMPLES = int(os.environ.get("FAPIAO_FUZZ_EXAMPLES", "200"))
schema = schemathesis.openapi.from_dict(json.loads(COMMITTED.read_text("utf-8")))
OPERATIONS = {
    f"{method.upper()} {path}"
    for path, methods in schema.raw_schema["paths"].items()
    for method in methods
}


@pytest.fixture
def api_key(db: Any) -> str:
    world = make_world(credit=None)
    return apikey_create(taxpayer=world.taxpayer, name="fuzz", role=Role.ADMIN,
                         actor="admin").plaintext  # fmt: skip


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_errors(case: Any, api_key: str) -> None:
    response = case.call(app=application, headers={"X-API-Key": api_key, "Host": "localhost"})
    SEEN[f"{case.operation.method.upper()} {case.operation.path}"].append(response.status_code)
    case.validate_response(response, checks=[not_a_server_error])


def test_the_generated_requests_reached_every_endpoint() -> None:
    """Runs after the cases above: every operation was called, most requests were
    authenticated and answered by an endpoint, valid and invalid ones alike."""
    assert set(SEEN) == OPERATIONS
    statuses = [status for answers in SEEN.values() for status in answers]
    answered = [status for status in statuses if status != 401]
    assert len(answered) > len(statuses) / 2
    assert {200, 201} & set(answered) and {400, 404, 422} & set(answered)
    assert len(statuses) >= len(OPERATIONS) * min(EXAMPLES, 20)
