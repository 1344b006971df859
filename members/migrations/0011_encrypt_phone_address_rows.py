"""Encrypt the phones and addresses already written (0010 switched the fields).

A migration of its own: PostgreSQL refuses to alter a table in the transaction that
updated its rows. Bounded batches through raw SQL; going back decrypts them again.
"""

from django.db import migrations

from accounts.crypto import decrypt_columns, encrypt_columns

COLUMNS = ["phone", "address"]


def encrypt(apps, schema_editor):
    encrypt_columns(schema_editor, "members_member", COLUMNS)


def decrypt(apps, schema_editor):
    decrypt_columns(schema_editor, "members_member", COLUMNS)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0010_encrypt_phone_address"),
    ]

    operations = [
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
