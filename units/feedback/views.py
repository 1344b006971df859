"""Feedback report pages (双向联系反馈表).

- The community (can_view_unit_work over its path to read, can_send_feedback to write):
  its page per half-year with one row per unit, generating a draft, the letter with its
  lines, the review, sending, marking the unit's reply read.
- The unit's liaison: the letters sent to their units (never drafts), acknowledging one
  with a reply (can_answer_feedback over the unit).
- The district (can_run_feedback_batch): its runs and their progress.

Outside the scope answers 404; inside the read scope without the write capability 403.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.access import (
    ANSWER_FEEDBACK,
    RUN_FEEDBACK_BATCH,
    SEND_FEEDBACK,
    VIEW_UNIT_WORK,
    get_for_user,
    require_capability,
    scope_for,
)
from branches.models import Level, Organization, OriginalUnit
from branches.pages import form_page

from . import selectors, services, tasks
from .forms import AcknowledgeForm, HalfChoiceForm, PlainForm, ReviewForm, RunForm, VersionForm
from .models import FeedbackRun, Half, LetterState, RunState

CONFIRM = "units/feedback/confirm.html"
LIAISON_YEARS = 3
RUNS_SHOWN = 20  # the liaison's page shows the letters of this many past years


def _community(request, pk, *, write=False):
    return get_for_user(
        request,
        Organization.objects.filter(level=Level.COMMUNITY),
        pk,
        read=VIEW_UNIT_WORK,
        write=SEND_FEEDBACK if write else None,
    )


def _letter(request, pk, *, write: str | None = None):
    """A letter the user reads (404 otherwise); with `write`, one they may change (403)."""
    letter = (
        selectors.visible_letters(request.user)
        .select_related("unit", "community", "reviewed_by", "sent_by", "acknowledged_by")
        .filter(pk=pk)
        .first()
    )
    if letter is None:
        raise Http404
    allowed = {
        SEND_FEEDBACK: selectors.can_send,
        ANSWER_FEEDBACK: selectors.can_answer,
    }
    if write and not allowed[write](request.user, letter):
        raise PermissionDenied
    return letter


def _half(year: int, half: int, today: datetime.date) -> tuple[int, int]:
    if not (2000 <= year <= today.year + 1 and half in Half.values):
        raise Http404
    return year, half


def _page_url(community, year, half) -> str:
    return f"{reverse('feedback:community', args=[community.pk])}?year={year}&half={half}"


def _posted(request):
    """The POST data, even when empty (a confirmation form has no fields)."""
    return request.POST if request.method == "POST" else None


# --- The community ----------------------------------------------------------------------------


def community_page(request, pk):
    community = _community(request, pk)
    today = timezone.localdate()
    choice = HalfChoiceForm(request.GET or None, today=today)
    year, half = choice.half_year()
    rows = selectors.community_units(community, year, half)
    return render(
        request,
        "units/feedback/community.html",
        {
            "community": community,
            "choice": choice,
            "year": year,
            "half": half,
            "half_label": Half(half).label,
            "years": list(range(today.year + 1, today.year - 4, -1)),
            "halves": Half.choices,
            "rows": rows,
            "to_send": sum(
                1 for row in rows if row.letter and row.letter.state == LetterState.DRAFT
            ),
            "replies": list(
                selectors.unread_replies(selectors.visible_letters(request.user)).filter(
                    community=community
                )
            ),
            "can_send": scope_for(request.user).covers_path(community.path, SEND_FEEDBACK),
        },
    )


def generate(request, pk, unit_pk, year, half):
    community = _community(request, pk, write=True)
    year, half = _half(year, half, timezone.localdate())
    unit = OriginalUnit.objects.filter(pk=unit_pk).first()
    if unit is None or not selectors.unit_is_here(unit.pk, community, year, half):
        raise Http404
    form = PlainForm(_posted(request), submit_label=_("Generate"))
    return form_page(
        request,
        form,
        lambda data: services.letter_generate(
            unit=unit,
            community=community,
            year=year,
            half=half,
            actor=request.user,
            request=request,
        ),
        template=CONFIRM,
        refusals=(services.FeedbackError,),
        done=_("The draft is ready. Review it, then send it to the unit."),
        success_url=lambda letter: reverse("feedback:letter", args=[letter.pk]),
        title=_("Generate the feedback report"),
        text=_(
            "%(unit)s · %(community)s · %(year)d %(half)s: the figures are read from the "
            "meetings, care visits, service roles and honours; remarks already written are kept."
        )
        % {"unit": unit.name, "community": community.name, "year": year, "half": Half(half).label},
        back=_page_url(community, year, half),
    )


def letter_page(request, pk):
    letter = _letter(request, pk)
    lines = list(letter.lines.all())
    return render(
        request,
        "units/feedback/letter.html",
        {
            "letter": letter,
            "lines": lines,
            "can_send": selectors.can_send(request.user, letter),
            "can_answer": selectors.can_answer(request.user, letter),
            "is_area": scope_for(request.user).covers_path(letter.community.path, VIEW_UNIT_WORK),
        },
    )


def review(request, pk):
    letter = _letter(request, pk, write=SEND_FEEDBACK)
    if letter.state != LetterState.DRAFT:
        messages.info(request, _("This report has already been sent."))
        return redirect("feedback:letter", pk=letter.pk)
    lines = list(letter.lines.all())
    form = ReviewForm(
        _posted(request),
        lines=lines,
        initial={"version": letter.version, "remarks": letter.remarks},
    )
    return form_page(
        request,
        form,
        lambda data: services.letter_review(
            letter=letter,
            remarks=data["remarks"],
            line_remarks=form.line_remarks(),
            version=data["version"],
            actor=request.user,
            request=request,
        ),
        template="units/feedback/review.html",
        refusals=(services.FeedbackError,),
        done=_("Review saved. The report can be sent to the unit now."),
        success_url=reverse("feedback:letter", args=[letter.pk]),
        letter=letter,
        lines=lines,
    )


def send(request, pk):
    letter = _letter(request, pk, write=SEND_FEEDBACK)
    form = VersionForm(
        _posted(request), initial={"version": letter.version}, submit_label=_("Send to the unit")
    )
    return form_page(
        request,
        form,
        lambda data: services.letter_send(
            letter=letter, version=data["version"], actor=request.user, request=request
        ),
        template=CONFIRM,
        refusals=(services.FeedbackError,),
        done=_("The report was sent to the unit."),
        success_url=reverse("feedback:letter", args=[letter.pk]),
        title=_("Send the report to the unit"),
        text=_(
            "%(unit)s will receive the report of %(n)d retirees. Once sent, its figures "
            "cannot be regenerated."
        )
        % {"unit": letter.unit.name, "n": letter.lines.count()},
        back=reverse("feedback:letter", args=[letter.pk]),
    )


def reply_read(request, pk):
    letter = _letter(request, pk, write=SEND_FEEDBACK)
    if letter.state != LetterState.ACKNOWLEDGED:
        raise Http404
    form = PlainForm(_posted(request), submit_label=_("Mark as read"))
    return form_page(
        request,
        form,
        lambda data: services.reply_read(letter=letter, actor=request.user, request=request),
        template=CONFIRM,
        done=_("Marked as read."),
        success_url=reverse("feedback:letter", args=[letter.pk]),
        title=_("The unit's reply"),
        text=letter.reply or _("The unit acknowledged the report without a reply."),
        back=reverse("feedback:letter", args=[letter.pk]),
    )


# --- The unit's liaison -------------------------------------------------------------------------


def unit_letters(request):
    require_capability(request, ANSWER_FEEDBACK)
    today = timezone.localdate()
    letters = list(selectors.unit_letters(request.user, today.year - LIAISON_YEARS))
    return render(
        request,
        "units/feedback/unit_letters.html",
        {
            "letters": letters,
            "to_acknowledge": sum(1 for letter in letters if letter.state == LetterState.SENT),
        },
    )


def acknowledge(request, pk):
    letter = _letter(request, pk, write=ANSWER_FEEDBACK)
    if letter.state != LetterState.SENT:
        messages.info(request, _("This report has already been acknowledged."))
        return redirect("feedback:letter", pk=letter.pk)
    form = AcknowledgeForm(_posted(request))
    return form_page(
        request,
        form,
        lambda data: services.letter_acknowledge(
            letter=letter, reply=data["reply"], actor=request.user, request=request
        ),
        template=CONFIRM,
        refusals=(services.FeedbackError,),
        done=_("Thank you: the community sees your acknowledgement."),
        success_url=reverse("feedback:letter", args=[letter.pk]),
        title=_("Acknowledge the feedback report"),
        text=_("%(community)s · %(year)d %(half)s")
        % {
            "community": letter.community.name,
            "year": letter.year,
            "half": letter.get_half_display(),
        },
        back=reverse("feedback:letter", args=[letter.pk]),
    )


# --- The district -------------------------------------------------------------------------------


def _district(request, pk, *, write=False):
    return get_for_user(
        request,
        Organization.objects.filter(level=Level.DISTRICT),
        pk,
        read=VIEW_UNIT_WORK,
        write=RUN_FEEDBACK_BATCH if write else None,
    )


def runs(request, pk):
    district = _district(request, pk)
    return render(
        request,
        "units/feedback/runs.html",
        {
            "district": district,
            "can_run": scope_for(request.user).covers_path(district.path, RUN_FEEDBACK_BATCH),
            "runs": list(FeedbackRun.objects.filter(district=district)[:RUNS_SHOWN]),
        },
    )


def run_start(request, pk):
    district = _district(request, pk, write=True)
    year, half = selectors.last_finished_half(timezone.localdate())
    form = RunForm(_posted(request), initial={"year": year, "half": half})

    def start(data):
        run = services.run_start(
            district=district,
            year=data["year"],
            half=data["half"],
            actor=request.user,
            request=request,
        )
        tasks.enqueue_run(run.pk)
        return run

    return form_page(
        request,
        form,
        start,
        template=CONFIRM,
        refusals=(services.FeedbackError,),
        done=_("The drafts are being generated."),
        success_url=lambda run: reverse("feedback:run", args=[run.pk]),
        title=_("Generate the half-year's reports"),
        text=_(
            "Generates a draft for every original unit and community of the district with "
            "registered retirees. Sent reports are left as they are."
        ),
        back=reverse("feedback:runs", args=[district.pk]),
    )


def run_page(request, pk):
    run = get_for_user(
        request,
        FeedbackRun.objects.select_related("district", "created_by"),
        pk,
        read=VIEW_UNIT_WORK,
    )
    return render(
        request,
        "units/feedback/run.html",
        {"run": run, "live": run.state in (RunState.QUEUED, RunState.RUNNING)},
    )
