"""Reminder pages: the inbox (everyone's own), the unread count in the header, the
preference page, and the list of reminders that could not be delivered.

Who sees a failed reminder: its recipient, and the district staff of the district it is
about (can_review_reminders over the reminder's area: the branch or community it
concerns, or for a digest the recipient's own area). They can put it back in the queue
after the cause is fixed. Nobody else, not even other secretaries of the same community,
sees another person's reminders: out of scope answers 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import writes
from .forms import ReminderPreferenceForm
from .models import Reminder, ReminderPreference, ReminderState

PAGE_SIZE = 30


def inbox(request):
    """The user's own reminders: open ones newest first, then those already resolved
    (done, or their day passed), apart. Two queries: count and page."""
    unread_only = request.GET.get("show") == "unread"
    items = Reminder.objects.mine(request.user).items()
    if unread_only:
        items = items.unread()
    resolved = ExpressionWrapper(Q(resolved_at__isnull=False), output_field=BooleanField())
    page = Paginator(items.order_by(resolved.asc(), "-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "activities/reminders/inbox.html",
        {"page": page, "unread_only": unread_only},
    )


@require_GET
def unread_badge(request):
    """The header's unread count, fetched by the page after it loads (htmx), so that no
    page pays a query for it. One COUNT on the inbox index; resolved items do not count."""
    count = Reminder.objects.mine(request.user).items().unread().count()
    return render(request, "activities/reminders/unread_badge.html", {"count": count})


def item(request, pk):
    """One reminder of one's own: GET shows it, POST marks it read and opens its page."""
    reminder = get_object_or_404(Reminder.objects.mine(request.user).items(), pk=pk)
    if request.method == "POST":
        writes.mark_read(user=request.user, reminder_ids=[reminder.pk])
        target = reminder.link
        if request.POST.get("open") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
        return redirect("reminders:inbox")
    return render(request, "activities/reminders/item.html", {"reminder": reminder})


def mark_all_read(request):
    if request.method == "POST":
        count = writes.mark_read(user=request.user)
        messages.success(request, _("%(n)d reminders marked as read.") % {"n": count})
        return redirect("reminders:inbox")
    unread = Reminder.objects.mine(request.user).items().unread().count()
    return render(request, "activities/reminders/mark_all_read.html", {"unread": unread})


def preferences(request):
    pref = ReminderPreference.objects.filter(user=request.user).first()
    pref = pref or ReminderPreference(user=request.user)
    form = ReminderPreferenceForm(request.POST or None, instance=pref, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your reminder settings are saved."))
        return redirect("reminders:preferences")
    return render(
        request,
        "activities/reminders/preferences.html",
        {"form": form, "pref": pref},
    )


def _reviewable(user):
    return Reminder.objects.reviewable_by(user).outbound()


def failed_list(request):
    """Reminders that could not be delivered, with the reason: one's own and, for
    district staff, those of their district. Two queries per page."""
    failed = (
        _reviewable(request.user)
        .filter(state=ReminderState.FAILED)
        .select_related("recipient", "member")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(failed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "activities/reminders/failed_list.html", {"page": page})


def failed_detail(request, pk):
    """One outbound reminder with each channel's outcome; POST puts a failed one back
    in the queue."""
    reminder = get_object_or_404(_reviewable(request.user).select_related("recipient"), pk=pk)
    if request.method == "POST":
        if writes.retry_failed(reminder=reminder, request=request):
            messages.success(request, _("It will be sent again within a minute."))
        else:
            messages.info(request, _("Only a failed reminder can be sent again."))
        return redirect("reminders:failed_list")
    deliveries = list(reminder.deliveries.order_by("channel"))
    return render(
        request,
        "activities/reminders/failed_detail.html",
        {
            "reminder": reminder,
            "deliveries": deliveries,
            "can_retry": reminder.state == ReminderState.FAILED,
        },
    )
