"""What is due about care: visits overdue (naming the carers, with optional SMS notices
to carers without an account) and follow-ups past due."""

from __future__ import annotations

from django.db.models import (
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from accounts.formats import month_day
from activities.care.models import CareNeed, Carer, FollowUp
from activities.care.selectors import decorate, overdue_needs
from members.models import (
    MemberStatus,
)

from .due import Context, Due, page_link, setting, week_key
from .models import (
    ReminderKind,
)


def _carer_list(field_name: str, condition: Q) -> Subquery:
    """One string per need: `field_name` of its carers matching `condition`, joined by
    CARER_SEPARATOR (a correlated subquery, so the care question stays one query)."""
    return Subquery(
        Carer.objects.filter(condition, need=OuterRef("pk"))
        .order_by()
        .values("need")
        .annotate(joined=StringAgg(Cast(field_name, TextField()), Value(CARER_SEPARATOR)))
        .values("joined")
    )


CARER_SEPARATOR = "\x1f"  # never in a name typed into a form


def _split(joined: str | None) -> list[str]:
    return sorted(part for part in (joined or "").split(CARER_SEPARATOR) if part)


def carers_text(lead: str | None, helpers: list[str]) -> str:
    """ "王阿姨（主要结对人）、李明（结对人）": names and their part only (no phone, no
    relation to the member: digests go to group chats too)."""
    names = [_("%(name)s (lead carer)") % {"name": lead}] if lead else []
    names += [_("%(name)s (carer)") % {"name": name} for name in helpers]
    return _(", ").join(names)


def due_care_visits(ctx: Context) -> list[Due]:
    """Members whose care visit is overdue (care.selectors.overdue_needs), to the
    secretaries, naming the carers responsible; with CARE_SMS_TO_CARERS also an SMS
    once a week to each carer who is a member with a phone and no portal account (a
    carer with an account sees the member on their own weekly list). One query: the
    carers come as correlated subqueries."""
    needs = CareNeed.objects.open().filter(ctx.only_branches("member__home_branch_id"))
    overdue = decorate(
        list(
            overdue_needs(needs, ctx.today)
            .annotate(
                helper_carers=_carer_list("name", Q(is_lead=False)),
                texted_carers=_carer_list(
                    "helper_member_id",
                    Q(
                        user__isnull=True,
                        helper_member__status=MemberStatus.ACTIVE,
                    )
                    & ~Q(helper_member__phone=""),
                ),
            )
            .select_related("member__home_branch__organization")
        ),
        ctx.today,
    )
    texting = setting("CARE_SMS_TO_CARERS")
    dues = []
    for need in overdue:
        member = need.member
        if need.last_visit:
            title = _("Visit overdue: %(name)s, last visited %(days)d days ago") % {
                "name": member.name,
                "days": need.days_since,
            }
        else:
            title = _("Visit overdue: %(name)s has not been visited yet") % {"name": member.name}
        carers = carers_text(need.lead_carer, _split(need.helper_carers))
        if carers:
            title += _("; carers: %(carers)s") % {"carers": carers}
        else:
            title += _("; no carer assigned")
        dues.append(
            Due(
                ReminderKind.CARE_OVERDUE,
                f"care:{need.pk}",
                week_key(ctx.today),
                member.community.path,
                title,
                _("To be visited at least every %(n)d days.") % {"n": need.interval_days},
                page_link("care:member", pk=member.pk),
                need.due_on,
                frozenset(ctx.secretaries.for_member(member)),
            )
        )
        carer_members = frozenset(int(pk) for pk in _split(need.texted_carers)) - {member.pk}
        if texting and carer_members:
            # Only the member's name and the date the visit was due: an SMS may be read
            # by anyone holding the phone.
            dues.append(
                Due(
                    ReminderKind.CARE_NOTICE,
                    f"care:{need.pk}",
                    week_key(ctx.today),
                    member.community.path,
                    _("Please visit %(name)s this week (the visit was due on %(day)s).")
                    % {"name": member.name, "day": month_day(need.due_on, ctx.today)},
                    due_on=need.due_on,
                    members=carer_members,
                    sms_params={
                        "member": member.name,
                        "day": month_day(need.due_on, ctx.today),
                    },
                )
            )
    return dues


def due_follow_ups(ctx: Context) -> list[Due]:
    """Follow-ups past due, to the secretaries and the responsible account. One query.
    The matter itself is a care note: it is not repeated in the reminder."""
    items = (
        FollowUp.objects.past_due(ctx.today)
        .filter(ctx.only_branches("visit__member__home_branch_id"))
        .select_related("visit__member__community", "visit__member__home_branch__organization")
    )
    dues = []
    for item in items:
        member = item.visit.member
        users = ctx.secretaries.for_member(member)
        if item.owner_id:
            users.add(item.owner_id)
        dues.append(
            Due(
                ReminderKind.FOLLOW_UP_PAST_DUE,
                f"followup:{item.pk}",
                week_key(ctx.today),
                member.community.path,
                _("Follow-up for %(name)s past due (due %(day)s, responsible: %(owner)s)")
                % {
                    "name": member.name,
                    "day": month_day(item.due_on, ctx.today),
                    "owner": item.owner_name,
                },
                "",
                page_link("care:follow_up_edit", pk=item.pk),
                item.due_on,
                frozenset(users),
            )
        )
    return dues
