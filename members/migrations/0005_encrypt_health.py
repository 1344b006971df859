"""Member.health encrypted at rest, filtered through a keyed hash (1 of 3).

Split like 0002-0004 (PostgreSQL refuses ALTER TABLE in a transaction that updated the
same rows): 0005 adds the encrypted column and the hash column; 0006 fills both from the
plain column in bounded batches; 0007 drops the plain column and renames. All three go
back too: 0006 backwards decrypts into the plain column again.
"""

from django.db import migrations

import accounts.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_encrypt_id_number_finish"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="health_encrypted",
            field=accounts.crypto.EncryptedCharField(blank=True, default="", max_length=12),
        ),
        migrations.AddField(
            model_name="member",
            name="health_hash",
            field=accounts.crypto.KeyedHashField(default="", source="health"),
        ),
    ]
