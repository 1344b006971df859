"""Writes of the staff import: each one transaction, each audited.

三权分立 in bulk: the system administrator imports accounts (inactive, without a usable
password) and asks for their roles (`staff_import`); only a security administrator, never
the one who imported, decides the grants (`batch_decide`); approved accounts get a
one-time activation link (`links_send`) and choose their own password
(`account_activate`). Nobody ever receives a shared initial password.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.audit import Change
from accounts.models import AuditAction
from activities.messaging.channels import DeliveryError, Message, send_email, send_sms
from branches.models import StaffRole
from branches.services import ADMIN_ROLES
from rollout.jobs.plan import Action, Plan

from .models import ActivationLink, BatchState, GrantBatch, GrantState, LinkChannel, PendingGrant

logger = logging.getLogger("portal.rollout")


# Links marked sent in groups: one UPDATE per group, not a commit per message.
SENT_MARKED_EVERY = 200


def link_days() -> int:
    return settings.STAFF_ACTIVATION_DAYS


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BatchConflict(ValidationError):
    """The batch was decided (in part) since the page was shown."""


# --- the import (system administrator) ---------------------------------------------------


def staff_write(plan: Plan, *, node, actor, progress=None) -> list[Change]:
    """The import kind's writer (in the job's transaction, audited by the job as one
    batch): the plan's new accounts, inactive and without a usable password, and one
    GrantBatch of pending grants on the job's area. The audit changes."""
    rows = [row for row in plan.rows if row.action != Action.LEAVE]
    if not rows:
        return []
    user_model = get_user_model()
    new_users = {}
    for row in rows:
        if row.action == Action.ADD and row.key not in new_users:
            v = row.values
            new_users[row.key] = user_model(
                username=row.key,
                full_name=v["full_name"],
                phone=v["phone"],
                email=v["email"],
                is_active=False,
                password=make_password(None),
            )
    try:
        with transaction.atomic():
            user_model.objects.bulk_create(list(new_users.values()), batch_size=1000)
    except IntegrityError as error:
        raise ValidationError(
            _("An account with one of these user names was created meanwhile: check again.")
        ) from error
    batch = GrantBatch.objects.create(organization=node, created_by=actor)
    grants = [
        PendingGrant(
            batch=batch,
            excel_row=row.excel_row,
            user_id=row.target_id or new_users[row.key].pk,
            role=row.values["role"],
            organization_id=row.values["organization_id"],
            branch_id=row.values["branch_id"],
            original_unit_id=row.values["original_unit_id"],
        )
        for row in rows
    ]
    PendingGrant.objects.bulk_create(grants, batch_size=1000)
    profile = ("username", "full_name", "phone", "email", "is_active")
    return [
        Change(AuditAction.CREATE, batch, after={"rows": len(grants), "state": batch.state}),
        *(
            Change(AuditAction.CREATE, user, after={name: getattr(user, name) for name in profile})
            for user in new_users.values()
        ),
        *(
            Change(
                AuditAction.CREATE,
                grant,
                object_repr=f"{row.key} · {row.values['role']} · {row.values['node']}",
                after={
                    "row": grant.excel_row,
                    "role": grant.role,
                    "node": row.values["node"],
                    "state": GrantState.PENDING,
                },
            )
            for grant, row in zip(grants, rows, strict=True)
        ),
    ]


# --- the decision (security administrator) -----------------------------------------------


@dataclass(frozen=True)
class Decision:
    approved: int
    rejected: int
    to_activate: list[int]


@transaction.atomic
def batch_decide(
    *, request, batch: GrantBatch, version: int, approve: bool, grant_ids=None
) -> Decision:
    """Approve or reject the batch's pending grants (all, or those named). Approving
    creates the StaffRoles; the accounts that thereby get their first role are to be
    sent an activation link (after the commit: `queue_links`)."""
    actor = request.user
    if actor.pk == batch.created_by_id:
        raise PermissionDenied("Whoever imported the accounts does not approve their roles.")
    locked = GrantBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.version != version:
        raise BatchConflict(
            _("Someone decided on this batch meanwhile: look at it again before deciding.")
        )
    pending = PendingGrant.objects.filter(batch=locked, state=GrantState.PENDING)
    if grant_ids is not None:
        pending = pending.filter(pk__in=grant_ids)
    pending = list(pending.select_related("user", "organization", "branch", "original_unit"))
    if not pending:
        raise BatchConflict(_("Nothing in this batch waits for a decision."))
    if any(grant.user_id == actor.pk for grant in pending):
        raise PermissionDenied("Nobody decides on their own roles.")
    changes: list[Change] = []
    roles: list[StaffRole] = []
    if approve:
        user_ids = {grant.user_id for grant in pending}
        admins = set(
            StaffRole.objects.filter(user_id__in=user_ids, role__in=ADMIN_ROLES).values_list(
                "user_id", flat=True
            )
        )
        held = set(
            StaffRole.objects.filter(user_id__in=user_ids).values_list(
                "user_id", "role", "organization_id", "branch_id", "original_unit_id"
            )
        )
        for grant in pending:
            if grant.user_id in admins:
                raise ValidationError(
                    _("Row %(row)d: %(user)s holds an administrator role and can take no other.")
                    % {"row": grant.excel_row, "user": grant.user.username}
                )
            key = (
                grant.user_id,
                grant.role,
                grant.organization_id,
                grant.branch_id,
                grant.original_unit_id,
            )
            if key not in held:
                held.add(key)
                roles.append(
                    StaffRole(
                        user_id=grant.user_id,
                        role=grant.role,
                        organization_id=grant.organization_id,
                        branch_id=grant.branch_id,
                        original_unit_id=grant.original_unit_id,
                    )
                )
        StaffRole.objects.bulk_create(roles)
    state = GrantState.APPROVED if approve else GrantState.REJECTED
    PendingGrant.objects.filter(pk__in=[g.pk for g in pending]).update(state=state)
    for grant in pending:
        changes.append(
            Change(
                AuditAction.GRANT if approve else AuditAction.UPDATE,
                grant,
                object_repr=str(grant),
                before={"state": GrantState.PENDING},
                after={
                    "state": state,
                    "user": grant.user.username,
                    "role": grant.role,
                    "node": str(grant.node),
                },
            )
        )
    now = timezone.now()
    locked.version += 1
    locked.decided_by = actor
    locked.decided_at = now
    if not PendingGrant.objects.filter(batch=locked, state=GrantState.PENDING).exists():
        locked.state = BatchState.DECIDED
    locked.save(update_fields=["version", "decided_by", "decided_at", "state"])
    audit.record_batch(
        AuditAction.GRANT if approve else AuditAction.UPDATE,
        locked,
        changes=changes,
        request=request,
        after={"state": state, "rows": len(pending), "created": len(roles)},
    )
    batch.version, batch.state = locked.version, locked.state
    to_activate = []
    if approve:
        to_activate = list(
            get_user_model()
            .objects.filter(pk__in={g.user_id for g in pending}, is_active=False)
            .exclude(activation_links__used_at__isnull=False)
            .values_list("pk", flat=True)
            .distinct()
        )
    return Decision(
        approved=len(pending) if approve else 0,
        rejected=0 if approve else len(pending),
        to_activate=to_activate,
    )


# --- activation links ----------------------------------------------------------------------


def activation_message(*, user, url: str, expires: datetime.datetime) -> Message:
    until = timezone.localtime(expires).strftime("%Y-%m-%d %H:%M")
    text = _(
        "%(name)s, an account of the retired cadres' party-building portal was opened for "
        "you (user name %(username)s). Open this link to choose your password; it works "
        "once, until %(until)s: %(url)s"
    ) % {"name": user.display_name, "username": user.username, "until": until, "url": url}
    return Message(subject=_("Activate your portal account"), text=text, short=text)


def links_send(*, user_ids, base_url: str, actor=None, request=None) -> int:
    """A new one-time link for each account still waiting to activate (older links stop
    working), sent by SMS to a mobile or else by e-mail. The links are written and
    audited first; a failed send is kept on the link (resend from the batch page).
    The number sent."""
    user_model = get_user_model()
    now = timezone.now()
    expires = now + datetime.timedelta(days=link_days())
    with transaction.atomic():
        has_role = StaffRole.objects.filter(user=OuterRef("pk"))
        activated = ActivationLink.objects.filter(user=OuterRef("pk"), used_at__isnull=False)
        users = list(
            user_model.objects.select_for_update(of=("self",))
            .filter(Exists(has_role), ~Exists(activated), pk__in=list(user_ids), is_active=False)
            .order_by("pk")
        )
        if not users:
            return 0
        ActivationLink.objects.filter(
            user__in=users, used_at__isnull=True, replaced_at__isnull=True
        ).update(replaced_at=now)
        tokens = {user.pk: secrets.token_urlsafe(32) for user in users}
        links = ActivationLink.objects.bulk_create(
            ActivationLink(
                user=user,
                digest=token_digest(tokens[user.pk]),
                expires_at=expires,
                channel=LinkChannel.SMS if user.phone else LinkChannel.EMAIL,
            )
            for user in users
        )
        audit.record_batch(
            AuditAction.CREATE,
            object_type="rollout.activationlinks",
            object_repr=_("Activation links"),
            changes=[
                Change(
                    AuditAction.CREATE,
                    link,
                    object_repr=link.user.username,
                    after={"via": link.channel, "expires_at": expires},
                )
                for link in links
            ],
            actor=actor,
            request=request,
            after={"created": len(links)},
        )
    sent: list[int] = []
    for link in links:
        url = base_url + reverse("staff:activate", kwargs={"token": tokens[link.user_id]})
        message = activation_message(user=link.user, url=url, expires=expires)
        key = f"activation-{link.pk}"
        try:
            if link.channel == LinkChannel.SMS:
                send_sms(phone=link.user.phone, message=message, key=key)
            else:
                send_email(to=link.user.email, message=message, key=key)
        except (DeliveryError, OSError) as error:
            reason = getattr(error, "reason", str(error))
            logger.warning("activation link %s not sent: %s", link.pk, reason)
            ActivationLink.objects.filter(pk=link.pk).update(error=reason[:500])
        else:
            sent.append(link.pk)
            if len(sent) % SENT_MARKED_EVERY == 0:
                _mark_sent(sent[-SENT_MARKED_EVERY:])
    _mark_sent(sent[len(sent) - len(sent) % SENT_MARKED_EVERY :])
    return len(sent)


def _mark_sent(ids: list[int]) -> None:
    if ids:
        ActivationLink.objects.filter(pk__in=ids).update(sent_at=timezone.now())


def link_for_token(token: str) -> ActivationLink | None:
    if not token or len(token) > 100:
        return None
    return ActivationLink.objects.select_related("user").filter(digest=token_digest(token)).first()


@transaction.atomic
def account_activate(*, request, token: str, password: str):
    """Set the first password through a usable link: the account becomes active and
    every link of it stops working. The user, or ValidationError."""
    link = (
        ActivationLink.objects.select_for_update()
        .select_related("user")
        .filter(digest=token_digest(token))
        .first()
    )
    if link is None or not link.usable() or link.user.is_active:
        raise ValidationError(_("This link has expired or was used already."))
    user = link.user
    user.set_password(password)
    user.is_active = True
    user.must_change_password = False
    user.save(update_fields=["password", "is_active", "must_change_password"])
    now = timezone.now()
    link.used_at = now
    link.save(update_fields=["used_at"])
    ActivationLink.objects.filter(user=user, used_at__isnull=True).exclude(pk=link.pk).update(
        replaced_at=now
    )
    audit.record(
        AuditAction.UPDATE,
        user,
        actor=user,
        request=request,
        before={"is_active": False},
        after={"is_active": True, "via": "activation_link"},
    )
    return user
