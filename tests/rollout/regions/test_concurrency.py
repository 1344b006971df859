"""Two people confirm different moves of the same community at the same moment: the row
lock puts one after the other, and the second finds the tree changed (Conflict), so
nothing is overwritten. Real threads on PostgreSQL."""

import threading

import pytest
from django.db import connection

from branches.models import Organization
from rollout.regions import selectors, services
from tests.conftest import build_cast

pytestmark = pytest.mark.django_db(transaction=True)


def test_of_two_concurrent_moves_one_wins_and_the_other_is_a_conflict():
    cast = build_cast()
    community = Organization.objects.get(pk=cast.community_a.pk)
    targets = [Organization.objects.get(pk=cast.street_a2.pk), cast.street_b]
    tokens = [selectors.move_preview(community, street).token for street in targets]
    start = threading.Barrier(2, timeout=30)
    outcomes = [None, None]

    def confirm(i):
        try:
            start.wait()
            services.community_move(
                community=community,
                street=targets[i],
                actor=cast.user("city_admin"),
                expected=tokens[i],
            )
            outcomes[i] = "moved"
        except services.Conflict:
            outcomes[i] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "moved"]
    winner = targets[outcomes.index("moved")]
    moved = Organization.objects.get(pk=community.pk)
    assert moved.parent_id == winner.pk
    assert moved.path == f"{Organization.objects.get(pk=winner.pk).path}{community.code}/"
