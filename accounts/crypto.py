"""Encryption at rest for personal fields, and keyed hashes to still find them exactly.

    class Member(models.Model):
        id_number = EncryptedCharField(_("ID number"), max_length=18)
        id_number_hash = KeyedHashField(source="id_number", normalizer=normalize_id_number)

    Member.objects.filter(id_number_hash=keyed_hash(normalize_id_number(typed)))

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, random IV) under the first
key of settings.FIELD_ENCRYPTION_KEYS; every key listed decrypts (MultiFernet). To rotate:
prepend a new key, deploy, run `manage.py reencrypt_fields`, then remove the old key.
The ciphertext is random, so the database cannot compare, sort or search encrypted
columns: look rows up through the keyed hash (HMAC-SHA256 under settings.FIELD_HASH_KEY).
The hash key is separate from the encryption keys; changing it needs
`manage.py reencrypt_fields` too (it recomputes every hash from the plaintext).
The command finds the fields itself (every Encrypted*Field and KeyedHashField of every
installed model): a new encrypted field needs no change there.

Encrypted today (docs/privacy/data-inventory.md):
- members.Member.id_number (unique, looked up through id_number_hash);
- members.Member.health (four categories; filtered through health_hash, see
  Member.objects.with_health / members.models.health_in);
- activities.CareNeed.care_note, CareVisit.summary and .matters_raised, FollowUp.matter
  and .outcome (health and family details in free text);
- activities.TalkPair.note, LifeRecord.given_text and .received_text (what was said in a
  谈心谈话 or as criticism at the 组织生活会);
- activities.ReminderPreference.webhook_url and .webhook_secret (credentials);
- accounts.TOTPDevice.key (the admin roles' second-factor secrets).
What a keyed hash of a small set of values does not hide: equal values hash equally, so
health_hash splits the members into (at most) four groups of known sizes. Someone holding
the database who knows the rough distribution (most members healthy, few bedridden), or
the health of one member, can name each group; the HMAC key (kept apart from the database)
only stops them from computing the hashes outright. Mobility and living situation stay
plain: masked on pages, exports and in the audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

# Marks a stored ciphertext; a Fernet token itself always starts with "gAAAAA".
PREFIX = "enc1:"


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from error


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "An encrypted field cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS "
            "(was the key it was written with removed?)."
        ) from error


def rotate(stored: str) -> str:
    """The same value encrypted under the current (first) key."""
    if not stored.startswith(PREFIX):
        return stored
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()


def encrypted_under_current_key(stored: str) -> bool:
    if not stored.startswith(PREFIX):
        return True
    current = Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode())
    try:
        current.decrypt(stored[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


def keyed_hash(value: str | None) -> str:
    """HMAC-SHA256 of `value` under FIELD_HASH_KEY (hex); "" for an empty value.

    Normalise first (e.g. strip and upper-case an ID number) so that equal values hash
    equally. Without the key the hash cannot be recomputed from a guessed ID number.
    """
    if value in (None, ""):
        return ""
    key = settings.FIELD_HASH_KEY.encode()
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()


def normalize_id_number(value: str | None) -> str:
    """An ID number as stored and hashed: no spaces, the check letter upper-case."""
    return "".join(str(value or "").split()).upper()


class EmptyExact(Exact):
    """`field=""` on an encrypted field: whether it holds a value at all (empty stays
    empty in the column). Any other value cannot be compared: the ciphertext is random."""

    def __init__(self, lhs, rhs):
        if rhs != "":
            raise FieldError(
                f"{lhs.target.model.__name__}.{lhs.target.name} is encrypted: it can be "
                'compared with "" only. Filter on its keyed hash instead.'
            )
        super().__init__(lhs, rhs)


class EncryptedMixin:
    """Store the value encrypted; read it back as plaintext. Empty stays empty (""),
    None stays NULL. Only `isnull` and `=""` lookups: the ciphertext is random."""

    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if isinstance(value, str) and value.startswith(PREFIX):
            return value  # already encrypted (e.g. copied raw between rows)
        return encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return EmptyExact
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted: it cannot be queried with "
                f"'{lookup_name}'. Filter on its keyed hash instead."
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        return None

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if self.unique or self.db_index or self.primary_key:
            errors.append(
                checks.Error(
                    "An encrypted field cannot be unique, indexed or a primary key "
                    "(its ciphertext is random).",
                    hint="Put unique=True on a KeyedHashField of it instead.",
                    obj=self,
                    id="accounts.E101",
                )
            )
        return errors


class EncryptedTextField(EncryptedMixin, models.TextField):
    description = _("Encrypted text")


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField for forms and validation (max_length applies to the plaintext), stored
    as an encrypted text column."""

    description = _("Encrypted string")


class KeyedHashField(models.CharField):
    """The keyed hash of another field's plaintext, kept up to date on every save and
    bulk_create. Not on QuerySet.update or bulk_update: pass both fields yourself
    (`refresh_hashes` for bulk_update); save(update_fields=[source]) saves the hash too
    when the model inherits `KeyedHashModel`."""

    description = _("Keyed hash")

    def __init__(self, *args, source: str = "", normalizer=None, **kwargs):
        self.source = source
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", not kwargs.get("unique", False))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.normalizer is not None:
            kwargs["normalizer"] = self.normalizer
        for key, default in (("max_length", 64), ("editable", False), ("blank", True)):
            if kwargs.get(key) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def hash_of(self, value) -> str:
        if self.normalizer is not None and value not in (None, ""):
            value = self.normalizer(value)
        return keyed_hash(value)

    def pre_save(self, model_instance, add):
        value = self.hash_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if not self.source:
            errors.append(
                checks.Error("KeyedHashField needs source=.", obj=self, id="accounts.E102")
            )
        return errors


def encrypted_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


def hash_fields(model) -> list[KeyedHashField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, KeyedHashField)]


def with_hash_fields(model, names) -> list[str]:
    """`names` (fields to save) plus the keyed hashes of any source field among them: a
    hash is computed in pre_save, which runs only for the fields being saved."""
    names = list(names)
    return names + [f.name for f in hash_fields(model) if f.source in names and f.name not in names]


class KeyedHashModel(models.Model):
    """Base for models with a KeyedHashField: saving only a hash's source field (an
    explicit update_fields, or a deferred instance) saves the recomputed hash with it."""

    class Meta:
        abstract = True

    def save_base(self, *args, update_fields=None, **kwargs):
        if update_fields is not None:
            update_fields = frozenset(with_hash_fields(type(self), update_fields))
        return super().save_base(*args, update_fields=update_fields, **kwargs)


def refresh_hashes(model, objs, names) -> list[str]:
    """For bulk_update (which skips pre_save): recompute on each of `objs` the keyed
    hashes of the source fields among `names`; returns the names to update."""
    fields = with_hash_fields(model, names)
    hashed = [f for f in hash_fields(model) if f.name in fields and f.source in names]
    for obj in objs:
        for field in hashed:
            setattr(obj, field.attname, field.hash_of(getattr(obj, field.source)))
    return fields


# --- Data migrations -----------------------------------------------------------------------


def _rewrite_columns(schema_editor, table: str, columns: list[str], convert, batch: int) -> None:
    """Rewrite `columns` of every row of `table` through `convert`, `batch` rows at a time
    (raw SQL: the field classes of a migration's state may not read the old values)."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    last = None
    with connection.cursor() as cursor:
        while True:
            where = "" if last is None else f" WHERE {quote('id')} > %s"
            cursor.execute(
                f"SELECT {quote('id')}, {names} FROM {quote(table)}{where} "  # noqa: S608
                f"ORDER BY {quote('id')} LIMIT {int(batch)}",
                [] if last is None else [last],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for column_index, column in enumerate(columns, start=1):
                changed = []
                for row in rows:
                    value = row[column_index]
                    if value in (None, ""):
                        continue
                    new = convert(value)
                    if new != value:
                        changed.append((new, row[0]))
                if changed:
                    cursor.executemany(
                        f"UPDATE {quote(table)} SET {quote(column)} = %s "  # noqa: S608
                        f"WHERE {quote('id')} = %s",
                        changed,
                    )


def rewrite_rows(model, read: list[str], write: list[str], convert, batch: int = 500) -> None:
    """For a data migration through the ORM: walk `model` in primary-key batches (only
    `read` loaded), let `convert(row)` set the `write` fields, save them in one UPDATE per
    batch. Bounded memory whatever the table's size."""
    last = 0
    while True:
        rows = list(model.objects.filter(pk__gt=last).order_by("pk").only("pk", *read)[:batch])
        if not rows:
            return
        for row in rows:
            convert(row)
        model.objects.bulk_update(rows, write)
        last = rows[-1].pk


def encrypt_columns(schema_editor, table: str, columns: list[str], batch: int = 500) -> None:
    """For a data migration: encrypt the plain values left in `columns` (run after the
    fields became Encrypted*Field). Values already encrypted are left alone."""

    def convert(value):
        return value if str(value).startswith(PREFIX) else encrypt(str(value))

    _rewrite_columns(schema_editor, table, columns, convert, batch)


def decrypt_columns(schema_editor, table: str, columns: list[str], batch: int = 500) -> None:
    """The way back of `encrypt_columns`."""

    def convert(value):
        return decrypt(value) if str(value).startswith(PREFIX) else value

    _rewrite_columns(schema_editor, table, columns, convert, batch)
