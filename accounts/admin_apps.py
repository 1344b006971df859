from django.contrib.admin import apps as admin_apps


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that only a system administrator with a verified second
    factor may enter (accounts.admin_site.PortalAdminSite)."""

    default_site = "accounts.admin_site.PortalAdminSite"
