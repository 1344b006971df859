from branches.models import Branch, PartyGroup, Venue

from . import (
    BRANCH_MANAGERS,
    COMMUNITY_A_MANAGERS,
    COMMUNITY_A_VIEWERS,
    STRUCTURE_VIEWERS,
    Spec,
    row,
)


def branch_form(cast):
    return {
        "name": "改名后的支部",
        "kind": "community",
        "organization": cast.community_a.pk,
        "established_on": "2018-07-01",
    }


SPECS = [
    # Users with one top node are sent straight into it; a branch secretary has none.
    Spec(
        "branches:org_tree",
        ok={"branch_secretary"},
        redirect=STRUCTURE_VIEWERS - {"branch_secretary"},
    ),
    Spec(
        "branches:org_detail",
        kwargs=lambda c: {"pk": c.community_a.pk},
        ok=COMMUNITY_A_VIEWERS,
    ),
    Spec("branches:branch_list", ok=STRUCTURE_VIEWERS),
    Spec(
        "branches:branch_create",
        ok=BRANCH_MANAGERS,
        # Posted by community_b_secretary (the first ok role), in her community.
        post=lambda c: {"name": "新建支部", "kind": "community", "organization": c.community_b.pk},
        state=lambda c: sorted(Branch.objects.values_list("pk", "name")),
    ),
    Spec(
        "branches:branch_detail",
        kwargs=lambda c: {"pk": c.branch_a.pk},
        ok=COMMUNITY_A_VIEWERS | {"branch_secretary"},
    ),
    Spec(
        "branches:branch_edit",
        kwargs=lambda c: {"pk": c.branch_a.pk},
        ok=COMMUNITY_A_MANAGERS,
        forbidden={"city_admin", "branch_secretary"},
        post=branch_form,
        state=lambda c: row(c.branch_a),
    ),
    Spec(
        "branches:group_create",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=COMMUNITY_A_MANAGERS | {"branch_secretary"},
        forbidden={"city_admin"},
        post=lambda c: {"name": "第九党小组"},
        state=lambda c: list(PartyGroup.objects.values_list("pk", "name")),
    ),
    Spec(
        "branches:group_edit",
        kwargs=lambda c: {"pk": c.group_a.pk},
        ok=COMMUNITY_A_MANAGERS | {"branch_secretary"},
        forbidden={"city_admin"},
        post=lambda c: {"name": "改名党小组"},
        state=lambda c: row(c.group_a),
    ),
    Spec("branches:venue_list", ok=STRUCTURE_VIEWERS),
    Spec(
        "branches:venue_create",
        ok=BRANCH_MANAGERS,
        post=lambda c: {
            "name": "新建活动室",
            "kind": "other",
            "organization": c.community_b.pk,
            "owner_kind": "community",
        },
        state=lambda c: sorted(Venue.objects.values_list("pk", "name")),
    ),
    Spec(
        "branches:venue_edit",
        kwargs=lambda c: {"pk": c.venue_a.pk},
        ok=COMMUNITY_A_MANAGERS,
        forbidden={"city_admin"},
        post=lambda c: {
            "name": "改名活动室",
            "kind": "other",
            "organization": c.community_a.pk,
            "owner_kind": "community",
            "version": 1,
        },
        state=lambda c: row(c.venue_a),
    ),
]
