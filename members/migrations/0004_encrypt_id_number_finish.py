"""Member.id_number encrypted at rest (3 of 3): drop the plain column, unique hash."""

from django.db import migrations

import accounts.crypto
import members.validators


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_encrypt_id_number_rows"),
    ]

    operations = [
        migrations.RemoveField(model_name="member", name="id_number"),
        migrations.RenameField(
            model_name="member", old_name="id_number_encrypted", new_name="id_number"
        ),
        migrations.AlterField(
            model_name="member",
            name="id_number",
            field=accounts.crypto.EncryptedCharField(
                max_length=18,
                validators=[members.validators.validate_id_number],
                verbose_name="ID number",
            ),
        ),
        migrations.AlterField(
            model_name="member",
            name="id_number_hash",
            field=accounts.crypto.KeyedHashField(
                normalizer=members.validators.normalize_id_number,
                source="id_number",
                unique=True,
            ),
        ),
    ]
