"""The API's door: tokens (hash only, expiry, revocation, last use), the service account
(no password log-in, no admin roles), throttling per client and the request log."""

import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from api import services, tokens
from api.models import ApiRequest, ApiToken
from branches.access import Role
from branches.services import staff_role_grant

from .conftest import bearer, make_api_client

ME = "/api/v1/me/"


@pytest.fixture
def twin(cast):
    return make_api_client(
        name="智慧党建平台",
        roles_of=cast.user("community_secretary"),
        creator=cast.user("system_admin"),
    )


def test_the_token_authenticates_and_me_names_the_client_and_roles(twin, cast):
    _, raw = twin
    response = bearer(raw).get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["client"] == "智慧党建平台"
    assert [r["role"] for r in body["roles"]] == [Role.COMMUNITY_SECRETARY]
    assert body["roles"][0]["node"] == str(cast.community_a)


def test_only_the_digest_of_a_token_is_stored(twin):
    client, raw = twin
    token = ApiToken.objects.get(client=client)
    assert raw not in {token.prefix, token.digest}
    assert token.digest == tokens.digest(raw)
    assert raw.startswith(token.prefix + ".")


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer a b", "Token abc", "Bearer 0123456789ab.wrong", "Bearer x" * 40],
)
def test_missing_malformed_or_unknown_tokens_get_401(twin, client, header):
    from rest_framework.test import APIClient

    api = APIClient()
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_is_refused_at_once(twin, cast):
    client, raw = twin
    token = ApiToken.objects.get(client=client)
    services.token_revoke(token=token, actor=cast.user("system_admin"))
    response = bearer(raw).get(ME)
    assert response.status_code == 401
    assert "吊销" in response.json()["detail"]


def test_an_expired_token_is_refused(twin):
    client, raw = twin
    ApiToken.objects.filter(client=client).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = bearer(raw).get(ME)
    assert response.status_code == 401
    assert "过期" in response.json()["detail"]


def test_a_disabled_client_is_refused(twin):
    client, raw = twin
    client.user.is_active = False
    client.user.save()
    assert bearer(raw).get(ME).status_code == 401


def test_last_use_is_recorded(twin):
    client, raw = twin
    assert ApiToken.objects.get(client=client).last_used_at is None
    bearer(raw).get(ME)
    assert ApiToken.objects.get(client=client).last_used_at is not None


def test_token_lifetime_is_bounded(twin, cast):
    client, _ = twin
    with pytest.raises(ValidationError):
        services.token_issue(client=client, days=0, actor=cast.user("system_admin"))
    with pytest.raises(ValidationError):
        services.token_issue(
            client=client, days=services.MAX_TOKEN_DAYS + 1, actor=cast.user("system_admin")
        )


def test_the_service_account_cannot_log_in_with_a_password(twin, client):
    api_client, _ = twin
    api_client.user.set_password("Pass@word2026!")
    api_client.user.save()
    response = client.post(
        reverse("accounts:login"),
        {"username": api_client.user.username, "password": "Pass@word2026!"},
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR])
def test_an_api_client_cannot_hold_an_admin_role(twin, cast, rf, role):
    api_client, _ = twin
    request = rf.post("/")
    request.user = cast.user("security_admin")
    with pytest.raises(ValidationError):
        staff_role_grant(request=request, user=api_client.user, role=role)


def test_the_client_is_throttled_at_its_own_rate(cast):
    cache.clear()
    _, raw = make_api_client(
        name="限速",
        roles_of=cast.user("branch_secretary"),
        creator=cast.user("system_admin"),
        rate_per_minute=3,
    )
    api = bearer(raw)
    statuses = [api.get(ME).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]


def test_every_request_and_its_outcome_is_logged(twin):
    client, raw = twin
    bearer(raw).get(ME, {"x": "1"})
    bearer("0123456789ab.nope").get(ME)
    rows = list(ApiRequest.objects.order_by("pk"))
    assert [(r.client_id, r.method, r.path, r.query, r.status) for r in rows] == [
        (client.pk, "GET", ME, "x=1", 200),
        (None, "GET", ME, "", 401),
    ]
    assert rows[0].ip_address == "127.0.0.1"


def test_creating_a_client_and_issuing_and_revoking_a_token_is_audited(cast):
    from accounts.models import AuditEntry

    before = AuditEntry.objects.count()
    client, _ = make_api_client(name="审计", creator=cast.user("system_admin"))
    services.token_revoke(token=client.tokens.get(), actor=cast.user("system_admin"))
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "object_type")[before:])
    assert [a for a, _ in actions] == ["create", "create", "update"]


def test_no_password_can_be_set_for_an_api_client(twin, cast, client_for):
    api_client, _ = twin
    admin = client_for("system_admin")
    detail = admin.get(reverse("accounts:user_detail", args=[api_client.user.pk]))
    assert detail.status_code == 200
    assert reverse("accounts:user_password_reset", args=[api_client.user.pk]).encode() not in (
        detail.content
    )
    url = reverse("accounts:user_password_reset", args=[api_client.user.pk])
    assert (
        admin.post(url, {"password1": "Xy@2026abcdef", "password2": "Xy@2026abcdef"}).status_code
        == 404
    )
    api_client.user.refresh_from_db()
    assert not api_client.user.has_usable_password()
