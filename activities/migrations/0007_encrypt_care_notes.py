# Care notes encrypted at rest (the rows follow in 0008).

import accounts.crypto
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0006_dashboard_summaries'),
    ]

    operations = [
        migrations.AlterField(
            model_name='careneed',
            name='care_note',
            field=accounts.crypto.EncryptedTextField(blank=True, help_text='Health and living details. Shown only to those who may see them.', verbose_name='care note'),
        ),
        migrations.AlterField(
            model_name='carevisit',
            name='matters_raised',
            field=accounts.crypto.EncryptedTextField(blank=True, verbose_name='problems raised'),
        ),
        migrations.AlterField(
            model_name='carevisit',
            name='summary',
            field=accounts.crypto.EncryptedTextField(blank=True, verbose_name='what happened'),
        ),
        migrations.AlterField(
            model_name='followup',
            name='matter',
            field=accounts.crypto.EncryptedCharField(max_length=300, verbose_name='matter to follow up'),
        ),
        migrations.AlterField(
            model_name='followup',
            name='outcome',
            field=accounts.crypto.EncryptedCharField(blank=True, max_length=300, verbose_name='outcome'),
        ),
    ]
