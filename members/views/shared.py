"""What the roster's pages share: scoped lookups, the small form page, the page size."""

from __future__ import annotations

from django.urls import reverse

from branches.access import EDIT_MEMBERS, VIEW_MEMBERS, get_for_user
from branches.models import Level, Organization
from branches.pages import form_page

from .. import selectors
from ..models import CommunityRegistration

PAGE_SIZE = 25


def get_member_for_user(request, pk, *, write: str | None = None):
    return get_for_user(
        request, selectors.member_detail_queryset(), pk, read=VIEW_MEMBERS, write=write
    )


def get_registration_for_user(request, pk, *, write: str | None = None):
    return get_for_user(
        request,
        CommunityRegistration.objects.select_related(
            "member", "member__community", "community", "branch", "party_group"
        ),
        pk,
        read=VIEW_MEMBERS,
        write=write,
    )


def editable_communities(user):
    return Organization.objects.visible_to(user, EDIT_MEMBERS).filter(level=Level.COMMUNITY)


def member_form_page(request, form, save, **kwargs):
    """The small member form pages (branches.pages.form_page in members/form.html)."""
    return form_page(request, form, save, template="members/form.html", **kwargs)


def member_url(member) -> str:
    return reverse("members:member_detail", args=[member.pk])
