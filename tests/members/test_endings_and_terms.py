"""Ending a functional-branch membership or a service role, and correcting a committee
term and its posts (e.g. replacing a secretary who died): services and pages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction
from members.models import BranchMembership, CommitteeTerm, Member, Position, Post, ServiceRole
from members.selectors import branch_members, branch_structure
from members.services.committees import committee_term_update
from members.services.memberships import membership_add, membership_end, service_role_end
from members.services.roster import member_set_status
from tests import factories as f

JOINED = datetime.date(2024, 5, 1)
LEFT = datetime.date(2025, 6, 1)


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@pytest.fixture
def membership(cast):
    return BranchMembership.objects.create(
        member=cast.member_a, branch=cast.functional_a, joined_on=JOINED
    )


@pytest.fixture
def role(cast):
    return ServiceRole.objects.create(
        member=cast.member_a, kind="preacher", starts_on=datetime.date(2024, 1, 1)
    )


def a_term(cast, *, secretary, has_committee=False, **posts):
    term = CommitteeTerm.objects.create(
        branch=cast.branch_a,
        number=1,
        starts_on=datetime.date(2024, 1, 1),
        ends_on=datetime.date(2029, 1, 1),
        has_committee=has_committee,
    )
    Position.objects.create(term=term, post=Post.SECRETARY, member=secretary)
    for post, member in posts.items():
        Position.objects.create(term=term, post=post, member=member)
    return term


def third_member(cast, name="吴立新"):
    """A third full member of branch_a (the cast has two), so that only the committee
    warnings remain to be checked."""
    return f.member(
        name=name,
        community=cast.community_a,
        born=datetime.date(1949, 9, 9),
        home_branch=cast.branch_a,
    )


def warning_codes(branch):
    return [w.code for w in branch_structure(branch).warnings]


# --- leaving a functional branch -----------------------------------------------------


def test_leaving_a_functional_branch_is_recorded_and_audited(cast, membership):
    assert cast.member_a in branch_members(cast.functional_a)
    membership_end(
        membership=membership, left_on=LEFT, reason=" 搬家 ", actor=cast.user("branch_secretary")
    )
    membership.refresh_from_db()
    assert (membership.left_on, membership.left_reason) == (LEFT, "搬家")
    assert cast.member_a not in branch_members(cast.functional_a)  # no longer counted there
    entry = f.audit_entries(membership)[-1]
    assert entry.action == AuditAction.UPDATE
    assert entry.changes["before"] == {"left_on": None, "left_reason": ""}
    assert entry.changes["after"] == {"left_on": "2025-06-01", "left_reason": "搬家"}


@pytest.mark.parametrize(
    ("left_on", "message"),
    [
        (datetime.date(2024, 4, 30), "离开日期不能早于参加日期（2024-05-01）。"),
        ("tomorrow", "日期不能晚于今天"),
    ],
)
def test_a_wrong_leaving_date_is_refused_in_chinese(cast, membership, left_on, message):
    if left_on == "tomorrow":
        left_on = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        membership_end(membership=membership, left_on=left_on, actor=None)
    assert message in error_text(caught.value)
    membership.refresh_from_db()
    assert membership.left_on is None
    assert f.audit_entries(membership) == []


def test_leaving_twice_is_refused_and_rejoining_clears_the_reason(cast, membership):
    membership_end(membership=membership, left_on=LEFT, reason="搬家", actor=None)
    with pytest.raises(ValidationError, match="已经离开"):
        membership_end(membership=membership, left_on=LEFT, actor=None)
    membership_add(member=cast.member_a, branch=cast.functional_a, joined_on=LEFT, actor=None)
    membership.refresh_from_db()
    assert (membership.left_on, membership.left_reason) == (None, "")


def test_the_member_page_ends_a_membership(cast, client_for, membership):
    client = client_for("branch_secretary")
    page = client.get(reverse("members:member_detail", args=[cast.member_a.pk])).content.decode()
    url = reverse("members:membership_end", args=[cast.member_a.pk, membership.pk])
    assert url in page
    form_page = client.get(url)
    assert form_page.status_code == 200
    assert form_page.context["form"]["left_on"].value() == timezone.localdate()
    response = client.post(url, {"left_on": "2025-06-01", "reason": "身体原因"})
    assert response.url == reverse("members:member_detail", args=[cast.member_a.pk])
    page = client.get(response.url).content.decode()
    assert "离开 2025-06-01 · 身体原因" in page
    assert url not in page  # nothing left to end
    assert BranchMembership.objects.get(pk=membership.pk).left_on == LEFT


def test_a_leaving_date_before_joining_is_shown_beside_the_field(cast, client_for, membership):
    url = reverse("members:membership_end", args=[cast.member_a.pk, membership.pk])
    response = client_for("community_secretary").post(url, {"left_on": "2024-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["left_on"] == [
        "离开日期不能早于参加日期（2024-05-01）。"
    ]
    assert "离开日期不能早于参加日期" in response.content.decode()
    assert BranchMembership.objects.get(pk=membership.pk).left_on is None


def test_ending_a_membership_out_of_scope_is_404_and_changes_nothing(cast, client_for):
    membership = BranchMembership.objects.create(
        member=cast.member_b, branch=cast.branch_b, joined_on=JOINED
    )
    client = client_for("community_secretary")  # community_a: member_b is in district B
    url = reverse("members:membership_end", args=[cast.member_b.pk, membership.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"left_on": "2025-06-01"}).status_code == 404
    # Nor through a member in scope: the membership must be that member's own.
    url = reverse("members:membership_end", args=[cast.member_a.pk, membership.pk])
    assert client.post(url, {"left_on": "2025-06-01"}).status_code == 404
    assert BranchMembership.objects.get(pk=membership.pk).left_on is None


# --- ending a service role -----------------------------------------------------------


def test_ending_a_service_role_is_recorded_and_audited(cast, role):
    assert role in ServiceRole.objects.current()
    service_role_end(role=role, ends_on=LEFT, actor=None)
    role.refresh_from_db()
    assert role.ends_on == LEFT
    assert role not in ServiceRole.objects.current()
    entry = f.audit_entries(role)[-1]
    assert entry.changes == {"before": {"ends_on": None}, "after": {"ends_on": "2025-06-01"}}


def test_a_role_cannot_end_before_it_started_nor_twice(cast, role):
    with pytest.raises(ValidationError) as caught:
        service_role_end(role=role, ends_on=datetime.date(2023, 12, 31), actor=None)
    assert caught.value.message_dict == {"ends_on": ["结束日期不能早于开始日期（2024-01-01）。"]}
    service_role_end(role=role, ends_on=LEFT, actor=None)
    with pytest.raises(ValidationError, match="已经结束"):
        service_role_end(role=role, ends_on=LEFT, actor=None)


def test_the_member_page_ends_a_service_role(cast, client_for, role):
    client = client_for("community_secretary")
    url = reverse("members:service_role_end", args=[cast.member_a.pk, role.pk])
    page = client.get(reverse("members:member_detail", args=[cast.member_a.pk])).content.decode()
    assert url in page
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client.post(url, {"ends_on": future})
    assert response.status_code == 200
    assert response.context["form"].errors["ends_on"] == ["日期不能晚于今天。"]
    response = client.post(url, {"ends_on": "2025-06-01"})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "2024-01-01 – 2025-06-01" in page
    assert url not in page


def test_ending_a_service_role_out_of_scope_is_404(cast, client_for):
    role = ServiceRole.objects.create(
        member=cast.member_b, kind="advisor", starts_on=datetime.date(2024, 1, 1)
    )
    client = client_for("branch_secretary")
    url = reverse("members:service_role_end", args=[cast.member_b.pk, role.pk])
    assert client.post(url, {"ends_on": "2025-06-01"}).status_code == 404
    url = reverse("members:service_role_end", args=[cast.member_a.pk, role.pk])
    assert client.post(url, {"ends_on": "2025-06-01"}).status_code == 404
    assert ServiceRole.objects.get(pk=role.pk).ends_on is None


def test_a_reader_without_edit_rights_is_refused(cast, client_for, role):
    url = reverse("members:service_role_end", args=[cast.member_a.pk, role.pk])
    assert client_for("street_staff").post(url, {"ends_on": "2025-06-01"}).status_code == 403
    assert ServiceRole.objects.get(pk=role.pk).ends_on is None


# --- correcting a committee term -----------------------------------------------------


def test_replacing_a_deceased_secretary_clears_the_vacancy_warning(cast):
    third_member(cast)
    third_member(cast, "孙志远")  # the branch keeps three full members after the death
    term = a_term(cast, secretary=cast.member_a)
    member_set_status(
        member=cast.member_a, status="deceased", on=datetime.date(2025, 3, 1), actor=None
    )
    assert "vacant" in warning_codes(cast.branch_a)
    changed = committee_term_update(
        term=term,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        has_committee=False,
        holders={Post.SECRETARY: cast.member_a_bedridden, Post.DEPUTY_SECRETARY: None},
        actor=cast.user("branch_secretary"),
    )
    assert changed == ["positions"]
    assert warning_codes(cast.branch_a) == []
    assert {p.post: p.member for p in term.positions.all()} == {
        "secretary": cast.member_a_bedridden
    }
    entry = f.audit_entries(term)[-1]
    assert entry.changes["before"] == {"positions": {"secretary": cast.member_a.pk}}
    assert entry.changes["after"] == {"positions": {"secretary": cast.member_a_bedridden.pk}}


def test_a_new_holder_must_belong_to_the_branch_but_an_old_one_may_stay(cast):
    term = a_term(cast, secretary=cast.member_a)
    cast.member_a.status, cast.member_a.status_on = "moved", datetime.date(2025, 3, 1)
    cast.member_a.save()
    with pytest.raises(ValidationError) as caught:
        committee_term_update(
            term=term,
            starts_on=term.starts_on,
            ends_on=term.ends_on,
            has_committee=False,
            holders={Post.SECRETARY: cast.member_b},
            actor=None,
        )
    assert caught.value.message_dict == {"post_secretary": ["李华不是本支部党员。"]}
    # Changing only the dates keeps the (moved) secretary: the post still shows vacant.
    committee_term_update(
        term=term,
        starts_on=term.starts_on,
        ends_on=datetime.date(2028, 12, 31),
        has_committee=False,
        holders={Post.SECRETARY: cast.member_a},
        actor=None,
    )
    term.refresh_from_db()
    assert term.ends_on == datetime.date(2028, 12, 31)
    assert term.positions.get().member == cast.member_a
    assert "vacant" in warning_codes(cast.branch_a)


def test_switching_between_committee_and_secretary_only(cast):
    third = third_member(cast)
    term = a_term(cast, secretary=cast.member_a)
    committee_term_update(
        term=term,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        has_committee=True,
        holders={
            Post.SECRETARY: cast.member_a,
            Post.DEPUTY_SECRETARY: third,
            Post.ORGANISATION: None,
            Post.PUBLICITY: None,
            Post.DISCIPLINE: None,
        },
        actor=None,
    )
    assert sorted(term.positions.values_list("post", flat=True)) == sorted(
        ["secretary", "deputy", "organisation", "publicity", "discipline"]
    )
    assert warning_codes(cast.branch_a).count("vacant") == 3  # the three empty posts
    committee_term_update(
        term=term,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        has_committee=False,
        holders={
            Post.SECRETARY: cast.member_a,
            Post.DEPUTY_SECRETARY: third,
            Post.ORGANISATION: None,
            Post.PUBLICITY: None,
            Post.DISCIPLINE: None,
        },
        actor=None,
    )
    assert {p.post: p.member for p in term.positions.all()} == {
        "secretary": cast.member_a,
        "deputy": third,
    }
    assert warning_codes(cast.branch_a) == []
    assert f.audit_entries(term)[-1].changes["after"]["removed"] == [
        ["organisation", None],
        ["publicity", None],
        ["discipline", None],
    ]


def test_a_term_must_end_after_it_starts_and_no_change_writes_nothing(cast):
    term = a_term(cast, secretary=cast.member_a)
    with pytest.raises(ValidationError) as caught:
        committee_term_update(
            term=term,
            starts_on=term.starts_on,
            ends_on=term.starts_on,
            has_committee=False,
            holders={Post.SECRETARY: cast.member_a},
            actor=None,
        )
    assert caught.value.message_dict == {"ends_on": ["任期结束日期应晚于开始日期。"]}
    changed = committee_term_update(
        term=term,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        has_committee=False,
        holders={Post.SECRETARY: cast.member_a},
        actor=None,
    )
    assert changed == []
    assert f.audit_entries(term) == []


def test_one_person_cannot_hold_two_posts(cast):
    term = a_term(cast, secretary=cast.member_a)
    with pytest.raises(ValidationError, match="同一人不能"):
        committee_term_update(
            term=term,
            starts_on=term.starts_on,
            ends_on=term.ends_on,
            has_committee=False,
            holders={Post.SECRETARY: cast.member_a, Post.DEPUTY_SECRETARY: cast.member_a},
            actor=None,
        )


def test_the_branch_page_fixes_the_vacant_secretary(cast, client_for):
    third_member(cast)
    fourth = third_member(cast, "孙志远")
    term = a_term(cast, secretary=cast.member_a)
    Member.objects.filter(pk=cast.member_a.pk).update(
        status="deceased", status_on=datetime.date(2025, 3, 1)
    )
    client = client_for("branch_secretary")
    branch_url = reverse("branches:branch_detail", args=[cast.branch_a.pk])
    page = client.get(branch_url).content.decode()
    assert "书记职务空缺" in page
    url = reverse("members:term_edit", args=[term.pk])
    assert url in page
    form = client.get(url).context["form"]
    # Choices: the branch's members, plus the current (deceased) holder, marked.
    holders = form.fields["post_secretary"]
    assert set(holders.by_value.values()) == {
        cast.member_a,
        cast.member_a_bedridden,
        Member.objects.get(name="吴立新"),
        fourth,
    }
    members_group = dict(holders.choices[1][1])
    assert members_group[str(cast.member_a.pk)] == "赵德明（已去世）"
    assert form["post_secretary"].value() == str(cast.member_a.pk)
    response = client.post(
        url,
        {
            "starts_on": "2024-01-01",
            "ends_on": "2029-01-01",
            "post_secretary": cast.member_a_bedridden.pk,
        },
    )
    assert response.url == branch_url
    page = client.get(branch_url).content.decode()
    assert "未发现问题" in page
    assert "钱秀英" in page


def test_the_term_page_refuses_a_member_of_another_branch_and_bad_dates(cast, client_for):
    term = a_term(cast, secretary=cast.member_a)
    url = reverse("members:term_edit", args=[term.pk])
    client = client_for("community_secretary")
    response = client.post(
        url,
        {"starts_on": "2024-01-01", "ends_on": "2023-01-01", "post_secretary": cast.member_b.pk},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["ends_on"] == ["任期结束日期应晚于开始日期。"]
    assert "post_secretary" in errors  # not among the choices
    assert "任期结束日期应晚于开始日期" in response.content.decode()
    term.refresh_from_db()
    assert term.ends_on == datetime.date(2029, 1, 1)
    assert term.positions.get().member == cast.member_a


def test_editing_a_term_out_of_scope_is_404_and_read_only_is_403(cast, client_for):
    term = CommitteeTerm.objects.create(
        branch=cast.branch_b,
        number=1,
        starts_on=datetime.date(2024, 1, 1),
        ends_on=datetime.date(2029, 1, 1),
    )
    url = reverse("members:term_edit", args=[term.pk])
    data = {"starts_on": "2024-01-01", "ends_on": "2030-01-01"}
    assert client_for("community_secretary").post(url, data).status_code == 404
    assert client_for("district_staff").post(url, data).status_code == 404
    term_a = a_term(cast, secretary=cast.member_a)
    url_a = reverse("members:term_edit", args=[term_a.pk])
    assert client_for("street_staff").post(url_a, data).status_code == 403
    term.refresh_from_db()
    term_a.refresh_from_db()
    assert term.ends_on == term_a.ends_on == datetime.date(2029, 1, 1)


def test_a_committee_post_needs_a_committee(cast, client_for):
    third = third_member(cast)
    term = a_term(cast, secretary=cast.member_a)
    response = client_for("branch_secretary").post(
        reverse("members:term_edit", args=[term.pk]),
        {
            "starts_on": "2024-01-01",
            "ends_on": "2029-01-01",
            "post_secretary": cast.member_a.pk,
            "post_organisation": third.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["post_organisation"] == [
        "只有设支委会才有这个职务：请勾选“设支部委员会”，或留空。"
    ]
    assert list(term.positions.values_list("post", flat=True)) == ["secretary"]
