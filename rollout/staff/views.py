"""Staff accounts in bulk, after the import job (rollout.jobs, kind "staff") wrote them:
the batches, the security administrator's decision, resending links, and the public
activation page. Outside one's area: 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches.access import MANAGE_ROLES, MANAGE_USERS, scope_for

from . import services, tasks
from .forms import ActivateForm, DecisionForm
from .models import BatchState, GrantState
from .selectors import batch_lines, batches_for


def _require_admin(request):
    scope = scope_for(request.user)
    if not (scope.has(MANAGE_USERS) or scope.has(MANAGE_ROLES)):
        raise Http404
    return scope


def _get_batch(request, pk, capability=None):
    batches = batches_for(request.user)
    batch = batches.filter(pk=pk).first()
    if batch is None:
        raise Http404
    if capability and not scope_for(request.user).covers_path(batch.organization.path, capability):
        raise Http404
    return batch


def _base_url(request) -> str:
    return settings.REMINDER_SITE_URL or request.build_absolute_uri("/").rstrip("/")


@require_GET
def batch_list(request):
    scope = _require_admin(request)
    batches = batches_for(request.user).order_by("-created_at", "-pk")
    page = Paginator(batches, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "rollout/staff/batch_list.html",
        {"page": page, "can_import": scope.has(MANAGE_USERS)},
    )


@require_GET
def batch_detail(request, pk):
    batch = _get_batch(request, pk)
    scope = scope_for(request.user)
    lines = Paginator(batch_lines(batch), 100).get_page(request.GET.get("page"))
    can_decide = (
        scope.covers_path(batch.organization.path, MANAGE_ROLES)
        and batch.created_by_id != request.user.pk
        and batch.pending > 0
    )
    return render(
        request,
        "rollout/staff/batch_detail.html",
        {
            "batch": batch,
            "lines": lines,
            "can_decide": can_decide,
            "can_resend": scope.covers_path(batch.organization.path, MANAGE_USERS),
            "GrantState": GrantState,
            "decided": batch.state == BatchState.DECIDED,
        },
    )


@require_POST
def batch_decide(request, pk):
    batch = _get_batch(request, pk, MANAGE_ROLES)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The decision could not be read: try again."))
        return redirect("staff:batch", pk=batch.pk)
    data = form.cleaned_data
    grant_ids = [data["grant"]] if data.get("grant") else None
    try:
        decision = services.batch_decide(
            request=request,
            batch=batch,
            version=data["version"],
            approve=data["decision"] == "approve",
            grant_ids=grant_ids,
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("staff:batch", pk=batch.pk)
    if decision.approved:
        tasks.queue_links(decision.to_activate, _base_url(request))
        messages.success(
            request,
            _("%(n)d roles approved; %(links)d new accounts get their activation link.")
            % {"n": decision.approved, "links": len(decision.to_activate)},
        )
    else:
        messages.success(request, _("%(n)d roles rejected.") % {"n": decision.rejected})
    return redirect("staff:batch", pk=batch.pk)


@require_POST
def links_resend(request, pk):
    """A new link for one account of the batch (`user`), or for every account of it
    still waiting to activate; older links stop working."""
    batch = _get_batch(request, pk, MANAGE_USERS)
    ids = set(batch.grants.filter(state=GrantState.APPROVED).values_list("user_id", flat=True))
    named = request.POST.get("user", "")
    if named:
        if not named.isdigit() or int(named) not in ids:
            raise Http404
        ids = {int(named)}
    sent = services.links_send(
        user_ids=ids, base_url=_base_url(request), actor=request.user, request=request
    )
    messages.success(request, _("%(n)d activation links sent.") % {"n": sent})
    return redirect("staff:batch", pk=batch.pk)


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def activate(request, token):
    """The page the link opens: choose a password, then on to the workbench."""
    link = services.link_for_token(token)
    if link is None or not link.usable() or link.user.is_active:
        return render(request, "rollout/staff/activate_gone.html", {"link": link}, status=410)
    form = ActivateForm(request.POST or None, user=link.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_activate(
                request=request, token=token, password=form.cleaned_data["password1"]
            )
        except ValidationError:
            return render(request, "rollout/staff/activate_gone.html", {"link": link}, status=410)
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(request, _("Your password is set. Welcome!"))
        return redirect("home")
    return render(request, "rollout/staff/activate.html", {"form": form, "account": link.user})
