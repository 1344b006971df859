import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.audit import verify_chain
from accounts.models import AuditAction
from branches.models import Branch
from members.models import (
    CommitteeTerm,
    CommunityRegistration,
    GroupLeader,
    Member,
    MemberStatus,
    Post,
    RegistrationStatus,
)
from members.services.committees import (
    committee_term_create,
    committee_term_update,
    group_leader_set,
)
from members.services.memberships import membership_add, membership_end
from members.services.registration import (
    registration_accept,
    registration_notify_unit,
    registration_report,
    registration_withdraw,
)
from members.services.roster import member_create, member_set_status, member_update
from members.validators import make_id_number
from tests.factories import audit_entries

DAY = datetime.date(2025, 5, 6)


def test_creating_a_member_also_records_the_registration_and_audits_both(cast):
    actor = cast.user("community_secretary")
    born = datetime.date(1950, 3, 5)
    member = member_create(
        actor=actor,
        fields={
            "name": "吴新",
            "gender": "male",
            "birth_date": born,
            "id_number": make_id_number("319901", born, 11, male=True),
            "phone": "13811112222",
            "community": cast.community_a,
        },
        reported_on=DAY,
    )
    registration = member.registrations.get()
    assert registration.status == RegistrationStatus.REPORTED
    assert registration.community == cast.community_a
    [created] = audit_entries(member)
    assert created.action == AuditAction.CREATE and created.actor == actor
    # The trail says a phone was recorded without copying it out.
    assert created.changes["after"]["phone"] == "138****2222"
    assert created.changes["after"]["id_number"].count("*") == 11
    assert audit_entries(registration)[0].action == AuditAction.CREATE
    assert verify_chain() == []


def test_an_update_audits_only_what_changed_and_nothing_when_nothing_did(cast):
    member = cast.member_a
    actor = cast.user("branch_secretary")
    changed = member_update(
        member=member, changes={"former_post": "处长", "name": member.name}, actor=actor
    )
    assert changed == ["former_post"]
    [entry] = audit_entries(member)
    assert entry.changes == {"before": {"former_post": ""}, "after": {"former_post": "处长"}}
    assert member_update(member=member, changes={"former_post": "处长"}, actor=actor) == []
    assert len(audit_entries(member)) == 1


def test_moving_away_ends_the_registration_and_the_placement(cast):
    member = member_set_status(
        member=cast.member_a,
        status=MemberStatus.MOVED,
        on=DAY,
        actor=cast.user("community_secretary"),
    )
    assert (member.status, member.status_on, member.home_branch) == ("moved", DAY, None)
    cast.reg_a.refresh_from_db()
    assert cast.reg_a.status == RegistrationStatus.WITHDRAWN
    assert cast.reg_a.withdrawn_on == DAY


def test_a_death_keeps_the_member_in_the_branch_history(cast):
    member = member_set_status(
        member=cast.member_a_bedridden, status="deceased", on=DAY, actor=None
    )
    assert member.home_branch == cast.branch_a
    assert member.status == "deceased"


def test_a_status_change_needs_its_date(cast):
    with pytest.raises(ValidationError):
        member_set_status(member=cast.member_a, status="deceased", on=None, actor=None)
    cast.member_a.refresh_from_db()
    assert cast.member_a.status == "active"


def test_accepting_places_the_member_in_the_branch_and_group(cast):
    registration = registration_accept(
        registration=cast.reg_a_reported,
        branch=cast.branch_a,
        party_group=cast.group_a,
        accepted_on=DAY,
        actor=cast.user("community_secretary"),
    )
    assert registration.status == RegistrationStatus.ACCEPTED
    assert registration.accepted_on == DAY
    member = Member.objects.get(pk=cast.member_a_reported.pk)
    assert (member.home_branch, member.party_group) == (cast.branch_a, cast.group_a)
    assert [e.action for e in audit_entries(registration)] == ["update"]
    assert audit_entries(member)[0].changes["after"]["home_branch"] == cast.branch_a.pk


@pytest.mark.parametrize(
    ("branch", "group", "field"),
    [
        ("branch_b", None, "branch"),  # another community's branch
        ("functional_a", None, "branch"),  # not a community branch
        ("branch_a", "group_b", "party_group"),  # a group of another branch
    ],
)
def test_a_placement_outside_the_community_is_refused(cast, branch, group, field):
    with pytest.raises(ValidationError) as caught:
        registration_accept(
            registration=cast.reg_a_reported,
            branch=getattr(cast, branch),
            party_group=getattr(cast, group) if group else None,
            actor=None,
        )
    assert field in caught.value.message_dict
    cast.reg_a_reported.refresh_from_db()
    assert cast.reg_a_reported.status == RegistrationStatus.REPORTED
    assert Member.objects.get(pk=cast.member_a_reported.pk).home_branch is None


def test_the_unit_is_notified_only_after_acceptance(cast):
    with pytest.raises(ValidationError):
        registration_notify_unit(registration=cast.reg_a_reported, actor=None)
    registration = registration_notify_unit(registration=cast.reg_a, notified_on=DAY, actor=None)
    assert (registration.status, registration.notified_on) == ("notified", DAY)


def test_withdrawing_takes_the_member_out_of_the_home_branch(cast):
    registration_withdraw(registration=cast.reg_a, withdrawn_on=DAY, reason="登记有误", actor=None)
    member = Member.objects.get(pk=cast.member_a.pk)
    assert member.home_branch is None and member.party_group is None
    cast.reg_a.refresh_from_db()
    assert (cast.reg_a.status, cast.reg_a.note) == ("withdrawn", "登记有误")
    # Now a new registration may be recorded.
    registration_report(member=member, community=cast.community_a, reported_on=DAY, actor=None)
    assert member.registrations.exclude(status="withdrawn").count() == 1


def test_a_second_live_registration_is_refused(cast):
    with pytest.raises(ValidationError):
        registration_report(
            member=cast.member_a, community=cast.community_a, reported_on=DAY, actor=None
        )
    assert CommunityRegistration.objects.filter(member=cast.member_a).count() == 1


def test_a_committee_term_is_created_with_its_posts(cast):
    term = committee_term_create(
        branch=cast.branch_a,
        number=2,
        starts_on=DAY,
        ends_on=DAY.replace(year=2030),
        has_committee=False,
        holders={Post.SECRETARY: cast.member_a, Post.DEPUTY_SECRETARY: None},
        actor=None,
    )
    assert {p.post: p.member for p in term.positions.all()} == {
        "secretary": cast.member_a,
        "deputy": None,
    }
    assert audit_entries(term)[0].changes["after"]["positions"]["secretary"] == cast.member_a.pk


def test_a_post_holder_must_belong_to_the_branch(cast):
    with pytest.raises(ValidationError):
        committee_term_create(
            branch=cast.branch_a,
            number=2,
            starts_on=DAY,
            ends_on=DAY.replace(year=2030),
            has_committee=True,
            holders={Post.SECRETARY: cast.member_b},
            actor=None,
        )
    assert not CommitteeTerm.objects.exists()


def test_a_new_group_leader_ends_the_previous_one(cast):
    first = group_leader_set(
        group=cast.group_a, member=cast.member_a, starts_on=datetime.date(2020, 1, 1), actor=None
    )
    group_leader_set(group=cast.group_a, member=cast.member_a_bedridden, starts_on=DAY, actor=None)
    first.refresh_from_db()
    assert first.ends_on == DAY
    assert GroupLeader.objects.filter(group=cast.group_a, ends_on__isnull=True).get().member == (
        cast.member_a_bedridden
    )


def _term(cast, number, starts_on, ends_on, *, branch=None):
    return committee_term_create(
        branch=branch or cast.branch_a,
        number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        has_committee=False,
        holders={Post.SECRETARY: cast.member_a},
        actor=None,
    )


def test_an_election_ends_the_term_it_replaces_the_day_before(cast):
    first = _term(cast, 1, datetime.date(2022, 1, 1), datetime.date(2027, 1, 1))
    second = _term(cast, 2, datetime.date(2025, 9, 1), datetime.date(2030, 9, 1))
    first.refresh_from_db()
    assert first.ends_on == datetime.date(2025, 8, 31)
    entry = audit_entries(first)[-1]  # after its creation
    assert entry.action == AuditAction.UPDATE
    assert entry.changes["after"] == {"ends_on": "2025-08-31", "replaced_by": 2}
    assert list(CommitteeTerm.objects.current(datetime.date(2025, 9, 1))) == [second]


def test_a_term_may_not_reach_into_a_later_one_nor_repeat_a_number(cast):
    _term(cast, 2, datetime.date(2025, 1, 1), datetime.date(2030, 1, 1))
    with pytest.raises(ValidationError) as raised:  # an earlier term recorded late
        _term(cast, 1, datetime.date(2021, 1, 1), datetime.date(2026, 1, 1))
    assert "starts_on" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        _term(cast, 2, datetime.date(2031, 1, 1), datetime.date(2036, 1, 1))
    assert "number" in raised.value.message_dict
    assert CommitteeTerm.objects.count() == 1
    # Before it, without overlap, it is fine.
    _term(cast, 1, datetime.date(2020, 1, 1), datetime.date(2024, 12, 31))


def test_a_terms_dates_may_not_be_moved_onto_another_term(cast):
    first = _term(cast, 1, datetime.date(2020, 1, 1), datetime.date(2024, 12, 31))
    _term(cast, 2, datetime.date(2025, 1, 1), datetime.date(2030, 1, 1))
    with pytest.raises(ValidationError) as raised:
        committee_term_update(
            term=first,
            starts_on=first.starts_on,
            ends_on=datetime.date(2025, 6, 30),
            has_committee=False,
            holders={Post.SECRETARY: cast.member_a},
            actor=None,
        )
    assert "starts_on" in raised.value.message_dict
    first.refresh_from_db()
    assert first.ends_on == datetime.date(2024, 12, 31)


def test_leaving_a_functional_branch_leaves_the_post_held_there(cast):
    from members.selectors import branch_structure

    membership = membership_add(
        member=cast.member_a, branch=cast.functional_a, joined_on=DAY, actor=None
    )
    term = _term(cast, 1, DAY, DAY.replace(year=2028), branch=cast.functional_a)
    assert "vacant" not in {w.code for w in branch_structure(cast.functional_a).warnings}
    membership_end(membership=membership, left_on=DAY.replace(month=9), actor=None)
    assert term.positions.get(post=Post.SECRETARY).member is None
    assert "vacant" in {w.code for w in branch_structure(cast.functional_a).warnings}
    entry = audit_entries(term)[-1]
    assert entry.changes["before"] == {"positions": {"secretary": cast.member_a.pk}}
    assert entry.changes["after"]["positions"] == {"secretary": None}


def test_placed_in_another_branch_the_member_leaves_the_post_in_the_old_one(cast):
    other = Branch.objects.create(organization=cast.community_a, name="翠园社区第二党支部")
    term = _term(cast, 1, DAY, DAY.replace(year=2030))
    registration_accept(registration=cast.reg_a, branch=other, actor=None)
    assert term.positions.get(post=Post.SECRETARY).member is None
    # Placed again in the same branch: nothing is vacated.
    term2 = _term(cast, 1, DAY, DAY.replace(year=2030), branch=other)
    registration_accept(registration=cast.reg_a, branch=other, actor=None)
    assert term2.positions.get(post=Post.SECRETARY).member == cast.member_a
