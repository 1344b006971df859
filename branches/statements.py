"""Statements that every request runs, built by the ORM once per process.

Building a query's SQL cost more than running it for the small reads each request makes
(the user's grants, the figures versions: ~0.5 ms to build each). The SQL is kept per key
only once the parameters the caller makes are checked to be the very ones the ORM made;
otherwise the ORM runs the query each time, as before.
"""

from django.db import connections


def kept_rows(kept: dict, key, using: str, build, params: list) -> list[tuple]:
    """The rows of `build()` (a values_list query), its SQL kept in `kept` under `key`
    (with the database alias `using`) and run with `params`."""
    sql = kept.get((using, key))
    if sql is None:
        query = build()
        sql, made = query.query.get_compiler(using=using).as_sql()
        if list(made) != list(params):
            return list(query)
        kept[(using, key)] = sql
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
