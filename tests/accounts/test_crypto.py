"""Encryption at rest (accounts.crypto): fields stored as ciphertext, found by keyed hash,
keys rotated by prepending one and re-encrypting."""

import io
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, models

from accounts.crypto import (
    PREFIX,
    EncryptedCharField,
    EncryptedTextField,
    KeyedHashField,
    encrypted_under_current_key,
    keyed_hash,
    normalize_id_number,
)

ID = "11010119491001001x"


class Secret(models.Model):
    """A stand-in for Member: an encrypted ID number with its lookup hash, and a note."""

    id_number = EncryptedCharField(max_length=18, blank=True)
    id_number_hash = KeyedHashField(source="id_number", normalizer=normalize_id_number)
    health_note = EncryptedTextField(blank=True, null=True)

    class Meta:
        app_label = "accounts"
        db_table = "test_crypto_secret"

    def __str__(self):
        return str(self.pk)


@pytest.fixture
def secret_table(transactional_db):
    with connection.schema_editor() as editor:
        editor.create_model(Secret)
    yield
    with connection.schema_editor() as editor:
        editor.delete_model(Secret)


def _raw(pk, column="id_number"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM test_crypto_secret WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_values_are_stored_encrypted_and_read_back_plain(secret_table):
    row = Secret.objects.create(id_number=ID, health_note="高血压，行动不便")
    stored = _raw(row.pk)
    assert stored.startswith(PREFIX) and ID not in stored
    assert "高血压" not in _raw(row.pk, "health_note")
    fresh = Secret.objects.get(pk=row.pk)
    assert (fresh.id_number, fresh.health_note) == (ID, "高血压，行动不便")


def test_the_same_value_encrypts_differently_each_time(secret_table):
    a, b = Secret.objects.create(id_number=ID), Secret.objects.create(id_number=ID)
    assert _raw(a.pk) != _raw(b.pk)


def test_empty_and_null_stay_empty_and_null(secret_table):
    row = Secret.objects.create(id_number="", health_note=None)
    assert (_raw(row.pk), _raw(row.pk, "health_note")) == ("", None)
    assert Secret.objects.filter(health_note__isnull=True).count() == 1


def test_rows_are_found_by_the_keyed_hash_of_the_normalised_value(secret_table):
    row = Secret.objects.create(id_number=ID)
    Secret.objects.create(id_number="110101195001010011")
    field = Secret._meta.get_field("id_number_hash")
    typed = " 11010119491001001X "  # as someone types it
    assert list(Secret.objects.filter(id_number_hash=field.hash_of(typed))) == [row]
    assert row.id_number_hash == keyed_hash(normalize_id_number(ID))


def test_bulk_create_fills_the_hash_too(secret_table):
    Secret.objects.bulk_create([Secret(id_number=ID), Secret(id_number="110101195001010011")])
    assert Secret.objects.filter(id_number_hash=keyed_hash(normalize_id_number(ID))).count() == 1
    assert all(_raw(pk).startswith(PREFIX) for pk in Secret.objects.values_list("pk", flat=True))


def test_encrypted_fields_refuse_value_lookups(secret_table):
    with pytest.raises(FieldError, match="encrypted"):
        list(Secret.objects.filter(id_number=ID))
    with pytest.raises(FieldError):
        list(Secret.objects.filter(health_note__contains="血压"))


def test_an_encrypted_field_can_be_asked_whether_it_holds_a_value(secret_table):
    full, empty = Secret.objects.create(id_number=ID), Secret.objects.create(id_number="")
    assert list(Secret.objects.filter(id_number="")) == [empty]
    assert list(Secret.objects.exclude(id_number="")) == [full]


def test_the_keyed_hash_depends_on_the_key(settings):
    one = keyed_hash("110101194910010012")
    settings.FIELD_HASH_KEY = "another-key"
    assert keyed_hash("110101194910010012") != one
    assert keyed_hash("") == "" and keyed_hash(None) == ""
    assert len(one) == 64


def test_rotation_old_values_stay_readable_and_reencrypt_moves_them(secret_table, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    row = Secret.objects.create(id_number=ID, health_note="独居")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]  # prepend the new key
    assert Secret.objects.get(pk=row.pk).id_number == ID  # old ciphertext still reads
    assert not encrypted_under_current_key(_raw(row.pk))
    out = io.StringIO()
    call_command("reencrypt_fields", stdout=out)
    assert "accounts.Secret: 1 rows rewritten" in out.getvalue()
    assert encrypted_under_current_key(_raw(row.pk))
    assert encrypted_under_current_key(_raw(row.pk, "health_note"))
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key retired
    fresh = Secret.objects.get(pk=row.pk)
    assert (fresh.id_number, fresh.health_note) == (ID, "独居")


def test_changing_the_hash_key_and_rehashing_keeps_lookups_working(secret_table, settings):
    row = Secret.objects.create(id_number=ID)
    settings.FIELD_HASH_KEY = "rotated-hash-key"
    call_command("reencrypt_fields", stdout=io.StringIO())
    field = Secret._meta.get_field("id_number_hash")
    assert list(Secret.objects.filter(id_number_hash=field.hash_of(ID))) == [row]


def test_a_value_without_its_key_fails_loudly(secret_table, settings):
    row = Secret.objects.create(id_number=ID)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        Secret.objects.get(pk=row.pk)


def test_a_bad_key_is_reported_by_the_system_checks(settings):
    from accounts.checks import check_encryption_keys

    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    assert [e.id for e in check_encryption_keys(None)] == ["accounts.E001"]


def test_an_encrypted_field_cannot_be_unique():
    field = EncryptedCharField(max_length=18, unique=True)
    field.set_attributes_from_name("id_number")
    field.model = Secret
    assert "accounts.E101" in [e.id for e in field.check() if isinstance(e, checks.Error)]


def test_the_fields_survive_a_migration_round_trip():
    for name in ("id_number", "id_number_hash", "health_note"):
        field = Secret._meta.get_field(name)
        _, path, args, kwargs = field.deconstruct()
        rebuilt = type(field)(*args, **kwargs)
        assert rebuilt.deconstruct()[1:] == (path, args, kwargs)
    hashed = Secret._meta.get_field("id_number_hash")
    assert hashed.deconstruct()[3]["source"] == "id_number"


@pytest.mark.parametrize("missing", ["FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY"])
def test_production_refuses_to_start_without_the_keys(missing):
    env = {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "portal.example.cn",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "FIELD_HASH_KEY": "h" * 40,
        "DJANGO_SETTINGS_MODULE": "retiree_party.settings",
    }
    env.pop(missing)
    code = "import django; django.setup()"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "must be set when PORTAL_ENV=production" in result.stderr
    env[missing] = Fernet.generate_key().decode()
    ok = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr


def test_data_migrations_encrypt_plain_columns_in_place_and_back(secret_table):
    """encrypt_columns / decrypt_columns: what the care-note migrations run (batches)."""
    from accounts.crypto import decrypt_columns, encrypt_columns

    with connection.cursor() as cursor:
        for note in ("独居，需每周探望", "", None):
            cursor.execute(
                "INSERT INTO test_crypto_secret (id_number, id_number_hash, health_note) "
                "VALUES ('', '', %s)",
                [note],
            )
    pks = list(Secret.objects.order_by("pk").values_list("pk", flat=True))
    with connection.schema_editor() as editor:
        encrypt_columns(editor, "test_crypto_secret", ["health_note"], batch=2)
    assert _raw(pks[0], "health_note").startswith(PREFIX)
    assert [_raw(pk, "health_note") for pk in pks[1:]] == ["", None]
    assert Secret.objects.get(pk=pks[0]).health_note == "独居，需每周探望"
    with connection.schema_editor() as editor:
        encrypt_columns(editor, "test_crypto_secret", ["health_note"])  # again: no change
        assert Secret.objects.get(pk=pks[0]).health_note == "独居，需每周探望"
        decrypt_columns(editor, "test_crypto_secret", ["health_note"], batch=2)
    assert _raw(pks[0], "health_note") == "独居，需每周探望"
