"""Member.health encrypted at rest (2 of 3): encrypt and hash the existing rows."""

from django.db import migrations

BATCH = 500


def _batches(Member, fields):
    last = 0
    while True:
        rows = list(Member.objects.filter(pk__gt=last).order_by("pk").only("pk", *fields)[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def encrypt_health(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    hash_field = Member._meta.get_field("health_hash")
    for rows in _batches(Member, ["health"]):
        for row in rows:
            # Saving the field encrypts it; the hash is computed from the plaintext.
            row.health_encrypted = row.health
            row.health_hash = hash_field.hash_of(row.health)
        Member.objects.bulk_update(rows, ["health_encrypted", "health_hash"])


def decrypt_health(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    for rows in _batches(Member, ["health_encrypted"]):
        for row in rows:
            row.health = row.health_encrypted
        Member.objects.bulk_update(rows, ["health"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_encrypt_health"),
    ]

    operations = [
        migrations.RunPython(encrypt_health, decrypt_health, elidable=False),
    ]
