"""Specs for the API's pages in the browser (api/urls.py, namespace api_admin).

三权分立: the system administrator manages API clients and their tokens; the security
administrator sees the clients (to grant their roles on the role pages) but changes
nothing here; the auditor alone reads the request log. The API documentation is for
anybody who holds a role."""

from api import services
from api.models import ApiClient, ApiToken

from . import LOGGED_IN, Spec

SYSTEM_ADMIN = frozenset({"system_admin"})
CLIENT_ADMINS = frozenset({"system_admin", "security_admin"})
AUDITOR = frozenset({"auditor"})
ROLE_HOLDERS = LOGGED_IN - {"outsider"}
NAME = "智慧党建平台"


def _client(cast) -> ApiClient:
    client = ApiClient.objects.filter(name=NAME).first()
    return client or services.client_create(
        name=NAME, rate_per_minute=60, actor=cast.user("system_admin")
    )


def _token(cast) -> ApiToken:
    client = _client(cast)
    token = client.tokens.first()
    if token is None:
        token, _raw = services.token_issue(client=client, days=30, actor=cast.user("system_admin"))
    return token


def _client_kwargs(cast):
    return {"pk": _client(cast).pk}


def _token_kwargs(cast):
    token = _token(cast)
    return {"pk": token.client_id, "token_pk": token.pk}


def _client_row(cast):
    client = ApiClient.objects.select_related("user").get(name=NAME)
    return (client.description, client.contact, client.rate_per_minute, client.version)


SPECS = [
    Spec("api_admin:client_list", ok=CLIENT_ADMINS),
    Spec(
        "api_admin:client_create",
        ok=SYSTEM_ADMIN,
        post=lambda c: {
            "name": "人事系统",
            "description": "原单位人事信息",
            "contact": "张工 13800000000",
            "rate_per_minute": 60,
        },
        state=lambda c: sorted(ApiClient.objects.values_list("name", flat=True)),
    ),
    Spec("api_admin:client_detail", kwargs=_client_kwargs, ok=CLIENT_ADMINS),
    Spec(
        "api_admin:client_edit",
        kwargs=_client_kwargs,
        ok=SYSTEM_ADMIN,
        post=lambda c: {
            "name": NAME,
            "description": "市级智慧党建平台同步",
            "contact": "李工",
            "rate_per_minute": 90,
            "version": _client(c).version,
        },
        state=_client_row,
    ),
    Spec(
        "api_admin:client_set_active",
        kwargs=_client_kwargs,
        ok=SYSTEM_ADMIN,
        post=lambda c: {},
        state=lambda c: ApiClient.objects.get(name=NAME).user.is_active,
    ),
    Spec(
        "api_admin:token_issue",
        kwargs=_client_kwargs,
        ok=SYSTEM_ADMIN,
        post=lambda c: {"label": "正式环境", "days": 90},
        state=lambda c: ApiToken.objects.count(),
    ),
    Spec("api_admin:token_new", kwargs=_token_kwargs, ok=SYSTEM_ADMIN),
    Spec(
        "api_admin:token_revoke",
        kwargs=_token_kwargs,
        ok=SYSTEM_ADMIN,
        post=lambda c: {},
        state=lambda c: list(ApiToken.objects.values_list("pk", "revoked_at")),
    ),
    Spec("api_admin:request_log", ok=AUDITOR),
    Spec("api_admin:docs", ok=ROLE_HOLDERS),
    Spec("api_admin:schema", ok=ROLE_HOLDERS),
]
