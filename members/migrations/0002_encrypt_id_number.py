"""Member.id_number encrypted at rest, found through a unique keyed hash (1 of 3).

Three migrations, so that no transaction both updates rows and alters their table
(PostgreSQL refuses ALTER TABLE with pending trigger events): 0002 adds the encrypted
column and a plain (not yet unique) hash column; 0003 fills both from the plain column
in bounded batches; 0004 drops the plain column, renames, and makes the hash unique.
All three go back too: 0003 backwards decrypts into the plain column again.
"""

from django.db import migrations, models

import accounts.crypto
import members.validators


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
    ]

    operations = [
        # Not unique for the moment: going back re-adds the column empty on every row.
        migrations.AlterField(
            model_name="member",
            name="id_number",
            field=models.CharField(
                blank=True,
                default="",
                max_length=18,
                validators=[members.validators.validate_id_number],
                verbose_name="ID number",
            ),
        ),
        migrations.AddField(
            model_name="member",
            name="id_number_encrypted",
            field=accounts.crypto.EncryptedCharField(blank=True, default="", max_length=18),
        ),
        migrations.AddField(
            model_name="member",
            name="id_number_hash",
            field=accounts.crypto.KeyedHashField(
                db_index=False,
                default="",
                normalizer=members.validators.normalize_id_number,
                source="id_number",
            ),
        ),
    ]
