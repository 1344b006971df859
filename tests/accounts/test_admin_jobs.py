"""三权分立: the system administrator manages accounts, the security administrator roles
and policy, the auditor reads the audit log; none can do another's job."""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts import audit
from accounts.models import AuditAction, AuditEntry, User
from branches.models import StaffRole

from .conftest import audit_guard_off

USER_PAGES = ["accounts:user_list", "accounts:user_create"]
ROLE_PAGES = ["branches:role_list", "branches:role_grant", "accounts:policy"]
AUDIT_PAGES = ["accounts:audit_list", "accounts:audit_export", "accounts:audit_check"]
JOBS = {"system_admin": USER_PAGES, "security_admin": ROLE_PAGES, "auditor": AUDIT_PAGES}


@pytest.mark.parametrize("key", sorted(JOBS))
def test_each_admin_role_reaches_its_own_pages_and_none_of_the_others(cast, client_for, key):
    client = client_for(key)
    for job, pages in JOBS.items():
        for name in pages:
            status = client.get(reverse(name)).status_code
            assert status == (200 if job == key else 404), (key, name)


def test_the_system_administrator_cannot_grant_themself_a_role(cast, client_for):
    client = client_for("system_admin")
    before = list(StaffRole.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("branches:role_grant"),
        {"username": "system_admin", "role": "auditor", "organization_code": cast.city.code},
    )
    assert response.status_code == 404
    assert list(StaffRole.objects.values_list("pk", flat=True)) == before


def _grant(client, **data):
    return client.post(reverse("branches:role_grant"), data)


def test_granting_and_revoking_roles_is_audited(cast, client_for):
    client = client_for("security_admin")
    response = _grant(
        client, username="outsider", role="street_staff", organization_code=cast.street_a.code
    )
    assert response.status_code == 302
    staff_role = StaffRole.objects.get(user=cast.user("outsider"))
    grant = AuditEntry.objects.get(action=AuditAction.GRANT)
    assert grant.actor == cast.user("security_admin")
    assert grant.changes["after"]["role"] == "street_staff"
    assert grant.changes["after"]["node"] == cast.street_a.name
    response = client.post(reverse("branches:role_revoke", args=[staff_role.pk]))
    assert response.status_code == 302
    assert not StaffRole.objects.filter(pk=staff_role.pk).exists()
    revoke = AuditEntry.objects.get(action=AuditAction.REVOKE)
    assert revoke.changes["before"]["role"] == "street_staff"


def test_a_system_administrator_role_makes_admin_staff_and_revoking_undoes_it(cast, client_for):
    client = client_for("security_admin")
    assert (
        _grant(
            client, username="outsider", role="system_admin", organization_code=cast.city.code
        ).status_code
        == 302
    )
    outsider = User.objects.get(username="outsider")
    assert outsider.is_staff
    staff_role = StaffRole.objects.get(user=outsider)
    client.post(reverse("branches:role_revoke", args=[staff_role.pk]))
    outsider.refresh_from_db()
    assert not outsider.is_staff


def test_admin_roles_are_never_combined_on_one_account(cast, client_for):
    client = client_for("security_admin")
    response = _grant(
        client, username="auditor", role="system_admin", organization_code=cast.city.code
    )
    assert response.status_code == 200
    assert "管理员账户不能兼任其他角色" in response.content.decode()
    response = _grant(
        client, username="auditor", role="district_staff", organization_code=cast.district_a.code
    )
    assert response.status_code == 200
    assert StaffRole.objects.filter(user=cast.user("auditor")).count() == 1


def test_the_security_administrator_cannot_change_their_own_roles(cast, client_for):
    client = client_for("security_admin")
    response = _grant(
        client, username="security_admin", role="auditor", organization_code=cast.city.code
    )
    assert response.status_code == 200
    own = StaffRole.objects.get(user=cast.user("security_admin"))
    client.post(reverse("branches:role_revoke", args=[own.pk]))
    assert StaffRole.objects.filter(pk=own.pk).exists()


def test_a_role_is_granted_only_on_a_node_that_exists(cast, client_for):
    client = client_for("security_admin")
    response = _grant(client, username="outsider", role="branch_secretary", branch_number=999999)
    assert response.status_code == 200
    response = _grant(
        client, username="outsider", role="branch_secretary", branch_number=cast.branch_a.pk
    )
    assert response.status_code == 302
    assert StaffRole.objects.get(user=cast.user("outsider")).branch == cast.branch_a


def test_the_system_administrator_cannot_disable_themself(cast, client_for):
    client = client_for("system_admin")
    me = cast.user("system_admin")
    assert client.post(reverse("accounts:user_set_active", args=[me.pk])).status_code == 403
    me.refresh_from_db()
    assert me.is_active


def test_disabling_and_enabling_an_account_is_audited(cast, client_for):
    client = client_for("system_admin")
    target = cast.user("outsider")
    url = reverse("accounts:user_set_active", args=[target.pk])
    assert "停用账户" in client.get(url).content.decode()
    client.post(url)
    client.post(url)
    changes = [
        e.changes["after"]
        for e in AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(target.pk))
    ]
    assert changes == [{"is_active": True}, {"is_active": False}]  # newest first


def test_the_user_list_costs_the_same_with_more_accounts(
    cast, client_for, django_assert_num_queries
):
    client = client_for("system_admin")
    client.get(reverse("accounts:user_list"))
    # session, user, scope (the gate's capability lookup, reused by the page),
    # the device (verified session), count, one page of users, their roles
    with django_assert_num_queries(7):
        client.get(reverse("accounts:user_list"))
    for n in range(30):
        User.objects.create_user(username=f"extra{n}", password="x")
    with django_assert_num_queries(7):
        client.get(reverse("accounts:user_list"))


# --- The audit pages ---------------------------------------------------------------------


def _some_entries(cast):
    audit.record(
        AuditAction.UPDATE,
        cast.branch_a,
        actor=cast.user("district_staff"),
        before={"phone": "13812345678", "id_number": "110101194910010012"},
        after={"phone": "13900001111", "name": '=HYPERLINK("x")'},
    )
    audit.record(AuditAction.DELETE, cast.venue_b, actor=cast.user("community_b_secretary"))


def test_the_auditor_filters_the_audit_log(cast, client_for):
    _some_entries(cast)
    client = client_for("auditor")
    url = reverse("accounts:audit_list")
    page = client.get(url, {"user": "district_staff"})
    entries = list(page.context["page"].object_list)
    assert {e.actor_name for e in entries} == {"district_staff"}
    page = client.get(url, {"action": "delete"})
    assert [e.object_type for e in page.context["page"].object_list] == ["branches.venue"]
    page = client.get(url, {"object_type": "branches.branch"})
    assert all(e.object_type == "branches.branch" for e in page.context["page"].object_list)
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    assert client.get(url, {"date_from": tomorrow}).context["page"].paginator.count == 0
    # failed log-ins are found by the name that was tried
    Client().post(reverse("accounts:login"), {"username": "nobody", "password": "x"})
    found = client.get(url, {"user": "nobody"}).context["page"].object_list
    assert [e.action for e in found] == [AuditAction.LOGIN_FAILED]


def test_the_audit_log_shows_no_full_id_or_phone_number(cast, client_for):
    _some_entries(cast)
    client = client_for("auditor")
    entry = AuditEntry.objects.filter(object_type="branches.branch").get()
    html = client.get(reverse("accounts:audit_detail", args=[entry.pk])).content.decode()
    assert "13812345678" not in html and "110101194910010012" not in html
    assert "138****5678" in html


def test_the_export_is_masked_formula_safe_and_audited(cast, client_for):
    _some_entries(cast)
    client = client_for("auditor")
    response = client.get(reverse("accounts:audit_export"), {"user": "district_staff"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2  # header + the one entry of district_staff
    text = " ".join(str(cell) for row in rows for cell in row)
    assert "13812345678" not in text and "110101194910010012" not in text
    assert not any(isinstance(c, str) and c.startswith("=") for row in rows for c in row)
    export = AuditEntry.objects.filter(action=AuditAction.EXPORT).get()
    assert export.actor == cast.user("auditor")
    assert export.changes["after"] == {
        "format": "xlsx",
        "filters": {"user": "district_staff"},
        "rows": 1,
    }


def test_the_audit_list_costs_the_same_with_more_entries(
    cast, client_for, django_assert_num_queries
):
    _some_entries(cast)
    client = client_for("auditor")
    client.get(reverse("accounts:audit_list"))
    # session, user, scope, device, count, one page of entries
    with django_assert_num_queries(6):
        client.get(reverse("accounts:audit_list"))
    audit.record_many([audit.Change(AuditAction.CREATE, cast.branch_a)] * 120)
    with django_assert_num_queries(6):
        response = client.get(reverse("accounts:audit_list"), {"page": 2})
    assert len(response.context["page"].object_list) == 50


def test_the_auditor_checks_the_chain_from_the_page(cast, client_for):
    _some_entries(cast)
    client = client_for("auditor")
    response = client.post(reverse("accounts:audit_check"), follow=True)
    assert "审计链完整" in response.content.decode()
    with audit_guard_off():
        AuditEntry.objects.filter(object_type="branches.venue").update(object_repr="x")
    response = client.post(reverse("accounts:audit_check"), follow=True)
    assert "审计链已被破坏" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.VERIFY).count() == 2


def test_nothing_in_the_application_edits_or_deletes_audit_entries():
    """The only audit URLs read, export or check; the admin does not offer entries."""
    from django.contrib import admin

    from ..security.test_url_matrix import url_names

    audit_urls = {name for name in url_names() if "audit" in name}
    assert audit_urls == {
        "accounts:audit_list",
        "accounts:audit_detail",
        "accounts:audit_export",
        "accounts:audit_check",
    }
    assert not admin.site.is_registered(AuditEntry)
