"""Idle timeout, absolute lifetime, and sessions ended when an account is disabled."""

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import AuditAction, AuditEntry, SecurityPolicy, UserSession

from ..factories import PASSWORD

HOME = reverse("home")


def _logged_in(username):
    client = Client()
    assert (
        client.post(
            reverse("accounts:login"), {"username": username, "password": PASSWORD}
        ).status_code
        == 302
    )
    return client


def test_a_session_idle_for_over_30_minutes_is_logged_out(cast, clock):
    client = _logged_in("district_staff")
    clock.advance(minutes=29)
    assert client.get(HOME).status_code == 200  # still within the idle limit...
    clock.advance(minutes=29)
    assert client.get(HOME).status_code == 200  # ...and the request reset it
    clock.advance(minutes=31)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    logout = AuditEntry.objects.filter(action=AuditAction.LOGOUT).get()
    assert logout.changes["after"] == {"reason": "idle"}
    # the login page says why
    assert "长时间未操作" in client.get(response["Location"]).content.decode()


def test_an_active_session_still_ends_at_its_absolute_lifetime(cast, clock):
    client = _logged_in("district_staff")
    for _ in range(17):  # a request every 29 minutes for over eight hours
        clock.advance(minutes=29)
        response = client.get(HOME)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT).get().changes["after"] == {
        "reason": "lifetime"
    }


def test_the_policy_in_force_at_login_sets_the_limits(cast, clock):
    SecurityPolicy.objects.create(pk=1, **{**SecurityPolicy.defaults(), "idle_timeout_minutes": 10})
    client = _logged_in("district_staff")
    clock.advance(minutes=11)
    assert client.get(HOME).status_code == 302


def _session_writes(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    return [
        q
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "session" in q["sql"]
    ]


def test_last_seen_is_written_at_most_once_a_minute(cast, clock):
    client = _logged_in("district_staff")
    client.get(HOME)
    assert _session_writes(client) == []  # an ordinary request writes nothing
    clock.advance(minutes=2)
    assert len(_session_writes(client)) == 1


def test_disabling_an_account_ends_all_its_sessions(cast, client_for):
    phone, desk = _logged_in("street_staff"), _logged_in("street_staff")
    user = cast.user("street_staff")
    keys = set(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    assert len(keys) == 2
    admin = client_for("system_admin")
    response = admin.post(reverse("accounts:user_set_active", args=[user.pk]))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=user).exists()
    for client in (phone, desk):
        assert client.get(HOME).status_code == 302


def test_disabling_through_a_plain_save_ends_sessions_too(cast):
    _logged_in("street_staff")
    user = type(cast.user("street_staff")).objects.get(username="street_staff")
    user.is_active = False
    user.save()
    assert not UserSession.objects.filter(user=user).exists()
    assert Session.objects.count() == 0


def test_a_password_reset_by_the_administrator_ends_the_sessions(cast, rf):
    client = _logged_in("street_staff")
    request = rf.post("/")
    request.user = cast.user("system_admin")
    services.user_reset_password(
        request=request, user=cast.user("street_staff"), password="Xx#12345678a"
    )
    assert client.get(HOME).status_code == 302


def test_logging_out_forgets_the_session(cast):
    client = _logged_in("street_staff")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("accounts:logout"))
    assert not UserSession.objects.filter(session_key=key).exists()
    assert not Session.objects.filter(session_key=key).exists()
