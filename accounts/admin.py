"""The Django admin: read-only views for the system administrator.

Accounts are created, disabled and reset on the portal's own user pages (audited, with
the password policy); roles on the security administrator's pages. Audit entries are not
registered at all: only the auditor reads them, on the audit pages.
"""

from django.contrib import admin

from .access import MANAGE_USERS, has_capability
from .models import LoginFailure, User, UserSession


class SystemAdminReadOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return has_capability(request.user, MANAGE_USERS)

    def has_view_permission(self, request, obj=None):
        return has_capability(request.user, MANAGE_USERS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class PortalUserAdmin(SystemAdminReadOnly):
    fields = (
        "username",
        "full_name",
        "phone",
        "email",
        "is_active",
        "is_staff",
        "last_login",
        "date_joined",
        "password_changed_at",
        "must_change_password",
    )
    list_display = ("username", "full_name", "is_active", "last_login", "password_changed_at")
    list_filter = ("is_active", "is_staff")
    search_fields = ("username", "full_name")


@admin.register(UserSession)
class UserSessionAdmin(SystemAdminReadOnly):
    list_display = ("user", "created_at", "ip")
    search_fields = ("user__username",)


@admin.register(LoginFailure)
class LoginFailureAdmin(SystemAdminReadOnly):
    list_display = ("username", "ip", "at")
    search_fields = ("username", "ip")
    date_hierarchy = "at"
