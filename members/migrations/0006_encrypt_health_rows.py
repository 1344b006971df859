"""Member.health encrypted at rest (2 of 3): encrypt and hash the existing rows."""

from django.db import migrations

from accounts.crypto import rewrite_rows


def encrypt_health(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    hash_field = Member._meta.get_field("health_hash")

    def convert(row):
        # Saving the field encrypts it; the hash is computed from the plaintext.
        row.health_encrypted = row.health
        row.health_hash = hash_field.hash_of(row.health)

    rewrite_rows(Member, ["health"], ["health_encrypted", "health_hash"], convert)


def decrypt_health(apps, schema_editor):
    Member = apps.get_model("members", "Member")

    def convert(row):
        row.health = row.health_encrypted

    rewrite_rows(Member, ["health_encrypted"], ["health"], convert)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_encrypt_health"),
    ]

    operations = [
        migrations.RunPython(encrypt_health, decrypt_health, elidable=False),
    ]
