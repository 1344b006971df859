"""Member.id_number encrypted at rest (2 of 3): encrypt and hash the existing rows."""

from django.db import migrations

from accounts.crypto import rewrite_rows


def encrypt_id_numbers(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    hash_field = Member._meta.get_field("id_number_hash")

    def convert(row):
        # Saving the field encrypts it; the hash is computed from the plaintext.
        row.id_number_encrypted = row.id_number
        row.id_number_hash = hash_field.hash_of(row.id_number)

    rewrite_rows(Member, ["id_number"], ["id_number_encrypted", "id_number_hash"], convert)


def decrypt_id_numbers(apps, schema_editor):
    Member = apps.get_model("members", "Member")

    def convert(row):
        row.id_number = row.id_number_encrypted

    rewrite_rows(Member, ["id_number_encrypted"], ["id_number"], convert)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_encrypt_id_number"),
    ]

    operations = [
        migrations.RunPython(encrypt_id_numbers, decrypt_id_numbers, elidable=False),
    ]
