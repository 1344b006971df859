"""Each log line is written once under runserver (DEBUG): Django's own "django" console
handler and the root handler of settings.LOGGING both printed django.* records."""

import os
import re
import subprocess
import sys

from django.conf import settings

PROBE = """
import logging, django
django.setup()
logging.getLogger("django.request").warning("probe-request")
logging.getLogger("django.server").info("probe-server")
logging.getLogger("portal.reminders").warning("probe-portal")
"""


def test_every_log_line_is_written_once_in_development():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "retiree_party.settings", "DEBUG": "1"}
    env.pop("PORTAL_ENV", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert [output.count(f"probe-{n}") for n in ("request", "server", "portal")] == [1, 1, 1]
    assert re.search(r"^\[.+\] probe-server$", output, re.MULTILINE)  # runserver's format
