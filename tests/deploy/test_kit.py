"""The deployment kit (deploy/) stays in step with the code: every setting in the
environment template, nginx's body limits above the upload limits, the client address
set by nginx, one Celery beat. tests/integration/test_two_nodes.py runs the nginx site."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from activities.meetings.forms import attachment_max_bytes
from members import uploads as member_uploads
from notices import uploads as notice_uploads
from resources.funds.forms import MAX_RECEIPTS

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
READ = re.compile(r'(?:os\.environ\.get|os\.environ\[|envint|envbool|envlist)\(\s*"([A-Z0-9_]+)"')
MB = 2**20


def _read_names(path: Path) -> set[str]:
    return set(READ.findall(path.read_text(encoding="utf-8")))


def test_the_environment_template_lists_every_setting_read_from_the_environment():
    template = (DEPLOY / "portal.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", template, flags=re.MULTILINE))
    read = (
        _read_names(ROOT / "retiree_party" / "settings.py")
        | _read_names(ROOT / "retiree_party" / "gunicorn.conf.py")
        | {"DATABASE_URL"}  # dj_database_url.config()
    )
    assert len(read) > 50
    assert sorted(read - listed) == [], "add these to deploy/portal.env.example"
    assert sorted(listed - read) == [], "deploy/portal.env.example names unknown settings"


def _body_limits() -> dict[str, int]:
    """location regex (or "" for the server) -> client_max_body_size in bytes."""
    text = (DEPLOY / "nginx" / "portal-proxy.conf").read_text(encoding="utf-8")
    limits = {"": int(re.search(r"^client_max_body_size (\d+)m;", text, re.M).group(1)) * MB}
    for regex, body in re.findall(r"location ~ (\S+) \{(.*?)\}", text, flags=re.S):
        size = re.search(r"client_max_body_size (\d+)m;", body)
        if size:
            limits[regex] = int(size.group(1)) * MB
    return limits


def _limit_for(path: str, limits: dict[str, int]) -> int:
    for regex, size in limits.items():
        if regex and re.search(regex, path):
            return size
    return limits[""]


def test_nginx_takes_every_upload_the_forms_accept_and_little_more(settings):
    limits = _body_limits()
    single = max(notice_uploads.max_bytes(), attachment_max_bytes(), member_uploads.max_bytes())
    assert single < limits[""] <= single + 2 * MB
    several = {
        reverse("notices:create"): notice_uploads.max_files() * notice_uploads.max_bytes(),
        reverse("notices:edit", args=[7]): notice_uploads.max_files() * notice_uploads.max_bytes(),
        reverse("funds:spending_add", args=[7]): MAX_RECEIPTS * notice_uploads.max_bytes(),
        reverse("funds:spending_correct", args=[7]): MAX_RECEIPTS * notice_uploads.max_bytes(),
    }
    for path, largest in several.items():
        assert largest < _limit_for(path, limits) <= largest + 2 * MB, path
    for path in (
        reverse("activities:attachment_upload", args=[7]),
        reverse("members:import_upload"),
    ):
        assert _limit_for(path, limits) == limits[""], path


def test_nginx_sets_the_forwarded_headers_from_the_connection():
    proxy = (DEPLOY / "nginx" / "portal-proxy.conf").read_text(encoding="utf-8")
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in proxy
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in proxy
    assert "$proxy_add_x_forwarded_for" not in proxy  # appending keeps the client's forgery
    site = (DEPLOY / "nginx" / "portal.conf").read_text(encoding="utf-8")
    assert "return 301 https://$host$request_uri;" in site


def test_systemd_runs_the_nodes_a_worker_and_exactly_one_beat():
    units = {p.name: p.read_text(encoding="utf-8") for p in (DEPLOY / "systemd").iterdir()}
    beats = [name for name, text in units.items() if "celery -A retiree_party beat" in text]
    assert beats == ["portal-celery-beat.service"]
    for name, text in units.items():
        if name.endswith(".service"):
            assert "EnvironmentFile=/etc/portal/portal.env" in text, name
            assert "User=portal" in text, name
    assert "retiree_party/gunicorn.conf.py" in units["portal-gunicorn@.service"]
    assert "OnCalendar=" in units["portal-backup.timer"]
