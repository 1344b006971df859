"""The notice form: the audience is the sender's own subtree, files are checked one by
one (each error names its file), dates are bounded."""

import datetime

import pytest
from django.utils import timezone, translation

from branches.access import Role
from notices import selectors
from notices.forms import NoticeForm, ReceivedFilterForm

from .. import factories as f
from .conftest import pdf, png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def form_for(user, data=None, files=None, notice=None):
    nodes = selectors.sending_nodes(user)
    return NoticeForm(data, files, nodes=nodes, notice=notice)


def valid_data(cast, **changes):
    return {
        "title": "关于开展主题党日的通知",
        "kind": "notice",
        "body": "请各支部按时开展。",
        "response": "confirm",
        "audience": [cast.street_a.pk],
        **changes,
    }


def audience_names(form):
    return [node.name for node in form.fields["audience"].queryset]


def test_a_district_chooses_among_itself_its_streets_and_their_communities(cast):
    form = form_for(cast.user("district_staff"))
    assert audience_names(form) == ["东城区", "和平街道", "翠园社区", "新华街道", "枫林社区"]
    assert "organization" not in form.fields, "one sending node: nothing to choose"
    labels = [label for _, label in form.fields["audience"].choices]
    assert labels[0] == "东城区（全部）"


def test_a_street_chooses_itself_or_its_communities_and_a_community_only_itself(cast):
    assert audience_names(form_for(cast.user("street_staff"))) == ["和平街道", "翠园社区"]
    assert audience_names(form_for(cast.user("community_secretary"))) == ["翠园社区"]


def test_the_audience_is_indented_by_level_below_the_sender(cast):
    html = str(form_for(cast.user("district_staff"))["audience"])
    depths = [box.data["depth"] for box in form_for(cast.user("district_staff"))["audience"]]
    assert depths == [0, 1, 2, 1, 2]
    assert "东城区（全部）" in html


def test_a_valid_form_gives_the_services_their_details(cast):
    form = form_for(cast.user("district_staff"), valid_data(cast, branch_kinds=["functional"]))
    assert form.is_valid(), form.errors
    assert form.sending_node() == cast.district_a
    assert form.details()["organization_id"] == cast.district_a.pk
    assert form.details()["branch_kinds"] == ["functional"]
    assert list(form.cleaned_data["audience"]) == [cast.street_a]


def test_a_notice_that_needs_no_answer_keeps_no_deadline(cast):
    """The page hides the deadline once "no answer needed" is chosen; one typed before
    (even a past one) is dropped, not kept hidden or refused."""
    user = cast.user("district_staff")
    ahead = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    for deadline in (ahead, past):
        form = form_for(user, valid_data(cast, response="none", deadline=deadline))
        assert form.is_valid(), form.errors
        assert form.details()["deadline"] is None
    form = form_for(user, valid_data(cast, response="confirm", deadline=ahead))
    assert form.is_valid(), form.errors
    assert form.details()["deadline"].isoformat() == ahead
    form = form_for(user, valid_data(cast, response="confirm", deadline=past))
    assert form.errors["deadline"] == ["截止日期不能早于今天。"]


def test_a_crafted_audience_outside_the_subtree_is_refused_in_chinese(cast):
    for foreign in (cast.street_b, cast.district_b, cast.city, cast.street_a2):
        user = cast.user("street_staff")  # street A: street A2 is its sibling
        form = form_for(user, valid_data(cast, audience=[foreign.pk]))
        assert not form.is_valid()
        assert "不在您的辖区内" in form.errors["audience"][0], foreign


def test_a_broken_audience_value_is_refused_in_chinese(cast):
    form = form_for(cast.user("district_staff"), valid_data(cast, audience=["abc"]))
    assert not form.is_valid()
    assert "不在您的辖区内" in form.errors["audience"][0]


def test_with_several_sending_nodes_the_audience_must_lie_under_the_chosen_one(cast):
    user = cast.user("street_staff")
    f.grant(user, Role.STREET_STAFF, cast.street_a2)
    user = type(user).objects.get(pk=user.pk)  # the scope is cached on the instance
    form = form_for(user, valid_data(cast, organization=cast.street_a2.pk))
    assert "organization" in form.fields
    assert not form.is_valid()
    assert form.errors["audience"] == ["和平街道 不在新华街道范围内：请选择发文单位辖区内的对象。"]
    form = form_for(user, valid_data(cast, organization=cast.street_a.pk))
    assert form.is_valid(), form.errors
    assert form.sending_node() == cast.street_a


def test_an_empty_audience_is_refused(cast):
    form = form_for(cast.user("district_staff"), valid_data(cast, audience=[]))
    assert not form.is_valid()
    assert form.errors["audience"] == ["请至少选择一个发送对象。"]


def test_the_deadline_may_not_lie_in_the_past_nor_years_ahead(cast):
    today = timezone.localdate()
    user = cast.user("district_staff")
    yesterday = valid_data(cast, deadline=(today - datetime.timedelta(days=1)).isoformat())
    assert form_for(user, yesterday).errors["deadline"] == ["截止日期不能早于今天。"]
    far = valid_data(cast, deadline=today.replace(year=today.year + 5).isoformat())
    assert "deadline" in form_for(user, far).errors
    assert form_for(user, valid_data(cast, deadline=today.isoformat())).is_valid()


def test_each_bad_file_is_named_in_its_error(cast, settings):
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = pdf("大文件.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    disguised = pdf("伪装.pdf", b"<html><script>alert(1)</script></html>")
    script = pdf("脚本.exe", b"MZ\x90\x00")
    form = form_for(
        cast.user("district_staff"),
        valid_data(cast),
        {"files": [pdf(), big, disguised, script, png()]},
    )
    assert not form.is_valid()
    errors = form.errors["files"]
    assert len(errors) == 3
    assert "大文件.pdf" in errors[0] and "太大" in errors[0]
    assert "伪装.pdf" in errors[1] and "不是 PDF 文件" in errors[1]
    assert "脚本.exe" in errors[2]


def test_good_files_come_back_with_their_checked_type(cast):
    form = form_for(cast.user("district_staff"), valid_data(cast), {"files": [pdf(), png()]})
    assert form.is_valid(), form.errors
    assert [u.content_type for u in form.cleaned_data["files"]] == [
        "application/pdf",
        "image/png",
    ]


def test_a_notice_takes_at_most_the_configured_number_of_files(cast, settings):
    settings.NOTICE_ATTACHMENT_MAX_FILES = 2
    files = {"files": [pdf("一.pdf"), pdf("二.pdf"), pdf("三.pdf")]}
    form = form_for(cast.user("district_staff"), valid_data(cast), files)
    assert form.errors["files"] == ["每条通知最多 2 个附件，现在共有 3 个。"]


def test_unknown_filters_are_ignored():
    assert ReceivedFilterForm({"state": "垃圾", "kind": "study"}).filters() == {
        "state": "",
        "kind": "",
    }
    assert ReceivedFilterForm({"state": "unread", "kind": "study"}).filters() == {
        "state": "unread",
        "kind": "study",
    }
