from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports and dashboards")

    def ready(self):
        from accounts import audit
        from branches.models import figures_touched_everywhere
        from members.erasure import member_erasing

        from . import freshness, tasks
        from .prints import kinds  # noqa: F401  (registers the kinds of batch print)
        from .prints import services as prints

        member_erasing.connect(prints.erase_member, dispatch_uid="reports.prints.erase")

        audit.recorded.connect(freshness.on_audit_recorded, dispatch_uid="reports.freshness")
        figures_touched_everywhere.connect(tasks.queue_warm_up, dispatch_uid="reports.warm_up")
        # A migration may change what the figures read (a data fix): nothing cached
        # before it is read after it. (Sent per app with models: the versions' own.)
        post_migrate.connect(
            freshness.on_migrated,
            sender=self.apps.get_app_config("branches"),
            dispatch_uid="reports.freshness.migrated",
        )
