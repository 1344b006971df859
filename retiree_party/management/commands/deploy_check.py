"""Validate a target's settings before it serves: `make deploy-check` (deploy/README.md).

Runs, each bounded in time, and lists every failure (exit status 1 when there is one):
- Django's `check --deploy` at WARNING level;
- the field keys: present, decodable, and able to read this database's encrypted values
  and reproduce its lookup hashes (a wrong or missing key leaves personal fields unreadable);
- the database: reachable within DEPLOY_CHECK_TIMEOUT seconds, every migration applied;
- Redis: the broker (REDIS_URL) and the shared cache (CACHE_URL) answer; in production
  both must be set, or tasks run in the request and every process keeps its own cache;
- the file storage: a probe written, read back and deleted; private (an S3 bucket or
  object readable by anybody, or uploads under the static folders nginx serves, fail).

Output in the portal's language (Chinese), `--language en` for English.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation
from django.utils.translation import gettext as _

TIMEOUT = 5  # seconds, for each network step


class Command(BaseCommand):
    help = (
        "Check this target's settings before it serves: check --deploy, the field keys, "
        "the database, Redis and the file storage. Exit status 1 lists every failure."
    )
    requires_system_checks = []  # `check --deploy` runs as one of the steps instead

    def add_arguments(self, parser):
        parser.add_argument("--language", choices=["zh-hans", "en"], default="zh-hans")

    def handle(self, *args, language="zh-hans", **options):
        with translation.override(language):
            failed, total = [], 0
            for title, step in [
                (_("Django deployment checks"), self.deployment),
                (_("Database"), self.database),
                (_("Field encryption keys"), self.keys),
                (_("Redis (broker and cache)"), redis),
                (_("File storage"), storage),
            ]:
                try:
                    problems = step()
                except Exception as error:  # a step that breaks is a failure, not a crash
                    problems = [_("The check itself failed: %(error)s") % {"error": error}]
                mark = self.style.SUCCESS(_("OK")) if not problems else self.style.ERROR(_("FAIL"))
                self.stdout.write(f"[{mark}] {title}")
                for problem in problems:
                    self.stdout.write(f"    - {problem}")
                failed += [title] * bool(problems)
                total += len(problems)
            if failed:
                raise CommandError(
                    _("%(count)d problem(s), in: %(steps)s. This target is not ready to serve.")
                    % {"count": total, "steps": _("; ").join(failed)},
                    returncode=1,
                )
            self.stdout.write(self.style.SUCCESS(_("Every check passed.")))

    def database(self) -> list[str]:
        problems = database()
        self.database_answered = not problems
        return problems

    def keys(self) -> list[str]:
        # The stored values are read only from a database that answered.
        return keys(read_data=self.database_answered)

    def deployment(self) -> list[str]:
        messages = checks.run_checks(include_deployment_checks=True)
        problems = []
        for message in messages:
            if message.level < checks.WARNING or message.is_silenced():
                continue
            hint = f" ({message.hint})" if message.hint else ""
            problems.append(f"{message.id}: {message.msg}{hint}")
        return problems


def keys(*, read_data: bool = True) -> list[str]:
    from django.apps import apps

    from accounts.crypto import decrypt, encrypted_fields, fernet, hash_fields

    problems = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        problems.append(_("FIELD_ENCRYPTION_KEYS is not set."))
    if not settings.FIELD_HASH_KEY:
        problems.append(_("FIELD_HASH_KEY is not set."))
    if problems:
        return problems
    try:
        fernet()
    except Exception:
        return [_("FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key.")]
    if not read_data:
        return []
    # One stored value per encrypted column must decrypt, and one row per lookup hash must
    # hash to what is stored: both fail when the keys are not the ones the data was
    # written with (a restore on a new host with fresh keys, a dropped rotation key).
    connection = connections["default"]
    for model in apps.get_models():
        table = connection.ops.quote_name(model._meta.db_table)
        for field in encrypted_fields(model):
            column = connection.ops.quote_name(field.column)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {column} FROM {table} WHERE {column} LIKE %s LIMIT 1",  # noqa: S608
                    ["enc1:%"],
                )
                row = cursor.fetchone()
            if row is None:
                continue
            try:
                decrypt(row[0])
            except Exception:
                problems.append(
                    _("%(field)s cannot be decrypted with FIELD_ENCRYPTION_KEYS.")
                    % {"field": f"{model._meta.label}.{field.name}"}
                )
        for field in hash_fields(model):
            source = model._meta.get_field(field.source)
            stored = (
                model._base_manager.exclude(**{field.attname: ""})
                .exclude(**{f"{source.attname}__isnull": True})
                .values_list("pk", flat=True)
                .first()
            )
            if stored is None:
                continue
            try:
                row = model._base_manager.only(field.attname, source.attname).get(pk=stored)
                matches = field.hash_of(getattr(row, source.attname)) == getattr(row, field.attname)
            except Exception:
                matches = True  # its source did not decrypt: reported above
            if not matches:
                problems.append(
                    _("%(field)s does not match FIELD_HASH_KEY (lookups would find nothing).")
                    % {"field": f"{model._meta.label}.{field.name}"}
                )
    return problems


def database() -> list[str]:
    connection = connections.create_connection("default")
    try:
        if connection.vendor == "postgresql":
            options = {**connection.settings_dict.get("OPTIONS", {}), "connect_timeout": TIMEOUT}
            connection.settings_dict = {**connection.settings_dict, "OPTIONS": options}
        try:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET statement_timeout = %s", [TIMEOUT * 1000])
                cursor.execute("SELECT 1")
        except Exception as error:
            return [_("The database does not answer: %(error)s") % {"error": _first_line(error)}]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            return [
                _("%(count)d migration(s) not applied (run manage.py migrate).")
                % {"count": len(plan)}
            ]
        return []
    finally:
        connection.close()


def redis() -> list[str]:
    import redis as redis_client

    problems = []
    production = getattr(settings, "PRODUCTION", False)
    cache_url = getattr(settings, "CACHE_URL", "")
    if not settings.REDIS_URL:
        if production:
            problems.append(_("REDIS_URL is not set: tasks would run inside web requests."))
    else:
        try:
            redis_client.Redis.from_url(
                settings.REDIS_URL, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
            ).ping()
        except Exception as error:
            problems.append(
                _("The broker (REDIS_URL) does not answer: %(error)s")
                % {"error": _first_line(error)}
            )
    if not cache_url:
        if production:
            problems.append(
                _("CACHE_URL is not set: each process would keep its own dashboards' cache.")
            )
        return problems
    from django.core.cache import caches

    cache = caches["default"]
    key, value = f"deploy-check:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=30)
        answered = cache.get(key)
        cache.delete(key)
    except Exception as error:
        return [
            *problems,
            _("The cache (CACHE_URL) does not answer: %(error)s") % {"error": _first_line(error)},
        ]
    if answered != value:
        problems.append(_("The cache (CACHE_URL) did not return what was written."))
    return problems


def storage() -> list[str]:
    """The probe of accounts.stored_files (write, read back, delete; on S3 the object
    private and an unsigned read refused), then where the objects live."""
    from django.core.files.storage import default_storage

    from accounts.stored_files import PUBLIC_GROUPS, probe

    problems = probe()
    bucket = getattr(default_storage, "bucket_name", None)
    if bucket:
        client = default_storage.connection.meta.client
        grants = client.get_bucket_acl(Bucket=bucket)["Grants"]
        if any(g.get("Grantee", {}).get("URI") in PUBLIC_GROUPS for g in grants):
            problems.append(
                _("The bucket %(bucket)s or its objects are readable by anybody.")
                % {"bucket": bucket}
            )
        return problems
    media = Path(default_storage.location).resolve()
    for folder in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        folder = folder.resolve()
        if media == folder or folder in media.parents:
            problems.append(
                _("Uploads (%(media)s) lie in a static folder that is served to anybody.")
                % {"media": media}
            )
    return problems


def _first_line(error: Exception) -> str:
    text = str(error).strip() or error.__class__.__name__
    return text.splitlines()[0]
