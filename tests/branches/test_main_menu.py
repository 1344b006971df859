"""The main menu is kept per grants, language and login state (`{% kept_per_grants %}`):
each reader still gets the menu rendered for them, never another reader's."""

import pytest
from django.conf import settings
from django.urls import reverse

from branches.models import Role, StaffRole
from branches.templatetags import scope_tags
from tests.conftest import ROLE_USERS
from tests.otp import login_as

KEYS = [*ROLE_USERS, "outsider"]


def menu(client) -> str:
    text = client.get(reverse("accounts:password_change")).content.decode()
    start = text.index('<ul class="navbar-nav me-auto">')
    return text[start : text.index('<div class="user-box">', start)]


@pytest.fixture
def fresh():
    scope_tags._kept.clear()
    yield
    scope_tags._kept.clear()


def test_every_reader_gets_their_own_menu_once_others_are_kept(cast, client, fresh):
    alone = {}
    for key in KEYS:  # each rendered with nothing kept
        scope_tags._kept.clear()
        alone[key] = menu(login_as(client, cast.user(key), key=key))
    assert len(set(alone.values())) > 5  # the roles do see different menus
    for key in [*KEYS, *reversed(KEYS)]:  # now with every other reader's menu kept
        assert menu(login_as(client, cast.user(key), key=key)) == alone[key], key
    assert len(scope_tags._kept) == len(KEYS)  # the cast's grants all differ


def test_a_new_role_shows_in_the_menu_at_once(cast, client_for, fresh):
    client = client_for("branch_secretary")
    before = menu(client)
    assert reverse("reports:index") not in before
    StaffRole.objects.create(
        user=cast.user("branch_secretary"), role=Role.DISTRICT_STAFF, organization=cast.district_a
    )
    assert reverse("reports:index") in menu(client)


def test_the_menu_follows_the_language(cast, client_for, fresh):
    client = client_for("district_staff")
    assert "统计" in menu(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = menu(client)
    assert "Statistics" in english and "统计" not in english
