"""A member's health is encrypted at rest; the roster and care filters still find it,
through its keyed hash."""

import datetime
import io

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from accounts.crypto import PREFIX, keyed_hash
from activities.care import selectors as care_selectors
from members import selectors
from members.models import Health, Member, health_in
from members.services.roster import member_update
from members.validators import make_id_number
from tests import factories as f
from tests.members.test_views import roster_names

PLAIN = set(Health.values)


def _raw_health(pk) -> tuple[str, str]:
    return f.raw_member_columns(pk, "health", "health_hash")


def _all_raw_health() -> list[tuple[str, str]]:
    table = connection.ops.quote_name(Member._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT health, health_hash FROM {table} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


def _one_of_each(cast):
    """A member of branch_a for each health value (younger than 90, living with family:
    only their health can put them on the care review list)."""
    members = {}
    for value in Health.values:
        member = f.member(
            name=f"健康{value}",
            community=cast.community_a,
            born=datetime.date(1955, 6, 1),
            health=value,
        )
        f.registration(member=member, branch=cast.branch_a)
        members[value] = member
    return members


def test_the_database_holds_no_plain_health_value(cast):
    members = _one_of_each(cast)
    rows = _all_raw_health()
    assert len(rows) == Member.objects.count() > len(PLAIN)
    for stored, stored_hash in rows:
        assert stored.startswith(PREFIX)
        assert not any(value in stored for value in PLAIN)
        assert stored_hash not in PLAIN and len(stored_hash) == 64
    for value, member in members.items():
        stored, stored_hash = _raw_health(member.pk)
        assert stored_hash == keyed_hash(value)
        fresh = Member.objects.get(pk=member.pk)
        assert fresh.health == value  # read back decrypted
        assert fresh.get_health_display() == Health(value).label
    # Random IVs: the same value twice gives two different ciphertexts.
    twin = f.member(name="另一个卧床", community=cast.community_a, health=Health.BEDRIDDEN)
    assert _raw_health(twin.pk)[0] != _raw_health(members[Health.BEDRIDDEN].pk)[0]
    assert _raw_health(twin.pk)[1] == _raw_health(members[Health.BEDRIDDEN].pk)[1]


def test_filters_find_members_by_health_through_the_hash(cast):
    members = _one_of_each(cast)
    mine = Member.objects.filter(name__startswith="健康")
    for value, member in members.items():
        assert list(mine.with_health(value)) == [member]
    poorly = {members[Health.POOR], members[Health.BEDRIDDEN]}
    assert set(mine.with_health(Health.POOR, Health.BEDRIDDEN)) == poorly
    assert set(mine.filter(health_in(Health.POOR, Health.BEDRIDDEN))) == poorly
    # A plain comparison would silently match nothing: it is refused instead.
    with pytest.raises(FieldError):
        list(Member.objects.filter(health=Health.BEDRIDDEN))


def test_the_roster_filter_and_the_care_review_list_find_the_bedridden(cast, client_for):
    _one_of_each(cast)
    client = client_for("community_secretary")
    response = client.get(reverse("members:roster") + "?health=poor")
    assert roster_names(response) == ["健康poor"]
    response = client.get(reverse("members:roster") + "?health=bedridden")
    assert roster_names(response) == sorted(["钱秀英", "健康bedridden"])
    secretary = cast.user("community_secretary")
    filters = selectors.RosterFilters(health=Health.FAIR)
    assert [m.name for m in selectors.roster(secretary, filters)] == ["健康fair"]
    today = timezone.localdate()
    review = {m.name for m in care_selectors.to_review(secretary, today)}
    assert "健康bedridden" in review
    assert not {"健康good", "健康fair", "健康poor"} & review


def test_editing_health_rewrites_the_hash(cast):
    members = _one_of_each(cast)
    secretary = cast.user("community_secretary")
    today = timezone.localdate()
    member = members[Health.BEDRIDDEN]
    changed = member_update(member=member, changes={"health": Health.GOOD}, actor=secretary)
    assert changed == ["health"]  # saved with update_fields=["health", "updated_at"]
    assert _raw_health(member.pk)[1] == keyed_hash(Health.GOOD)
    assert member not in Member.objects.with_health(Health.BEDRIDDEN)
    assert member not in care_selectors.to_review(secretary, today)
    # A deferred instance saving its loaded fields saves the hash too.
    partial = Member.objects.only("pk", "health").get(pk=member.pk)
    partial.health = Health.POOR
    partial.save()
    assert _raw_health(member.pk)[1] == keyed_hash(Health.POOR)
    poor = Member.objects.filter(name__startswith="健康").with_health(Health.POOR)
    assert set(poor) == {members[Health.POOR], member}


def test_editing_the_id_number_rewrites_its_hash(cast):
    member = cast.member_a
    number = make_id_number("319901", member.birth_date, 778, male=True)
    member_update(member=member, changes={"id_number": number}, actor=None)
    assert list(Member.objects.by_id_number(number)) == [member]


def test_bulk_create_stores_health_encrypted_with_its_hash(cast):
    born = datetime.date(1948, 2, 2)
    number = make_id_number("319901", born, 503, male=True)
    Member.objects.bulk_create(
        [
            Member(
                name="批量卧床",
                gender="male",
                birth_date=born,
                id_number=number,
                community=cast.community_a,
                health=Health.BEDRIDDEN,
            )
        ]
    )
    member = Member.objects.by_id_number(number).get()
    stored, stored_hash = _raw_health(member.pk)
    assert stored.startswith(PREFIX) and stored_hash == keyed_hash(Health.BEDRIDDEN)
    assert member in Member.objects.with_health(Health.BEDRIDDEN)


def test_a_new_hash_key_is_applied_by_reencrypt_fields(cast, settings):
    members = _one_of_each(cast)
    settings.FIELD_HASH_KEY = "a-new-hash-key"
    assert not Member.objects.with_health(Health.BEDRIDDEN).exists()  # stale hashes
    out = io.StringIO()
    call_command("reencrypt_fields", "members.Member", stdout=out)
    assert "health_hash" in out.getvalue()
    assert _raw_health(members[Health.POOR].pk)[1] == keyed_hash(Health.POOR)
    mine = Member.objects.filter(name__startswith="健康")
    assert list(mine.with_health(Health.BEDRIDDEN)) == [members[Health.BEDRIDDEN]]


def test_choices_still_validate(cast):
    member = Member.objects.get(pk=cast.member_a.pk)
    member.health = "dying"
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "health" in error.value.message_dict
    field = Member._meta.get_field("health").formfield()
    assert [value for value, _label in field.choices if value] == Health.values


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_health_and_can_go_back():
    """Rows written before the change (plain column) come out encrypted and hashed; the
    way back restores the plain values."""
    before = [("members", "0004_encrypt_id_number_finish")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor.loader.build_graph()
    old = executor.loader.project_state(before).apps
    OldMember = old.get_model("members", "Member")
    Organization = old.get_model("branches", "Organization")
    community = Organization.objects.create(
        name="旧社区", level="community", code="MIG0002", path="MIG0002/"
    )
    values = [*Health.values, Health.BEDRIDDEN, Health.GOOD]
    for n, value in enumerate(values):
        OldMember.objects.create(
            name=f"旧{n}",
            gender="male",
            birth_date=datetime.date(1940, 1, 1),
            id_number=make_id_number("319901", datetime.date(1940, 1, 1), 2 * n + 1, male=True),
            community=community,
            health=value,
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = _all_raw_health()
    assert [stored_hash for _stored, stored_hash in rows] == [keyed_hash(v) for v in values]
    assert all(stored.startswith(PREFIX) for stored, _hash in rows)
    assert [m.health for m in Member.objects.order_by("pk")] == values
    assert Member.objects.with_health(Health.BEDRIDDEN).count() == 2
    # And back: the plain column again.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    with connection.cursor() as cursor:
        cursor.execute("SELECT health FROM members_member ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == values
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert [m.health for m in Member.objects.order_by("pk")] == values
