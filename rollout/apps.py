from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RolloutConfig(AppConfig):
    """Bringing a real city in (摸清底数): loading its tree, branches, original units and staff
    accounts from spreadsheets, reorganising the tree (区划调整) and the data's completeness."""

    name = "rollout"
    verbose_name = _("City roll-out")

    def ready(self):
        # Registers the import kinds (the upload form lists them in this order).
        from .structure import kinds  # noqa: F401, I001
        from .staff import kinds as staff_kinds  # noqa: F401
