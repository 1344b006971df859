"""选派在职党员: the in-service members a unit seconds to a branch, the committee posts
they may hold, the end of a secondment (its posts fall vacant), and who may see and
keep them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.timezone import localdate as today

from accounts.models import AuditAction, AuditEntry
from members.models import CommitteeTerm, Position, Post, SecondedMember, SecondmentRole
from members.selectors import branch_structure
from members.services.committees import committee_term_create, committee_term_update
from members.services.secondments import (
    seconded_create,
    seconded_delete,
    seconded_end,
    seconded_update,
)
from reports.selectors.area import _structure

DAY = datetime.timedelta(days=1)


def seconded(cast, *, branch=None, unit=None, role=SecondmentRole.COMMITTEE, **kwargs):
    values = {
        "name": "王建国",
        "starts_on": today() - 100 * DAY,
        "ends_on": None,
        "job_title": "机关党委副书记",
        "phone": "13900001234",
    } | kwargs
    return SecondedMember.objects.create(
        branch=branch or cast.branch_a, unit=unit or cast.unit_a, role=role, **values
    )


def a_term(cast, branch=None, **holders):
    term = CommitteeTerm.objects.create(
        branch=branch or cast.branch_a,
        number=1,
        starts_on=today() - 400 * DAY,
        ends_on=today() + 1000 * DAY,
        has_committee=True,
    )
    for post, holder in holders.items():
        field = "seconded" if isinstance(holder, SecondedMember) else "member"
        Position.objects.create(term=term, post=post, **{field: holder})
    return term


def dashboard_terms(cast, today):
    """The dashboards' facts about branch_a's current term (reports.selectors.area)."""
    return _structure(Q(home_branch=cast.branch_a), Q(branch=cast.branch_a), today)[2]


def last_entry(obj):
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).latest("pk")


# --- services ------------------------------------------------------------------------


def test_recording_a_secondment_is_audited_with_the_phone_and_name_masked(cast):
    person = seconded_create(
        branch=cast.branch_a,
        unit=cast.unit_a,
        name="王建国",
        role=SecondmentRole.COMMITTEE,
        starts_on=today(),
        phone="13900001234",
        actor=cast.user("community_secretary"),
    )
    entry = last_entry(person)
    assert entry.action == AuditAction.CREATE
    assert entry.changes["after"]["phone"] == "139****1234"
    assert "建国" not in entry.changes["after"]["name"]
    assert entry.changes["after"]["unit"] == cast.unit_a.pk


def test_an_edit_writes_only_what_changed_and_a_stale_edit_is_refused(cast):
    person = seconded(cast)
    changed = seconded_update(
        seconded=person,
        changes={"job_title": "组织部副部长", "name": "王建国", "note": ""},
        version=1,
        actor=cast.user("community_secretary"),
    )
    assert changed == ["job_title"]
    person.refresh_from_db()
    assert person.version == 2
    entry = last_entry(person)
    assert entry.changes["before"] == {"job_title": "机关党委副书记"}
    assert entry.changes["after"] == {"job_title": "组织部副部长"}
    # A page loaded before that save carries version 1: refused, nothing written.
    with pytest.raises(ValidationError) as caught:
        seconded_update(seconded=person, changes={"note": "旧页面"}, version=1, actor=None)
    assert "在此期间有人修改了这条选派记录" in " ".join(caught.value.messages)
    person.refresh_from_db()
    assert person.note == ""
    assert seconded_update(seconded=person, changes={"note": ""}, version=2, actor=None) == []


def test_a_post_is_held_by_a_member_or_a_seconded_member_never_both(cast):
    person = seconded(cast)
    term = a_term(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.create(
            term=term, post=Post.ORGANISATION, member=cast.member_a, seconded=person
        )


def test_a_term_may_give_a_post_to_a_seconded_committee_member(cast):
    person = seconded(cast)
    term = committee_term_create(
        branch=cast.branch_a,
        number=2,
        starts_on=today() - DAY,
        ends_on=today() + 1800 * DAY,
        has_committee=True,
        holders={Post.SECRETARY: cast.member_a, Post.ORGANISATION: person},
        actor=cast.user("community_secretary"),
    )
    position = term.positions.get(post=Post.ORGANISATION)
    assert (position.seconded, position.member) == (person, None)
    assert position.holder == person
    assert not position.is_vacant
    assert str(position).endswith("王建国")
    assert (
        last_entry(term).changes["after"]["positions"][Post.ORGANISATION] == f"seconded:{person.pk}"
    )
    structure = branch_structure(cast.branch_a)
    assert "vacant" not in [w.code for w in structure.warnings]
    assert structure.seconded == [person]


@pytest.mark.parametrize(
    ("role", "branch", "ends_in"),
    [
        (SecondmentRole.LIAISON, "branch_a", None),  # a liaison holds no post
        (SecondmentRole.COMMITTEE, "branch_a2", None),  # seconded to another branch
        (SecondmentRole.COMMITTEE, "branch_a", -1),  # the secondment has ended
    ],
)
def test_only_a_current_committee_secondment_of_the_branch_may_hold_a_post(
    cast, role, branch, ends_in
):
    person = seconded(
        cast,
        role=role,
        branch=getattr(cast, branch),
        ends_on=today() + ends_in * DAY if ends_in else None,
    )
    term = a_term(cast, secretary=cast.member_a)
    with pytest.raises(ValidationError) as caught:
        committee_term_update(
            term=term,
            starts_on=term.starts_on,
            ends_on=term.ends_on,
            has_committee=True,
            holders={Post.SECRETARY: cast.member_a, Post.ORGANISATION: person},
            actor=None,
        )
    assert "目前不是选派到本支部担任支委的在职党员" in " ".join(caught.value.messages)
    assert not Position.objects.filter(seconded=person).exists()


def test_one_person_cannot_hold_two_posts_even_when_seconded(cast):
    person = seconded(cast)
    term = a_term(cast, secretary=cast.member_a)
    with pytest.raises(ValidationError):
        committee_term_update(
            term=term,
            starts_on=term.starts_on,
            ends_on=term.ends_on,
            has_committee=True,
            holders={
                Post.SECRETARY: cast.member_a,
                Post.ORGANISATION: person,
                Post.PUBLICITY: person,
            },
            actor=None,
        )


def test_a_secondment_that_has_ended_leaves_its_posts_vacant(cast):
    person = seconded(cast, starts_on=today() - 400 * DAY)
    term = a_term(cast, secretary=cast.member_a, organisation=person)
    seconded_end(
        seconded=person,
        ends_on=today() - DAY,
        version=1,
        actor=cast.user("community_secretary"),
    )
    person.refresh_from_db()
    assert person.ends_on == today() - DAY
    position = term.positions.get(post=Post.ORGANISATION)
    assert position.seconded is None and position.is_vacant
    entry = last_entry(term)
    assert entry.changes["before"] == {"positions": {"organisation": f"seconded:{person.pk}"}}
    assert entry.changes["after"]["positions"] == {"organisation": None}
    assert last_entry(person).changes["after"] == {"ends_on": (today() - DAY).isoformat()}
    assert "vacant" in [w.code for w in branch_structure(cast.branch_a).warnings]


def test_a_secondment_ending_later_keeps_its_post_until_then_and_warns(cast):
    person = seconded(cast)
    term = a_term(cast, secretary=cast.member_a, organisation=person)
    seconded_end(seconded=person, ends_on=today() + 10 * DAY, version=1, actor=None)
    position = term.positions.select_related("seconded").get(post=Post.ORGANISATION)
    assert position.seconded == person
    assert not position.vacant_on(today() + 10 * DAY)
    assert position.vacant_on(today() + 11 * DAY)
    structure = branch_structure(cast.branch_a)
    assert structure.seconded_ending == [person]
    assert "vacant" not in [w.code for w in structure.warnings]
    # The day after, the branch page and the dashboards count the post vacant.
    later = today() + 11 * DAY
    assert "vacant" in [w.code for w in branch_structure(cast.branch_a, today=later).warnings]
    terms = dashboard_terms(cast, later)
    assert terms[cast.branch_a.pk].vacant == 1
    terms = dashboard_terms(cast, today())
    assert terms[cast.branch_a.pk].vacant == 0


def test_a_seconded_secretary_counts_as_the_branchs_secretary_on_the_dashboard(cast):
    person = seconded(cast)
    a_term(cast, secretary=person)
    terms = dashboard_terms(cast, today())
    assert (terms[cast.branch_a.pk].secretaries, terms[cast.branch_a.pk].vacant) == (1, 0)


def test_a_stale_end_is_refused(cast):
    person = seconded(cast)
    seconded_update(seconded=person, changes={"note": "改"}, version=1, actor=None)
    with pytest.raises(ValidationError):
        seconded_end(seconded=person, ends_on=today(), version=1, actor=None)
    person.refresh_from_db()
    assert person.ends_on is None


def test_only_a_secondment_without_a_post_may_be_deleted(cast):
    person = seconded(cast)
    a_term(cast, secretary=cast.member_a, organisation=person)
    with pytest.raises(ValidationError):
        seconded_delete(seconded=person, actor=None)
    spare = seconded(cast, name="李敏")
    seconded_delete(seconded=spare, actor=cast.user("community_secretary"))
    assert not SecondedMember.objects.filter(pk=spare.pk).exists()
    entry = AuditEntry.objects.filter(action=AuditAction.DELETE).latest("pk")
    assert entry.object_id == str(spare.pk)


# --- scope and pages -------------------------------------------------------------------


def test_the_liaison_reads_only_their_units_secondments(cast):
    mine = seconded(cast)
    other = seconded(cast, unit=cast.unit_b, name="李敏")
    in_b = seconded(cast, branch=cast.branch_b, unit=cast.unit_b, name="张华")
    assert list(SecondedMember.objects.visible_to(cast.user("unit_liaison"))) == [mine]
    community = set(SecondedMember.objects.visible_to(cast.user("community_secretary")))
    assert community == {mine, other}
    assert set(SecondedMember.objects.visible_to(cast.user("community_b_secretary"))) == {in_b}


def test_the_community_secretary_records_a_seconded_member_and_names_them_to_a_post(
    cast, client_for
):
    term = a_term(cast, secretary=cast.member_a)
    client = client_for("community_secretary")
    response = client.post(
        reverse("members:seconded_create", args=[cast.branch_a.pk]),
        {
            "name": "王建国",
            "unit": cast.unit_a.pk,
            "role": "committee",
            "job_title": "机关党委副书记",
            "phone": "13900001234",
            "starts_on": today().isoformat(),
            "ends_on": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    person = SecondedMember.objects.get(name="王建国")
    edit = reverse("members:term_edit", args=[term.pk])
    form = client.get(edit).context["form"]
    assert f"s{person.pk}" in form.fields["post_organisation"].by_value
    response = client.post(
        edit,
        {
            "starts_on": term.starts_on.isoformat(),
            "ends_on": term.ends_on.isoformat(),
            "has_committee": "on",
            "post_secretary": cast.member_a.pk,
            "post_organisation": f"s{person.pk}",
        },
    )
    assert response.status_code == 302
    assert term.positions.get(post=Post.ORGANISATION).seconded == person
    page = client.get(reverse("branches:branch_detail", args=[cast.branch_a.pk]))
    text = page.content.decode()
    assert "王建国" in text and "选派" in text and cast.unit_a.name in text


def test_a_stale_edit_page_shows_the_conflict_in_chinese(cast, client_for):
    person = seconded(cast)
    client = client_for("community_secretary")
    url = reverse("members:seconded_edit", args=[person.pk])
    data = {
        "name": "王建国",
        "unit": cast.unit_a.pk,
        "role": "committee",
        "job_title": "新职务",
        "phone": "",
        "starts_on": person.starts_on.isoformat(),
        "note": "",
        "version": 1,
    }
    SecondedMember.objects.filter(pk=person.pk).update(version=2)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "在此期间有人修改了这条选派记录" in response.content.decode()
    person.refresh_from_db()
    assert person.job_title == "机关党委副书记"


def test_a_wrong_holder_value_is_a_chinese_form_error(cast, client_for):
    term = a_term(cast, secretary=cast.member_a)
    response = client_for("community_secretary").post(
        reverse("members:term_edit", args=[term.pk]),
        {
            "starts_on": term.starts_on.isoformat(),
            "ends_on": term.ends_on.isoformat(),
            "post_secretary": "s999999",
        },
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()


def test_the_list_page_reads_a_fixed_number_of_queries(
    cast, client_for, django_assert_max_num_queries
):
    client = client_for("community_secretary")
    url = reverse("members:seconded_list", args=[cast.branch_a.pk])
    a_term(cast, secretary=cast.member_a)
    for n in range(2):
        seconded(cast, name=f"选派{n}")
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    for n in range(2, 8):
        seconded(cast, name=f"选派{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_liaisons_workbench_lists_the_units_seconded_members(cast, client_for):
    person = seconded(cast, ends_on=today() + 5 * DAY)
    a_term(cast, secretary=cast.member_a, organisation=person)
    seconded(cast, unit=cast.unit_b, name="李敏")  # another unit's
    seconded(cast, name="已结束", starts_on=today() - 90 * DAY, ends_on=today() - DAY)
    text = client_for("unit_liaison").get(reverse("home")).content.decode()
    assert "本单位选派到离退休干部党支部的在职党员" in text
    assert "王建国" in text and "组织委员" in text and "30 天内结束选派" in text
    assert "李敏" not in text and "已结束" not in text


def test_the_liaisons_panel_reads_the_same_queries_for_more_seconded_members(
    cast, client_for, django_assert_max_num_queries
):
    a_term(cast, secretary=cast.member_a)
    seconded(cast)
    client = client_for("unit_liaison")
    client.get(reverse("home"))
    with django_assert_max_num_queries(60) as one:
        client.get(reverse("home"))
    for n in range(4):
        seconded(cast, name=f"选派{n}", ends_on=today() + n * DAY)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert "选派3" in client.get(reverse("home")).content.decode()
