"""Forwarding (转发): a street passes the district's notice down with its own note, files
and an earlier deadline; the forward has no receipts of its own, the original's receipts
under the street are its receipts; the district still sees every branch."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from branches.access import Role
from notices.models import Notice, NoticeAttachment, NoticeReceipt, NoticeState

from .. import factories as f
from .receipts_helpers import pdf_file, receipt, send_notice

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def notice(cast):
    """District A to its whole district: branch_a, functional_a (street_a), branch_a2."""
    return send_notice(
        sender=cast.district_a,
        audience=[cast.district_a],
        author=cast.user("district_staff"),
        deadline=timezone.localdate() + 5 * DAY,
    )


def forward_as_street(cast, client, notice, **data):
    data = {
        "node": cast.street_a.pk,
        "audience": [cast.community_a.pk, cast.street_a.pk],
        "note": "请各社区党组织于周五前组织学习并确认。",
        **data,
    }
    return client.post(reverse("notices:forward", args=[notice.pk]), data)


def test_a_street_forwards_with_a_note_files_and_an_earlier_deadline(cast, client_for, notice):
    client = client_for("street_staff")
    page = client.get(reverse("notices:forward", args=[notice.pk]))
    choices = {org.pk for org in page.context["form"].fields["audience"].queryset}
    assert choices == {cast.street_a.pk, cast.community_a.pk}

    earlier = timezone.localdate() + 2 * DAY
    response = forward_as_street(
        cast, client, notice, deadline=earlier.isoformat(), files=[pdf_file("街道要求.pdf")]
    )
    forwarded = Notice.objects.get(root=notice)
    assert response["Location"] == reverse("notices:receipts", args=[forwarded.pk])
    assert (forwarded.forwarded_from, forwarded.organization, forwarded.state) == (
        notice,
        cast.street_a,
        NoticeState.SENT,
    )
    assert forwarded.deadline == earlier and forwarded.title == notice.title
    assert "周五前" in forwarded.body_html
    assert set(forwarded.audience.all()) == {cast.community_a, cast.street_a}
    assert forwarded.recipient_count == 2
    assert not NoticeReceipt.objects.filter(notice=forwarded).exists(), "no receipts of its own"
    assert NoticeAttachment.objects.get(notice=forwarded).original_name == "街道要求.pdf"
    entry = AuditEntry.objects.get(object_type="notices.notice", object_id=str(forwarded.pk))
    assert (entry.action, entry.actor_id) == (AuditAction.CREATE, cast.user("street_staff").pk)

    # The street follows its branches on its forward; the district every branch.
    street_page = client.get(reverse("notices:receipts", args=[forwarded.pk]))
    assert {r.branch for r in street_page.context["page"]} == {cast.branch_a, cast.functional_a}
    district_page = client_for("district_staff").get(reverse("notices:receipts", args=[notice.pk]))
    assert district_page.context["total"].total == 3


def test_a_confirmation_under_the_forward_counts_on_both_pages(cast, client_for, notice):
    forward_as_street(cast, client_for("street_staff"), notice)
    forwarded = Notice.objects.get(root=notice)
    # The secretary confirms from the forward (the link of the street's reminder).
    client_for("branch_secretary").post(reverse("notices:confirm", args=[forwarded.pk]))
    assert receipt(notice, cast.branch_a).confirmed_at
    street = client_for("street_staff").get(reverse("notices:receipts", args=[forwarded.pk]))
    assert street.context["total"].as_tuple()[:3] == (2, 1, 1)
    district = client_for("district_staff").get(reverse("notices:receipts", args=[notice.pk]))
    assert district.context["total"].as_tuple()[:3] == (3, 1, 1)


def test_the_recipients_under_the_street_see_the_forward_and_no_one_else(cast, client_for, notice):
    forward_as_street(cast, client_for("street_staff"), notice)
    forwarded = Notice.objects.get(root=notice)
    a2_secretary = f.user(username="a2_secretary", role=Role.BRANCH_SECRETARY, node=cast.branch_a2)
    assert forwarded in Notice.objects.visible_to(cast.user("branch_secretary"))
    assert forwarded in Notice.objects.visible_to(cast.user("community_secretary"))
    assert forwarded not in Notice.objects.visible_to(a2_secretary)
    assert notice in Notice.objects.visible_to(a2_secretary)
    page = client_for("branch_secretary").get(reverse("notices:confirm", args=[forwarded.pk]))
    html = page.content.decode()
    assert "和平街道的转发说明" in html and "周五前" in html
    client_for("street_a2_staff")  # the other street: neither the forward nor its receipts
    response = client_for("street_a2_staff").get(reverse("notices:receipts", args=[forwarded.pk]))
    assert response.status_code == 404


def test_an_audience_outside_ones_area_is_refused_in_chinese(cast, client_for, notice):
    client = client_for("street_staff")
    response = forward_as_street(cast, client, notice, audience=[cast.community_a2.pk])
    assert response.status_code == 200
    assert "只能转发给本辖区内的组织" in response.content.decode()
    assert not Notice.objects.filter(root=notice).exists()


def test_a_node_not_ones_own_is_refused(cast, client_for, notice):
    client = client_for("street_staff")
    response = forward_as_street(
        cast, client, notice, node=cast.street_a2.pk, audience=[cast.community_a2.pk]
    )
    assert response.status_code == 200
    assert not Notice.objects.filter(root=notice).exists()


def test_a_later_deadline_than_the_notice_is_refused(cast, client_for, notice):
    later = notice.deadline + DAY
    response = forward_as_street(
        cast, client_for("street_staff"), notice, deadline=later.isoformat()
    )
    assert "只能早于原通知的截止日期" in response.content.decode()
    assert not Notice.objects.filter(root=notice).exists()


def test_a_disguised_file_refuses_the_whole_forward(cast, client_for, notice):
    response = forward_as_street(
        cast,
        client_for("street_staff"),
        notice,
        files=[pdf_file("伪装.pdf", b"<html><script>alert(1)</script></html>")],
    )
    assert "伪装.pdf" in response.content.decode()
    assert not Notice.objects.filter(root=notice).exists()
    assert not NoticeAttachment.objects.exists()


def test_a_node_forwards_once(cast, client_for, notice):
    client = client_for("street_staff")
    forward_as_street(cast, client, notice)
    # The double submit, before the page knows: the service refuses.
    from notices import receipts as services

    with pytest.raises(services.ReceiptError, match="已转发过"):
        services.forward(
            notice=notice,
            user=cast.user("street_staff"),
            node=cast.street_a,
            note="再来一次",
            audience=[cast.street_a],
            deadline=None,
            files=[],
        )
    assert Notice.objects.filter(root=notice).count() == 1
    # Once forwarded, the page no longer offers it (nothing left to forward from).
    assert client.get(reverse("notices:forward", args=[notice.pk])).status_code == 403


def test_a_community_forwards_the_streets_forward(cast, client_for, notice):
    forward_as_street(cast, client_for("street_staff"), notice)
    forwarded = Notice.objects.get(root=notice, organization=cast.street_a)
    client = client_for("community_secretary")
    response = client.post(
        reverse("notices:forward", args=[forwarded.pk]),
        {"node": cast.community_a.pk, "audience": [cast.community_a.pk], "note": "社区要求"},
    )
    assert response.status_code == 302
    again = Notice.objects.get(root=notice, organization=cast.community_a)
    assert again.forwarded_from == forwarded and again.root == notice
    assert again.deadline == forwarded.deadline
    page = client.get(reverse("notices:receipts", args=[again.pk]))
    assert [r.branch for r in page.context["page"]] == [cast.branch_a]


def test_who_may_not_forward(cast, client_for, notice):
    url = reverse("notices:forward", args=[notice.pk])
    for role in ("district_staff", "branch_secretary", "city_admin"):
        assert client_for(role).get(url).status_code == 403, role
    for role in ("district_b_staff", "unit_liaison", "outsider"):
        assert client_for(role).get(url).status_code == 404, role


def test_a_street_outside_the_audience_cannot_forward(cast, client_for):
    notice = send_notice(sender=cast.district_a, audience=[cast.street_a2])
    url = reverse("notices:forward", args=[notice.pk])
    assert client_for("street_staff").get(url).status_code == 404


def test_the_confirm_page_shows_every_note_on_the_way_down_in_order(cast, client_for, notice):
    forward_as_street(cast, client_for("street_staff"), notice)
    by_street = Notice.objects.get(root=notice, organization=cast.street_a)
    client_for("community_secretary").post(
        reverse("notices:forward", args=[by_street.pk]),
        {"node": cast.community_a.pk, "audience": [cast.community_a.pk], "note": "社区补充要求"},
    )
    html = (
        client_for("branch_secretary")
        .get(reverse("notices:confirm", args=[notice.pk]))
        .content.decode()
    )
    assert html.index("和平街道的转发说明") < html.index("翠园社区的转发说明")
    assert "社区补充要求" in html
