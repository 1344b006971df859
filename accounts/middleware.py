"""Per-request account policy: the login requirement, session expiry, then the
second-factor and password gates.

The gates run innermost (after messages, CSP and X-Frame-Options), so their redirects carry
every security header. Neither queries the database on an ordinary request: the session
limits are in the session, and the capability lookup is the one the page makes anyway.

An htmx request (HX-Request header) that a gate stops gets a bare status (401 before the
log-in, 403 while the log-in is unfinished), never a redirect: htmx follows redirects
and would swap the whole log-in or second-factor page into the fragment's place.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import sessions
from .access import needs_second_factor


def _static_path(path: str) -> bool:
    return path.startswith((settings.STATIC_URL, settings.MEDIA_URL, "/favicon.ico"))


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def htmx_refusal(status: int) -> HttpResponse:
    """The answer to a fragment request that may not go on: a status, no page."""
    return HttpResponse(status=status, content_type="text/plain; charset=utf-8")


def login_pending(request) -> str:
    """What an authenticated user must still do before any page: "second_factor",
    "password", or "" once the log-in is complete (also "" when not logged in)."""
    user = request.user
    if not user.is_authenticated:
        return ""
    if needs_second_factor(user) and not user.is_verified():
        return "second_factor"
    if request.session.get(sessions.PASSWORD_CHANGE):
        return "password"
    return ""


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's login requirement; an htmx request gets 401 instead of the log-in page."""

    def handle_no_permission(self, request, view_func):
        if is_htmx(request):
            return htmx_refusal(401)
        return super().handle_no_permission(request, view_func)


class SessionTimeoutMiddleware:
    """Log out a session idle for longer than the idle limit, or older than its lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _static_path(request.path) and request.user.is_authenticated:
            session = request.session
            if sessions.AUTH_AT not in session:
                # A session from before this policy: it starts counting now.
                sessions.stamp(session, request.user)
            reason = sessions.expired(session)
            if reason:
                request._logout_reason = reason
                logout(request)
                if is_htmx(request):
                    return htmx_refusal(401)
                messages.info(
                    request,
                    _("You were logged out after a period without activity. Please log in again.")
                    if reason == "idle"
                    else _("Your session has reached its time limit. Please log in again."),
                )
                return redirect_to_login(request.get_full_path())
            sessions.touch(session)
        return self.get_response(request)


class AccountGateMiddleware:
    """Send an admin-role user through the second factor, and anybody whose password
    expired or was set by an administrator to the password change, before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._otp_paths = None
        self._password_paths = None

    def _paths(self):
        if self._otp_paths is None:
            always = {
                reverse("accounts:logout"),
                reverse("accounts:large_mode"),
                reverse("set_language"),
            }
            self._otp_paths = always | {
                reverse("accounts:otp_setup"),
                reverse("accounts:otp_verify"),
            }
            self._password_paths = self._otp_paths | {
                reverse("accounts:password_change"),
                reverse("accounts:password_change_done"),
            }
        return self._otp_paths, self._password_paths

    def __call__(self, request):
        path = request.path
        if _static_path(path) or not request.user.is_authenticated:
            return self.get_response(request)
        otp_paths, password_paths = self._paths()
        pending = login_pending(request)
        if not pending or path in (otp_paths if pending == "second_factor" else password_paths):
            return self.get_response(request)
        if is_htmx(request):
            return htmx_refusal(403)
        if pending == "second_factor":
            from .models import TOTPDevice

            enrolled = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
            target = reverse("accounts:otp_verify" if enrolled else "accounts:otp_setup")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        if request.session[sessions.PASSWORD_CHANGE] == "reset":
            messages.info(request, _("Please choose your own password before going on."))
        else:
            messages.info(
                request, _("Your password has expired. Please choose a new one to go on.")
            )
        return redirect("accounts:password_change")
