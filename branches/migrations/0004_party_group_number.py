"""Number the party groups (the order they are listed in) from the ordinal in their names
(第一党小组 -> 1, 第十二党小组 -> 12); groups without one, or whose ordinal another group of
the branch already took, follow in creation order."""

import django.core.validators
from django.db import migrations, models

from branches.numbering import ordinal_in


def number_groups(apps, schema_editor):
    PartyGroup = apps.get_model("branches", "PartyGroup")
    by_branch = {}
    for group in PartyGroup.objects.order_by("branch_id", "pk").only("pk", "branch_id", "name"):
        by_branch.setdefault(group.branch_id, []).append(group)
    numbered = []
    for groups in by_branch.values():
        taken = set()
        rest = []
        for group in groups:
            wanted = ordinal_in(group.name)
            if wanted and wanted not in taken:
                group.number = wanted
                taken.add(wanted)
                numbered.append(group)
            else:
                rest.append(group)
        for group in rest:
            group.number = max(taken, default=0) + 1
            taken.add(group.number)
            numbered.append(group)
    PartyGroup.objects.bulk_update(numbered, ["number"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0003_organization_figures_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="partygroup",
            name="number",
            field=models.PositiveIntegerField(null=True, verbose_name="group number"),
        ),
        migrations.RunPython(number_groups, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="partygroup",
            name="number",
            field=models.PositiveIntegerField(
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="group number",
            ),
        ),
        migrations.AlterModelOptions(
            name="partygroup",
            options={
                "ordering": ["branch", "number"],
                "verbose_name": "party group",
                "verbose_name_plural": "party groups",
            },
        ),
        migrations.AddConstraint(
            model_name="partygroup",
            constraint=models.UniqueConstraint(
                fields=("branch", "number"), name="party_group_unique_number"
            ),
        ),
        migrations.AddConstraint(
            model_name="partygroup",
            constraint=models.CheckConstraint(
                condition=models.Q(number__gte=1), name="party_group_number_positive"
            ),
        ),
    ]
