"""Role management: the security administrator grants and revokes StaffRoles (audited).

Roles listed and nodes granted are limited to the security administrator's own subtree
(can_manage_roles). Nobody manages their own roles (branches.services)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import ConfirmForm

from . import services
from .access import MANAGE_ROLES, Role, require_capability, scope_for
from .models import BRANCH_ROLES, UNIT_ROLES, Branch, Organization, OriginalUnit, StaffRole


def staff_roles_visible_to(user):
    """StaffRoles whose node lies inside the user's can_manage_roles subtrees."""
    scope = scope_for(user)
    parts = [
        scope.q(MANAGE_ROLES, path_field="organization__path"),
        scope.q(MANAGE_ROLES, path_field="branch__organization__path"),
        scope.q(MANAGE_ROLES, path_field="original_unit__district__path"),
    ]
    parts = [part for part in parts if part is not None]
    if not parts:
        return StaffRole.objects.none()
    condition = Q()
    for part in parts:
        condition |= part
    return StaffRole.objects.filter(condition)


class StaffRoleForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("User name"),
        max_length=150,
        help_text=gettext_lazy("For an API client, its name (as on the API client's page)."),
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    organization_code = forms.CharField(
        label=gettext_lazy("Organisation code"),
        max_length=24,
        required=False,
        help_text=gettext_lazy("For every role except branch secretary and unit liaison."),
    )
    branch_number = forms.IntegerField(
        label=gettext_lazy("Branch number"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("For a branch secretary: the number shown on the branch page."),
    )
    unit_code = forms.CharField(
        label=gettext_lazy("Original unit code"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("For an original-unit liaison."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Grant the role"), css_class="btn-lg"))

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        accounts = get_user_model().objects.filter(is_active=True)
        account = accounts.filter(username=name).first()
        if account is None and name:
            # An API client may be named as it is called (its account's full name).
            account = accounts.filter(is_service_account=True, full_name=name).first()
        if account is None:
            raise ValidationError(_("No active account has this user name."))
        return account

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if not role:
            return data
        data["organization"] = data["branch"] = data["original_unit"] = None
        if role in BRANCH_ROLES:
            branch = None
            if data.get("branch_number"):
                branch = (
                    Branch.objects.visible_to(self.user, MANAGE_ROLES)
                    .filter(pk=data["branch_number"])
                    .first()
                )
            if branch is None:
                self.add_error("branch_number", _("Give the number of a branch in your area."))
            data["branch"] = branch
        elif role in UNIT_ROLES:
            unit = None
            if data.get("unit_code"):
                unit = (
                    OriginalUnit.objects.visible_to(self.user, MANAGE_ROLES)
                    .filter(code=data["unit_code"].strip())
                    .first()
                )
            if unit is None:
                self.add_error("unit_code", _("Give the code of an original unit in your area."))
            data["original_unit"] = unit
        else:
            org = None
            if data.get("organization_code"):
                org = (
                    Organization.objects.visible_to(self.user, MANAGE_ROLES)
                    .filter(code=data["organization_code"].strip())
                    .first()
                )
            if org is None:
                self.add_error(
                    "organization_code", _("Give the code of an organisation in your area.")
                )
            data["organization"] = org
        return data


def role_list(request):
    require_capability(request, MANAGE_ROLES)
    q = request.GET.get("q", "").strip()[:50]
    role = request.GET.get("role", "")
    roles = staff_roles_visible_to(request.user).select_related(
        "user", "organization", "branch", "original_unit"
    )
    if q:
        roles = roles.filter(Q(user__username__icontains=q) | Q(user__full_name__icontains=q))
    if role in Role.values:
        roles = roles.filter(role=role)
    else:
        role = ""
    roles = roles.order_by("user__username", "role", "pk")
    page = Paginator(roles, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "branches/role_list.html",
        {
            "page": page,
            "q": q,
            "role": role,
            "roles": Role.choices,
            "admin_roles": {r.value for r in services.ADMIN_ROLES},
        },
    )


def role_grant(request):
    require_capability(request, MANAGE_ROLES)
    # ?username= from the workbench's list of accounts waiting for a role.
    named = request.GET.get("username", "").replace("\x00", "")[:150]
    form = StaffRoleForm(request.POST or None, user=request.user, initial={"username": named})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff_role = services.staff_role_grant(
                request=request,
                user=data["username"],
                role=data["role"],
                organization=data["organization"],
                branch=data["branch"],
                original_unit=data["original_unit"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s.")
                % {"user": staff_role.user, "role": staff_role.get_role_display()},
            )
            return redirect("branches:role_list")
    # An API client's account is named as such in the title, so nobody takes it for a person.
    named_account = (
        get_user_model()
        .objects.filter(
            username=request.POST.get("username", named).replace("\x00", "").strip()[:150]
        )
        .first()
    )
    title = _("Grant a role")
    if named_account is not None and named_account.is_service_account:
        title = _("Grant a role to %(account)s") % {"account": named_account.account_label}
    return render(
        request,
        "accounts/form.html",
        {"form": form, "title": title, "back": reverse("branches:role_list")},
    )


def role_revoke(request, pk):
    require_capability(request, MANAGE_ROLES)
    staff_role = (
        staff_roles_visible_to(request.user)
        .select_related("user", "organization", "branch", "original_unit")
        .filter(pk=pk)
        .first()
    )
    if staff_role is None:
        raise Http404
    if request.method == "POST":
        try:
            services.staff_role_revoke(request=request, staff_role=staff_role)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The role is revoked."))
        return redirect("branches:role_list")
    return render(
        request,
        "accounts/confirm.html",
        {
            "title": _("Revoke this role?"),
            "explanation": str(staff_role),
            "button": _("Revoke"),
            "danger": True,
            "back": reverse("branches:role_list"),
            "form": ConfirmForm(),
        },
    )
