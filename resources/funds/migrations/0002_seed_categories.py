"""Every existing district starts with the default spending categories (a district
created later gets them from resources.funds.apps)."""

from django.db import migrations

DEFAULT_CATEGORIES = ("学习资料", "活动场地", "走访慰问", "交通", "其他")


def seed(apps, schema_editor):
    Organization = apps.get_model("branches", "Organization")
    SpendingCategory = apps.get_model("funds", "SpendingCategory")
    SpendingCategory.objects.bulk_create(
        [
            SpendingCategory(district_id=pk, name=name, order=order)
            for pk in Organization.objects.filter(level="district").values_list("pk", flat=True)
            for order, name in enumerate(DEFAULT_CATEGORIES)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
