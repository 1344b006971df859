"""The password policy: length, character classes, history, expiry and forced change."""

import datetime
import itertools

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.forms import PolicyForm
from accounts.models import AuditAction, AuditEntry, PasswordHistory, SecurityPolicy, User

from ..factories import PASSWORD

CHANGE = reverse("accounts:password_change")


def _codes(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {e.code for e in error.error_list}
    return set()


@pytest.mark.django_db
def test_the_default_policy_meets_mlps():
    assert "password_too_short" in _codes("Ab1#defgh")  # 9 characters
    assert "password_too_simple" in _codes("abcdefghij12")  # 2 classes
    assert _codes("Abcdefgh#2") == set()  # 10 characters, 4 classes
    assert _codes("abcdefgh#2") == set()  # 3 classes are enough


def _change(client, old, new):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


def test_none_of_the_last_five_passwords_may_be_used_again(cast, client):
    user = cast.user("street_staff")
    client.force_login(user)
    passwords = [PASSWORD] + [f"Street#Pass{n}x" for n in range(1, 6)]
    for old, new in itertools.pairwise(passwords):
        assert _change(client, old, new).status_code == 302, new
        client.force_login(User.objects.get(pk=user.pk))
    current = passwords[-1]
    # The current one and the four before it are refused...
    for reused in passwords[-5:]:
        response = _change(client, current, reused)
        assert response.status_code == 200, reused
        assert "最近 5 次" in response.content.decode()
    # ...the sixth-last is allowed again.
    assert _change(client, current, passwords[0]).status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.PASSWORD_CHANGE).count() == 6


def test_history_keeps_a_bounded_number_of_hashes(cast):
    user = cast.user("street_staff")
    for n in range(30):
        user.set_password(f"Street#Pass{n}x")
        user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 24


def test_an_expired_password_must_be_changed_before_anything_else(cast):
    user = cast.user("street_staff")
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=91)
    )
    client = Client()
    client.post(reverse("accounts:login"), {"username": "street_staff", "password": PASSWORD})
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == CHANGE
    assert client.get(reverse("branches:branch_list")).status_code == 302
    page = client.get(CHANGE)
    assert page.status_code == 200
    assert "密码已过期" in page.content.decode()
    assert _change(client, PASSWORD, "Brand#New2026x").status_code == 302
    assert client.get(reverse("home")).status_code == 200
    user.refresh_from_db()
    assert timezone.now() - user.password_changed_at < datetime.timedelta(minutes=1)


def test_a_password_set_by_the_administrator_must_be_replaced_at_login(cast, client_for):
    admin = client_for("system_admin")
    response = admin.post(
        reverse("accounts:user_create"),
        {
            "username": "li.secretary",
            "full_name": "李书记",
            "password1": "Given#Pass2026",
            "password2": "Given#Pass2026",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="li.secretary")
    assert created.must_change_password
    client = Client()
    client.post(
        reverse("accounts:login"), {"username": "li.secretary", "password": "Given#Pass2026"}
    )
    assert client.get(reverse("home"))["Location"] == CHANGE
    # The administrator's password is in the history: it cannot be kept.
    assert _change(client, "Given#Pass2026", "Given#Pass2026").status_code == 200
    assert _change(client, "Given#Pass2026", "Own#Choice2026").status_code == 302
    assert client.get(reverse("home")).status_code == 200
    created.refresh_from_db()
    assert not created.must_change_password


def test_the_administrators_password_must_meet_the_policy(cast, client_for):
    response = client_for("system_admin").post(
        reverse("accounts:user_create"),
        {"username": "weak", "full_name": "弱", "password1": "short1", "password2": "short1"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="weak").exists()


def test_the_security_administrator_tightens_the_policy_and_it_is_audited(cast, client_for):
    values = {**SecurityPolicy.defaults(), "password_min_length": 14}
    response = client_for("security_admin").post(reverse("accounts:policy"), values)
    assert response.status_code == 302
    assert SecurityPolicy.current().password_min_length == 14
    assert "password_too_short" in _codes("Abcdefgh#2345")  # 13 characters now too short
    entry = AuditEntry.objects.filter(object_type="accounts.securitypolicy").get()
    assert entry.changes == {
        "before": {"password_min_length": 10},
        "after": {"password_min_length": 14},
    }
    assert entry.actor == cast.user("security_admin")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("password_min_length", 8),
        ("password_min_classes", 2),
        ("password_history", 3),
        ("password_max_age_days", 365),
        ("lockout_threshold", 20),
        ("idle_timeout_minutes", 120),
    ],
)
def test_the_policy_cannot_go_below_the_mlps_baseline(field, value):
    form = PolicyForm({**SecurityPolicy.defaults(), field: value})
    assert not form.is_valid()
    assert field in form.errors


@pytest.mark.django_db
def test_a_hasher_upgrade_at_login_is_not_a_password_change(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = User(username="old")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user.set_password(PASSWORD)
    user.save()
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=10)
    )
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = User.objects.get(pk=user.pk)
    assert user.check_password(PASSWORD)  # rehashed with PBKDF2 and saved
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_")
    assert timezone.now() - user.password_changed_at > datetime.timedelta(days=9)
    assert PasswordHistory.objects.filter(user=user).count() == 1
