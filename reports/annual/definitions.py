"""What the annual return (年报) shows: each figure defined once, with the definition
shown beside it on the page, in the Excel sheet and in the PDF, in the sections of the
form; and the sums and rates of a set of figures. `figures` computes them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from activities.meetings.models import MeetingKind
from activities.year_end.models import Grade


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    definition: str


@dataclass(frozen=True)
class Rate:
    """A share shown from two counts of the return (numerator / denominator)."""

    key: str
    label: str
    numerator: str
    denominator: str
    definition: str


@dataclass(frozen=True)
class Section:
    title: str
    figures: tuple
    note: str = ""


ON_ROLLS = _(
    "members on the rolls on 31 December: members whose community of residence is here, "
    "not deceased or moved away on or before that day"
)

MEETINGS_HELD = tuple(
    Figure(f"meetings_{kind}", label, _("Held in the year (by the date held)."))
    for kind, label in MeetingKind.choices
)

APPRAISED = tuple(
    Figure(
        f"appraised_{grade}",
        label,
        _("Members whose grade decided in the year's 民主评议党员 is this one."),
    )
    for grade, label in (
        (Grade.EXCELLENT, _("Appraised excellent")),
        (Grade.QUALIFIED, _("Appraised qualified")),
        (Grade.BASICALLY_QUALIFIED, _("Appraised basically qualified")),
        (Grade.UNQUALIFIED, _("Appraised unqualified")),
    )
)

SECTIONS = (
    Section(
        _("The members and their make-up"),
        (
            Figure("members", _("Members on the rolls"), ON_ROLLS),
            Figure("lixiu", _("Lixiu (pre-1949 veterans)"), _("Of the members on the rolls.")),
            Figure("tuixiu", _("Tuixiu (retired)"), _("Of the members on the rolls.")),
            Figure("male", _("Men"), _("Of the members on the rolls.")),
            Figure("female", _("Women"), _("Of the members on the rolls.")),
            Figure("age_under_70", _("Aged under 70"), _("Age on 31 December.")),
            Figure("age_70_79", _("Aged 70 to 79"), _("Age on 31 December.")),
            Figure(
                "age_80_89",
                _("Aged 80 to 89"),
                _("Age on 31 December: a member who turns 80 on 31 December counts here."),
            ),
            Figure("age_90_plus", _("Aged 90 and over"), _("Age on 31 December.")),
            Figure(
                "party_under_30",
                _("Party standing under 30 years"),
                _(
                    "党龄 on 31 December, counted from the day the member became a full "
                    "member (转正), as the Party Constitution counts it."
                ),
            ),
            Figure("party_30_49", _("Party standing 30 to 49 years"), _("党龄 on 31 December.")),
            Figure(
                "party_50_plus",
                _("Party standing 50 years and over"),
                _("党龄 of 50 years or more on 31 December: 光荣在党50年."),
            ),
            Figure(
                "party_unknown",
                _("Party standing not recorded"),
                _("No full-membership date recorded, or not yet a full member on 31 December."),
            ),
        ),
    ),
    Section(
        _("Changes in the year"),
        (
            Figure(
                "deaths",
                _("Deaths"),
                _("Members living here marked deceased with a date in the year."),
            ),
            Figure(
                "moved_in",
                _("Moved in"),
                _(
                    "Community registrations (社区报到) here reported in the year by members "
                    "who had registered with another community before."
                ),
            ),
            Figure(
                "moved_out",
                _("Moved out"),
                _(
                    "Members who left in the year: marked moved away with a date in the year, "
                    "or whose registration here was withdrawn in the year and who now live "
                    "in another community. A move between two communities of an area counts "
                    "once out and once in."
                ),
            ),
            Figure(
                "new_registrations",
                _("New community registrations"),
                _(
                    "Community registrations (社区报到) here reported in the year, "
                    "moves in included."
                ),
            ),
            Figure(
                "registered",
                _("Members registered"),
                _(
                    "Members on the rolls whose registration here was accepted on or before "
                    "31 December and not withdrawn by then."
                ),
            ),
            Rate(
                "coverage",
                _("Registration coverage"),
                "registered",
                "members",
                _("Members registered / members on the rolls."),
            ),
        ),
    ),
    Section(
        _("Branches"),
        (
            Figure(
                "branches_community",
                _("Community retiree branches"),
                _("Branches of this kind existing on 31 December (founded, not dissolved)."),
            ),
            Figure("branches_functional", _("Functional branches"), _("Existing on 31 December.")),
            Figure("branches_joint", _("Joint branches"), _("Existing on 31 December.")),
            Figure(
                "branches_pilot",
                _("Pilot branches"),
                _("Branches existing on 31 December marked as pilots."),
            ),
            Figure(
                "committees_due",
                _("Committees due for election"),
                _(
                    "Branches existing on 31 December whose committee term current on that day "
                    "ends by the end of the next year, or that have no current term."
                ),
            ),
        ),
    ),
    Section(
        _("Organisational life"),
        (
            *MEETINGS_HELD,
            Figure(
                "periods_met",
                _("Cadence periods met"),
                _(
                    "Branch x meeting kind x rule period of the year in which the branch held "
                    "the meetings the cadence rules require (activities' compliance)."
                ),
            ),
            Figure(
                "periods_behind",
                _("Cadence periods behind"),
                _(
                    "Finished periods of the year without the required meetings; "
                    "excused ones not counted."
                ),
            ),
            Rate(
                "compliance",
                _("Cadence compliance"),
                "periods_met",
                "periods_judged",
                _("Periods met / (periods met + periods behind)."),
            ),
            Figure(
                "attendance_expected",
                _("Expected attendances"),
                _("Members expected at the meetings held in the year, summed over the meetings."),
            ),
            Figure(
                "attendance_counted",
                _("Attendances counted"),
                _(
                    "Present + online or by phone + made up (补学), at the meetings held "
                    "in the year."
                ),
            ),
            Rate(
                "attendance",
                _("Attendance rate"),
                "attendance_counted",
                "attendance_expected",
                _("(Present + remote + made up) / expected."),
            ),
        ),
    ),
    Section(
        _("Care"),
        (
            Figure(
                "care_needs",
                _("Members in care"),
                _(
                    "Open care needs (关怀对象) of members living here; visits judged on "
                    "31 December (before then, on the day computed)."
                ),
            ),
            Figure(
                "care_covered",
                _("Visited within their interval"),
                _("Of the members in care: the last visit within the target interval."),
            ),
            Rate(
                "care_coverage",
                _("Care coverage"),
                "care_covered",
                "care_needs",
                _("Visited within their interval / members in care."),
            ),
        ),
    ),
    Section(
        _("Honours"),
        (
            Figure(
                "honours",
                _("Honours conferred"),
                _("Honours (先进典型) conferred in the year on members on the rolls."),
            ),
            Figure(
                "honoured_members",
                _("Members honoured"),
                _("Members on the rolls with at least one honour conferred in the year."),
            ),
        ),
    ),
    Section(
        _("Year-end cycle"),
        (
            Figure(
                "talks_planned",
                _("Heart-to-heart talk pairs planned"),
                _("谈心谈话 pairs planned in the branches' year-end cycles of the year."),
            ),
            Figure(
                "talks_done",
                _("Heart-to-heart talks done"),
                _("Of the pairs planned: recorded as held, with a date on or before 31 December."),
            ),
            Rate(
                "talks",
                _("Heart-to-heart talks done, share"),
                "talks_done",
                "talks_planned",
                _("Talks done / pairs planned."),
            ),
            *APPRAISED,
            Figure(
                "rectification_closed",
                _("Rectification items of the year closed"),
                _(
                    "整改 items found at the year's 组织生活会, closed with evidence on or "
                    "before 31 December."
                ),
            ),
            Figure(
                "rectification_open",
                _("Rectification items of the year still open"),
                _(
                    "整改 items found at the year's 组织生活会, not closed by 31 December: "
                    "they carry over into the next year."
                ),
            ),
            Figure(
                "rectification_earlier_closed",
                _("Carried-over items closed in the year"),
                _("整改 items found in earlier years, closed with a date in the year."),
            ),
            Figure(
                "rectification_earlier_open",
                _("Carried-over items still open"),
                _(
                    "整改 items found in earlier years, still open on 31 December. An item "
                    "counts under the year it was found in that year's return, then as "
                    "carried over in every later return until the year it is closed; always "
                    "where its branch sits."
                ),
            ),
        ),
    ),
)

FIGURES = [f for s in SECTIONS for f in s.figures if isinstance(f, Figure)]
KEYS = [f.key for f in FIGURES] + ["periods_judged"]


def empty() -> dict[str, int]:
    return dict.fromkeys(KEYS, 0)


def add(total: dict, other: dict) -> dict:
    """Sum two returns' figures (keys missing from an older snapshot count 0)."""
    for key in KEYS:
        total[key] = total.get(key, 0) + int(other.get(key, 0) or 0)
    return total


def rate(figures: dict, item: Rate) -> float | None:
    denominator = figures.get(item.denominator) or 0
    return figures.get(item.numerator, 0) / denominator if denominator else None
