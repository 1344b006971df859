"""The branch's library of study materials (学习资料库): what is in it, in which order,
what each entry says, who may read it, and its query count."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.meetings.models import Meeting, MeetingKind, MeetingMaterial
from notices.library_selectors import branch_library, forwards_to
from notices.models import Notice, NoticeKind, NoticeReceipt

from .study import sent_notice

pytestmark = pytest.mark.django_db


def library(client, branch, **params):
    return client.get(reverse("activities:library", args=[branch.pk]), params)


def meeting_of(branch, topic="学习资料的主题党日"):
    return Meeting.objects.create(
        branch=branch, kind=MeetingKind.THEME_DAY, topic=topic, planned_on=timezone.localdate()
    )


def test_the_library_holds_the_study_materials_sent_to_the_branch_newest_first(cast, client_for):
    older = sent_notice(by=cast.district_a, to=[cast.street_a], title="旧的学习资料")
    Notice.objects.filter(pk=older.pk).update(sent_at=timezone.now() - datetime.timedelta(days=3))
    sent_notice(by=cast.street_a, to=[cast.community_a], title="新的学习资料")
    # Not in branch A's library: a plain notice, another street's material, a draft.
    sent_notice(by=cast.district_a, to=[cast.street_a], title="普通通知", kind=NoticeKind.NOTICE)
    sent_notice(by=cast.district_a, to=[cast.street_a2], title="新华街道的资料")
    draft = Notice.objects.create(
        organization=cast.district_a, kind=NoticeKind.STUDY, title="还没发的资料"
    )
    draft.audience.set([cast.community_a])

    response = library(client_for("branch_secretary"), cast.branch_a)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("新的学习资料") < html.index("旧的学习资料")
    for absent in ("普通通知", "新华街道的资料", "还没发的资料"):
        assert absent not in html
    assert "东城区" in html and "和平街道" in html  # who sent each
    assert [r.notice.title for r in branch_library(cast.branch_a.pk)] == [
        "新的学习资料",
        "旧的学习资料",
    ]
    # The street's functional branch received the district's material too, not the
    # community's.
    assert [r.notice.title for r in branch_library(cast.functional_a.pk)] == ["旧的学习资料"]


def test_a_material_passed_down_names_who_forwarded_it_to_the_branch(cast, client_for):
    original = sent_notice(by=cast.district_a, to=[cast.district_a], title="区里的学习资料")
    sent_notice(by=cast.street_a, to=[], title="和平街道转发的说明", forward_of=original)
    sent_notice(by=cast.street_a2, to=[], title="新华街道转发的说明", forward_of=original)

    html = library(client_for("community_secretary"), cast.branch_a).content.decode()
    assert html.count("《区里的学习资料》") == 1  # the forward is no entry of its own
    assert "和平街道 于" in html and "转发" in html
    assert "新华街道" not in html  # another street's forward did not reach branch A
    forwards = forwards_to(cast.branch_a, [original.pk])
    assert [n.organization.name for n in forwards[original.pk]] == ["和平街道"]
    # Branch A2 (新华街道) sees its own street's forward.
    assert [
        n.organization.name for n in forwards_to(cast.branch_a2, [original.pk])[original.pk]
    ] == ["新华街道"]


def test_each_entry_says_whether_the_branch_opened_and_confirmed_it(cast, client_for):
    titles = ("没打开的资料", "打开了的资料", "确认了的资料")
    notices = [sent_notice(by=cast.district_a, to=[cast.community_a], title=t) for t in titles]
    now = timezone.now()
    NoticeReceipt.objects.filter(notice=notices[1]).update(opened_at=now)
    NoticeReceipt.objects.filter(notice=notices[2]).update(opened_at=now, confirmed_at=now)

    html = library(client_for("branch_secretary"), cast.branch_a).content.decode()
    for title, state in zip(titles, ("尚未查看", "已查看，未确认", "已确认"), strict=True):
        start = html.index(f"《{title}》")
        assert state in html[start : start + 1200], title


def test_it_names_the_meetings_that_used_a_material_to_who_reads_meetings(cast, client_for):
    notice = sent_notice(by=cast.district_a, to=[cast.community_a], title="用过的资料")
    meeting = meeting_of(cast.branch_a, "四月主题党日")
    MeetingMaterial.objects.create(meeting=meeting, notice=notice)
    # branch A2's meeting with the same material is not branch A's use.
    sent_notice(by=cast.district_a, to=[cast.community_a2], title="枫林的资料")
    MeetingMaterial.objects.create(meeting=meeting_of(cast.branch_a2, "枫林的会"), notice=notice)

    html = library(client_for("branch_secretary"), cast.branch_a).content.decode()
    assert "四月主题党日" in html
    assert reverse("activities:meeting_detail", args=[meeting.pk]) in html
    assert "枫林的会" not in html
    # The system administrator keeps the structure (reads the library) but reads no
    # meetings: none is named to them.
    html = library(client_for("system_admin"), cast.branch_a).content.decode()
    assert "用过的资料" in html and "四月主题党日" not in html


@pytest.mark.parametrize("role", ["community_b_secretary", "street_a2_staff", "unit_liaison"])
def test_outside_the_branch_the_library_is_not_found(cast, client_for, role):
    sent_notice(by=cast.district_a, to=[cast.community_a], title="只给翠园的资料")
    assert library(client_for(role), cast.branch_a).status_code == 404


def library_queries(client, branch, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = library(client, branch, **params)
    assert response.status_code == 200
    return len(ctx), response.content.decode()


def test_the_library_runs_the_same_queries_for_3_and_30_materials(cast, client_for):
    client = client_for("branch_secretary")
    meeting = meeting_of(cast.branch_a)

    def add(count, start):
        for i in range(start, start + count):
            notice = sent_notice(by=cast.district_a, to=[cast.street_a], title=f"资料{i:02d}")
            sent_notice(by=cast.street_a, to=[], title=f"转发{i:02d}", forward_of=notice)
            MeetingMaterial.objects.create(meeting=meeting, notice=notice)

    add(3, 0)
    few, _html = library_queries(client, cast.branch_a)
    add(27, 3)
    many, html = library_queries(client, cast.branch_a)
    # session, user, scope, branch, count, the page's receipts, their forwards, and the
    # meetings that used them.
    assert few == many == 8
    assert html.count("library-entry") == 20 and "资料29" in html and "资料09" not in html
    _n, page_two = library_queries(client, cast.branch_a, page=2)
    assert page_two.count("library-entry") == 10 and "资料09" in page_two
