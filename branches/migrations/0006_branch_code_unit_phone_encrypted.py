# Branches get a code (the key a re-import matches by); unit contact phones are
# encrypted at rest (the rows follow in 0007).

import accounts.crypto
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('branches', '0005_venue_access_equipment_owner_contact'),
    ]

    operations = [
        migrations.AddField(
            model_name='branch',
            name='code',
            field=models.CharField(blank=True, max_length=32, verbose_name='branch code'),
        ),
        migrations.AlterField(
            model_name='originalunit',
            name='contact_phone',
            field=accounts.crypto.EncryptedCharField(blank=True, max_length=20, verbose_name='contact phone'),
        ),
        migrations.AddConstraint(
            model_name='branch',
            constraint=models.UniqueConstraint(condition=models.Q(('code', ''), _negated=True), fields=('code',), name='branch_code_unique'),
        ),
    ]
