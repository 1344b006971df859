"""The whole path through the pages: the system administrator imports, the security
administrator decides (neither can do the other's step), the accounts get one-time links
and their owners choose a password and land on their workbench."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from activities.messaging.channels import LoggingSmsBackend
from branches.access import Role
from branches.models import StaffRole
from rollout.staff.models import ActivationLink, GrantBatch, GrantState, PendingGrant

from ...otp import login_as
from .conftest import import_rows, secretaries

User = get_user_model()


def as_role(client, cast, role):
    client.logout()
    login_as(client, cast.user(role), key=role)
    return client


def link_from_sms(phone):
    [sms] = [s for s in LoggingSmsBackend.outbox if s["phone"] == phone]
    return re.search(r"https://portal\.example\.cn(/activate/[\w-]+/)", sms["text"]).group(1)


def test_import_approve_activate_and_land_on_the_workbench(
    cast, client, settings, django_capture_on_commit_callbacks
):
    client = as_role(client, cast, "system_admin")
    job = import_rows(client, cast, secretaries(cast, 5))
    assert job.state == "done", (job.failure, job.errors)
    batch = GrantBatch.objects.get()
    assert batch.organization == cast.city and batch.created_by == cast.user("system_admin")
    new = User.objects.filter(pending_grants__batch=batch).distinct()
    assert new.count() == 5
    assert all(not u.is_active and not u.has_usable_password() for u in new)
    assert not StaffRole.objects.filter(user__in=new).exists()
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT, object_id=str(job.pk))
    assert len(entry.changes["batch"]) == 11  # the batch, 5 accounts, 5 grants

    # 三权分立: the system administrator cannot decide.
    response = client.post(
        reverse("staff:decide", args=[batch.pk]), {"version": 1, "decision": "approve"}
    )
    assert response.status_code == 404
    assert PendingGrant.objects.filter(state=GrantState.PENDING).count() == 5

    client = as_role(client, cast, "security_admin")
    page = client.get(reverse("staff:batch", args=[batch.pk]))
    assert page.status_code == 200 and page.context["can_decide"]
    # One line rejected first, then the rest approved as one batch.
    first = batch.grants.order_by("excel_row").first()
    client.post(
        reverse("staff:decide", args=[batch.pk]),
        {"version": 1, "decision": "reject", "grant": first.pk},
    )
    # A decision made on the stale page is refused.
    client.post(reverse("staff:decide", args=[batch.pk]), {"version": 1, "decision": "approve"})
    assert PendingGrant.objects.filter(state=GrantState.PENDING).count() == 4
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff:decide", args=[batch.pk]), {"version": 2, "decision": "approve"})
    batch.refresh_from_db()
    assert batch.state == "decided" and batch.decided_by == cast.user("security_admin")
    assert StaffRole.objects.filter(user__in=new, role=Role.BRANCH_SECRETARY).count() == 4
    assert len(LoggingSmsBackend.outbox) == 4  # not the rejected one
    assert ActivationLink.objects.filter(sent_at__isnull=False).count() == 4

    # The owner opens the link (logged out), chooses a password, lands on the workbench.
    client.logout()
    person = User.objects.get(pk=batch.grants.order_by("excel_row")[1].user_id)
    path = link_from_sms(person.phone)
    assert client.get(path).status_code == 200
    weak = client.post(path, {"password1": "123456", "password2": "123456"})
    assert weak.status_code == 200 and weak.context["form"].errors
    strong = "Branch#Secretary2026"
    response = client.post(path, {"password1": strong, "password2": strong})
    assert response.status_code == 302 and response.url == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200 and home.context["user"] == person
    person.refresh_from_db()
    assert person.is_active and person.check_password(strong)
    assert not person.must_change_password
    # Used once: the link now shows the Chinese "no longer works" page.
    client.logout()
    gone = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert gone.status_code == 410
    assert "此链接已失效" in gone.content.decode()


def test_the_security_administrator_cannot_import(cast, client):
    from rollout.jobs.models import ImportJob

    from ..conftest import upload
    from .conftest import HEADER

    client = as_role(client, cast, "security_admin")
    assert client.get(reverse("rollout_jobs:index")).status_code == 404
    rows = [HEADER, *secretaries(cast, 2)]
    data = {"kind": "staff", "node": cast.city.pk, "file": upload(rows)}
    assert client.post(reverse("rollout_jobs:index"), data).status_code == 404
    assert not ImportJob.objects.exists() and not GrantBatch.objects.exists()
    assert User.objects.filter(username__startswith="zhao").count() == 0


def test_whoever_imported_cannot_approve_their_batch(cast, client):
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    from rollout.staff import services

    admin = cast.user("system_admin")
    client = as_role(client, cast, "system_admin")
    import_rows(client, cast, secretaries(cast, 1))
    batch = GrantBatch.objects.get()
    request = RequestFactory().post("/")
    request.user = admin
    with pytest.raises(PermissionDenied):
        services.batch_decide(request=request, batch=batch, version=1, approve=True)
    assert not StaffRole.objects.filter(user__pending_grants__batch=batch).exists()


def test_an_expired_link_and_a_resent_link(
    cast, client, settings, django_capture_on_commit_callbacks
):
    client = as_role(client, cast, "system_admin")
    import_rows(client, cast, secretaries(cast, 1))
    batch = GrantBatch.objects.get()
    client = as_role(client, cast, "security_admin")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff:decide", args=[batch.pk]), {"version": 1, "decision": "approve"})
    person = User.objects.get(pending_grants__batch=batch)
    first = link_from_sms(person.phone)
    # The system administrator sends a new link: the first stops working.
    client = as_role(client, cast, "system_admin")
    response = client.post(reverse("staff:resend", args=[batch.pk]), {"user": person.pk})
    assert response.status_code == 302
    assert len(LoggingSmsBackend.outbox) == 2
    second = re.search(r"(/activate/[\w-]+/)", LoggingSmsBackend.outbox[1]["text"]).group(1)
    client.logout()
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    ActivationLink.objects.filter(user=person).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    strong = "Branch#Secretary2026"
    response = client.post(second, {"password1": strong, "password2": strong})
    assert response.status_code == 410
    person.refresh_from_db()
    assert not person.is_active and not person.has_usable_password()


def test_a_link_goes_by_e_mail_without_a_mobile(
    cast, client, settings, smtp, django_capture_on_commit_callbacks
):
    client = as_role(client, cast, "system_admin")
    import_rows(
        client, cast, [("王强", "wangqiang", "", "wq@example.cn", "街镇工作人员", "319901001")]
    )
    batch = GrantBatch.objects.get()
    client = as_role(client, cast, "security_admin")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff:decide", args=[batch.pk]), {"version": 1, "decision": "approve"})
    [message] = smtp.mailbox.values()
    assert message["To"] == "wq@example.cn"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "/activate/" in body and "wangqiang" in body


def test_the_import_command_checks_and_writes(cast, tmp_path):
    from django.core.management import CommandError, call_command

    from ..conftest import xlsx
    from .conftest import HEADER

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([HEADER, ("陈晨", "", "13900000003", "", "街镇工作人员", "999999999")]))
    with pytest.raises(CommandError):
        call_command("import_staff", str(bad), user="system_admin")
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([HEADER, *secretaries(cast, 3)]))
    call_command("import_staff", str(good), user="system_admin", dry_run=True)
    assert not GrantBatch.objects.exists()
    call_command("import_staff", str(good), user="system_admin")
    assert GrantBatch.objects.get().grants.count() == 3
    with pytest.raises(CommandError):
        call_command("import_staff", str(good), user="security_admin")
