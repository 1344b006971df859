"""The structure rules of DOMAIN.md, as warnings shown on the branch page."""

import datetime
from types import SimpleNamespace

from members.models import CommitteeTerm, Member, Position
from members.selectors import branch_structure, structure_warnings
from tests import factories as f

TODAY = datetime.date(2026, 6, 1)


def term(*, ends_on=datetime.date(2029, 1, 1), has_committee=True):
    return SimpleNamespace(
        starts_on=datetime.date(2024, 1, 1), ends_on=ends_on, has_committee=has_committee
    )


def post(name, *, vacant=False):
    return SimpleNamespace(post=name, vacant_on=lambda day: vacant, get_post_display=lambda: name)


def codes(**kwargs):
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("positions", [post("secretary")])
    kwargs.setdefault("term", term())
    return [w.code for w in structure_warnings(**kwargs)]


def test_a_healthy_branch_has_no_warning():
    assert codes(members=20, full_members=18) == []


def test_fewer_than_three_full_members_is_flagged():
    assert codes(members=4, full_members=2, term=term(has_committee=False)) == ["too_few"]


def test_more_than_fifty_members_is_flagged():
    assert codes(members=51, full_members=51) == ["too_many"]


def test_seven_full_members_without_a_committee_is_flagged():
    assert codes(members=7, full_members=7, term=term(has_committee=False)) == ["no_committee"]
    assert codes(members=6, full_members=6, term=term(has_committee=False)) == []


def test_no_current_term_is_flagged():
    assert codes(members=5, full_members=5, term=None, positions=[]) == ["no_term"]


def test_a_vacant_post_is_flagged():
    positions = [post("secretary"), post("deputy", vacant=True)]
    assert codes(members=9, full_members=9, positions=positions) == ["vacant"]


def test_a_term_ending_within_six_months_is_flagged():
    assert codes(members=9, full_members=9, term=term(ends_on=datetime.date(2026, 11, 1))) == [
        "term_ending"
    ]
    assert codes(members=9, full_members=9, term=term(ends_on=datetime.date(2027, 1, 1))) == []


def test_branch_structure_counts_active_and_full_members_of_the_branch(cast):
    f.member(
        name="预备党员",
        community=cast.community_a,
        home_branch=cast.branch_a,
        full_member_on=None,
    )
    f.member(
        name="已故党员",
        community=cast.community_a,
        home_branch=cast.branch_a,
        status="deceased",
        status_on=datetime.date(2025, 1, 1),
    )
    structure = branch_structure(cast.branch_a, today=TODAY)
    assert (structure.member_count, structure.full_member_count) == (3, 2)
    assert [w.code for w in structure.warnings] == ["too_few", "no_term"]


def test_a_holder_who_died_leaves_the_post_vacant(cast):
    current = CommitteeTerm.objects.create(
        branch=cast.branch_a,
        starts_on=datetime.date(2024, 1, 1),
        ends_on=datetime.date(2029, 1, 1),
        has_committee=False,
    )
    Position.objects.create(term=current, post="secretary", member=cast.member_a)
    assert "vacant" not in [w.code for w in branch_structure(cast.branch_a, today=TODAY).warnings]
    Member.objects.filter(pk=cast.member_a.pk).update(
        status="deceased", status_on=datetime.date(2026, 1, 1)
    )
    warnings = branch_structure(cast.branch_a, today=TODAY).warnings
    assert [w.message for w in warnings if w.code == "vacant"] == ["书记职务空缺。"]


def test_a_functional_branch_counts_the_members_taking_part_in_it(cast):
    from members.models import BranchMembership

    for member in (cast.member_a, cast.member_a_bedridden, cast.member_a_reported):
        BranchMembership.objects.create(member=member, branch=cast.functional_a)
    structure = branch_structure(cast.functional_a, today=TODAY)
    assert structure.member_count == 3
