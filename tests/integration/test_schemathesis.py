"""Property-based requests generated from the committed OpenAPI schema: no 5xx, ever."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from fapiao.api.keys import apikey_create
from fapiao.api.management.commands.openapi import COMMITTED
from fapiao.invoicing.models import Role
from fapiao.wsgi import application
from tests.integration.world import make_world

SEEN: list[int] = []
schema = schemathesis.openapi.from_dict(json.loads(COMMITTED.read_text("utf-8")))


@pytest.fixture
def api_key(db: Any) -> str:
    world = make_world(credit=None)
    return apikey_create(taxpayer=world.taxpayer, name="fuzz", role=Role.ADMIN,
                         actor="admin").plaintext  # fmt: skip


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_errors(case: Any, api_key: str) -> None:
    response = case.call(app=application, headers={"X-API-Key": api_key, "Host": "localhost"})
    SEEN.append(response.status_code)
    case.validate_response(response, checks=[not_a_server_error])


def test_the_generated_requests_reached_the_endpoints() -> None:
    """Runs after the cases above: most were authenticated and answered by an endpoint."""
    assert SEEN, "no generated request ran"
    answered = [status for status in SEEN if status != 401]
    assert len(answered) > len(SEEN) / 2
    assert {200, 201} & set(answered) and {400, 404, 422} & set(answered)
