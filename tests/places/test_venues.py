"""The venue register's new facts: accessibility, equipment, hours, owner, contact; the
owner rules, a conflict when two people save at once, and the contact phone's mask."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from branches.models import Venue, VenueOwner

pytestmark = pytest.mark.django_db


def form_data(cast, **changes):
    data = {
        "name": "翠园社区党员之家",
        "kind": "activity_room",
        "organization": cast.community_a.pk,
        "address": "翠园路8号",
        "capacity": "40",
        "accessible": "on",
        "has_lift": "",
        "accessible_toilet": "on",
        "equipment": "投影仪、音响",
        "opening_hours": "周一至周五 8:30–17:00",
        "owner_kind": VenueOwner.COMMUNITY,
        "contact_name": "王主任",
        "contact_phone": "0571-87654321",
        "version": cast.venue_a.version,
    }
    return {**data, **changes}


def test_the_community_records_a_venues_facts_and_it_is_audited(cast, client_for):
    url = reverse("branches:venue_edit", kwargs={"pk": cast.venue_a.pk})
    client = client_for("community_secretary")  # logging in writes an entry of its own
    entries = AuditEntry.objects.count()
    response = client.post(url, form_data(cast))
    assert response.status_code == 302
    venue = Venue.objects.get(pk=cast.venue_a.pk)
    assert (venue.accessible, venue.has_lift, venue.accessible_toilet) == (True, False, True)
    assert (venue.equipment, venue.contact_name, venue.version) == ("投影仪、音响", "王主任", 2)
    assert AuditEntry.objects.count() == entries + 1
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry.changes["after"]["contact_phone"] != "0571-87654321"  # masked in the trail


def test_a_unit_owned_venue_names_its_unit_and_others_name_none(cast, client_for):
    client = client_for("community_secretary")
    url = reverse("branches:venue_edit", kwargs={"pk": cast.venue_a.pk})
    response = client.post(url, form_data(cast, owner_kind=VenueOwner.UNIT))
    assert response.status_code == 200
    assert "请选择场地所属的原单位" in response.content.decode()
    response = client.post(
        url, form_data(cast, owner_kind=VenueOwner.UNIT, owner_unit=cast.unit_a.pk)
    )
    assert response.status_code == 302
    assert Venue.objects.get(pk=cast.venue_a.pk).owner_unit == cast.unit_a
    response = client.post(url, form_data(cast, owner_kind=VenueOwner.STREET, version=2))
    assert response.status_code == 200  # a street's venue must sit on a street
    assert Venue.objects.get(pk=cast.venue_a.pk).owner_kind == VenueOwner.UNIT


def test_two_people_saving_one_venue_get_a_conflict_not_an_overwrite(cast, client_for):
    url = reverse("branches:venue_edit", kwargs={"pk": cast.venue_a.pk})
    loaded = form_data(cast)  # both opened the form at version 1
    first = client_for("community_secretary").post(url, {**loaded, "name": "第一个名字"})
    assert first.status_code == 302
    second = client_for("street_staff").post(url, {**loaded, "name": "第二个名字"})
    assert second.status_code == 409
    assert "已有其他人保存了这个场地" in second.content.decode()
    assert Venue.objects.get(pk=cast.venue_a.pk).name == "第一个名字"
    again = client_for("street_staff").post(url, {**loaded, "name": "第二个名字", "version": 2})
    assert again.status_code == 302
    assert Venue.objects.get(pk=cast.venue_a.pk).name == "第二个名字"


@pytest.mark.parametrize(
    ("phone", "role", "shown"),
    [
        ("0571-87654321", "street_staff", "0571-87654321"),  # an office number
        ("13812345678", "street_staff", "138****5678"),  # a mobile: masked
        ("13812345678", "community_secretary", "13812345678"),  # may see personal data
    ],
)
def test_the_contact_phone_on_the_venue_page(cast, client_for, phone, role, shown):
    Venue.objects.filter(pk=cast.venue_a.pk).update(contact_phone=phone, contact_name="王主任")
    page = client_for(role).get(reverse("places:venue_week", kwargs={"pk": cast.venue_a.pk}))
    assert shown in page.content.decode()
    if shown != phone:
        assert phone not in page.content.decode()
