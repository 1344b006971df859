"""Many model rows in one statement, for the bulk paths of every app. PostgreSQL's: on
another database (the SQLite demo) the callers use bulk_create.

Two ways, for two jobs:
- `json_insert`: rows of plain values (the audit trail's entries, a meeting's attendance
  lines) as ONE JSON parameter of an INSERT ... SELECT, which may end in ON CONFLICT (an
  upsert) and RETURNING, or sit in a CTE. bulk_create sends one array literal per column,
  which psycopg builds in Python and the server parses, and compiles its statement every
  time: most of a meeting recording's own time, before this.
- `copy_create`: model instances (the roster import's thousands) prepared by their fields
  (timestamps, keyed hashes, encryption), ids taken from the sequence, then COPY: the
  fastest way in, but it can neither upsert nor return anything.

`json_insert` names the columns it is given; every other column must get a value without
them (its database default, its field's default, NULL, or the pk's sequence), else it
refuses before anything is sent. `copy_create` writes every column from the instances,
which carry their fields' defaults.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterable, Mapping, Sequence

from django.db import NotSupportedError, connection
from django.db.models import JSONField, Model
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import NOT_PROVIDED

# Sent as JSON strings and assigned to the column without a cast, so that a value too
# long for a varchar fails as in any INSERT (a cast to varchar(n) would cut it short).
_TEXT_TYPES = frozenset({"varchar", "char", "text", "character varying", "character"})


def json_insert(
    model: type[Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    shared: Mapping[str, object] | None = None,
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> tuple[str, list]:
    """The SQL and parameters inserting `rows` (each a sequence of database values in the
    order of `fields`, names or attnames) into `model`'s table, in the order given (so ids
    follow it). `shared` gives the same value to every row, sent once. `unique_fields` +
    `update_fields`: ON CONFLICT ... DO UPDATE those fields. `returning`: their columns.

    Raises ValueError if a NOT NULL column is neither given nor has a default."""
    if connection.vendor != "postgresql":
        raise NotSupportedError("json_insert is PostgreSQL's: use bulk_create elsewhere")
    shared = shared or {}
    columns, selects, defaults = _plan(model, tuple(fields), tuple(shared))
    quote, meta = connection.ops.quote_name, model._meta
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selects)} "
        "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS u(e, n) ORDER BY n"
    )
    if unique_fields:
        targets = [quote(meta.get_field(name).column) for name in unique_fields]
        updates = [quote(meta.get_field(name).column) for name in update_fields]
        sets = ", ".join(f"{column} = EXCLUDED.{column}" for column in updates)
        sql += f" ON CONFLICT ({', '.join(targets)}) DO UPDATE SET {sets}"
    if returning:
        sql += f" RETURNING {', '.join(quote(meta.get_field(n).column) for n in returning)}"
    params = [
        *shared.values(),
        # A callable default (timezone.now, dict) is called once per statement.
        *(field.get_db_prep_save(field.get_default(), connection) for field in defaults),
        json.dumps(list(rows), ensure_ascii=False, default=_plain),
    ]
    return sql, params


@functools.cache
def _plan(model, fields: tuple[str, ...], shared: tuple[str, ...]):
    """(quoted columns, their SELECT expressions, the fields taking their default)."""
    meta, quote = model._meta, connection.ops.quote_name
    given = [meta.get_field(name) for name in fields]
    fixed = [meta.get_field(name) for name in shared]
    named = {field.column for field in given + fixed}
    defaults = []
    for field in meta.concrete_fields:
        if field.column in named or field is meta.auto_field:
            continue
        if field.db_default is not NOT_PROVIDED:
            continue  # the database fills it in
        if field.has_default():
            defaults.append(field)
        elif not field.null:
            raise ValueError(
                f"{meta.label}.{field.name} is NOT NULL and has no default: give it a value"
            )
    selects = [_select(field, f"e->>{i}", f"e->{i}") for i, field in enumerate(given)]
    selects += [_select(field, "%s", "%s") for field in fixed + defaults]
    columns = [quote(field.column) for field in given + fixed + defaults]
    return columns, selects, defaults


def _select(field, text: str, json_value: str) -> str:
    if isinstance(field, JSONField):
        # A JSON null is SQL NULL, as the field saves None.
        return json_value if json_value == "%s" else f"NULLIF({json_value}, 'null')"
    db_type = field.db_type(connection).split("(")[0]
    return text if db_type in _TEXT_TYPES else f"({text})::{db_type}"


def _plain(value):
    """What json.dumps cannot write itself, as PostgreSQL reads it back from text."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a database value for json_insert")


def copy_create(model: type[Model], objs: list[Model]) -> None:
    """bulk_create for thousands of rows. On PostgreSQL: ids taken from the table's
    sequence, then COPY (bulk_create sends each column as an array literal that psycopg
    builds in Python and the server parses: most of the roster import's insert time). The
    values are prepared by the fields as bulk_create does (pre_save: timestamps, keyed
    hashes; get_db_prep_save: encryption)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    meta, quote = model._meta, connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not _database_default(field, objs)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [
                        field.get_db_prep_save(field.pre_save(obj, True), connection)
                        for field in fields
                    ]
                )
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def _database_default(field, objs) -> bool:
    """Whether COPY leaves the column to its database default: none of the instances
    gave it a value. Some but not all is refused (COPY sends one set of columns)."""
    if field.db_default is NOT_PROVIDED:
        return False
    left = [isinstance(getattr(obj, field.attname), DatabaseDefault) for obj in objs]
    if any(left) and not all(left):
        raise ValueError(f"{field.model._meta.label}.{field.name}: give it to all or none")
    return all(left)
