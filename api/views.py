"""The API's pages in the browser (not the API itself, which lives under /api/v1/).

- The system administrator (can_manage_users) creates, edits, disables and enables API
  clients and issues and revokes their tokens; a token is shown once, on the page right
  after it was issued.
- The security administrator (can_manage_roles) sees the clients and their roles, and
  grants roles on the role pages (branches.role_views), as for a person.
- The auditor (can_read_audit) reads the request log.
- Whoever holds a role reads the API documentation (the OpenAPI schema, rendered here).
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.access import MANAGE_ROLES, MANAGE_USERS, READ_AUDIT, capabilities
from accounts.access import require_capability as require
from accounts.forms import ConfirmForm

from . import docs, selectors, services
from .forms import ClientForm, RequestFilterForm, TokenIssueForm
from .models import ApiClient, ApiToken

CLIENT_PAGE = 25
REQUEST_PAGE = 50
NEW_TOKEN_KEY = "api_new_token"  # noqa: S105  (a session key, not a secret)


def _require_admin(request) -> frozenset:
    """The client pages: the system administrator, and the security administrator
    (read only, to grant roles). Everybody else: 404."""
    caps = capabilities(request.user)
    if not caps & {MANAGE_USERS, MANAGE_ROLES}:
        raise Http404
    return caps


def _get_client(pk) -> ApiClient:
    return get_object_or_404(ApiClient.objects.select_related("user"), pk=pk)


def client_list(request):
    caps = _require_admin(request)
    page = Paginator(selectors.clients(), CLIENT_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "api/client_list.html",
        {"page": page, "manages": MANAGE_USERS in caps, "grants": MANAGE_ROLES in caps},
    )


def client_create(request):
    require(request, MANAGE_USERS)
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client = services.client_create(
            name=data["name"],
            description=data["description"],
            contact=data["contact"],
            rate_per_minute=data["rate_per_minute"],
            actor=request.user,
            request=request,
        )
        messages.success(
            request,
            _(
                "API client %(name)s created. The security administrator grants its roles; "
                "then issue a token."
            )
            % {"name": client.name},
        )
        return redirect("api_admin:client_detail", pk=client.pk)
    return render(
        request,
        "accounts/form.html",
        {"form": form, "title": _("New API client"), "back": reverse("api_admin:client_list")},
    )


def client_detail(request, pk):
    caps = _require_admin(request)
    client = get_object_or_404(selectors.clients(), pk=pk)
    tokens = list(client.tokens.select_related("created_by", "revoked_by"))
    now = timezone.now()
    for token in tokens:
        token.is_usable = token.usable(now)
    return render(
        request,
        "api/client_detail.html",
        {
            "client": client,
            "roles": list(client.user.staff_roles.all()),
            "tokens": tokens,
            "manages": MANAGE_USERS in caps,
            "grants": MANAGE_ROLES in caps,
        },
    )


def client_edit(request, pk):
    require(request, MANAGE_USERS)
    client = _get_client(pk)
    initial = {
        "name": client.name,
        "description": client.description,
        "contact": client.contact,
        "rate_per_minute": client.rate_per_minute,
        "version": client.version,
    }
    form = ClientForm(request.POST or None, initial=initial, client=client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.client_update(
                client=client,
                version=data["version"],
                name=data["name"],
                description=data["description"],
                contact=data["contact"],
                rate_per_minute=data["rate_per_minute"],
                actor=request.user,
                request=request,
            )
        except services.ClientConflict:
            form.add_error(
                None,
                _(
                    "Somebody else saved this client while you were editing it. Nothing of "
                    "yours is saved: open the page again to see their changes."
                ),
            )
        else:
            messages.success(request, _("Saved."))
            return redirect("api_admin:client_detail", pk=client.pk)
    return render(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": _("Edit the API client %(name)s") % {"name": client.name},
            "back": reverse("api_admin:client_detail", args=[client.pk]),
        },
    )


def client_set_active(request, pk):
    require(request, MANAGE_USERS)
    client = _get_client(pk)
    active = client.user.is_active
    if request.method == "POST":
        services.client_set_active(
            client=client, active=not active, actor=request.user, request=request
        )
        messages.success(
            request,
            _("The API client is disabled: its tokens are refused from now on.")
            if active
            else _("The API client is enabled."),
        )
        return redirect("api_admin:client_detail", pk=client.pk)
    return render(
        request,
        "accounts/confirm.html",
        {
            "title": (
                _("Disable the API client %(name)s?")
                if active
                else _("Enable the API client %(name)s?")
            )
            % {"name": client.name},
            "explanation": _("Every request with its tokens is refused until it is enabled.")
            if active
            else _("Its tokens that have not expired or been revoked work again."),
            "button": _("Disable") if active else _("Enable"),
            "danger": active,
            "back": reverse("api_admin:client_detail", args=[client.pk]),
            "form": ConfirmForm(),
        },
    )


def token_issue(request, pk):
    require(request, MANAGE_USERS)
    client = _get_client(pk)
    form = TokenIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, raw = services.token_issue(
            client=client,
            days=form.cleaned_data["days"],
            label=form.cleaned_data["label"],
            actor=request.user,
            request=request,
        )
        # Kept in the session only until the next page shows it (once).
        request.session[NEW_TOKEN_KEY] = {"token": token.pk, "raw": raw}
        return redirect("api_admin:token_new", pk=client.pk, token_pk=token.pk)
    return render(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": _("Issue a token for %(name)s") % {"name": client.name},
            "back": reverse("api_admin:client_detail", args=[client.pk]),
        },
    )


@never_cache
def token_new(request, pk, token_pk):
    """The token just issued, shown this once: the session forgets it as it is shown."""
    require(request, MANAGE_USERS)
    token = get_object_or_404(ApiToken.objects.select_related("client"), pk=token_pk, client_id=pk)
    held = request.session.get(NEW_TOKEN_KEY) or {}
    raw = ""
    if held.get("token") == token.pk:
        raw = held.get("raw", "")
        del request.session[NEW_TOKEN_KEY]
    return render(request, "api/token_new.html", {"token": token, "raw": raw})


def token_revoke(request, pk, token_pk):
    require(request, MANAGE_USERS)
    token = get_object_or_404(ApiToken.objects.select_related("client"), pk=token_pk, client_id=pk)
    back = reverse("api_admin:client_detail", args=[pk])
    if request.method == "POST":
        services.token_revoke(token=token, actor=request.user, request=request)
        messages.success(request, _("The token is revoked: it is refused from now on."))
        return redirect(back)
    return render(
        request,
        "accounts/confirm.html",
        {
            "title": _("Revoke the token %(prefix)s of %(name)s?")
            % {"prefix": token.prefix, "name": token.client.name},
            "explanation": _(
                "Requests with this token are refused at once. The client needs a new token "
                "to go on."
            ),
            "button": _("Revoke the token"),
            "danger": True,
            "back": back,
            "form": ConfirmForm(),
        },
    )


def request_log(request):
    """The auditor's request log: every API request and its outcome, newest first."""
    require(request, READ_AUDIT)
    form = RequestFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        page = Paginator(selectors.requests().none(), REQUEST_PAGE).get_page(1)
    else:
        data = form.cleaned_data if form.is_bound else {}
        rows = selectors.requests(
            client=data.get("client"),
            status_class=data.get("status") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
        page = Paginator(rows, REQUEST_PAGE).get_page(data.get("page") or 1)
    return render(
        request,
        "api/request_log.html",
        {"form": form, "page": page, "log_days": settings.API_REQUEST_LOG_DAYS},
    )


def _require_role(request) -> None:
    if not capabilities(request.user):
        raise Http404


def api_docs(request):
    """The API's reference for integrators, from the OpenAPI schema, in the page's
    language; no script needed."""
    _require_role(request)
    return render(request, "api/docs.html", {"api": docs.reference()})


def api_schema(request):
    """The schema file (openapi.yaml, Chinese): the same as docs/api/openapi.yaml."""
    _require_role(request)
    return HttpResponse(docs.schema_yaml(), content_type="application/yaml; charset=utf-8")
