"""Create a PostgreSQL database if it does not exist yet: `make restore` runs this first,
so a backup restores onto a fresh server (the role needs CREATEDB).

    python tools/ensure_database.py postgres://user:password@host:5432/name
"""

import sys

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def ensure_database(url: str) -> bool:
    """True if the database was created, False if it was there already."""
    params = conninfo_to_dict(url)
    name = params.get("dbname")
    if not name:
        raise SystemExit(f"{url!r} names no database.")
    # Ask the server's maintenance database, with the same user, host and password.
    maintenance = make_conninfo(url, dbname="postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    if ensure_database(sys.argv[1]):
        print(f"created the database {conninfo_to_dict(sys.argv[1])['dbname']}")
