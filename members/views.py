"""Roster pages. Thin: resolve through the scope, validate with a form, call a service."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import audit
from accounts.models import AuditAction
from branches.access import (
    EDIT_MEMBERS,
    IMPORT_MEMBERS,
    MANAGE_REGISTRATIONS,
    VIEW_MEMBERS,
    VIEW_SENSITIVE,
    VIEW_STRUCTURE,
    VIEW_UNIT_MEMBERS,
    get_for_user,
    require_capability,
    scope_for,
)
from branches.models import Branch, Level, Organization, PartyGroup
from branches.pages import form_page

from . import erasure, exporting, selectors, services, uploads
from .forms import (
    CommitteeTermEditForm,
    CommitteeTermForm,
    EraseForm,
    GroupLeaderForm,
    ImportUploadForm,
    MemberForm,
    MembershipEndForm,
    MembershipForm,
    RecognitionForm,
    RegistrationAcceptForm,
    RegistrationNotifyForm,
    RegistrationReportForm,
    RegistrationWithdrawForm,
    RosterFilterForm,
    ServiceRoleEndForm,
    ServiceRoleForm,
    StatusForm,
)
from .models import CommitteeTerm, CommunityRegistration, ImportState, RegistrationStatus
from .selectors import MemberGate

PAGE_SIZE = 25
PDF_MAX_ROWS = 2000
REVEAL_SECONDS = 300  # an audited "show full" lasts five minutes
REVEAL_SESSION_KEY = "members_revealed"
SENSITIVE_FIELDS = ["id_number", "phone", "address", "health"]


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


def _require_roster_access(request):
    scope = scope_for(request.user)
    if not (scope.has(VIEW_MEMBERS) or scope.has(VIEW_UNIT_MEMBERS)):
        raise Http404
    return scope


def _roster_query(request):
    form = RosterFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if request.GET else selectors.RosterFilters()
    return form, filters, selectors.roster(request.user, filters)


def roster(request):
    scope = _require_roster_access(request)
    form, _filters, qs = _roster_query(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    MemberGate(request.user).decorate(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "members/roster.html",
        {
            "form": form,
            "page": page,
            "limited": not scope.has(VIEW_MEMBERS),
            "can_create": scope.has(EDIT_MEMBERS) and _editable_communities(request.user).exists(),
            "can_import": scope.has(IMPORT_MEMBERS),
            "can_reveal": scope.has(VIEW_SENSITIVE),
            "query": query.urlencode(),
        },
    )


def _editable_communities(user):
    return Organization.objects.visible_to(user, EDIT_MEMBERS).filter(level=Level.COMMUNITY)


def _roster_title(filters) -> str:
    """The roster's title names the branch or community it was narrowed to."""
    if filters.branch:
        branch = Branch.objects.filter(pk=filters.branch).values_list("name", flat=True).first()
        if branch:
            return _("Roster of party members: %(branch)s") % {"branch": branch}
    if filters.community:
        community = (
            Organization.objects.filter(pk=filters.community).values_list("name", flat=True).first()
        )
        if community:
            return _("Roster of retired cadre party members: %(place)s") % {"place": community}
    return _("Roster of retired cadre party members")


def _audited_query(request) -> dict:
    """The export's filters for the audit entry; the search text masked like a name (it
    is often a member's name, and the trail must not name members)."""
    query = request.GET.dict()
    if query.get("q"):
        query["q"] = audit.masked_name(query["q"])
    return query


def _export(request, fmt):
    scope = _require_roster_access(request)
    _form, filters, qs = _roster_query(request)
    reveal = request.GET.get("full") == "1" and scope.has(VIEW_SENSITIVE)
    gate = MemberGate(request.user)
    full_view = scope.has(VIEW_MEMBERS)
    title = _roster_title(filters)
    count = qs.count()
    if fmt == "pdf" and count > PDF_MAX_ROWS:
        messages.error(
            request,
            _(
                "The PDF is limited to %(max)d members (%(n)d match): narrow the filters "
                "or export to Excel."
            )
            % {"max": PDF_MAX_ROWS, "n": count},
        )
        return redirect(f"{reverse('members:roster')}?{request.GET.urlencode()}")
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type="members.roster",
        object_repr=title[:200],
        after={"format": fmt, "rows": count, "unmasked": reveal, "query": _audited_query(request)},
    )
    rows = exporting.roster_rows(qs, gate, reveal=reveal)
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "xlsx":
        body = exporting.export_xlsx(rows, title=title, full_view=full_view)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        body = exporting.export_pdf(rows, title=title, full_view=full_view)
        content_type = "application/pdf"
    else:
        html = exporting.render_roster_html(
            list(rows), title=title, full_view=full_view, request=request
        )
        return HttpResponse(html)
    response = HttpResponse(body, content_type=content_type)
    filename = _("roster") + f"-{stamp}.{fmt}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"roster-{stamp}.{fmt}\"; filename*=UTF-8''"
        + urlencode({"": filename})[1:]
    )
    return response


def roster_xlsx(request):
    return _export(request, "xlsx")


def roster_pdf(request):
    return _export(request, "pdf")


def roster_print(request):
    return _export(request, "html")


# --- one member --------------------------------------------------------------------------


def _revealed(request, member) -> bool:
    expiry = request.session.get(REVEAL_SESSION_KEY, {}).get(str(member.pk))
    return bool(expiry and expiry > time.time())


def member_detail(request, pk):
    member = get_member_for_user(request, pk)
    gate = MemberGate(request.user)
    full_view = gate.full_view(member)
    sensitive = full_view and gate.sensitive(member)
    history = selectors.member_history(member)
    if not full_view:
        history = {"registrations": history["registrations"]}
    scope = scope_for(request.user)
    live = next(
        (r for r in history["registrations"] if r.status != RegistrationStatus.WITHDRAWN), None
    )
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "full_view": full_view,
            "sensitive": sensitive,
            "revealed": sensitive and _revealed(request, member),
            "can_edit": full_view and gate.can_edit(member),
            "can_manage_registration": full_view and gate.can_manage_registration(member),
            "can_report": scope.has(MANAGE_REGISTRATIONS) and live is None,
            "live_registration": live,
            "today": timezone.localdate(),
            **history,
        },
    )


def member_reveal(request, pk):
    """Show the unmasked ID number, phone, address and health: an explicit, audited act."""
    member = get_member_for_user(request, pk, write=VIEW_SENSITIVE)
    if request.method == "POST":
        audit.record(
            AuditAction.VIEW_SENSITIVE, member, request=request, after={"fields": SENSITIVE_FIELDS}
        )
        revealed = {
            key: expiry
            for key, expiry in request.session.get(REVEAL_SESSION_KEY, {}).items()
            if expiry > time.time()
        }
        revealed[str(member.pk)] = time.time() + REVEAL_SECONDS
        request.session[REVEAL_SESSION_KEY] = revealed
        return redirect("members:member_detail", pk=member.pk)
    return render(request, "members/member_reveal.html", {"member": member})


def member_create(request):
    require_capability(request, EDIT_MEMBERS)
    if not _editable_communities(request.user).exists():
        raise Http404
    form = MemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        member = services.member_create(
            actor=request.user,
            request=request,
            fields=form.member_fields(),
            reported_on=timezone.localdate() if form.cleaned_data.get("report_now") else None,
        )
        messages.success(request, _("Member “%(name)s” added.") % {"name": member.name})
        return redirect("members:member_detail", pk=member.pk)
    return render(
        request, "members/form.html", {"form": form, "title": _("New member"), "wide": True}
    )


def member_edit(request, pk):
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    form = MemberForm(request.POST or None, instance=member, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            changed = services.member_update(
                member=selectors.member_detail_queryset().get(pk=member.pk),
                changes=form.member_fields(),
                actor=request.user,
                request=request,
            )
            if changed:
                messages.success(request, _("Member “%(name)s” saved.") % {"name": member.name})
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("members:member_detail", pk=member.pk)
    else:
        # The edit form shows the unmasked values: that view is audited like "show full".
        audit.record(
            AuditAction.VIEW_SENSITIVE,
            member,
            request=request,
            after={"fields": SENSITIVE_FIELDS, "via": "edit"},
        )
    return render(
        request,
        "members/form.html",
        {"form": form, "title": _("Edit member"), "member": member, "wide": True},
    )


def member_status(request, pk):
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    return _form_page(
        request,
        StatusForm(request.POST or None, instance=member),
        lambda data: services.member_set_status(
            member=member,
            status=data["status"],
            on=data["status_on"],
            note=data["note"],
            actor=request.user,
            request=request,
        ),
        done=_("Status saved."),
        success_url=_member_url(member),
        title=_("Change status: %(name)s") % {"name": member.name},
        member=member,
    )


def member_erase(request, pk):
    """Delete a member and their personal data (PIPL art. 47): a confirm page, then POST."""
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    form = EraseForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        erasure.member_erase(member=member, actor=request.user, request=request)
        messages.success(
            request,
            _("Member “%(name)s” and their personal data were deleted.") % {"name": member.name},
        )
        return redirect("members:roster")
    return render(request, "members/member_erase.html", {"form": form, "member": member})


def _form_page(request, form, save, **kwargs):
    """The small member form pages (branches.pages.form_page in members/form.html)."""
    return form_page(request, form, save, template="members/form.html", **kwargs)


def _member_url(member) -> str:
    return reverse("members:member_detail", args=[member.pk])


def _member_record_create(request, pk, *, form_class, create, done, title):
    """A small record added to one member (a service role, an honour): form, service, back."""
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    return _form_page(
        request,
        form_class(request.POST or None),
        lambda data: create(member=member, fields=data, actor=request.user, request=request),
        done=done,
        success_url=_member_url(member),
        title=title % {"name": member.name},
        member=member,
    )


def service_role_create(request, pk):
    return _member_record_create(
        request,
        pk,
        form_class=ServiceRoleForm,
        create=services.service_role_create,
        done=_("Service role added."),
        title=_("New service role: %(name)s"),
    )


def recognition_create(request, pk):
    return _member_record_create(
        request,
        pk,
        form_class=RecognitionForm,
        create=services.recognition_create,
        done=_("Honour recorded."),
        title=_("Exemplary figure: %(name)s"),
    )


def membership_create(request, pk):
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    return _form_page(
        request,
        MembershipForm(request.POST or None, member=member),
        lambda data: services.membership_add(
            member=member,
            branch=data["branch"],
            joined_on=data["joined_on"],
            actor=request.user,
            request=request,
        ),
        done=_("Saved."),
        success_url=_member_url(member),
        title=_("Takes part in a functional branch or team: %(name)s") % {"name": member.name},
        member=member,
    )


def _member_record_end(request, pk, related, record_pk, *, form_class, end, done, title):
    """End one of a member's records (a functional-branch membership, a service role):
    a one-date form, the service on POST, back to the member page. The record is looked
    up among the member's own, so the member's scope covers it."""
    member = get_member_for_user(request, pk, write=EDIT_MEMBERS)
    record = get_object_or_404(getattr(member, related).all(), pk=record_pk)
    return _form_page(
        request,
        form_class(request.POST or None),
        lambda data: end(record, data),
        done=done,
        success_url=_member_url(member),
        title=title(member, record),
        member=member,
    )


def membership_end(request, pk, membership_pk):
    def end(membership, data):
        services.membership_end(
            membership=membership,
            left_on=data["left_on"],
            reason=data["reason"],
            actor=request.user,
            request=request,
        )

    return _member_record_end(
        request,
        pk,
        "memberships",
        membership_pk,
        form_class=MembershipEndForm,
        end=end,
        done=_("The leaving was recorded."),
        title=lambda member, membership: (
            _("%(name)s leaves %(branch)s")
            % {"name": member.name, "branch": membership.branch.name}
        ),
    )


def service_role_end(request, pk, role_pk):
    def end(role, data):
        services.service_role_end(
            role=role, ends_on=data["ends_on"], actor=request.user, request=request
        )

    return _member_record_end(
        request,
        pk,
        "service_roles",
        role_pk,
        form_class=ServiceRoleEndForm,
        end=end,
        done=_("The service role was ended."),
        title=lambda member, role: (
            _("%(name)s stops serving as %(role)s")
            % {"name": member.name, "role": role.get_kind_display()}
        ),
    )


def group_leader(request, group_pk):
    group = get_for_user(
        request,
        PartyGroup.objects.select_related("branch"),
        group_pk,
        read=VIEW_STRUCTURE,
        write=EDIT_MEMBERS,
    )
    return _form_page(
        request,
        GroupLeaderForm(request.POST or None, group=group),
        lambda data: services.group_leader_set(
            group=group,
            member=data["member"],
            starts_on=data["starts_on"],
            actor=request.user,
            request=request,
        ),
        done=_("Saved."),
        success_url=reverse("branches:branch_detail", args=[group.branch_id]),
        title=_("Party group leader: %(group)s") % {"group": group.name},
        branch=group.branch,
    )


# --- community registration ------------------------------------------------------------


def registration_list(request):
    require_capability(request, MANAGE_REGISTRATIONS)
    status = request.GET.get("status", RegistrationStatus.REPORTED)
    if status not in RegistrationStatus.values:
        status = RegistrationStatus.REPORTED
    qs = selectors.pending_registrations(request.user).filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "members/registration_list.html",
        {"page": page, "status": status, "statuses": RegistrationStatus.choices},
    )


def registration_report(request, pk):
    member = get_member_for_user(request, pk, write=MANAGE_REGISTRATIONS)
    communities = Organization.objects.visible_to(request.user, MANAGE_REGISTRATIONS).filter(
        level=Level.COMMUNITY
    )
    form = RegistrationReportForm(
        request.POST or None, communities=communities, initial={"community": member.community_id}
    )
    return _form_page(
        request,
        form,
        lambda data: services.registration_report(
            member=member,
            community=data["community"],
            reported_on=data["reported_on"],
            note=data["note"],
            actor=request.user,
            request=request,
        ),
        done=_("Registration recorded."),
        success_url=_member_url(member),
        title=_("Record a registration: %(name)s") % {"name": member.name},
        member=member,
    )


def _registration_action(request, pk, form_class, title, action, **form_kwargs):
    registration = get_registration_for_user(request, pk, write=MANAGE_REGISTRATIONS)
    if "registration" in form_kwargs:
        form_kwargs["registration"] = registration
    return _form_page(
        request,
        form_class(request.POST or None, **form_kwargs),
        lambda data: action(registration, data),
        done=_("Registration updated."),
        success_url=_member_url(registration.member),
        title=title % {"name": registration.member.name},
        member=registration.member,
        registration=registration,
    )


def registration_accept(request, pk):
    def accept(registration, data):
        services.registration_accept(
            registration=registration,
            branch=data["branch"],
            party_group=data["party_group"],
            accepted_on=data["accepted_on"],
            actor=request.user,
            request=request,
        )

    return _registration_action(
        request,
        pk,
        RegistrationAcceptForm,
        _("Accept the registration of %(name)s"),
        accept,
        registration=None,
    )


def registration_notify(request, pk):
    def notify(registration, data):
        services.registration_notify_unit(
            registration=registration,
            notified_on=data["notified_on"],
            actor=request.user,
            request=request,
        )

    return _registration_action(
        request, pk, RegistrationNotifyForm, _("Notify the original unit of %(name)s"), notify
    )


def registration_withdraw(request, pk):
    def withdraw(registration, data):
        services.registration_withdraw(
            registration=registration,
            withdrawn_on=data["withdrawn_on"],
            reason=data["reason"],
            actor=request.user,
            request=request,
        )

    return _registration_action(
        request, pk, RegistrationWithdrawForm, _("Withdraw the registration of %(name)s"), withdraw
    )


# --- branch committee ------------------------------------------------------------------


def term_create(request, branch_pk):
    branch = get_for_user(
        request,
        Branch.objects.select_related("organization"),
        branch_pk,
        read=VIEW_STRUCTURE,
        write=EDIT_MEMBERS,
    )
    last = CommitteeTerm.objects.filter(branch=branch).order_by("-number").first()
    form = CommitteeTermForm(
        request.POST or None,
        branch=branch,
        initial_number=(last.number + 1) if last else 1,
        years=selectors.term_years(branch),
    )
    return _form_page(
        request,
        form,
        lambda data: services.committee_term_create(
            branch=branch,
            number=data["number"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            has_committee=data["has_committee"],
            holders=form.holders(),
            actor=request.user,
            request=request,
        ),
        done=_("Committee term saved."),
        success_url=reverse("branches:branch_detail", args=[branch.pk]),
        title=_("New committee term: %(name)s") % {"name": branch.name},
        branch=branch,
    )


def term_edit(request, pk):
    """Correct a committee term and fill, change or clear its posts: how a branch whose
    secretary died or moved away records the successor."""
    term = get_for_user(
        request,
        CommitteeTerm.objects.select_related("branch", "branch__organization"),
        pk,
        read=VIEW_STRUCTURE,
        write=EDIT_MEMBERS,
    )
    branch = term.branch
    form = CommitteeTermEditForm(request.POST or None, term=term)
    return _form_page(
        request,
        form,
        lambda data: bool(
            services.committee_term_update(
                term=term,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                has_committee=data["has_committee"],
                holders=form.holders(),
                actor=request.user,
                request=request,
            )
        ),
        done=_("Committee term saved."),
        success_url=reverse("branches:branch_detail", args=[branch.pk]),
        title=_("Term %(number)d of %(name)s: dates and posts")
        % {"number": term.number, "name": branch.name},
        branch=branch,
    )


# --- import ----------------------------------------------------------------------------


def _import_communities(user):
    return list(Organization.objects.visible_to(user, IMPORT_MEMBERS).filter(level=Level.COMMUNITY))


def import_upload(request):
    require_capability(request, IMPORT_MEMBERS)
    communities = _import_communities(request.user)
    if not communities:
        raise Http404
    form = ImportUploadForm(
        request.POST or None,
        request.FILES or None,
        communities=Organization.objects.filter(pk__in=[c.pk for c in communities]),
        max_bytes=uploads.max_bytes(),
    )
    if request.method == "POST" and form.is_valid():
        run = uploads.store(
            form.cleaned_data["file"],
            user=request.user,
            community=form.cleaned_data["community"],
            request=request,
        )
        tokens = request.session.get(uploads.SESSION_KEY, [])
        request.session[uploads.SESSION_KEY] = [*tokens, run.token][-10:]
        return redirect("members:import_preview", token=run.token)
    recent = uploads.recent_runs(request.user)
    tokens = request.session.get(uploads.SESSION_KEY, [])
    return render(
        request,
        "members/import_upload.html",
        {"form": form, "recent": recent, "tokens": tokens},
    )


def _get_run(request, token):
    require_capability(request, IMPORT_MEMBERS)
    run = uploads.run_for(request, token)
    if run is None:
        raise Http404
    return run


def import_preview(request, token):
    run = _get_run(request, token)
    return render(request, "members/import_preview.html", {"run": run})


def _import_partial(request, run):
    if request.headers.get("HX-Request"):
        return render(request, "members/import_preview.html#result", {"run": run})
    return redirect("members:import_preview", token=run.token)


@require_POST
def import_check(request, token):
    run = _get_run(request, token)
    run = uploads.check(run)
    return _import_partial(request, run)


@require_POST
def import_confirm(request, token):
    run = _get_run(request, token)
    run = uploads.confirm(run, request=request)
    if run.state == ImportState.DONE:
        messages.success(
            request,
            _("Import finished: %(created)d added, %(updated)d updated.")
            % {"created": run.create_count, "updated": run.update_count},
        )
    return _import_partial(request, run)


@require_POST
def import_retry(request, token):
    """A stranded check or write starts over with the check (the page runs it)."""
    run = uploads.retry(_get_run(request, token))
    return redirect("members:import_preview", token=run.token)


@require_POST
def import_discard(request, token):
    run = uploads.discard(_get_run(request, token), request=request)
    if run.state != ImportState.DISCARDED:
        return redirect("members:import_preview", token=run.token)
    messages.success(
        request,
        _("The import of %(file)s was discarded: nothing was written.") % {"file": run.file_name},
    )
    return redirect("members:import_upload")


def import_progress(request, token):
    run = _get_run(request, token)
    return render(request, "members/import_preview.html#progress", {"run": run})


def import_template(request):
    require_capability(request, IMPORT_MEMBERS)
    from .importing import template_workbook

    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        "attachment; filename=\"roster-template.xlsx\"; filename*=UTF-8''"
        + urlencode({"": _("roster-template") + ".xlsx"})[1:]
    )
    template_workbook().save(response)
    return response
