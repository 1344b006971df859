import base64
import re

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import audit, audit_display, selectors, services
from .access import MANAGE_ROLES, MANAGE_USERS, READ_AUDIT, needs_second_factor
from .access import require_capability as require
from .exports import audit_workbook
from .forms import (
    AuditFilterForm,
    ConfirmForm,
    LoginForm,
    PasswordResetForm,
    PolicyForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
)
from .models import AuditAction, AuditEntry, SecurityPolicy, TOTPDevice, User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(request=self.request, user=form.user)
        return response


def _safe_next(request, fallback="/"):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path of this site: redirect() would read a bare word as a view's name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_not_required
@require_POST
def large_mode_toggle(request):
    """Switch 大字版 on or off: stored on the user, or in the session before login."""
    enabled = request.POST.get("large_mode") == "on"
    if request.user.is_authenticated:
        request.user.large_mode = enabled
        request.user.save(update_fields=["large_mode"])
    else:
        request.session["large_mode"] = enabled
    return HttpResponseRedirect(_safe_next(request))


# --- Second factor -----------------------------------------------------------------------


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    # Sized by attributes (a style attribute would need 'unsafe-inline').
    svg = re.sub(r'width="[^"]*" height="[^"]*"', 'width="240" height="240"', svg, count=1)
    return svg.replace("<svg ", '<svg role="img" aria-labelledby="otp-qr-title" ', 1)


def _secret(device: TOTPDevice) -> str:
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def otp_setup(request):
    """First log-in of an admin-role user: add the portal to an authenticator app."""
    user = request.user
    if not needs_second_factor(user):
        raise Http404
    if user.is_verified() or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect(_next_url(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            services.second_factor_confirm(request=request, device=device)
            messages.success(request, _("The second factor is set up."))
            return redirect(_next_url(request))
        services.second_factor_failed(request=request)
        form.add_error("token", _("The code is wrong or has expired. Try the newest code."))
    uri = device.config_url
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": mark_safe(_qr_svg(uri)),  # noqa: S308  (generated SVG, no user text)
            "otpauth_uri": uri,
            "secret": _secret(device),
            "next": _next_url(request),
        },
    )


def otp_verify(request):
    """Every log-in of an admin-role user: the code from their authenticator app."""
    user = request.user
    if not needs_second_factor(user):
        raise Http404
    if user.is_verified():
        return redirect(_next_url(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return redirect(f"{reverse('accounts:otp_setup')}?{request.GET.urlencode()}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", _("Too many wrong codes. Please wait a minute and try again."))
        elif device.verify_token(form.cleaned_data["token"]):
            services.second_factor_passed(request=request, device=device)
            return redirect(_next_url(request))
        else:
            services.second_factor_failed(request=request)
            form.add_error("token", _("The code is wrong or has expired. Try the newest code."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


# --- User management (system administrator) ----------------------------------------------


def user_list(request):
    require(request, MANAGE_USERS)
    q = request.GET.get("q", "").strip()[:50]
    active = request.GET.get("active", "")
    role = request.GET.get("role", "")
    users = selectors.user_list(q=q, active=active, role=role)
    page = Paginator(users, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "q": q, "active": active, "role": role},
    )


def user_create(request):
    require(request, MANAGE_USERS)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.user_create(
            request=request,
            username=data["username"],
            password=data["password1"],
            full_name=data["full_name"],
            phone=data["phone"],
            email=data["email"],
        )
        messages.success(
            request,
            _("Account %(name)s created. Its owner must change the password at first log-in.")
            % {"name": user.username},
        )
        return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/form.html", {"form": form, "title": _("New account")})


def _get_user(pk) -> User:
    return get_object_or_404(User.objects.prefetch_related("staff_roles"), pk=pk)


def user_detail(request, pk):
    require(request, MANAGE_USERS)
    account = _get_user(pk)
    policy = SecurityPolicy.current()
    return render(
        request,
        "accounts/user_detail.html",
        {
            "account": account,
            "roles": list(account.staff_roles.all()),
            "password_expired": account.password_expired(policy.password_max_age_days),
            "has_second_factor": TOTPDevice.objects.filter(user=account, confirmed=True).exists(),
            "open_sessions": account.sessions.count(),
        },
    )


def user_edit(request, pk):
    require(request, MANAGE_USERS)
    account = _get_user(pk)
    initial = {"full_name": account.full_name, "phone": account.phone, "email": account.email}
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_update(request=request, user=account, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("accounts:user_detail", pk=account.pk)
    return render(
        request,
        "accounts/form.html",
        {"form": form, "title": _("Edit account %(name)s") % {"name": account.username}},
    )


def user_set_active(request, pk):
    """Disable (or enable again) an account, after a confirmation page."""
    require(request, MANAGE_USERS)
    account = _get_user(pk)
    if account.pk == request.user.pk:
        raise PermissionDenied
    if request.method == "POST":
        services.user_set_active(request=request, user=account, active=not account.is_active)
        messages.success(
            request,
            _("The account is enabled.")
            if account.is_active
            else _("The account is disabled and its sessions have ended."),
        )
        return redirect("accounts:user_detail", pk=account.pk)
    return render(
        request,
        "accounts/confirm.html",
        {
            "title": (
                _("Enable the account %(name)s?")
                if not account.is_active
                else _("Disable the account %(name)s?")
            )
            % {"name": account.username},
            "explanation": ""
            if not account.is_active
            else _("The person is logged out at once and cannot log in until enabled again."),
            "button": _("Enable") if not account.is_active else _("Disable"),
            "danger": account.is_active,
            "back": reverse("accounts:user_detail", args=[account.pk]),
            "form": ConfirmForm(),
        },
    )


def user_password_reset(request, pk):
    require(request, MANAGE_USERS)
    account = _get_user(pk)
    if account.pk == request.user.pk:
        raise PermissionDenied  # one's own password is changed on the password page
    if account.is_service_account:
        raise Http404  # an API client has a token, never a password
    form = PasswordResetForm(request.POST or None, user=account)
    if request.method == "POST" and form.is_valid():
        services.user_reset_password(
            request=request, user=account, password=form.cleaned_data["password1"]
        )
        messages.success(
            request,
            _("Password set. Its owner must change it at the next log-in."),
        )
        return redirect("accounts:user_detail", pk=account.pk)
    return render(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": _("Set a new password for %(name)s") % {"name": account.username},
        },
    )


def user_otp_reset(request, pk):
    """Remove someone's second factor (lost phone). The security administrator's job."""
    require(request, MANAGE_ROLES)
    account = _get_user(pk)
    if account.pk == request.user.pk:
        raise PermissionDenied
    if request.method == "POST":
        services.user_reset_second_factor(request=request, user=account)
        messages.success(
            request, _("The second factor is removed; a new one is set up at the next log-in.")
        )
        return redirect("branches:role_list")
    return render(
        request,
        "accounts/confirm.html",
        {
            "title": _("Reset the second factor of %(name)s?") % {"name": account.username},
            "explanation": _(
                "Their authenticator app stops working here and they are logged out. At the "
                "next log-in they set up a new one."
            ),
            "button": _("Reset the second factor"),
            "danger": True,
            "back": reverse("branches:role_list"),
            "form": ConfirmForm(),
        },
    )


# --- Security policy (security administrator) --------------------------------------------


def policy_edit(request):
    require(request, MANAGE_ROLES)
    policy = SecurityPolicy.current()
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        services.policy_update(
            request=request,
            values={name: form.cleaned_data[name] for name in SecurityPolicy.POLICY_FIELDS},
        )
        messages.success(request, _("The security policy is saved."))
        return redirect("accounts:policy")
    return render(request, "accounts/policy.html", {"form": form, "policy": policy})


# --- Audit log (auditor) -----------------------------------------------------------------


def _audit_filters(request) -> tuple[AuditFilterForm, dict]:
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        filters = {key: value for key, value in form.cleaned_data.items() if value}
    return form, filters


def audit_list(request):
    require(request, READ_AUDIT)
    form, filters = _audit_filters(request)
    page = Paginator(selectors.audit_entries(**filters), 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        entry.type_label = audit_display.type_label(entry.object_type)
        entry.object_text = audit_display.object_text(entry)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(
        request,
        "accounts/audit_list.html",
        {"form": form, "page": page, "export_query": export_query.urlencode()},
    )


def audit_detail(request, pk):
    require(request, READ_AUDIT)
    entry = get_object_or_404(AuditEntry, pk=pk)
    rows = audit_display.change_rows(entry, audit.masked_changes(entry.changes))
    return render(
        request,
        "accounts/audit_detail.html",
        {
            "entry": entry,
            "rows": rows,
            "type_label": audit_display.type_label(entry.object_type),
            "object_text": audit_display.object_text(entry),
        },
    )


def audit_export(request):
    """The filtered audit log as Excel. The export itself is audited."""
    require(request, READ_AUDIT)
    form, filters = _audit_filters(request)
    if request.GET and not form.is_valid():
        messages.error(request, _("Please correct the filter first."))
        return redirect(f"{reverse('accounts:audit_list')}?{request.GET.urlencode()}")
    limit = settings.AUDIT_EXPORT_MAX_ROWS
    entries = list(selectors.audit_entries(**filters)[:limit])
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type="accounts.auditentry",
        object_repr="audit log",
        after={"format": "xlsx", "filters": filters, "rows": len(entries)},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        audit_workbook(entries),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
    return response


def audit_check(request):
    """The auditor checks the chain from the page (the same as `manage.py audit_verify`)."""
    require(request, READ_AUDIT)
    if request.method == "POST":
        result = audit.verify()
        audit.record(
            AuditAction.VERIFY,
            request=request,
            object_type="accounts.auditentry",
            object_repr="audit chain",
            after={"checked": result.checked, "ok": result.ok, "broken": result.broken[:50]},
        )
        if result.ok:
            messages.success(
                request,
                _("The audit chain is intact: %(count)d entries checked.")
                % {"count": result.checked},
            )
        else:
            messages.error(
                request,
                _(
                    "The audit chain is broken: %(broken)d entries fail their check and "
                    "%(problems)d other problems were found. Report this at once."
                )
                % {"broken": len(result.broken), "problems": len(result.problems)},
            )
        return redirect("accounts:audit_check")
    return render(request, "accounts/audit_check.html", {"form": ConfirmForm()})
