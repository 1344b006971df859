"""Encrypt the care notes already written (0007 switched the fields to encrypted ones).

A migration of its own: PostgreSQL refuses to alter a table in the transaction that
updated its rows. Bounded batches through raw SQL; going back decrypts them again.
"""

from django.db import migrations

from accounts.crypto import decrypt_columns, encrypt_columns

COLUMNS = {
    "activities_careneed": ["care_note"],
    "activities_carevisit": ["summary", "matters_raised"],
    "activities_followup": ["matter", "outcome"],
}


def encrypt(apps, schema_editor):
    for table, columns in COLUMNS.items():
        encrypt_columns(schema_editor, table, columns)


def decrypt(apps, schema_editor):
    for table, columns in COLUMNS.items():
        decrypt_columns(schema_editor, table, columns)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0007_encrypt_care_notes"),
    ]

    operations = [
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
