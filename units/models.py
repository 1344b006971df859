"""The model registry of the `units` app.

Each subject keeps its models in its own folder (messages/, events/, feedback/, joint/);
Django registers them by importing this module. Import a model from its subject's
`models`, never from here.
"""

from .events import models as events_models  # noqa: F401
from .feedback import models as feedback_models  # noqa: F401
from .joint import models as joint_models  # noqa: F401
from .messages import models as messages_models  # noqa: F401
