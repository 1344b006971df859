"""A member's phone and address are encrypted at rest and read back plain."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.crypto import PREFIX
from members.models import Member
from members.validators import make_id_number
from tests.factories import raw_member_columns

PHONE, ADDRESS = "13912345678", "翠园社区3栋2单元501室"


def test_the_database_never_holds_the_plain_phone_or_address(cast):
    Member.objects.filter(pk=cast.member_a.pk).update(phone="", address="")  # no value
    member = Member.objects.get(pk=cast.member_a.pk)
    member.phone, member.address = PHONE, ADDRESS
    member.save()
    phone, address = raw_member_columns(member.pk, "phone", "address")
    assert phone.startswith(PREFIX) and address.startswith(PREFIX)
    assert PHONE not in phone and PHONE[-4:] not in phone and "翠园" not in address
    member = Member.objects.get(pk=member.pk)
    assert (member.phone, member.address) == (PHONE, ADDRESS)
    assert Member.objects.filter(pk=member.pk).values_list("phone", flat=True).get() == PHONE


LAST_PLAIN = ("members", "0009_member_last_participated")


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_phones_and_addresses_and_can_go_back():
    executor = MigrationExecutor(connection)
    executor.migrate([LAST_PLAIN])
    executor.loader.build_graph()
    old = executor.loader.project_state([LAST_PLAIN]).apps
    Organization = old.get_model("branches", "Organization")
    community = Organization.objects.create(
        name="旧社区", level="community", code="MIG0002", path="MIG0002/"
    )
    born = datetime.date(1941, 2, 3)
    OldMember = old.get_model("members", "Member")
    rows = [
        OldMember.objects.create(
            name=f"旧{n}",
            gender="male",
            birth_date=born,
            id_number=make_id_number("319901", born, 2 * n + 1, male=True),
            phone=phone,
            address=address,
            community=community,
        ).pk
        for n, (phone, address) in enumerate([(PHONE, ADDRESS), ("", "")])
    ]
    assert raw_member_columns(rows[0], "phone", "address") == (PHONE, ADDRESS)  # plain before
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    phone, address = raw_member_columns(rows[0], "phone", "address")
    assert phone.startswith(PREFIX) and address.startswith(PREFIX)
    assert (Member.objects.get(pk=rows[0]).phone, Member.objects.get(pk=rows[0]).address) == (
        PHONE,
        ADDRESS,
    )
    assert raw_member_columns(rows[1], "phone", "address") == ("", "")  # nothing to hide
    # And back: plain again.
    executor = MigrationExecutor(connection)
    executor.migrate([LAST_PLAIN])
    assert raw_member_columns(rows[0], "phone", "address") == (PHONE, ADDRESS)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
