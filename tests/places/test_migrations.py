"""The bookings migration on both databases: the exclusion constraint on PostgreSQL, and
a plain migrate on SQLite (the zero-setup demo) where no such constraint exists."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.services("postgres")
@pytest.mark.django_db
def test_postgresql_has_the_exclusion_constraint():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contype FROM pg_constraint WHERE conname = %s", ["booking_no_overlap"]
        )
        assert cursor.fetchall() == [("x",)]  # x: an exclusion constraint


def test_the_migrations_run_on_sqlite(tmp_path):
    path = tmp_path / "demo.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "places_venuebooking" in tables
