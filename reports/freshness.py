"""Which districts' and streets' figures a write changed: the versions that key cached
dashboards.

Districts and streets carry `Organization.figures_version`. Each audited change (and
every write path is audited: the URL x role matrix checks it) bumps the versions of the
street and the district the changed row belongs to, inside the write's own transaction,
so a dashboard cached under an old version is never served again once the write commits
(reports.cache). The row is placed through its foreign keys to the organisation tree,
old values included (a member moved to another district changes both); a change that
cannot be placed, or one above the districts (an organisation, a city-wide rule), bumps
every district and street.

Writes outside the audit (the demo seeder, `rebuild_summaries`) and every `migrate`
bump them all.
"""

from __future__ import annotations

import time
from collections import defaultdict

from django.apps import apps
from django.db import connection, connections, models
from django.db.models.expressions import RawSQL

from accounts.models import AuditAction
from activities.care.models import CareNeed
from activities.meetings.models import Attendance, Meeting
from branches.models import Branch, Level, Organization, PartyGroup
from members.models import CommitteeTerm, Member

# What a foreign key to each of these models places a row in: the organisations' paths.
PLACES = {
    Organization: ("path",),
    Branch: ("organization__path",),
    # A member counts where they live, in their home branch and in the functional
    # branches they take part in (a death changes those branches' counts too).
    Member: (
        "community__path",
        "home_branch__organization__path",
        "memberships__branch__organization__path",
    ),
    Meeting: ("branch__organization__path",),
    Attendance: (
        "meeting__branch__organization__path",
        "member__community__path",
        "member__home_branch__organization__path",
    ),
    CareNeed: ("member__community__path", "member__home_branch__organization__path"),
    CommitteeTerm: ("branch__organization__path",),
    PartyGroup: ("branch__organization__path",),  # its leaders (the branch page's panel)
}
FIGURE_APPS = {"branches", "members", "activities", "funds"}
# Rows of those apps that nothing kept under the versions shows (the dashboards, the funds
# overview, the roster's area, the branch page's panels).
NO_FIGURES = {
    "activities.activity",
    "activities.activityparticipant",
    "activities.carer",
    "activities.followup",
    "activities.meetingattachment",
    "activities.meetingmaterial",
    "activities.membermessaging",
    "activities.memberoptout",
    "activities.reminder",
    "activities.reminderdelivery",
    "activities.reminderpreference",
    "branches.staffrole",
    "branches.venue",
    "funds.fundrule",
    "funds.receipt",
    "funds.spendingcategory",
    "members.importrun",
    "members.recognition",
    "members.servicerole",
}
# Audited actions that change data (an export or a look at unmasked data does not).
WRITES = {AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE, AuditAction.IMPORT}
EVERY_DISTRICT = object()


def _label(change) -> str:
    if change.obj is not None:
        meta = change.obj._meta
        return f"{meta.app_label}.{meta.model_name}"
    return change.object_type


def _places(change) -> dict | object | None:
    """{model: {pk}} the change's row hangs from; EVERY_DISTRICT when it cannot be
    placed; None when no figure reads it. A change without its object (the attendance
    lines of a recording) is placed by the values it carries."""
    label = _label(change)
    if change.action not in WRITES or label.split(".")[0] not in FIGURE_APPS:
        return None
    if label in NO_FIGURES:
        return None
    obj = change.obj
    if isinstance(obj, Organization):
        return EVERY_DISTRICT
    if label == "branches.originalunit":
        # Its name shows wherever its retirees and seconded members do (the branch page's
        # panel); a new unit nowhere until a write that points at it.
        return None if change.action == AuditAction.CREATE else EVERY_DISTRICT
    try:
        model = type(obj) if obj is not None else apps.get_model(label)
    except (LookupError, ValueError):
        return EVERY_DISTRICT
    found = defaultdict(set)
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.related_model not in PLACES:
            continue
        candidates = [
            values.get(name)
            for values in (change.before or {}, change.after or {})
            for name in (field.name, field.attname)
        ]
        if obj is not None:
            candidates.append(getattr(obj, field.attname))
        found[field.related_model].update(pk for pk in map(_pk, candidates) if pk is not None)
    if isinstance(obj, Member) and obj.pk is not None:  # and their functional branches
        found[Member].add(obj.pk)
    return {model: pks for model, pks in found.items() if pks} or EVERY_DISTRICT


def _pk(value):
    if isinstance(value, models.Model):
        return value.pk
    return value if isinstance(value, int) else None


def _wanted(changes) -> dict | object:
    """{model: {pk}} of the parent rows these changes hang from, or EVERY_DISTRICT."""
    wanted = defaultdict(set)
    for change in changes:
        places = _places(change)
        if places is None:
            continue
        if places is EVERY_DISTRICT:
            return EVERY_DISTRICT
        for model, pks in places.items():
            wanted[model] |= pks
    return wanted


def version_paths(changes) -> set[str] | object:
    """The paths of the districts and streets these changes touch, or EVERY_DISTRICT."""
    wanted = _wanted(changes)
    if wanted is EVERY_DISTRICT:
        return EVERY_DISTRICT
    paths = set()
    for model, pks in wanted.items():  # one query per kind of parent row
        for row in model.objects.filter(pk__in=pks).values_list(*PLACES[model]):
            paths.update(path for path in row if path)
    versioned = set()
    for path in paths:
        prefixes = Organization.path_prefixes(path)
        if len(prefixes) < 2:  # the city itself: everything below it
            return EVERY_DISTRICT
        versioned.update(prefixes[1:3])  # the district, and the street when below one
    return versioned


def touch(changes) -> None:
    """Bump the versions of the districts and streets these changes touch: on PostgreSQL
    one UPDATE that finds the paths itself (_touch_in_one), elsewhere a query per kind of
    parent row and an UPDATE."""
    if connection.vendor == "postgresql":
        wanted = _wanted(changes)
        if wanted is EVERY_DISTRICT:
            Organization.objects.touch_figures()
        elif wanted:
            _touch_in_one(wanted)
        return
    paths = version_paths(changes)
    if paths is EVERY_DISTRICT:
        Organization.objects.touch_figures()
    elif paths:
        Organization.objects.filter(path__in=paths).touch_figures()


_STATEMENTS: dict[tuple, tuple[str, list]] = {}  # per process


def _statement(models_: tuple) -> tuple[str, list]:
    """_touch_in_one's SQL for these kinds of parent row, compiled once per process: each
    kind's pks come as one array parameter (in the order of `models_`), then the version
    and the two levels."""
    if models_ in _STATEMENTS:
        return _STATEMENTS[models_]
    sources, slots = [], []
    for model in models_:
        slot = object()
        ids = RawSQL("SELECT unnest(%s::bigint[])", (slot,))
        for name in PLACES[model]:
            query = model.objects.filter(pk__in=ids).values_list(name).order_by()
            sql, values = query.query.sql_with_params()
            sources.append(f"({sql})")
            # The kind whose pks go where its stand-in is, or a constant kept as it is.
            slots += [(model, None) if value is slot else (None, value) for value in values]
    table = connection.ops.quote_name(Organization._meta.db_table)
    district = "split_part(t.p, '/', 1) || '/' || split_part(t.p, '/', 2) || '/'"
    street = f"{district} || split_part(t.p, '/', 3) || '/'"
    sql = (
        f"WITH t(p) AS ({' UNION '.join(sources)}) "  # noqa: S608
        f"UPDATE {table} SET figures_version = GREATEST(figures_version + 1, %s) "
        f"WHERE level IN (%s, %s) AND ("
        f"path IN (SELECT {district} FROM t WHERE t.p <> '' "
        f"UNION SELECT {street} FROM t WHERE t.p <> '') "
        f"OR EXISTS (SELECT 1 FROM t WHERE t.p <> '' AND t.p NOT LIKE '%%/%%/%%'))"
    )
    _STATEMENTS[models_] = (sql, slots)
    return sql, slots


def _touch_in_one(wanted: dict) -> None:
    """version_paths and touch_figures as one statement: the touched rows' paths (the
    same lookups as version_paths, as subqueries), their district and street prefixes
    (path_prefixes(path)[1:3]), and every district and street when a path is the city's."""
    models_ = tuple(sorted(wanted, key=lambda model: model._meta.label))
    sql, slots = _statement(models_)
    arrays = {model: sorted(wanted[model]) for model in models_}
    params = [arrays[model] if model is not None else value for model, value in slots]
    now = time.time_ns() // 1000
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, now, Level.DISTRICT, Level.STREET])


def on_audit_recorded(sender, changes, **kwargs) -> None:
    touch(changes)


def on_migrated(sender, using="default", **kwargs) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        table = Organization._meta.db_table
        if table not in connection.introspection.table_names(cursor):
            return
        columns = connection.introspection.get_table_description(cursor, table)
    if "figures_version" in {column.name for column in columns}:  # not migrated back
        Organization.objects.using(using).touch_figures()
