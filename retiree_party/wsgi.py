import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
application = get_wsgi_application()
# What the app loaded at start-up lives as long as the worker: out of the collector's
# sight, full collections during a request scan only that request's objects (the
# dashboards allocate tens of thousands; measured 143 -> 110 ms median on the city-wide
# page after a write, bench data at city size).
gc.freeze()
