"""Reminder pages: the inbox (everyone's own), the unread count in the header, the
preference page, the list of reminders that could not be delivered, and a member's
notice settings (their secretaries: can_edit_members over the member).

Who sees a failed reminder: its recipient, and the district staff of the district it is
about (can_review_reminders over the reminder's area: the branch or community it
concerns, or for a digest the recipient's own area). They can put it back in the queue
after the cause is fixed. Nobody else, not even other secretaries of the same community,
sees another person's reminders: out of scope answers 404.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.middleware import is_htmx
from activities.meetings.services.errors import MeetingConflict, RecordingError
from activities.meetings.views import get_meeting_for_user
from branches.access import EDIT_MEMBERS, RECORD_MEETING, VIEW_MEMBERS, get_for_user, scope_for
from branches.services import EditConflict
from members.models import Member

from . import replies, writes
from .forms import DeclinesExcuseForm, MemberMessagingForm, ReminderPreferenceForm
from .models import (
    MemberMessaging,
    MemberOptOut,
    ReceiptState,
    Reminder,
    ReminderDelivery,
    ReminderPreference,
    ReminderState,
    ReplyAnswer,
)

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
    # Also texts the provider took but could not bring to the phone (its receipt).
    undelivered = ReminderDelivery.objects.filter(
        reminder=OuterRef("pk"), receipt=ReceiptState.UNDELIVERED
    )
    failed = (
        _reviewable(request.user)
        .filter(Q(state=ReminderState.FAILED) | Exists(undelivered))
        .annotate(receipt_reason=Subquery(undelivered.values("receipt_reason")[:1]))
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


def meeting_notices(request, pk):
    """The meeting's SMS notices: whether each reached the phone, and each member's
    answer (will come, cannot come and why, no answer). A fragment the meeting's page
    loads (htmx), or a page of its own. Readers of the meeting see it; those who record
    it get the one-tap button. Three queries after the meeting."""
    meeting = get_meeting_for_user(request, pk)
    rows = replies.meeting_notices(meeting)
    can_record = scope_for(request.user).covers_branch(meeting.branch, RECORD_MEETING)
    declined = replies.to_excuse(meeting, rows) if can_record else []
    context = {
        "meeting": meeting,
        "branch": meeting.branch,
        "rows": rows,
        "counts": {
            "will_come": sum(r.answer == ReplyAnswer.WILL_COME for r in rows),
            "cannot_come": sum(r.answer == ReplyAnswer.CANNOT_COME for r in rows),
            "no_answer": sum(not r.answer for r in rows),
            "delivered": sum(r.receipt == ReceiptState.DELIVERED for r in rows),
            "undelivered": sum(r.receipt == ReceiptState.UNDELIVERED for r in rows),
        },
        "declined": declined,
        "excuse_form": (
            DeclinesExcuseForm(initial={"version": meeting.version}) if declined else None
        ),
    }
    template = "activities/reminders/meeting_notices.html"
    return render(request, template + "#notices" if is_htmx(request) else template, context)


def declines_excuse(request, pk):
    """One tap: the recorded meeting's lines of members who declined by SMS with a
    reason become 请假 with that reason. (GET: the same button on a page of its own,
    naming who and why.)"""
    meeting = get_meeting_for_user(request, pk, write=True)
    if request.method != "POST":
        rows = replies.meeting_notices(meeting)
        waiting = replies.to_excuse(meeting, rows)
        declined = [r for r in rows if r.answer == ReplyAnswer.CANNOT_COME and r.reason]
        return render(
            request,
            "activities/reminders/declines_excuse.html",
            {
                "meeting": meeting,
                "declined": declined,
                "excuse_form": (
                    DeclinesExcuseForm(initial={"version": meeting.version}) if waiting else None
                ),
            },
        )
    form = DeclinesExcuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The page was out of date: look again and tap once more."))
        return redirect("activities:meeting_detail", pk=meeting.pk)
    try:
        changed = replies.declines_excuse(
            meeting=meeting,
            actor=request.user,
            request=request,
            version=form.cleaned_data["version"],
        )
    except MeetingConflict:
        messages.error(
            request,
            _("Someone saved this meeting's attendance meanwhile: look again and tap once more."),
        )
    except RecordingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(n)d members who declined by text message are now recorded as excused.")
            % {"n": changed},
        )
    return redirect("activities:meeting_detail", pk=meeting.pk)


def member_settings(request, pk):
    """How notices reach one member: preferred channel, opt-outs, a family contact with
    the member's consent. Read: 404 outside the scope; without can_edit_members 403."""
    member = get_for_user(
        request,
        Member.objects.select_related("community", "home_branch"),
        pk,
        read=VIEW_MEMBERS,
        write=EDIT_MEMBERS,
    )
    chosen = MemberMessaging.objects.filter(member=member).select_related("updated_by").first()
    opt_outs = list(
        MemberOptOut.objects.filter(member=member).select_related("set_by").order_by("kind")
    )
    opted_out = {o.kind for o in opt_outs}
    form = MemberMessagingForm(
        request.POST or None,
        instance=chosen or MemberMessaging(member=member),
        opted_out=opted_out,
    )
    if request.method == "POST" and form.is_valid():
        try:
            writes.member_messaging_save(
                member=member,
                data=form.changes(),
                opted_out=set(form.cleaned_data["opted_out"]),
                version=form.cleaned_data.get("version") if chosen else None,
                actor=request.user,
                request=request,
            )
        except EditConflict as conflict:
            form.add_error(None, conflict)
        else:
            messages.success(
                request, _("The notice settings of %(name)s are saved.") % {"name": member.name}
            )
            return redirect("members:member_detail", pk=member.pk)
    return render(
        request,
        "activities/reminders/member_settings.html",
        {
            "member": member,
            "form": form,
            "chosen": chosen,
            "opt_outs": opt_outs,
            "quiet_from": settings.REMINDER_QUIET_FROM_HOUR,
            "quiet_until": settings.REMINDER_QUIET_UNTIL_HOUR,
        },
    )
