"""The Django admin: the system administrator only, and only behind the second factor."""

from django.contrib import admin
from django.urls import reverse

from accounts.models import AuditEntry, AuditHead
from branches.models import StaffRole

from ..factories import PASSWORD
from ..otp import device_for, login_as, pass_second_factor, totp_now


def _make_staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_the_django_admin_is_closed_to_portal_roles(cast, client):
    """No portal role makes an account Django-admin staff; the admin sends them to its login
    (the admin roles after passing their second factor)."""
    url = reverse("admin:index")
    for key in cast.users:
        login_as(client, cast.user(key), key=key)
        response = client.get(url)
        assert response.status_code == 302, key
        assert response["Location"].startswith(reverse("admin:login")), key


def test_a_verified_system_administrator_enters_the_admin_read_only(cast, client):
    user = _make_staff(cast.user("system_admin"))
    login_as(client, user, key="system_admin")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    # Accounts change on the portal's audited pages, not here.
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403


def test_staff_without_the_second_factor_is_sent_to_it_before_the_admin(cast, client):
    user = _make_staff(cast.user("system_admin"))
    device_for(user)
    client.force_login(user)  # password only
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))


def test_the_other_admin_roles_never_enter_the_admin_even_as_staff(cast, client):
    for key in ("security_admin", "auditor"):
        user = _make_staff(cast.user(key))
        login_as(client, user, key=key)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302, key
        assert response["Location"].startswith(reverse("admin:login")), key


def test_the_admin_login_form_wants_the_code_as_well_as_the_password(cast, client):
    user = _make_staff(cast.user("system_admin"))
    device = device_for(user)
    login_url = reverse("admin:login")
    response = client.post(login_url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200  # the form again: no code, no entry
    assert "_auth_user_id" not in client.session
    response = client.post(
        login_url,
        {"username": user.username, "password": PASSWORD, "otp_token": "000000"},
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(
        login_url,
        {
            "username": user.username,
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": totp_now(device),
            "next": reverse("admin:index"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert client.get(reverse("admin:index")).status_code == 200


def test_audit_entries_and_roles_are_not_in_the_admin():
    assert not admin.site.is_registered(AuditEntry)
    assert not admin.site.is_registered(AuditHead)
    assert not admin.site.is_registered(StaffRole)


def test_a_verified_session_is_bound_to_its_user(cast, client):
    """A device id in the session counts only for the device's own user."""
    other = cast.user("auditor")
    device = device_for(other)
    client.force_login(cast.user("security_admin"))
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    response = client.get(reverse("branches:role_list"))
    assert response.status_code == 302
    # Not verified: the security administrator has no device yet, so set-up comes first.
    assert response["Location"].startswith(reverse("accounts:otp_setup"))
    pass_second_factor(client, cast.user("security_admin"))
    assert client.get(reverse("branches:role_list")).status_code == 200
