"""Members pages x roles. The cast's members (tests/conftest.py): member_a lives in
community_a, home branch_a, original unit unit_a; member_a_unregistered has no
registration; reg_a_reported waits for the community.

Who sees member_a: the area roles above community_a, branch_a's secretary, and the
unit_a liaison (status only). Only the community and branch secretaries may see the
unmasked data or edit; only the community secretary handles registrations and imports.
"""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditAction, AuditEntry
from branches.models import Branch, BranchKind
from members.models import (
    BranchMembership,
    CommitteeTerm,
    CommunityRegistration,
    GroupLeader,
    ImportRun,
    Member,
    Position,
    ServiceRole,
)

from . import Spec, row

# Any role with a roster: those covering some members, plus the unit liaison.
ROSTER_READERS = frozenset(
    {
        "city_admin",
        "district_staff",
        "street_staff",
        "community_secretary",
        "branch_secretary",
        "unit_liaison",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
MEMBER_A_READERS = frozenset(
    {
        "city_admin",
        "district_staff",
        "street_staff",
        "community_secretary",
        "branch_secretary",
        "unit_liaison",
    }
)
MEMBER_A_EDITORS = frozenset({"community_secretary", "branch_secretary"})
COMMUNITY_SECRETARIES = frozenset({"community_secretary", "community_b_secretary"})


def member_form(cast, *, community=None, name="赵德明"):
    member = cast.member_a
    data = {
        "name": name,
        "gender": member.gender,
        "birth_date": member.birth_date.isoformat(),
        "ethnicity": "汉族",
        "id_number": member.id_number,
        "phone": "13812345678",
        "address": member.address,
        "original_unit": "",
        "former_post": "科长",
        "rank": "",
        "retirement_type": "tuixiu",
        "retired_on": "",
        "joined_party_on": "1970-07-01",
        "full_member_on": "1971-07-01",
        "relation_kind": "other",
        "relation_branch": "",
        "relation_note": "",
        "health": "good",
        "living": "with_family",
        "skills": "",
    }
    if community is not None:
        data.update(
            community=community.pk,
            id_number=_new_id(),
            birth_date="1952-08-15",
            gender="male",
            report_now="on",
        )
    return data


def _new_id():
    import datetime

    from members.validators import make_id_number

    return make_id_number("319902", datetime.date(1952, 8, 15), 77, male=True)


def _workbook():
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "身份证号"])
    workbook.active.append(["测试", _new_id()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(cast):
    return {
        "community": cast.community_b.pk,  # posted by community_b_secretary (first ok role)
        "file": SimpleUploadedFile("花名册.xlsx", _workbook()),
    }


def a_run(cast):
    """An upload by community_secretary: no session of the matrix holds its token."""
    run, _ = ImportRun.objects.get_or_create(
        token="matrix-token",
        defaults={"user": cast.user("community_secretary"), "community": cast.community_a},
    )
    return {"token": run.token}


def reveals(cast):
    return AuditEntry.objects.filter(
        action=AuditAction.VIEW_SENSITIVE, object_id=str(cast.member_a.pk)
    ).count()


def a_membership(cast):
    """member_a takes part in a volunteer team's functional branch of their community
    (both created on first use). Reached through member_a only, so the district sweep
    (tests/branches/test_scope.py) can mirror it with member_b."""
    member = cast.member_a
    team, _ = Branch.objects.get_or_create(
        organization=member.community,
        kind=BranchKind.FUNCTIONAL,
        name=f"{member.community.name}志愿服务队功能型党支部",
    )
    membership, _ = BranchMembership.objects.get_or_create(
        member=member, branch=team, defaults={"joined_on": datetime.date(2024, 5, 1)}
    )
    return {"pk": cast.member_a.pk, "membership_pk": membership.pk}


def a_service_role(cast):
    role, _ = ServiceRole.objects.get_or_create(
        member=cast.member_a, kind="preacher", defaults={"starts_on": datetime.date(2024, 1, 1)}
    )
    return {"pk": cast.member_a.pk, "role_pk": role.pk}


def a_term(cast):
    """branch_a's current term, its secretary member_a."""
    term, created = CommitteeTerm.objects.get_or_create(
        branch=cast.branch_a,
        number=1,
        defaults={
            "starts_on": datetime.date(2024, 1, 1),
            "ends_on": datetime.date(2029, 1, 1),
            "has_committee": False,
        },
    )
    if created:
        Position.objects.create(term=term, post="secretary", member=cast.member_a)
    return {"pk": term.pk}


def term_state(cast):
    return list(
        CommitteeTerm.objects.values_list("pk", "starts_on", "ends_on", "has_committee")
    ), list(Position.objects.values_list("term", "post", "member"))


SPECS = [
    Spec("members:roster", ok=ROSTER_READERS),
    Spec("members:roster_print", ok=ROSTER_READERS, exports=("",)),
    Spec("members:roster_xlsx", ok=ROSTER_READERS, exports=("", "full=1")),
    Spec("members:roster_pdf", ok=ROSTER_READERS, exports=("",)),
    Spec(
        "members:member_create",
        ok=COMMUNITY_SECRETARIES,
        post=lambda c: member_form(c, community=c.community_b, name="新党员"),
        state=lambda c: sorted(Member.objects.values_list("name", flat=True)),
    ),
    Spec(
        "members:member_detail",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=MEMBER_A_READERS,
    ),
    Spec(
        "members:member_reveal",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: {},
        state=reveals,
    ),
    Spec(
        "members:member_edit",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: member_form(c, name="赵德明（改）"),
        state=lambda c: row(c.member_a),
    ),
    Spec(
        "members:member_status",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: {"status": "deceased", "status_on": "2025-06-01", "note": ""},
        state=lambda c: row(c.member_a),
    ),
    Spec(
        "members:member_erase",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: {"name": c.member_a.name},
        state=lambda c: Member.objects.filter(pk=c.member_a.pk).exists(),
    ),
    Spec(
        "members:service_role_create",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: {
            "kind": "preacher",
            "organization_name": "翠园社区",
            "starts_on": "2024-01-01",
        },
        state=lambda c: list(ServiceRole.objects.values_list("pk", "kind")),
    ),
    Spec(
        "members:recognition_create",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: {
            "title": "优秀共产党员",
            "conferred_by": "区委",
            "conferred_on": "2024-07-01",
        },
        state=lambda c: list(c.member_a.recognitions.values_list("pk", "title")),
    ),
    Spec(
        "members:membership_create",
        kwargs=lambda c: {"pk": c.member_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: {"branch": c.functional_a.pk, "joined_on": "2024-05-01"},
        state=lambda c: list(c.member_a.memberships.values_list("branch", "joined_on")),
    ),
    Spec(
        "members:membership_end",
        kwargs=a_membership,
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: {"left_on": "2025-06-01", "reason": "搬家"},
        state=lambda c: list(
            c.member_a.memberships.values_list("branch", "left_on", "left_reason")
        ),
    ),
    Spec(
        "members:service_role_end",
        kwargs=a_service_role,
        ok=MEMBER_A_EDITORS,
        forbidden=MEMBER_A_READERS - MEMBER_A_EDITORS,
        post=lambda c: {"ends_on": "2025-06-01"},
        state=lambda c: list(ServiceRole.objects.values_list("pk", "ends_on")),
    ),
    Spec(
        "members:group_leader",
        kwargs=lambda c: {"group_pk": c.group_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden={"city_admin", "district_staff", "street_staff", "system_admin"},
        post=lambda c: {"member": c.member_a.pk, "starts_on": "2024-05-01"},
        state=lambda c: list(GroupLeader.objects.values_list("group", "member", "ends_on")),
    ),
    Spec(
        "members:registration_report",
        kwargs=lambda c: {"pk": c.member_a_unregistered.pk},
        ok={"community_secretary"},
        forbidden={"city_admin", "district_staff", "street_staff"},
        post=lambda c: {"community": c.community_a.pk, "reported_on": "2025-03-01", "note": ""},
        state=lambda c: list(
            CommunityRegistration.objects.filter(member=c.member_a_unregistered).values_list(
                "pk", "status"
            )
        ),
    ),
    Spec("members:registration_list", ok=COMMUNITY_SECRETARIES),
    Spec(
        "members:registration_accept",
        kwargs=lambda c: {"pk": c.reg_a_reported.pk},
        ok={"community_secretary"},
        forbidden={"city_admin", "district_staff", "street_staff"},
        post=lambda c: {
            "branch": c.branch_a.pk,
            "party_group": c.group_a.pk,
            "accepted_on": "2025-03-02",
        },
        state=lambda c: row(c.reg_a_reported),
    ),
    Spec(
        "members:registration_withdraw",
        kwargs=lambda c: {"pk": c.reg_a.pk},
        ok={"community_secretary"},
        forbidden=MEMBER_A_READERS - {"community_secretary"},
        post=lambda c: {"withdrawn_on": "2025-03-04", "reason": "登记有误"},
        state=lambda c: row(c.reg_a),
    ),
    Spec(
        "members:term_create",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=MEMBER_A_EDITORS,
        forbidden={"city_admin", "district_staff", "street_staff", "system_admin"},
        post=lambda c: {
            "number": 3,
            "starts_on": "2025-01-01",
            "ends_on": "2030-01-01",
            "post_secretary": c.member_a.pk,
        },
        state=lambda c: list(CommitteeTerm.objects.values_list("pk", "number")),
    ),
    Spec(
        "members:term_edit",
        kwargs=a_term,
        ok=MEMBER_A_EDITORS,
        forbidden={"city_admin", "district_staff", "street_staff", "system_admin"},
        post=lambda c: {
            "starts_on": "2024-01-01",
            "ends_on": "2029-01-01",
            "post_secretary": c.member_a_bedridden.pk,
        },
        state=term_state,
    ),
    Spec(
        "members:import_upload",
        ok=COMMUNITY_SECRETARIES,
        post=upload,
        state=lambda c: list(ImportRun.objects.values_list("pk", "state")),
    ),
    Spec("members:import_template", ok=COMMUNITY_SECRETARIES),
    # An upload is reachable only from the session that uploaded it (tests/members cover
    # the owner): every other session, even its owner's colleague, gets 404.
    Spec("members:import_preview", kwargs=a_run),
    Spec("members:import_progress", kwargs=a_run),
    Spec("members:import_check", kwargs=a_run, everyone=405),
    Spec("members:import_confirm", kwargs=a_run, everyone=405),
    Spec("members:import_retry", kwargs=a_run, everyone=405),
    Spec("members:import_discard", kwargs=a_run, everyone=405),
]
