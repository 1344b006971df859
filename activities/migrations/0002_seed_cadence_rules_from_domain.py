"""Seed the default cadence rules (no district) from DOMAIN.md. Districts edit or override
them in the portal; this migration only creates the defaults once."""

import datetime

from django.db import migrations

REGULATION = "《中国共产党支部工作条例（试行）》（2018年10月）"
IN_FORCE_FROM = datetime.date(2018, 10, 28)  # the regulation took effect when issued

# (kind, period, minimum, per party group, source note)
DEFAULT_RULES = [
    ("general_assembly", "quarter", 1, False, f"{REGULATION}：支部党员大会一般每季度召开1次。"),
    ("committee", "month", 1, False, f"{REGULATION}：支部委员会会议一般每月召开1次。"),
    ("group", "month", 1, True, f"{REGULATION}：党小组会一般每月召开1次（每个党小组）。"),
    (
        "lecture",
        "quarter",
        1,
        False,
        "地方实践：党课至少每季度1次（条例未规定支部层面的次数，可按本区要求调整）。",
    ),
    ("theme_day", "month", 1, False, "主题党日每月1次，时间相对固定。"),
    ("life_meeting", "year", 1, False, f"{REGULATION}：组织生活会一般每年召开1次，通常在第四季度。"),
    ("appraisal", "year", 1, False, "民主评议党员每年开展1次，一般结合组织生活会进行。"),
]


def seed(apps, schema_editor):
    CadenceRule = apps.get_model("activities", "CadenceRule")
    if CadenceRule.objects.filter(district__isnull=True).exists():
        return
    CadenceRule.objects.bulk_create(
        CadenceRule(
            district=None,
            kind=kind,
            period=period,
            minimum_count=minimum,
            per_group=per_group,
            valid_from=IN_FORCE_FROM,
            source_note=note,
        )
        for kind, period, minimum, per_group, note in DEFAULT_RULES
    )


def unseed(apps, schema_editor):
    CadenceRule = apps.get_model("activities", "CadenceRule")
    CadenceRule.objects.filter(
        district__isnull=True, valid_from=IN_FORCE_FROM, updated_by__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_meetings_attendance_cadence"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
