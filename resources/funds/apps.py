from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "resources.funds"
    label = "funds"
    verbose_name = _("Funds")

    def ready(self):
        from activities.meetings.ledgers import ledger_sections
        from branches.models import Organization

        from .ledger import funds_section

        ledger_sections.connect(funds_section, dispatch_uid="funds.ledger_section")
        post_save.connect(
            new_district_categories, sender=Organization, dispatch_uid="funds.new_district"
        )


def new_district_categories(sender, instance, created, raw=False, **kwargs):
    """A new district starts with the default spending categories."""
    from branches.models import Level

    from .services import ensure_categories

    if created and not raw and instance.level == Level.DISTRICT:
        ensure_categories(instance)
