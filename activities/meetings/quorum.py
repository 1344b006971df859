"""Quorum (法定人数) of general assemblies and committee meetings: pure arithmetic.

The rules, kept explicit:
- Who counts: voting members on the expected list, i.e. full members on the meeting day
  (probationary members have no vote). For a committee meeting, its members.
- Who is there: present on site or taking part online/by phone. A later make-up study
  closes an absence for the attendance rate but never makes a meeting valid.
- A bedridden member is still a voting member: the portal does not drop anyone from the
  count by itself. (The election rules let an assembly decide to leave out members who
  cannot take part; that decision belongs in the minutes, not in a default.)
- General assembly and committee meeting: more than half of the voting members.
  An election (a general assembly flagged as such): more than four fifths.
- Other kinds of meeting have no quorum.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import QUORUM_KINDS

HALF = "half"
FOUR_FIFTHS = "four_fifths"


def quorum_rule(kind: str, is_election: bool) -> str:
    if kind not in QUORUM_KINDS:
        return ""
    return FOUR_FIFTHS if is_election else HALF


def needed(rule: str, voting: int) -> int:
    """The smallest number attending that is *more than* half / four fifths of `voting`."""
    if rule == HALF:
        return voting // 2 + 1
    if rule == FOUR_FIFTHS:
        return voting * 4 // 5 + 1
    return 0


@dataclass(frozen=True)
class Quorum:
    rule: str
    voting: int
    attending: int

    @property
    def applies(self) -> bool:
        return bool(self.rule)

    @property
    def needed(self) -> int:
        return needed(self.rule, self.voting)

    @property
    def met(self) -> bool:
        return self.applies and self.voting > 0 and self.attending >= self.needed

    @property
    def rule_label(self) -> str:
        if self.rule == FOUR_FIFTHS:
            return _("Election: more than four fifths of the voting members")
        if self.rule == HALF:
            return _("More than half of the voting members")
        return ""

    @property
    def label(self) -> str:
        if not self.applies:
            return ""
        values = {"attending": self.attending, "voting": self.voting, "needed": self.needed}
        if self.voting == 0:
            return _("No voting members on the list: the quorum cannot be checked.")
        if self.met:
            return (
                _(
                    "Quorum met: %(attending)s of %(voting)s voting members attend "
                    "(at least %(needed)s needed)."
                )
                % values
            )
        return (
            _(
                "Quorum NOT met: %(attending)s of %(voting)s voting members attend "
                "(at least %(needed)s needed)."
            )
            % values
        )


def quorum_for(kind: str, is_election: bool, voting: int, attending: int) -> Quorum:
    return Quorum(quorum_rule(kind, is_election), voting, attending)
