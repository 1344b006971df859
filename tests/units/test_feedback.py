"""The feedback report (双向联系反馈表): the lines equal the attendance report, the
services' rules (regenerate, review, send, acknowledge, conflicts), who sees which
letter, the pages and their query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.meetings.ledgers import attendance_report
from activities.meetings.periods import quarter_span
from branches.models import Organization
from units.feedback import selectors, services
from units.feedback.models import FeedbackLetter, FeedbackLine, LetterState
from units.messages.models import UnitMessage, UnitMessageKind

from .. import factories as f

D = datetime.date
FIGURES = ("expected", "present", "remote", "excused", "absent", "made_up")


def _report_sums(branches, member_id) -> dict:
    sums = dict.fromkeys(FIGURES, 0)
    for branch in branches:
        for quarter in (1, 2):
            for line in attendance_report(branch, quarter_span(2026, quarter)).lines:
                if line.member_id == member_id:
                    for name in FIGURES:
                        sums[name] += getattr(line.tally, name)
    return sums


def _generate(cast, **kwargs):
    return services.letter_generate(
        unit=cast.unit_a, community=cast.community_a, year=2026, half=1, **kwargs
    )


# --- The figures ------------------------------------------------------------------------------


def test_each_line_equals_the_attendance_report_summed_over_the_persons_branches(cast, half_year):
    letter = _generate(cast)
    lines = {line.member_id: line for line in letter.lines.all()}
    assert set(lines) == {
        cast.member_a.pk,
        half_year.mover.pk,
        half_year.stayer.pk,
        half_year.died.pk,
    }
    for member_id, line in lines.items():
        stored = {name: getattr(line, name) for name in FIGURES}
        assert stored == _report_sums([cast.branch_a, half_year.branch_two], member_id)
    # By hand for the mover: 2 meetings in branch_a, 2 in the second branch.
    mover = lines[half_year.mover.pk]
    assert (mover.expected, mover.present, mover.remote, mover.excused, mover.absent) == (
        4,
        0,
        1,
        1,
        2,
    )
    assert mover.made_up == 2 and mover.rate == 0.75
    assert mover.branch_name == "翠园社区第二党支部"
    assert lines[half_year.died.pk].expected == 2  # February and March, then died


def test_a_member_who_left_before_any_meeting_and_another_units_member_are_not_listed(
    cast, half_year
):
    members = {
        line.member_id for line in selectors.letter_lines(cast.unit_a, cast.community_a, 2026, 1)
    }
    assert half_year.left_early.pk not in members
    assert half_year.other_unit.pk not in members


def test_care_roles_and_honours_are_in_words_a_unit_may_read(cast, half_year):
    lines = {line.member_id: line for line in _generate(cast).lines.all()}
    mover, stayer = lines[half_year.mover.pk], lines[half_year.stayer.pk]
    assert mover.care_visits == 2
    # The sick visit reads as a plain visit; the problem's text, the summary and the
    # reason for care never reach the unit.
    for secret in ("心脏", "住院", "医药费", "报销", "sick", "探望病"):
        assert secret not in mover.care_outcome
    assert "1" in mover.care_outcome
    assert "翠园社区" in stayer.service_roles  # the grid role held in the half
    assert stayer.service_roles.count("（") == 1  # the volunteer role ended in 2025
    assert stayer.honours == "优秀共产党员（2026-06）"


def test_the_lines_take_six_queries_whatever_the_number_of_people(cast, half_year):
    with CaptureQueriesContext(connection) as few:
        selectors.letter_lines(cast.unit_a, cast.community_a, 2026, 1)
    for n in range(5):
        extra = f.member(name=f"新成员{n}", community=cast.community_a, original_unit=cast.unit_a)
        f.registration(member=extra, branch=cast.branch_a)
    with CaptureQueriesContext(connection) as many:
        selectors.letter_lines(cast.unit_a, cast.community_a, 2026, 1)
    # people, attendance tallies, care visits by kind, follow-ups, service roles, honours
    assert len(few) == len(many) == 6


# --- The services -----------------------------------------------------------------------------


def test_regenerating_a_draft_replaces_its_lines_and_keeps_the_remarks(cast, half_year):
    letter = _generate(cast)
    line = letter.lines.get(member=half_year.mover)
    services.letter_review(
        letter=letter,
        remarks="整体情况良好",
        line_remarks={line.pk: "积极参加"},
        version=letter.version,
        actor=cast.user("community_secretary"),
    )
    extra = f.member(name="郑新来", community=cast.community_a, original_unit=cast.unit_a)
    f.registration(member=extra, branch=cast.branch_a)
    again = _generate(cast, actor=cast.user("community_secretary"))
    assert again.pk == letter.pk and again.version == letter.version + 1
    assert again.remarks == "整体情况良好"
    assert again.reviewed_at is None  # the figures reviewed are gone: review again
    assert again.lines.get(member=half_year.mover).remark == "积极参加"
    assert again.lines.filter(member=extra).exists()
    assert not FeedbackLine.objects.filter(pk=line.pk).exists()


def _reviewed(cast, letter):
    return services.letter_review(
        letter=letter,
        remarks="",
        line_remarks={},
        version=letter.version,
        actor=cast.user("community_secretary"),
    )


def test_a_sent_letter_is_never_regenerated(cast, half_year):
    letter = _reviewed(cast, _generate(cast))
    services.letter_send(
        letter=letter, version=letter.version, actor=cast.user("community_secretary")
    )
    frozen = list(letter.lines.values_list("pk", "expected"))
    with pytest.raises(services.FeedbackError) as refused:
        _generate(cast)
    assert refused.value.code == "sent"
    assert list(letter.lines.values_list("pk", "expected")) == frozen


def test_sending_needs_a_review_and_tells_the_unit(cast, half_year):
    secretary = cast.user("community_secretary")
    letter = _generate(cast)
    with pytest.raises(services.FeedbackError) as refused:
        services.letter_send(letter=letter, version=letter.version, actor=secretary)
    assert refused.value.code == "not_reviewed"
    letter = _reviewed(cast, letter)
    services.letter_send(letter=letter, version=letter.version, actor=secretary)
    letter.refresh_from_db()
    assert letter.state == LetterState.SENT and letter.sent_by == secretary
    message = UnitMessage.objects.get(subject=f"feedback:{letter.pk}")
    assert message.kind == UnitMessageKind.FEEDBACK_REPORT and message.unit == cast.unit_a
    assert message.link == reverse("feedback:letter", args=[letter.pk])


def test_two_reviews_from_the_same_version_conflict(cast, half_year):
    letter = _generate(cast)
    version = letter.version
    services.letter_review(
        letter=letter, remarks="第一位", line_remarks={}, version=version, actor=None
    )
    with pytest.raises(services.FeedbackError) as refused:
        services.letter_review(
            letter=letter, remarks="第二位", line_remarks={}, version=version, actor=None
        )
    assert refused.value.code == "conflict"
    letter.refresh_from_db()
    assert letter.remarks == "第一位"


def test_the_liaison_acknowledges_once_and_the_community_reads_the_reply(cast, half_year):
    letter = _reviewed(cast, _generate(cast))
    services.letter_send(letter=letter, version=letter.version, actor=None)
    liaison = cast.user("unit_liaison")
    services.letter_acknowledge(letter=letter, reply="感谢社区的关心", actor=liaison)
    letter.refresh_from_db()
    assert (letter.state, letter.reply, letter.acknowledged_by) == (
        LetterState.ACKNOWLEDGED,
        "感谢社区的关心",
        liaison,
    )
    with pytest.raises(services.FeedbackError):
        services.letter_acknowledge(letter=letter, reply="再次", actor=liaison)
    assert services.reply_read(letter=letter, actor=None) is True
    assert services.reply_read(letter=letter, actor=None) is False


# --- Scope ------------------------------------------------------------------------------------


def test_the_liaison_never_sees_a_draft_and_only_their_units_letters(cast, half_year, client_for):
    draft = _generate(cast)
    theirs = services.letter_generate(
        unit=cast.unit_b, community=cast.community_a, year=2026, half=1
    )
    liaison = client_for("unit_liaison")
    assert liaison.get(reverse("feedback:letter", args=[draft.pk])).status_code == 404
    draft = _reviewed(cast, draft)
    services.letter_send(letter=draft, version=draft.version, actor=None)
    page = liaison.get(reverse("feedback:letter", args=[draft.pk]))
    assert page.status_code == 200 and "钱志远" in page.content.decode()
    theirs = _reviewed(cast, theirs)
    services.letter_send(letter=theirs, version=theirs.version, actor=None)
    assert liaison.get(reverse("feedback:letter", args=[theirs.pk])).status_code == 404
    listing = liaison.get(reverse("feedback:unit_letters")).content.decode()
    assert reverse("feedback:letter", args=[draft.pk]) in listing
    assert reverse("feedback:letter", args=[theirs.pk]) not in listing


def test_another_community_gets_404(cast, half_year, client_for):
    letter = _generate(cast)
    other = client_for("community_b_secretary")
    assert other.get(reverse("feedback:letter", args=[letter.pk])).status_code == 404
    assert other.get(reverse("feedback:community", args=[cast.community_a.pk])).status_code == 404


# --- Pages ------------------------------------------------------------------------------------


def test_the_community_generates_reviews_and_sends_through_the_pages(cast, half_year, client_for):
    client = client_for("community_secretary")
    url = reverse("feedback:generate", args=[cast.community_a.pk, cast.unit_a.pk, 2026, 1])
    response = client.post(url)
    letter = FeedbackLetter.objects.get(unit=cast.unit_a, community=cast.community_a)
    assert response.url == reverse("feedback:letter", args=[letter.pk])
    line = letter.lines.get(member=half_year.mover)
    response = client.post(
        reverse("feedback:review", args=[letter.pk]),
        {"version": letter.version, "remarks": "好", f"line_{line.pk}": "按时参加"},
    )
    assert response.status_code == 302
    stale = letter.version
    letter.refresh_from_db()
    response = client.post(reverse("feedback:send", args=[letter.pk]), {"version": stale})
    assert response.status_code == 200 and "其他人" in response.content.decode()
    response = client.post(reverse("feedback:send", args=[letter.pk]), {"version": letter.version})
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.state == LetterState.SENT
    assert letter.lines.get(pk=line.pk).remark == "按时参加"


@pytest.mark.parametrize(
    "query",
    ["year=2026&half=3", "year=%C2%B2&half=1", "year=99999999999999999999", "half=x", "year=2099"],
)
def test_the_half_year_in_the_query_string_is_parsed_by_a_form(cast, client_for, query):
    url = reverse("feedback:community", args=[cast.community_a.pk]) + "?" + query
    response = client_for("community_secretary").get(url)
    assert response.status_code == 200
    assert "无效" in response.content.decode() or "不是有效" in response.content.decode()
    assert (response.context["year"], response.context["half"]) == selectors.last_finished_half(
        timezone.localdate()
    )


def test_the_community_page_takes_a_fixed_number_of_queries(
    cast, half_year, client_for, django_assert_num_queries
):
    client = client_for("community_secretary")
    url = reverse("feedback:community", args=[cast.community_a.pk]) + "?year=2026&half=1"
    client.get(url)
    _generate(cast)
    services.letter_generate(unit=cast.unit_b, community=cast.community_a, year=2026, half=1)
    # session, user, scope, the community, units, letters, unread replies
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200


def test_the_letter_page_takes_a_fixed_number_of_queries(
    cast, half_year, client_for, django_assert_num_queries
):
    letter = _generate(cast)
    client = client_for("community_secretary")
    url = reverse("feedback:letter", args=[letter.pk])
    client.get(url)
    # session, user, scope, the letter, its lines
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


def test_the_workbench_counts_equal_the_pages(cast, half_year, client_for, monkeypatch):
    today = D(2026, 8, 3)
    monkeypatch.setattr(timezone, "localdate", lambda *a: today)
    _generate(cast)
    services.letter_generate(unit=cast.unit_b, community=cast.community_a, year=2026, half=1)
    community = client_for("community_secretary")
    home = community.get(reverse("home"))
    section = next(
        s for s in home.context["panels"]["units"]["sections"] if s["name"] == "feedback"
    )
    page = community.get(reverse("feedback:community", args=[cast.community_a.pk]))
    assert section["data"]["to_send"] == page.context["to_send"] == 2
    letter = _reviewed(cast, FeedbackLetter.objects.get(unit=cast.unit_a))
    services.letter_send(letter=letter, version=letter.version, actor=None)
    liaison = client_for("unit_liaison")
    home = liaison.get(reverse("home"))
    section = next(
        s for s in home.context["panels"]["units"]["sections"] if s["name"] == "feedback"
    )
    listing = liaison.get(reverse("feedback:unit_letters"))
    assert section["data"]["to_acknowledge"] == listing.context["to_acknowledge"] == 1


def test_the_demo_gives_the_liaison_an_acknowledged_a_sent_and_a_draft_report(cast, half_year):
    from units.feedback.demo import seed_feedback

    seeded = seed_feedback(
        unit=cast.unit_a,
        community=cast.community_a,
        secretary=cast.user("community_secretary"),
        liaison=cast.user("unit_liaison"),
        today=D(2026, 12, 6),
    )
    states = sorted(FeedbackLetter.objects.filter(unit=cast.unit_a).values_list("state", flat=True))
    assert seeded.letters == 3
    assert states == sorted([LetterState.ACKNOWLEDGED, LetterState.SENT, LetterState.DRAFT])


def test_erasing_a_member_takes_their_lines_off_every_letter(cast, half_year):
    from members.erasure import member_erase

    letter = _reviewed(cast, _generate(cast))
    services.letter_send(letter=letter, version=letter.version, actor=None)
    member_erase(member=half_year.stayer, actor=None)
    names = set(letter.lines.values_list("name", flat=True))
    assert "孙桂芳" not in names and "钱志远" in names


def test_a_community_does_not_write_to_a_unit_without_retirees_there(cast, client_for):
    url = reverse("feedback:generate", args=[cast.community_a.pk, cast.unit_b.pk, 2026, 1])
    # unit_b's retiree in community_a has only reported (not yet placed).
    assert client_for("community_secretary").post(url).status_code == 404
    assert not FeedbackLetter.objects.exists()


def test_the_model_scope_never_gives_a_liaison_a_draft(cast, half_year):
    draft = _generate(cast)
    liaison, secretary = cast.user("unit_liaison"), cast.user("community_secretary")
    assert not FeedbackLetter.objects.visible_to(liaison).exists()
    assert list(FeedbackLetter.objects.visible_to(secretary)) == [draft]
    draft = _reviewed(cast, draft)
    services.letter_send(letter=draft, version=draft.version, actor=None)
    assert list(FeedbackLetter.objects.visible_to(liaison)) == [draft]
    assert not FeedbackLetter.objects.visible_to(cast.user("community_b_secretary")).exists()


# --- The district's run: a unit at a time -----------------------------------------------------

LINE_FIELDS = (
    "member_id",
    "name",
    "branch_name",
    "registered_on",
    *FIGURES,
    "care_visits",
    "care_outcome",
    "service_roles",
    "honours",
    "remark",
)


def _lines_of(letter):
    return list(letter.lines.order_by("member_id").values_list(*LINE_FIELDS))


def test_the_run_writes_the_same_lines_as_generating_each_letter(cast, half_year):
    # A second community of the same unit, so the unit's step writes two letters at once.
    elsewhere = f.member(name="冯建国", community=cast.community_a2, original_unit=cast.unit_a)
    f.registration(member=elsewhere, branch=cast.branch_a2)
    one_by_one = {
        community.pk: _lines_of(
            services.letter_generate(unit=cast.unit_a, community=community, year=2026, half=1)
        )
        for community in (cast.community_a, cast.community_a2)
    }
    FeedbackLetter.objects.all().delete()
    written = services.unit_generate(
        unit=cast.unit_a, communities=[cast.community_a, cast.community_a2], year=2026, half=1
    )
    assert written == 2
    by_run = {
        letter.community_id: _lines_of(letter)
        for letter in FeedbackLetter.objects.filter(unit=cast.unit_a)
    }
    assert by_run == one_by_one
    assert len(one_by_one[cast.community_a.pk]) == 4  # member_a, mover, stayer, died
    assert [line[0] for line in one_by_one[cast.community_a2.pk]] == [elsewhere.pk]


def test_the_runs_step_keeps_remarks_clears_the_review_and_leaves_sent_letters(cast, half_year):
    draft = _generate(cast)
    line = draft.lines.order_by("pk").first()
    line.remark = "积极参加"
    line.save(update_fields=["remark"])
    FeedbackLetter.objects.filter(pk=draft.pk).update(reviewed_at=timezone.now())
    sent = services.letter_generate(
        unit=cast.unit_a, community=cast.community_a2, year=2026, half=1
    )
    FeedbackLetter.objects.filter(pk=sent.pk).update(state=LetterState.SENT)
    written = services.unit_generate(
        unit=cast.unit_a, communities=[cast.community_a, cast.community_a2], year=2026, half=1
    )
    assert written == 1
    draft.refresh_from_db()
    assert draft.reviewed_at is None and draft.version == 2
    assert draft.lines.get(member_id=line.member_id).remark == "积极参加"
    assert FeedbackLetter.objects.get(pk=sent.pk).state == LetterState.SENT


def test_the_runs_step_takes_the_same_queries_for_one_community_or_several(cast, half_year):
    def queries(communities):
        FeedbackLetter.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            services.unit_generate(unit=cast.unit_a, communities=communities, year=2026, half=1)
        return len(captured)

    one = queries([cast.community_a])
    for n in range(3):
        community = f.org(name=f"新建社区{n}", parent=cast.street_a, level="community")
        person = f.member(name="郑秀兰", community=community, original_unit=cast.unit_a)
        f.registration(member=person, branch=f.branch(organization=community))
    several = queries(list(Organization.objects.filter(parent=cast.street_a, level="community")))
    assert several == one
