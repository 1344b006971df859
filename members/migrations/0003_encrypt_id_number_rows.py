"""Member.id_number encrypted at rest (2 of 3): encrypt and hash the existing rows."""

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


def encrypt_id_numbers(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    hash_field = Member._meta.get_field("id_number_hash")
    for rows in _batches(Member, ["id_number"]):
        for row in rows:
            # Saving the field encrypts it; the hash is computed from the plaintext.
            row.id_number_encrypted = row.id_number
            row.id_number_hash = hash_field.hash_of(row.id_number)
        Member.objects.bulk_update(rows, ["id_number_encrypted", "id_number_hash"])


def decrypt_id_numbers(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    for rows in _batches(Member, ["id_number_encrypted"]):
        for row in rows:
            row.id_number = row.id_number_encrypted
        Member.objects.bulk_update(rows, ["id_number"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_encrypt_id_number"),
    ]

    operations = [
        migrations.RunPython(encrypt_id_numbers, decrypt_id_numbers, elidable=False),
    ]
