"""Self check-in (扫码签到) pages: the member's public page at the signed URL (no log-in,
Chinese, no JavaScript needed), its abuse rules, and the secretary's QR page, live
panel, visitor decisions and recording screen."""

import datetime
import re
import shutil
import subprocess
import tempfile
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localdate as today

from accounts.models import AuditEntry
from activities.meetings import checkin
from activities.meetings.models import (
    Attendance,
    AttendanceStatus,
    CheckInVisitor,
    MeetingKind,
    MeetingStatus,
    VisitorStatus,
)
from activities.meetings.services import checkins, planning
from tests import factories as f
from tests.otp import login_as

from ..conftest import members

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def meeting(cast):
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={"kind": MeetingKind.GENERAL_ASSEMBLY, "topic": "学习党章", "planned_on": today()},
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


def url_of(meeting):
    return reverse("activities:checkin", kwargs={"token": checkin.token_for(meeting)})


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def secretary(cast):
    return login_as(Client(), cast.user("branch_secretary"), key="branch_secretary")


# --- The member's page -------------------------------------------------------------------


def test_anyone_with_the_code_sees_masked_names_and_nothing_personal(cast, meeting):
    page = Client().get(url_of(meeting))
    assert page.status_code == 200
    body = text(page)
    assert "扫码签到" in body and "请点您的姓名" in body
    assert "赵*明" in body and "钱*英" in body
    assert "赵德明" not in body and "钱秀英" not in body
    assert "5678" not in body and "1381234" not in body
    assert "<script" not in body  # nothing to run: WeChat's browser needs no script


def test_a_tampered_code_is_not_found(meeting):
    value, signature = checkin.token_for(meeting).rsplit(":", 1)
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert Client().get(f"/checkin/{value}:{flipped}/").status_code == 404
    forged = checkin.token_for(meeting).replace(":", "X", 1)
    assert Client().get(f"/checkin/{forged}/").status_code == 404


def test_a_closed_or_expired_code_says_so_in_chinese(cast, meeting):
    url = url_of(meeting)
    checkins.checkin_close(meeting=meeting, actor=None)
    page = Client().get(url)
    assert page.status_code == 200 and "本次会议的扫码签到已关闭" in text(page)
    assert "请找书记为您签到" in text(page)
    posted = Client().post(url, {"who": cast.member_a.pk, "digits": "5678"})
    assert "已关闭" in text(posted) and not Attendance.objects.exists()

    old = meeting.__class__.objects.get(pk=meeting.pk)
    old.planned_on = today().replace(year=today().year - 1)
    old.checkin_closed_at = None
    old.save()
    assert "该签到二维码已过期" in text(Client().get(url_of(old)))


def test_a_code_before_the_meeting_day_says_when_to_come_back(cast):
    tomorrow = today() + datetime.timedelta(days=1)
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={"kind": MeetingKind.LECTURE, "topic": "党课", "planned_on": tomorrow},
        client_key=uuid.uuid4(),
        actor=None,
    )
    page = Client().get(url_of(meeting))
    assert page.status_code == 200 and "扫码签到尚未开始" in text(page)
    assert f"请在会议当天（{tomorrow:%Y-%m-%d}）再扫码签到" in text(page)
    Client().post(url_of(meeting), {"who": cast.member_a.pk, "digits": "5678"})
    assert not Attendance.objects.exists()


def test_the_right_four_digits_check_the_member_in_and_twice_is_harmless(cast, meeting):
    client = Client(REMOTE_ADDR="10.0.0.7")
    url = url_of(meeting)
    picked = client.get(f"{url}?who={cast.member_a.pk}")
    assert "手机号后四位" in text(picked) and "赵*明" in text(picked)
    done = client.post(url, {"who": cast.member_a.pk, "digits": "5678"}, follow=True)
    body = text(done)
    line = Attendance.objects.get(meeting=meeting, member=cast.member_a)
    assert line.status == AttendanceStatus.PRESENT and line.checked_in_at
    time = timezone.localtime(line.checked_in_at).strftime("%H:%M")
    assert "签到成功" in body and f"已于 {time} 签到" in body
    entry = AuditEntry.objects.get(object_type="activities.attendance")
    assert entry.ip == "10.0.0.7" and entry.actor_id is None

    again = client.post(url, {"who": cast.member_a.pk, "digits": "5678"}, follow=True)
    assert f"已于 {time} 签到" in text(again)
    assert Attendance.objects.filter(meeting=meeting).count() == 1


def test_wrong_digits_count_and_lock_the_member_in_chinese(cast, meeting, settings):
    settings.SELF_CHECKIN_MAX_FAILURES = 3
    url = url_of(meeting)
    client = Client()
    first = client.post(url, {"who": cast.member_a.pk, "digits": "0000"})
    assert first.status_code == 200 and "手机号后四位不对。还可以再试 2 次。" in text(first)
    client.post(url, {"who": cast.member_a.pk, "digits": "0001"})
    locked = client.post(url, {"who": cast.member_a.pk, "digits": "0002"})
    assert locked.status_code == 429 and "输错次数太多" in text(locked)
    assert "锁定 15 分钟" in text(locked)
    # Locked for a while, even with the right digits, from another address too.
    late = Client(REMOTE_ADDR="10.9.9.9").post(url, {"who": cast.member_a.pk, "digits": "5678"})
    assert late.status_code == 429 and not Attendance.objects.exists()
    # Someone else checks in as usual.
    other = f.member(name="吴红梅", community=cast.community_a, phone="13600004321")
    f.registration(member=other, branch=cast.branch_a)
    ok = client.post(url, {"who": other.pk, "digits": "4321"})
    assert ok.status_code == 302 and Attendance.objects.filter(member=other).exists()


def test_a_typing_slip_is_not_a_failed_attempt(cast, meeting, settings):
    settings.SELF_CHECKIN_MAX_FAILURES = 1
    url = url_of(meeting)
    slip = Client().post(url, {"who": cast.member_a.pk, "digits": "12"})
    assert "请输入四位数字" in text(slip)
    assert Client().post(url, {"who": cast.member_a.pk, "digits": "5678"}).status_code == 302


def test_an_address_with_many_failures_is_locked_for_every_name(cast, meeting, settings):
    settings.SELF_CHECKIN_ADDRESS_MAX_FAILURES = 2
    url = url_of(meeting)
    client = Client(REMOTE_ADDR="10.0.0.66")
    client.post(url, {"who": cast.member_a.pk, "digits": "0000"})
    client.post(url, {"name": "不认识的人", "visitor": "1"})
    locked = client.post(url, {"who": cast.member_a_bedridden.pk, "digits": "1111"})
    assert locked.status_code == 429 and "输错次数太多" in text(locked)
    assert not Attendance.objects.exists()
    assert (
        Client(REMOTE_ADDR="10.0.0.67")
        .post(url, {"who": cast.member_a.pk, "digits": "5678"})
        .status_code
        == 302
    )


def test_a_flood_to_one_meeting_waits(cast, meeting, settings):
    settings.SELF_CHECKIN_PER_MEETING_PER_MINUTE = 1
    url = url_of(meeting)
    assert Client().post(url, {"who": cast.member_a.pk, "digits": "5678"}).status_code == 302
    busy = Client().post(url, {"who": cast.member_a_bedridden.pk, "digits": "1111"})
    assert busy.status_code == 429 and "请稍等一分钟再试" in text(busy)


def test_a_member_without_a_phone_on_record_is_sent_to_the_secretary(cast, meeting):
    nophone = f.member(name="孙立平", community=cast.community_a)
    f.registration(member=nophone, branch=cast.branch_a)
    url = url_of(meeting)
    page = Client().get(f"{url}?who={nophone.pk}")
    assert "没有登记您的手机号" in text(page) and 'name="digits"' not in text(page)
    Client().post(url, {"who": nophone.pk, "digits": "0000"})
    assert not Attendance.objects.exists()


def test_someone_off_the_list_is_never_a_choice(cast, meeting):
    url = url_of(meeting)
    page = Client().get(f"{url}?who={cast.member_b.pk}")
    assert "请点您的姓名" in text(page)  # back to the names
    posted = Client().post(url, {"who": cast.member_b.pk, "digits": "2222"})
    assert posted.status_code == 302 and not Attendance.objects.exists()


def test_typing_a_full_name_on_the_list_leads_to_the_digits(cast, meeting):
    url = url_of(meeting)
    found = Client().post(url, {"name": "赵 德明"})
    assert found.status_code == 302 and found["Location"].endswith(f"?who={cast.member_a.pk}")


def test_a_name_not_on_the_list_becomes_a_visitor_request_for_the_secretary(
    cast, meeting, secretary
):
    url = url_of(meeting)
    asked = Client().post(url, {"name": "王来宾"})
    assert "“王来宾”不在本次会议的名单上" in text(asked)
    assert not CheckInVisitor.objects.exists()  # nothing until they ask
    request = {"name": "王来宾", "note": "长江街道支部", "visitor": "1"}
    sent = Client().post(url, request, follow=True)
    assert "请等待书记确认" in text(sent)
    visitor = CheckInVisitor.objects.get()
    assert visitor.status == VisitorStatus.PENDING

    panel = secretary.get(reverse("activities:checkin_live", args=[meeting.pk]), **HTMX)
    assert "王来宾" in text(panel) and "确认列席" in text(panel)
    decided = secretary.post(
        reverse("activities:checkin_visitor", args=[visitor.pk]), {"decision": "confirm"}, **HTMX
    )
    assert decided.status_code == 200 and "已确认" in text(decided)
    visitor.refresh_from_db()
    assert visitor.status == VisitorStatus.CONFIRMED
    detail = secretary.get(reverse("activities:meeting_detail", args=[meeting.pk]))
    assert "列席" in text(detail) and "王来宾" in text(detail)
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_a_rejected_visitor_never_shows_on_the_meeting(cast, meeting, secretary):
    visitor, _ = checkins.visitor_request(meeting=meeting, name="王来宾")
    response = secretary.post(
        reverse("activities:checkin_visitor", args=[visitor.pk]), {"decision": "reject"}
    )
    assert response.status_code == 302
    detail = secretary.get(reverse("activities:meeting_detail", args=[meeting.pk]))
    assert "王来宾" not in text(detail)


# --- The secretary's pages -------------------------------------------------------------


def qr_in_pdf(content: bytes) -> str:
    """The text of the one QR code on the PDF's first page (pdftoppm, then zxing-cpp)."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    import zxingcpp
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            ["pdftoppm", "-png", "-r", "200", "-singlefile", "-", f"{folder}/page"],
            input=content,
            capture_output=True,
            check=True,
        )
        found = zxingcpp.read_barcodes(Image.open(f"{folder}/page.png"))
    assert len(found) == 1
    return found[0].text


def test_the_qr_page_shows_a_code_that_opens_this_meeting(cast, meeting, secretary):
    page = secretary.get(reverse("activities:checkin_qr", args=[meeting.pk]))
    body = text(page)
    assert page.status_code == 200 and "<svg" in body and "签到二维码" in body
    assert "二维码有效期至" in body and "立即关闭签到" in body
    assert "data-print" not in body


def test_closing_and_reopening_from_the_qr_page(cast, meeting, secretary):
    url = reverse("activities:checkin_qr", args=[meeting.pk])
    old = url_of(meeting)
    closed = secretary.post(url, {"action": "close"}, follow=True)
    assert "扫码签到已关闭" in text(closed) and "<svg" not in text(closed)
    assert "本次会议的扫码签到已关闭" in text(Client().get(old))
    secretary.post(url, {"action": "reopen"})
    meeting.refresh_from_db()
    assert Client().get(url_of(meeting)).status_code == 200
    assert "请点您的姓名" in text(Client().get(url_of(meeting)))
    assert "已关闭" in text(Client().get(old))  # the old code stays refused


def test_the_live_panel_shows_who_checked_in(cast, meeting, secretary):
    checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk)
    panel = secretary.get(reverse("activities:checkin_live", args=[meeting.pk]), **HTMX)
    body = text(panel)
    assert "赵德明" in body and "扫码签到" in body and "<html" not in body
    assert 'data-count="self">1<' in body
    assert 'hx-trigger="every 5s"' in body  # the swapped-in panel polls on


def test_the_recording_screen_polls_and_keeps_a_check_in_made_while_it_was_open(
    cast, meeting, secretary
):
    url = reverse("activities:meeting_record", args=[meeting.pk])
    page = secretary.get(url)
    body = text(page)
    assert 'hx-trigger="every 5s"' in body and "还没有人扫码签到" in body
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["held_on"] = today().isoformat()
    data[f"s{cast.member_a.pk}"] = AttendanceStatus.ABSENT  # tapped before the check-in
    data[f"r{cast.member_a_bedridden.pk}"] = "卧床"
    # The member checks in while the secretary's form is open.
    Client().post(url_of(meeting), {"who": cast.member_a.pk, "digits": "5678"})
    saved = secretary.post(url, data)
    assert saved.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    line = Attendance.objects.get(meeting=meeting, member=cast.member_a)
    assert line.status == AttendanceStatus.PRESENT and line.checked_in_at
    assert Attendance.objects.filter(meeting=meeting).count() == 2

    # Now seen on the form: the secretary may correct it.
    page = secretary.get(url)
    assert str(cast.member_a.pk) in page.context["form"]["seen_checkins"].value()
    assert re.search(r"扫码签到 \d\d:\d\d", text(page))


def test_the_sign_in_sheet_prints_the_code_for_whoever_records(cast, meeting, secretary):
    url = reverse("activities:sign_in_sheet", args=[meeting.pk])
    assert "sheet-qr" in text(secretary.get(url))
    pdf = secretary.get(url + "?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # The code printed in the PDF opens this meeting's check-in page.
    assert qr_in_pdf(pdf.content) == "http://testserver" + url_of(meeting)
    reader = login_as(Client(), cast.user("district_staff"), key="district_staff")
    assert "sheet-qr" not in text(reader.get(url))  # reads the sheet, may not record


def test_the_sign_in_sheet_lists_names_on_its_first_page_under_the_code(cast, meeting, secretary):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    members(branch=cast.branch_a, count=40)  # a list longer than a page
    url = reverse("activities:sign_in_sheet", args=[meeting.pk]) + "?format=pdf"
    pdf = secretary.get(url).content
    first = subprocess.run(
        ["pdftotext", "-l", "1", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    # The code floats top right; the full-width list must not be pushed off the page.
    assert "扫码签到" in first and "序号" in first
    assert re.search(r"^\s*1\s+\S", first, re.MULTILINE)  # the list's first row


def test_read_only_staff_cannot_open_or_close_check_in(cast, meeting):
    reader = login_as(Client(), cast.user("district_staff"), key="district_staff")
    url = reverse("activities:checkin_qr", args=[meeting.pk])
    assert reader.get(url).status_code == 403
    assert reader.post(url, {"action": "close"}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.checkin_closed_at is None


def test_a_check_in_costs_the_same_queries_for_a_list_of_two_or_forty(
    cast, meeting, django_assert_num_queries
):
    """The busy page: no query per member on the list and nothing decrypted but the one
    phone. Queries: the meeting, the member's line and expected row, the phone; then in
    the transaction the meeting locked, its line and expected row again, the insert,
    two for the audit chain (insert and move the head in one statement, after locking
    it) and one for the dashboards' freshness (savepoint and release counted: 13)."""
    url = url_of(meeting)
    with django_assert_num_queries(13):
        assert Client().post(url, {"who": cast.member_a.pk, "digits": "5678"}).status_code == 302
    for i in range(38):
        member = f.member(name=f"党员{i:02d}", community=cast.community_a, phone=f"1370000{i:04d}")
        f.registration(member=member, branch=cast.branch_a)
    with django_assert_num_queries(13):
        response = Client().post(url, {"who": member.pk, "digits": "0037"})
        assert response.status_code == 302
    assert Attendance.objects.filter(meeting=meeting).count() == 2
