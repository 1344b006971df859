"""Encrypt the original units' contact phones already written (0006 switched the field).

A migration of its own: PostgreSQL refuses to alter a table in the transaction that
updated its rows. Bounded batches through raw SQL; going back decrypts them again.
"""

from django.db import migrations

from accounts.crypto import decrypt_columns, encrypt_columns

COLUMNS = ["contact_phone"]


def encrypt(apps, schema_editor):
    encrypt_columns(schema_editor, "branches_originalunit", COLUMNS)


def decrypt(apps, schema_editor):
    decrypt_columns(schema_editor, "branches_originalunit", COLUMNS)


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0006_branch_code_unit_phone_encrypted"),
    ]

    operations = [
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
