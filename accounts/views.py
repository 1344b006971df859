from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _safe_next(request, fallback="/"):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


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
