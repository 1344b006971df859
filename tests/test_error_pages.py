"""Error pages speak Chinese in the site's own style (issue 13, items 7 and 27).

Rendered as in production (DEBUG off): a refused change (403), an oversized form post
(400) and a form whose CSRF token is missing or stale (403).
"""

import pytest
from django.test import Client
from django.urls import reverse

from .test_chinese_ui import latin_words


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False


def _assert_styled_chinese(response, status, heading):
    page = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in page
    # It extends base.html: the site's style sheet, header and language switch.
    assert "css/portal.css" in page
    assert 'class="portal-header"' in page
    # A user with no full name is shown by user name: data, not wording.
    assert latin_words(page, frozenset({response.wsgi_request.user.get_username()})) == set()


def test_a_refused_change_answers_a_chinese_403(cast, client_for):
    # The district's staff may read member_a but only the secretaries may edit.
    client = client_for("district_staff")
    response = client.get(reverse("members:member_edit", kwargs={"pk": cast.member_a.pk}))
    _assert_styled_chinese(response, 403, "没有权限")
    assert "Forbidden" not in response.content.decode()


def test_a_form_post_with_too_many_fields_answers_a_chinese_400(settings, db):
    fields = {f"field{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = Client().post(reverse("accounts:login"), fields)
    _assert_styled_chinese(response, 400, "无法处理这次提交")


def test_a_form_post_too_large_for_memory_answers_a_chinese_400(settings, db):
    text = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = Client().post(reverse("accounts:login"), {"username": text, "password": "x"})
    _assert_styled_chinese(response, 400, "无法处理这次提交")


def test_a_post_without_a_valid_csrf_token_answers_a_chinese_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "a", "password": "b"})
    _assert_styled_chinese(response, 403, "页面已过期")
    assert "CSRF" not in response.content.decode()
