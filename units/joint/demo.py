"""Demo joint meeting for seed_demo: the demo street convened the demo community, the demo
liaison's unit and the demo branch three weeks ago; four action items, one each for the
unit (open, overdue: on the liaison's workbench), the community (open), the street
(closed) and the branch (open). Bulk inserts; demo data leaves no audit rows and sends
no unit messages (nobody did it).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from .models import ActionItem, JointMeeting, JointParty, Party

DAY = datetime.timedelta(days=1)


def seed_joint(*, street, community, unit, branch, recorder, today: datetime.date) -> int:
    """Returns the number of action items written."""
    held_on = today - 21 * DAY
    meeting = JointMeeting.objects.create(
        area=street,
        held_on=held_on,
        place=f"{street.name}党群服务中心",
        topic="新退休干部报到和困难党员帮扶",
        matters="原单位新退休人员尚未到社区报到；两位卧床党员需送学上门；活动经费分担。",
        decisions="原单位两周内提供名单并动员报到；社区安排送学上门；街道协调经费。",
        recorded_by=recorder,
    )
    JointParty.objects.bulk_create(
        [
            JointParty(
                meeting=meeting, party=Party.STREET, organization=street, attendees="王委员"
            ),
            JointParty(
                meeting=meeting, party=Party.COMMUNITY, organization=community, attendees="张书记"
            ),
            JointParty(meeting=meeting, party=Party.UNIT, unit=unit, attendees="刘联络员"),
            JointParty(meeting=meeting, party=Party.BRANCH, branch=branch, attendees="陈书记"),
        ]
    )
    closed_at = timezone.make_aware(datetime.datetime.combine(today - 3 * DAY, datetime.time(10)))
    items = ActionItem.objects.bulk_create(
        [
            ActionItem(
                meeting=meeting,
                title="提供今年新退休干部名单并动员到社区报到",
                party=Party.UNIT,
                unit=unit,
                due_on=today - 7 * DAY,
            ),
            ActionItem(
                meeting=meeting,
                title="为两位卧床党员安排送学上门",
                party=Party.COMMUNITY,
                organization=community,
                due_on=today + 14 * DAY,
            ),
            ActionItem(
                meeting=meeting,
                title="协调支部活动经费分担",
                party=Party.STREET,
                organization=street,
                due_on=today - 5 * DAY,
                closed_at=closed_at,
                closed_by=recorder,
                closing_note="已与原单位商定各担一半，下拨到支部。",
            ),
            ActionItem(
                meeting=meeting,
                title="支部组织一次主题党日介绍报到流程",
                party=Party.BRANCH,
                branch=branch,
                due_on=today + 21 * DAY,
            ),
        ]
    )
    return len(items)
