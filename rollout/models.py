"""The model registry of the `rollout` app.

Each subject keeps its models in its own folder; Django registers them by importing this
module. Import a model from its subject's `models`, never from here.
"""

from .jobs.models import ImportJob  # noqa: F401
from .staff.models import ActivationLink, GrantBatch, PendingGrant  # noqa: F401
