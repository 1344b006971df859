"""The API's pages in the browser: the system administrator's clients and tokens (a token
shown once), the security administrator's role grants to a client, the auditor's request
log (every query parameter read by a form), the retention of the log, 三权分立."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from api import services
from api.models import ApiClient, ApiRequest, ApiToken
from api.tasks import prune_api_requests
from branches.models import StaffRole

from ..otp import login_as
from .conftest import bearer, make_api_client

ME = "/api/v1/me/"
NAME = "智慧党建平台"


@pytest.fixture
def admin(cast, client):
    return login_as(client, cast.user("system_admin"), key="system_admin")


@pytest.fixture
def made(cast):
    return services.client_create(name=NAME, rate_per_minute=60, actor=cast.user("system_admin"))


def _text(response) -> str:
    return response.content.decode()


# --- The system administrator: clients and tokens ----------------------------------------


def test_the_system_admin_creates_a_client_with_a_service_account(admin, cast):
    response = admin.post(
        reverse("api_admin:client_create"),
        {"name": NAME, "description": "市级平台", "contact": "李工", "rate_per_minute": 90},
    )
    client = ApiClient.objects.get(name=NAME)
    assert response.status_code == 302
    assert response["Location"] == reverse("api_admin:client_detail", args=[client.pk])
    assert client.user.is_service_account and not client.user.has_usable_password()
    assert client.rate_per_minute == 90 and client.created_by == cast.user("system_admin")
    assert AuditEntry.objects.filter(object_type="api.apiclient", action=AuditAction.CREATE)


def test_a_second_client_of_the_same_name_is_refused_in_chinese(admin, made):
    response = admin.post(
        reverse("api_admin:client_create"), {"name": f" {NAME} ", "rate_per_minute": 60}
    )
    assert response.status_code == 200
    assert "已有接口客户端使用这个名称" in _text(response)
    assert ApiClient.objects.count() == 1


def test_a_token_is_shown_once_and_then_only_its_prefix(admin, made):
    response = admin.post(
        reverse("api_admin:token_issue", args=[made.pk]), {"label": "正式环境", "days": 30}
    )
    token = ApiToken.objects.get(client=made)
    assert response.status_code == 302
    assert response["Location"] == reverse("api_admin:token_new", args=[made.pk, token.pk])
    first = admin.get(response["Location"])
    assert "no-store" in first["Cache-Control"]
    raw = first.context["raw"]
    assert raw.startswith(token.prefix + ".") and raw in _text(first)
    assert "令牌只显示这一次" in _text(first)
    # Never again: not on a reload, not on the client's page.
    again = admin.get(response["Location"])
    assert again.context["raw"] == "" and raw not in _text(again)
    assert "已经显示过一次" in _text(again)
    detail = admin.get(reverse("api_admin:client_detail", args=[made.pk]))
    assert token.prefix in _text(detail) and raw not in _text(detail)
    # Nor in the audit trail.
    assert not any(raw in str(e.changes) for e in AuditEntry.objects.all())
    assert token.expires_at - timezone.now() > datetime.timedelta(days=29)


@pytest.mark.parametrize("days", ["0", "367", "-1", "²", "9" * 30, "3\x00", "1e3"])
def test_a_token_of_a_bad_validity_is_refused_in_chinese(admin, made, days):
    response = admin.post(reverse("api_admin:token_issue", args=[made.pk]), {"days": days})
    assert response.status_code == 200
    assert "请修改下面标出的内容" in _text(response)
    assert not ApiToken.objects.exists()


def test_a_revoked_token_gets_401_and_the_revocation_is_audited(admin, made, cast):
    token, raw = services.token_issue(client=made, days=30, actor=cast.user("system_admin"))
    assert bearer(raw).get(ME).status_code == 200
    url = reverse("api_admin:token_revoke", args=[made.pk, token.pk])
    assert "立即被拒绝" in _text(admin.get(url))
    assert admin.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == cast.user("system_admin")
    assert bearer(raw).get(ME).status_code == 401
    assert AuditEntry.objects.filter(object_type="api.apitoken", action=AuditAction.UPDATE)


def test_a_refused_genuine_token_is_logged_under_its_client(made, cast):
    token, raw = services.token_issue(client=made, days=30, actor=cast.user("system_admin"))
    services.token_revoke(token=token, actor=cast.user("system_admin"))
    assert bearer(raw).get(ME).status_code == 401
    assert bearer(f"{token.prefix}.forged").get(ME).status_code == 401
    rows = list(ApiRequest.objects.order_by("pk").values_list("client", "token", "status"))
    assert rows == [(made.pk, token.pk, 401), (None, None, 401)]


def test_a_token_of_another_client_is_not_found(admin, made, cast):
    other, _raw = make_api_client(name="人事系统", creator=cast.user("system_admin"))
    token = other.tokens.get()
    url = reverse("api_admin:token_revoke", args=[made.pk, token.pk])
    assert admin.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_disabling_a_client_refuses_its_tokens_until_enabled(admin, made, cast):
    _token, raw = services.token_issue(client=made, days=30, actor=cast.user("system_admin"))
    url = reverse("api_admin:client_set_active", args=[made.pk])
    assert admin.post(url).status_code == 302
    response = bearer(raw).get(ME)
    assert response.status_code == 401 and "停用" in response.json()["detail"]
    assert admin.post(url).status_code == 302
    assert bearer(raw).get(ME).status_code == 200
    changes = AuditEntry.objects.filter(object_type="api.apiclient", action=AuditAction.UPDATE)
    assert [e.changes["after"]["active"] for e in changes.order_by("pk")] == [False, True]


def _edit(admin, client, version, **changes):
    data = {
        "name": client.name,
        "description": client.description,
        "contact": client.contact,
        "rate_per_minute": client.rate_per_minute,
        "version": version,
        **changes,
    }
    return admin.post(reverse("api_admin:client_edit", args=[client.pk]), data)


def test_editing_saves_and_the_account_follows_the_name(admin, made):
    assert (
        _edit(admin, made, made.version, name="市智慧党建平台", rate_per_minute=30).status_code
        == 302
    )
    made.refresh_from_db()
    assert (made.name, made.rate_per_minute, made.version) == ("市智慧党建平台", 30, 2)
    assert made.user.full_name == "市智慧党建平台"


def test_two_admins_saving_at_once_the_second_gets_a_conflict_in_chinese(admin, made):
    opened = made.version
    assert _edit(admin, made, opened, contact="第一位").status_code == 302
    response = _edit(admin, made, opened, contact="第二位")
    assert response.status_code == 200
    assert "有人已保存了这个客户端" in _text(response)
    made.refresh_from_db()
    assert made.contact == "第一位" and made.version == opened + 1


def test_the_client_list_counts_tokens_use_and_requests_in_constant_queries(admin, cast):
    def add(n):
        for _i in range(n):
            client, _raw = make_api_client(
                name=f"系统{ApiClient.objects.count()}",
                roles_of=cast.user("community_secretary"),
                creator=cast.user("system_admin"),
            )
            ApiRequest.objects.create(
                client=client, method="GET", path=ME, status=200, duration_ms=3
            )
            ApiRequest.objects.create(
                client=client,
                method="GET",
                path=ME,
                status=200,
                duration_ms=3,
                at=timezone.now() - datetime.timedelta(days=2),
            )

    add(1)
    url = reverse("api_admin:client_list")
    admin.get(url)
    with CaptureQueriesContext(connection) as small:
        response = admin.get(url)
    [row] = response.context["page"].object_list
    assert (row.active_tokens, row.requests_24h) == (1, 1)
    add(4)
    with CaptureQueriesContext(connection) as large:
        response = admin.get(url)
    assert len(response.context["page"].object_list) == 5
    assert len(large) == len(small)
    role = cast.user("community_secretary").staff_roles.get()
    assert role.get_role_display() in _text(response)


# --- 三权分立 ---------------------------------------------------------------------------


def test_the_security_admin_sees_clients_but_cannot_create_them_or_issue_tokens(cast, client, made):
    login_as(client, cast.user("security_admin"), key="security_admin")
    page = client.get(reverse("api_admin:client_detail", args=[made.pk]))
    assert page.status_code == 200
    grant = f"{reverse('branches:role_grant')}?username={made.user.username}"
    assert grant in _text(page)
    assert reverse("api_admin:token_issue", args=[made.pk]) not in _text(page)
    assert (
        client.post(
            reverse("api_admin:client_create"), {"name": "X", "rate_per_minute": 1}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("api_admin:token_issue", args=[made.pk]), {"days": 9}).status_code
        == 404
    )
    assert ApiClient.objects.count() == 1 and not ApiToken.objects.exists()


def test_the_system_admin_cannot_grant_roles_to_a_client(admin, made, cast):
    response = admin.post(
        reverse("branches:role_grant"),
        {
            "username": made.user.username,
            "role": "community_secretary",
            "organization_code": cast.community_a.code,
        },
    )
    assert response.status_code == 404
    assert not made.user.staff_roles.exists()
    page = admin.get(reverse("api_admin:client_detail", args=[made.pk]))
    assert reverse("branches:role_grant") not in _text(page)


# --- The security administrator grants roles on the role pages ---------------------------


@pytest.fixture
def security(cast, client):
    return login_as(client, cast.user("security_admin"), key="security_admin")


def test_the_security_admin_grants_a_client_a_role_by_its_name(security, made, cast):
    page = security.get(f"{reverse('branches:role_grant')}?username={made.user.username}")
    assert f"为“接口客户端：{NAME}”授予角色" in _text(page)
    response = security.post(
        reverse("branches:role_grant"),
        {
            "username": NAME,
            "role": "community_secretary",
            "organization_code": cast.community_a.code,
        },
    )
    assert response.status_code == 302
    assert list(made.user.staff_roles.values_list("role", "organization")) == [
        ("community_secretary", cast.community_a.pk)
    ]
    roles = security.get(reverse("branches:role_list"))
    assert f"接口客户端：{NAME}" in _text(roles)


@pytest.mark.parametrize("role", ["system_admin", "security_admin", "auditor"])
def test_an_admin_role_for_a_client_is_refused_with_a_chinese_error(security, made, cast, role):
    response = security.post(
        reverse("branches:role_grant"),
        {"username": made.user.username, "role": role, "organization_code": cast.city.code},
    )
    assert response.status_code == 200
    assert "接口客户端不能担任管理员角色" in _text(response)
    assert not StaffRole.objects.filter(user=made.user).exists()


def test_the_workbench_names_a_client_waiting_for_a_role_as_such(security, made):
    assert f"接口客户端：{NAME}" in _text(security.get("/"))


# --- The auditor's request log -----------------------------------------------------------


@pytest.fixture
def auditor(cast, client):
    return login_as(client, cast.user("auditor"), key="auditor")


def _log(client_obj, status, days_ago=0, path=ME):
    return ApiRequest.objects.create(
        client=client_obj,
        method="GET",
        path=path,
        status=status,
        duration_ms=5,
        at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def test_the_request_log_filters_by_client_status_and_dates_newest_first(auditor, made, cast):
    other = services.client_create(
        name="人事系统", rate_per_minute=5, actor=cast.user("system_admin")
    )
    old = _log(made, 200, days_ago=10)
    refused = _log(made, 404, days_ago=1)
    new = _log(made, 200)
    _log(other, 200)
    _log(None, 401)
    url = reverse("api_admin:request_log")

    def rows(**query):
        response = auditor.get(url, query)
        assert response.status_code == 200
        return list(response.context["page"].object_list)

    assert rows(client=made.pk) == [new, refused, old]
    assert rows(client=made.pk, status="4xx") == [refused]
    today = timezone.localdate()
    assert rows(client=made.pk, since=today - datetime.timedelta(days=2)) == [new, refused]
    assert rows(client=made.pk, until=today - datetime.timedelta(days=5)) == [old]
    assert len(rows()) == 5


@pytest.mark.parametrize(
    "query",
    [
        {"client": "1\x00"},
        {"client": "²"},
        {"client": "9" * 40},
        {"client": "abc"},
        {"status": "6xx"},
        {"status": "2xx\x00"},
        {"since": "2026-02-30"},
        {"since": "99999-01-01"},
        {"until": "2026-01-01\x00"},
        {"since": "2026-05-02", "until": "2026-05-01"},
        {"page": "0"},
        {"page": "9" * 40},
        {"page": "²"},
        {"page": "x\x00"},
    ],
)
def test_a_bad_query_is_a_chinese_error_not_a_500(auditor, made, query):
    _log(made, 200)
    response = auditor.get(reverse("api_admin:request_log"), query)
    text = _text(response)
    if any("\x00" in value for value in query.values()):
        # The portal refuses a NUL in any address before a view runs (templates/bad_query.html).
        assert response.status_code == 400
        assert "无法" in text
        return
    assert response.status_code == 200
    assert "筛选条件无法识别" in text
    assert list(response.context["page"].object_list) == []


def test_a_page_past_the_end_shows_the_last_page(auditor, made):
    _log(made, 200)
    response = auditor.get(reverse("api_admin:request_log"), {"page": "50"})
    assert response.status_code == 200 and len(response.context["page"].object_list) == 1


def test_the_request_log_takes_the_same_queries_for_few_and_many_rows(auditor, made, cast):
    token, _raw = services.token_issue(client=made, days=3, actor=cast.user("system_admin"))
    ApiRequest.objects.create(
        client=made, token=token, method="GET", path=ME, status=200, duration_ms=1
    )
    url = reverse("api_admin:request_log")
    auditor.get(url)
    with CaptureQueriesContext(connection) as small:
        auditor.get(url)
    ApiRequest.objects.bulk_create(
        ApiRequest(client=made, token=token, method="GET", path=ME, status=s, duration_ms=1)
        for s in [200, 404, 429, 500] * 20
    )
    with CaptureQueriesContext(connection) as large:
        response = auditor.get(url)
    assert len(response.context["page"].object_list) == 50
    assert len(large) == len(small)


def test_the_request_log_is_the_auditors_alone(cast, client):
    for key in ("system_admin", "security_admin", "district_staff"):
        login_as(client, cast.user(key), key=key)
        assert client.get(reverse("api_admin:request_log")).status_code == 404


# --- Retention ------------------------------------------------------------------------


def test_pruning_deletes_rows_older_than_the_setting_and_is_audited(made, settings):
    settings.API_REQUEST_LOG_DAYS = 30
    kept = _log(made, 200, days_ago=29)
    _log(made, 200, days_ago=31)
    _log(None, 401, days_ago=400)
    assert prune_api_requests() == 2
    assert list(ApiRequest.objects.all()) == [kept]
    entry = AuditEntry.objects.get(object_type="api.apirequest")
    assert entry.action == AuditAction.DELETE and entry.changes["after"] == {"rows": 2}
    assert prune_api_requests() == 0
    assert AuditEntry.objects.filter(object_type="api.apirequest").count() == 1


def test_the_command_prunes_with_its_own_days(made, capsys):
    _log(made, 200, days_ago=10)
    _log(made, 200, days_ago=1)
    call_command("prune_api_requests", "--days", "5")
    assert ApiRequest.objects.count() == 1
    assert "1 API requests deleted" in capsys.readouterr().out


def test_pruning_runs_every_night_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["api-requests-prune"]
    assert entry["task"] == prune_api_requests.name == "api.prune_api_requests"
    assert settings.API_REQUEST_LOG_DAYS == 180


# --- The documentation -----------------------------------------------------------------


def test_the_docs_page_lists_each_endpoint_with_its_chinese_summary_without_scripts(cast, client):
    login_as(client, cast.user("community_secretary"))
    response = client.get(reverse("api_admin:docs"))
    text = _text(response)
    assert response.status_code == 200
    assert "GET /api/v1/me/" in text and "调用方客户端及其角色" in text
    assert "token_expires_at" in text and "所用令牌的到期时间" in text
    assert "没有令牌，或令牌无效" in text
    main = text[text.index("<main") : text.index("</main>")]
    assert "<script" not in main and " style=" not in main


def test_someone_without_a_role_gets_no_docs(cast, client):
    login_as(client, cast.user("outsider"))
    assert client.get(reverse("api_admin:docs")).status_code == 404
    assert client.get(reverse("api_admin:schema")).status_code == 404
