"""A 管理员 cannot attach another taxpayer's user: outsiders join only by accepting an invitation,
and the answer to the 管理员 does not tell whether the name exists."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from fapiao.core.roles import Role
from fapiao.invoicing.accounts import (
    INVITED_MESSAGE,
    AccountError,
    invitation_answer,
    role_grant,
    roles_of,
    user_create,
)
from fapiao.invoicing.models import Invitation
from fapiao.jobs.models import Job
from fapiao.security.models import AuditEvent
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
PASSWORD = "Str0ng#Pass"


@pytest.fixture
def worlds() -> tuple[World, World]:
    ours = make_world()
    theirs = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    return ours, theirs


def _signed_in(user: Any) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _flash(page: Any) -> str:
    found = re.search(r'<p class="message" role="status">(.*?)</p>', page.content.decode())
    assert found is not None
    return found.group(1)


def test_an_outsider_joins_only_by_accepting_and_the_answer_reveals_nothing(
    worlds: tuple[World, World],
) -> None:
    ours, theirs = worlds
    boss = user_create(username="boss", password=PASSWORD)
    role_grant(user=boss, role=Role.ADMIN, taxpayer=ours.taxpayer, actor="root")
    victim = user_create(username="victim", password=PASSWORD, email="victim@example.cn")
    role_grant(user=victim, role=Role.ISSUER, taxpayer=theirs.taxpayer, actor="root")
    admin = _signed_in(boss)
    answers = [
        _flash(admin.post("/settings/users/change",
                          {"action": "add", "username": name, "role": "admin"}, follow=True))
        for name in ("victim", "no-such-user")
    ]  # fmt: skip
    assert answers[0] == answers[1] == INVITED_MESSAGE
    assert roles_of(victim, ours.taxpayer) == set()  # not attached
    assert Invitation.objects.count() == 1  # the one real user is invited
    job = Job.objects.get(kind="notify.email")
    assert job.payload["to"] == "victim@example.cn" and ours.taxpayer.name in job.payload["text"]
    # the invited user sees it in 个人设置 and accepts
    invited = _signed_in(victim)
    page = invited.get("/settings/me/").content.decode()
    assert ours.taxpayer.name in page and 'id="invitations"' in page
    invitation = Invitation.objects.get()
    # nobody else can answer it
    stranger = user_create(username="stranger", password=PASSWORD)
    refused = _signed_in(stranger).post(f"/settings/me/invitations/{invitation.pk}",
                                        {"answer": "accept"}, follow=True)  # fmt: skip
    assert "该邀请不存在" in _flash(refused) and roles_of(stranger, ours.taxpayer) == set()
    joined = invited.post(f"/settings/me/invitations/{invitation.pk}", {"answer": "accept"},
                          follow=True)  # fmt: skip
    assert ours.taxpayer.name in _flash(joined)
    assert roles_of(victim, ours.taxpayer) == {Role.ADMIN}
    types = set(AuditEvent.objects.values_list("type", flat=True))
    assert {"invitation.sent", "invitation.accepted", "role.granted"} <= types
    with pytest.raises(AccountError):  # answered once only
        invitation_answer(user=victim, invitation_id=invitation.pk, accept=False)


def test_a_declined_or_expired_invitation_grants_nothing(worlds: tuple[World, World]) -> None:
    ours, theirs = worlds
    boss = user_create(username="boss", password=PASSWORD)
    role_grant(user=boss, role=Role.ADMIN, taxpayer=ours.taxpayer, actor="root")
    victim = user_create(username="victim", password=PASSWORD)
    admin = _signed_in(boss)
    admin.post("/settings/users/change", {"action": "add", "username": "victim", "role": "issuer"})
    first = Invitation.objects.get()
    invitation_answer(user=victim, invitation_id=first.pk, accept=False)
    assert roles_of(victim, ours.taxpayer) == set()
    admin.post("/settings/users/change", {"action": "add", "username": "victim", "role": "issuer"})
    second = Invitation.objects.get(answered_at__isnull=True)
    later = timezone.now() + timedelta(days=8)
    with pytest.raises(AccountError, match="已过期"):
        invitation_answer(user=victim, invitation_id=second.pk, accept=True, now=later)
    assert roles_of(victim, ours.taxpayer) == set()
    # a user already in the enterprise gets another role at once
    role_grant(user=victim, role=Role.AUDITOR, taxpayer=ours.taxpayer, actor="root")
    admin.post("/settings/users/change", {"action": "add", "username": "victim", "role": "issuer"})
    assert roles_of(victim, ours.taxpayer) == {Role.AUDITOR, Role.ISSUER}
    assert roles_of(victim, theirs.taxpayer) == set()
