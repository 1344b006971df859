"""The restore drill: `make backup` dumps the database, `make restore` loads it into a
scratch database, and every table has the same rows there (PostgreSQL only)."""

import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from accounts import audit
from accounts.models import AuditAction

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)


def _url(name: str) -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{name}"


def _counts(conn, tables):
    with conn.cursor() as cursor:
        return {
            table: cursor.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in tables
        }


def _make(*args):
    result = subprocess.run(
        ["make", "-s", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_backup_restores_into_a_scratch_database_with_every_row(cast, tmp_path):
    # Some history worth keeping: audit entries (hash-chained) beside the cast's rows.
    for n in range(5):
        audit.record(AuditAction.UPDATE, cast.branch_a, after={"n": n})
    dump = tmp_path / "drill.dump"
    source = connection.settings_dict["NAME"]
    _make("backup", f"DATABASE_URL={_url(source)}", f"BACKUP_FILE={dump}")
    assert dump.stat().st_size > 0

    scratch = f"restore_drill_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    try:
        _make("restore", f"BACKUP_FILE={dump}", f"RESTORE_DATABASE_URL={_url(scratch)}")
        tables = connection.introspection.table_names()
        with psycopg.connect(_url(source)) as src, psycopg.connect(_url(scratch)) as dst:
            expected, restored = _counts(src, tables), _counts(dst, tables)
            head = "SELECT last_pk, last_hash, anchor_hash FROM accounts_audithead"
            assert dst.execute(head).fetchone() == src.execute(head).fetchone()
            trigger = "SELECT count(*) FROM pg_trigger WHERE tgname = 'portal_audit_guard'"
            assert dst.execute(trigger).fetchone()[0] == 1  # the guard came back too
        assert restored == expected
        assert expected["accounts_auditentry"] >= 5
        assert expected["branches_organization"] > 0 and expected["accounts_user"] > 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def test_restore_creates_a_target_database_that_does_not_exist_yet(cast, tmp_path):
    # A fresh server: the database named in RESTORE_DATABASE_URL is not there.
    dump = tmp_path / "fresh.dump"
    source = connection.settings_dict["NAME"]
    _make("backup", f"DATABASE_URL={_url(source)}", f"BACKUP_FILE={dump}")
    scratch = f"restore_fresh_{uuid.uuid4().hex[:8]}"
    try:
        _make("restore", f"BACKUP_FILE={dump}", f"RESTORE_DATABASE_URL={_url(scratch)}")
        tables = ["accounts_user", "branches_organization", "branches_branch"]
        with psycopg.connect(_url(source)) as src, psycopg.connect(_url(scratch)) as dst:
            assert _counts(dst, tables) == _counts(src, tables)
        # Run again onto the database it made: replaced in place, not an error.
        _make("restore", f"BACKUP_FILE={dump}", f"RESTORE_DATABASE_URL={_url(scratch)}")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def test_restore_refuses_to_run_without_a_target():
    result = subprocess.run(
        ["make", "-s", "restore", "BACKUP_FILE=/nonexistent.dump"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "RESTORE_DATABASE_URL" in result.stderr
