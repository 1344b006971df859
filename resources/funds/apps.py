from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "resources.funds"
    label = "funds"
    verbose_name = _("Funds")

    def ready(self):
        from accounts.stored_files import delete_file_of_row
        from activities.meetings.ledgers import ledger_sections
        from branches.models import Organization

        from .ledger import funds_section
        from .models import Receipt

        ledger_sections.connect(funds_section, dispatch_uid="funds.ledger_section")
        post_save.connect(
            new_district_categories, sender=Organization, dispatch_uid="funds.new_district"
        )
        # A deleted receipt row (or its spending) takes its file out of the store.
        post_delete.connect(delete_file_of_row, sender=Receipt, dispatch_uid="funds.receipt_file")


def new_district_categories(sender, instance, created, raw=False, **kwargs):
    """A new district starts with the default spending categories."""
    from branches.models import Level

    from .services import ensure_categories

    if created and not raw and instance.level == Level.DISTRICT:
        ensure_categories(instance)
