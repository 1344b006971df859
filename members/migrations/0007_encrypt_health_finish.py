"""Member.health encrypted at rest (3 of 3): drop the plain column."""

from django.db import migrations

import accounts.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_encrypt_health_rows"),
    ]

    operations = [
        migrations.RemoveField(model_name="member", name="health"),
        migrations.RenameField(model_name="member", old_name="health_encrypted", new_name="health"),
        migrations.AlterField(
            model_name="member",
            name="health",
            field=accounts.crypto.EncryptedCharField(
                choices=[
                    ("good", "Healthy"),
                    ("fair", "Fair"),
                    ("poor", "Poor"),
                    ("bedridden", "Bedridden"),
                ],
                default="good",
                max_length=12,
                verbose_name="health",
            ),
        ),
        migrations.AlterField(
            model_name="member",
            name="health_hash",
            field=accounts.crypto.KeyedHashField(source="health"),
        ),
    ]
