"""Self check-in (扫码签到) pages.

The secretary's side (logged in, can_record_meeting over the branch): the QR page with
the close and reopen buttons, the live panel of the recording page (htmx polls it) and
the decision on a visitor. The member's side: one public page at the signed URL, no
log-in, plain HTML that finishes without JavaScript (WeChat's in-app browser): pick the
masked name (or type the full name), confirm with the last four digits of the phone
number on record. Abuse rules: activities.meetings.checkin (counters) and the docstring
of `checkin` below.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.audit import client_ip
from accounts.middleware import is_htmx
from accounts.query import query_pk
from branches.access import RECORD_MEETING, VIEW_MEMBERS, get_for_user, scope_for
from members.models import Member

from . import checkin, selectors
from .forms import CheckInDigitsForm, CheckInNameForm, VisitorDecisionForm
from .models import CheckInVisitor, Meeting, MeetingStatus, VisitorStatus, masked_person
from .services import checkins, errors
from .views import get_meeting_for_user

# --- The secretary's side ------------------------------------------------------------


def checkin_qr(request, pk):
    """The meeting's QR code, big, with its expiry; POST closes it now or opens it again."""
    meeting = get_meeting_for_user(request, pk, write=True)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "close":
            checkins.checkin_close(meeting=meeting, actor=request.user, request=request)
            messages.success(request, _("Self check-in is closed: the code no longer works."))
        elif action == "reopen" and meeting.status != MeetingStatus.CANCELLED:
            checkins.checkin_reopen(meeting=meeting, actor=request.user, request=request)
            messages.success(request, _("Self check-in is open again with a new code."))
        return redirect("activities:checkin_qr", pk=meeting.pk)
    window = checkin.window(meeting)
    url = checkin.checkin_url(request, meeting)
    shown = window.state in (checkin.State.OPEN, checkin.State.NOT_YET)
    roster = selectors.meeting_roster(meeting)
    return render(
        request,
        "activities/checkin/qr.html",
        {
            "meeting": meeting,
            "branch": meeting.branch,
            "window": window,
            "qr": checkin.qr_svg(url, size=320) if shown else "",
            "checked_in": sum(1 for row in roster if row.checked_in_at),
            "expected": len(roster),
        },
    )


def _panel_context(request, meeting):
    return {
        "meeting": meeting,
        "checkins": selectors.self_checkins(meeting),
        "visitors": list(meeting.visitors.exclude(status=VisitorStatus.REJECTED)),
        "can_record": scope_for(request.user).covers_branch(meeting.branch, RECORD_MEETING),
        "window": checkin.window(meeting),
        "poll": True,  # the swapped-in fragment keeps polling
    }


def checkin_live(request, pk):
    """Who checked in themselves and the visitors waiting: the recording page polls this
    fragment every few seconds (htmx), and it is a plain page without JavaScript."""
    meeting = get_meeting_for_user(request, pk)
    template = (
        "activities/checkin/live.html" if is_htmx(request) else "activities/checkin/live_page.html"
    )
    return render(request, template, _panel_context(request, meeting))


def checkin_visitor(request, pk):
    """Confirm or reject someone who checked in by a name not on the list."""
    visitor = get_for_user(
        request,
        CheckInVisitor.objects.select_related("meeting", "meeting__branch"),
        pk,
        read=VIEW_MEMBERS,
        write=RECORD_MEETING,
    )
    meeting = visitor.meeting
    if request.method == "POST":
        form = VisitorDecisionForm(request.POST)
        if form.is_valid():
            try:
                checkins.visitor_decide(
                    visitor=visitor,
                    confirm=form.cleaned_data["decision"] == "confirm",
                    actor=request.user,
                    request=request,
                )
            except errors.RecordingError as error:
                if not is_htmx(request):
                    messages.error(request, str(error))
        if is_htmx(request):
            return render(request, "activities/checkin/live.html", _panel_context(request, meeting))
        return redirect("activities:checkin_live", pk=meeting.pk)
    return render(
        request, "activities/checkin/visitor.html", {"visitor": visitor, "meeting": meeting}
    )


# --- The member's side (public) ------------------------------------------------------


def _public(request, template, context, status=200):
    return render(request, f"activities/checkin/{template}", context, status=status)


def _person(row) -> dict:
    return {"pk": row.member_id, "masked": masked_person(row.name), "group": row.group}


@login_not_required
@require_http_methods(["GET", "POST"])
def checkin_public(request, token):
    """The page the QR code opens.

    - A token that is not ours: 404. Closed, expired, not yet open or cancelled: a page
      saying so, in the member's words.
    - GET: the masked names of the list as big buttons, and a box to type a full name;
      `?who=<pk>` (someone on the list): the four digits, or that they already checked in
      (and when), or that there is no phone number on record (ask the secretary).
    - POST digits: right -> checked in (checkins.self_check_in), redirect to `?who=`;
      wrong -> one failure for the member and the address; after
      SELF_CHECKIN_MAX_FAILURES that member is locked for SELF_CHECKIN_LOCK_MINUTES.
    - POST a name: on the list -> the digits for them; not on it -> the visitor request
      (confirmed or rejected by the secretary), which counts as a failure for the address.
    """
    found = checkin.read_token(token)
    if found is None:
        raise Http404
    meeting = (
        Meeting.objects.select_related("branch", "party_group", "venue").filter(pk=found[0]).first()
    )
    if meeting is None:
        raise Http404
    window = checkin.window(meeting, round_=found[1])
    base = {
        "meeting": meeting,
        "window": window,
        "token": token,
        "lock_minutes": settings.SELF_CHECKIN_LOCK_MINUTES,
    }
    if not window.is_open:
        return _public(request, "closed.html", base)
    address = client_ip(request) or "-"
    here = reverse("activities:checkin", kwargs={"token": token})

    if request.method == "POST":
        if checkin.meeting_flooded(meeting.pk):
            return _public(request, "busy.html", base, status=429)
        if checkin.address_locked(meeting.pk, address):
            return _public(request, "locked.html", {**base, "whole_address": True}, status=429)
        if "digits" in request.POST:
            return _post_digits(request, meeting, base, address, here)
        return _post_name(request, meeting, base, address, here)

    who = query_pk(request.GET.get("who", ""))
    if who and (found := selectors.checkin_candidates(meeting, member_id=who)):
        form = CheckInDigitsForm(initial={"who": who})
        return _member_page(request, meeting, found[0], base, form)
    roster = selectors.checkin_candidates(meeting)
    return _public(
        request,
        "pick.html",
        {
            **base,
            "people": [_person(row) for row in roster],
            "name_form": CheckInNameForm(),
            "sent": request.GET.get("sent") == "1",
        },
    )


def _member_page(request, meeting, row, base, form, status=200):
    """One member's step: already checked in, locked, no phone on record, or the digits."""
    context = {**base, "person": _person(row), "form": form}
    if row.checked_in_at:
        context["checked_in_at"] = timezone.localtime(row.checked_in_at)
        return _public(request, "done.html", context, status=status)
    if row.status in ("present", "remote") and meeting.status == MeetingStatus.HELD:
        return _public(request, "done.html", {**context, "marked": True}, status=status)
    if checkin.member_locked(meeting.pk, row.member_id):
        return _public(request, "locked.html", context, status=429)
    member = Member.objects.only("phone").get(pk=row.member_id)
    if not checkin.phone_digits(member.phone):
        return _public(request, "no_phone.html", context, status=status)
    return _public(request, "digits.html", context, status=status)


def _post_digits(request, meeting, base, address, here):
    form = CheckInDigitsForm(request.POST)
    who = query_pk(request.POST.get("who", ""))
    found = selectors.checkin_candidates(meeting, member_id=who) if who else []
    if not found:
        return redirect(here)
    row = found[0]
    if row.checked_in_at or checkin.member_locked(meeting.pk, row.member_id):
        return _member_page(request, meeting, row, base, form)
    if not form.is_valid():  # not four digits: a typing slip, not a guess
        return _member_page(request, meeting, row, base, form)
    member = Member.objects.only("phone").get(pk=row.member_id)
    expected = checkin.phone_digits(member.phone)
    if not expected:
        return _member_page(request, meeting, row, base, form)
    if not form.matches(expected):
        failures = checkin.count_failure(meeting.pk, address=address, member_pk=row.member_id)
        left = max(0, settings.SELF_CHECKIN_MAX_FAILURES - failures)
        if left:
            form.add_error(
                "digits",
                _("These are not the last four digits on record. %(left)s tries left.")
                % {"left": left},
            )
        return _member_page(request, meeting, row, base, form, status=200 if left else 429)
    try:
        result = checkins.self_check_in(meeting=meeting, member_id=row.member_id, request=request)
    except errors.RecordingError:
        return _public(request, "closed.html", base)
    checkin.forget_failures(meeting.pk, row.member_id)
    if result.outcome == checkins.CheckInOutcome.CHECKED_IN:
        messages.success(request, _("You are checked in."))
    return redirect(f"{here}?who={row.member_id}")


def _post_name(request, meeting, base, address, here):
    roster = selectors.checkin_candidates(meeting)
    form = CheckInNameForm(request.POST)
    if not form.is_valid():
        return _public(
            request,
            "pick.html",
            {**base, "people": [_person(row) for row in roster], "name_form": form},
        )
    name = form.cleaned_data["name"]
    matches = [row for row in roster if "".join(row.name.split()) == name]
    if len(matches) == 1:
        return redirect(f"{here}?who={matches[0].member_id}")
    if matches:  # namesakes: pick among them by party group
        return _public(
            request,
            "pick.html",
            {**base, "people": [_person(row) for row in matches], "name_form": CheckInNameForm()},
        )
    if request.POST.get("visitor") != "1":
        # Not on the list: say so, and offer to ask the secretary to add them as a visitor.
        return _public(request, "visitor_ask.html", {**base, "name_form": form, "name": name})
    checkin.count_failure(meeting.pk, address=address)
    try:
        checkins.visitor_request(
            meeting=meeting, name=name, note=form.cleaned_data["note"], request=request
        )
    except errors.RecordingError:
        return _public(request, "closed.html", base)
    return redirect(f"{here}?sent=1")
