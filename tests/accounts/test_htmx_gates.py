"""htmx fragments and the log-in gates: before the log-in is complete no page carries a
fragment, and a fragment request that may not go on gets a bare status, never a page
(htmx would swap the whole log-in or second-factor page into the fragment's place)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts import sessions

from ..factories import PASSWORD
from ..otp import device_for, pass_second_factor

BADGE = reverse("reminders:unread_badge")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _password_login(username) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _bare(response, status):
    assert response.status_code == status
    assert "Location" not in response
    assert response.content == b""


def test_an_anonymous_fragment_request_gets_401_and_a_page_request_the_login(db):
    client = Client()
    _bare(client.get(BADGE, **HTMX), 401)
    assert client.get(BADGE)["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("key", ["system_admin", "security_admin", "auditor"])
@pytest.mark.parametrize("enrolled", [False, True], ids=["setup", "verify"])
def test_before_the_second_factor_fragments_get_403_and_no_page_asks_for_one(cast, key, enrolled):
    if enrolled:
        device_for(cast.user(key))
    client = _password_login(key)
    _bare(client.get(BADGE, **HTMX), 403)
    target = "accounts:otp_verify" if enrolled else "accounts:otp_setup"
    assert client.get(BADGE)["Location"].startswith(reverse(target))  # a page: redirected
    page = client.get(reverse(target))
    html = page.content.decode()
    assert page.status_code == 200
    assert "hx-" not in html and BADGE not in html
    assert html.count("<main") == 1
    assert reverse("accounts:logout") in html  # the way out stays
    # After the second factor the menu and its badge are back, and the badge answers.
    pass_second_factor(client, cast.user(key))
    assert BADGE in client.get(reverse("home")).content.decode()
    assert client.get(BADGE, **HTMX).status_code == 200


def test_a_required_password_change_refuses_fragments_and_renders_none(cast):
    client = _password_login("district_staff")
    session = client.session
    session[sessions.PASSWORD_CHANGE] = "expired"
    session.save()
    _bare(client.get(BADGE, **HTMX), 403)
    html = client.get(reverse("accounts:password_change")).content.decode()
    assert "hx-" not in html and BADGE not in html


def test_an_expired_session_answers_a_fragment_with_401(cast, clock):
    client = _password_login("district_staff")
    assert client.get(BADGE, **HTMX).status_code == 200
    clock.advance(minutes=31)
    _bare(client.get(BADGE, **HTMX), 401)
    assert "_auth_user_id" not in client.session
