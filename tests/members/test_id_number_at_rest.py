"""The ID number is encrypted at rest and still found exactly, through its keyed hash."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.crypto import PREFIX, keyed_hash
from members.models import Member
from members.validators import make_id_number
from tests import factories as f
from tests.factories import raw_member_columns
from tests.members.test_views import member_data


def test_the_database_never_holds_the_plain_id_number(cast):
    member = cast.member_a
    stored, stored_hash = raw_member_columns(member.pk, "id_number", "id_number_hash")
    assert stored.startswith(PREFIX)
    assert member.id_number not in stored and member.id_number[-8:] not in stored
    assert stored_hash == keyed_hash(member.id_number) and member.id_number not in stored_hash
    assert Member.objects.get(pk=member.pk).id_number == member.id_number  # reads back plain
    # Found by the number as typed: lower-case x, spaces, full-width digits.
    typed = " ".join(member.id_number.lower().translate(str.maketrans("0123", "０１２３")))
    assert list(Member.objects.by_id_number(typed)) == [member]
    assert list(Member.objects.by_id_numbers([typed, cast.member_b.id_number])) == sorted(
        [member, cast.member_b], key=lambda m: (m.name, m.pk)
    )


def test_the_hash_keeps_id_numbers_unique_in_the_database(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.member(name="重复", community=cast.community_a, id_number=cast.member_a.id_number.lower())


def test_bulk_create_stores_the_hash_and_the_ciphertext(cast):
    born = datetime.date(1948, 2, 2)
    number = make_id_number("319901", born, 501, male=True)
    Member.objects.bulk_create(
        [
            Member(
                name="批量",
                gender="male",
                birth_date=born,
                id_number=number,
                community=cast.community_a,
            )
        ]
    )
    member = Member.objects.by_id_number(number).get()
    stored, _hash = raw_member_columns(member.pk, "id_number", "id_number_hash")
    assert stored.startswith(PREFIX) and number not in stored


def test_the_form_refuses_a_duplicate_typed_differently(cast, client_for):
    taken = cast.member_b.id_number
    data = member_data(
        cast.member_a,
        name="新人",
        id_number=f" {taken[:6]} {taken[6:].lower()} ",
        birth_date=cast.member_b.birth_date.isoformat(),
        gender=cast.member_b.gender,
        community=cast.community_a.pk,
    )
    response = client_for("community_secretary").post(reverse("members:member_create"), data)
    assert response.status_code == 200
    assert "已有党员登记了这个身份证号" in " ".join(response.context["form"].errors["id_number"])
    assert not Member.objects.filter(name="新人").exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows_and_can_go_back():
    """Rows written before the change (plain column) come out encrypted and hashed; the
    way back restores the plain numbers."""
    executor = MigrationExecutor(connection)
    executor.migrate([("members", "0001_initial")])
    executor.loader.build_graph()
    old = executor.loader.project_state([("members", "0001_initial")]).apps
    OldMember = old.get_model("members", "Member")
    Organization = old.get_model("branches", "Organization")
    community = Organization.objects.create(
        name="旧社区", level="community", code="MIG0001", path="MIG0001/"
    )
    numbers = [
        make_id_number("319901", datetime.date(1940, 1, 1), 2 * n + 1, male=True) for n in range(3)
    ]
    for n, number in enumerate(numbers):
        OldMember.objects.create(
            name=f"旧{n}",
            gender="male",
            birth_date=datetime.date(1940, 1, 1),
            id_number=number,
            community=community,
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    for number in numbers:
        member = Member.objects.by_id_number(number).get()
        stored, stored_hash = raw_member_columns(member.pk, "id_number", "id_number_hash")
        assert stored.startswith(PREFIX) and number not in stored
        assert stored_hash == keyed_hash(number) and member.id_number == number
    # And back: the plain column again, unique.
    executor = MigrationExecutor(connection)
    executor.migrate([("members", "0001_initial")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM members_member ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == numbers
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
