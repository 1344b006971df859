"""The model registry of the `activities` app.

Django registers an app's models by importing its `models` module; each subject keeps its
models in its own folder (meetings/, care/, messaging/). This module is that registry, not
a shim: import a model from its subject's `models`, never from here.
"""

from .care import models as care_models  # noqa: F401  (after meetings: care points at meetings)
from .meetings import models as meetings_models  # noqa: F401
from .messaging import models as messaging_models  # noqa: F401
from .year_end import models as year_end_models  # noqa: F401  (after care: talks name visits)
