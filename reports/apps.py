from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports and dashboards")

    def ready(self):
        from accounts import audit

        from . import freshness

        audit.recorded.connect(freshness.on_audit_recorded, dispatch_uid="reports.freshness")
