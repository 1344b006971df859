from django_otp.admin import OTPAdminSite

from .access import MANAGE_USERS, has_capability


class PortalAdminSite(OTPAdminSite):
    """Django's admin for the system administrator only: staff, holding can_manage_users,
    and verified by a TOTP device in this session (the admin's own log-in form asks for
    the code too). Security administrators and auditors are never let in."""

    site_header = "离退休干部党建工作平台 · 系统管理"
    site_title = "系统管理"

    def __init__(self, name="admin"):
        super().__init__(name)

    def has_permission(self, request):
        return super().has_permission(request) and has_capability(request.user, MANAGE_USERS)
