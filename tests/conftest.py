"""The standing cast: one user per role in district A, with a sibling district B beside it.

滨海市 (city)
├── 东城区 district_a
│   ├── 和平街道 street_a ── 翠园社区 community_a ── branch_a (group_a, venue_a)
│   │                      └── functional_a (a street-level functional branch)
│   └── 新华街道 street_a2 ── 枫林社区 community_a2 ── branch_a2
└── 西湖区 district_b
    └── 长江街道 street_b ── 梅岭社区 community_b ── branch_b (group_b, venue_b)
                           └── functional_b (functional_a's twin, for the scope sweep)

Members (built after the organisation, see _add_members):
  member_a            翠园社区, home branch_a / group_a, original unit unit_a, accepted (reg_a)
  member_a_bedridden  翠园社区, home branch_a, bedridden, lives alone, no original unit
  member_a_reported   翠园社区, registration only reported (reg_a_reported), original unit unit_b
  member_b            梅岭社区, home branch_b, original unit unit_b, accepted (reg_b)
  member_a_unregistered  翠园社区, no registration yet
So the unit_a liaison sees exactly member_a.
"""

import os
from dataclasses import dataclass, field

import pytest

from accounts import shared_cache
from branches.models import BranchKind

from . import factories as f
from .factories import Level, Role
from .otp import login_as

# Browser tests run the ORM from Playwright's event-loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROLE_USERS = {
    # key: (role, attribute of the cast naming the covered node)
    "city_admin": (Role.CITY_ADMIN, "city"),
    "district_staff": (Role.DISTRICT_STAFF, "district_a"),
    "street_staff": (Role.STREET_STAFF, "street_a"),
    "community_secretary": (Role.COMMUNITY_SECRETARY, "community_a"),
    "branch_secretary": (Role.BRANCH_SECRETARY, "branch_a"),
    "unit_liaison": (Role.UNIT_LIAISON, "unit_a"),
    "system_admin": (Role.SYSTEM_ADMIN, "city"),
    "security_admin": (Role.SECURITY_ADMIN, "city"),
    "auditor": (Role.AUDITOR, "city"),
    # The same jobs one district over: they must see nothing of district A.
    "district_b_staff": (Role.DISTRICT_STAFF, "district_b"),
    "community_b_secretary": (Role.COMMUNITY_SECRETARY, "community_b"),
    "street_a2_staff": (Role.STREET_STAFF, "street_a2"),
}


@dataclass
class Cast:
    city: object
    district_a: object
    street_a: object
    community_a: object
    street_a2: object
    community_a2: object
    district_b: object
    street_b: object
    community_b: object
    venue_a: object
    venue_b: object
    branch_a: object
    branch_a2: object
    functional_a: object
    functional_b: object
    branch_b: object
    group_a: object
    group_b: object
    unit_a: object
    unit_b: object
    users: dict = field(default_factory=dict)
    # Members (members app): see the module docstring.
    member_a: object = None
    member_a_bedridden: object = None
    member_a_reported: object = None
    member_b: object = None
    member_a_unregistered: object = None
    reg_a: object = None
    reg_a_reported: object = None
    reg_b: object = None

    def user(self, key):
        return self.users[key]


def build_cast() -> Cast:
    city = f.org(name="滨海市", level=Level.CITY, code="3199")
    district_a = f.org(name="东城区", level=Level.DISTRICT, parent=city, code="319901")
    street_a = f.org(name="和平街道", level=Level.STREET, parent=district_a, code="319901001")
    community_a = f.org(
        name="翠园社区", level=Level.COMMUNITY, parent=street_a, code="319901001001"
    )
    street_a2 = f.org(name="新华街道", level=Level.STREET, parent=district_a, code="319901002")
    community_a2 = f.org(
        name="枫林社区", level=Level.COMMUNITY, parent=street_a2, code="319901002001"
    )
    district_b = f.org(name="西湖区", level=Level.DISTRICT, parent=city, code="319902")
    street_b = f.org(name="长江街道", level=Level.STREET, parent=district_b, code="319902001")
    community_b = f.org(
        name="梅岭社区", level=Level.COMMUNITY, parent=street_b, code="319902001001"
    )
    venue_a = f.venue(organization=community_a)
    venue_b = f.venue(organization=community_b)
    branch_a = f.branch(organization=community_a, venue=venue_a)
    cast = Cast(
        city=city,
        district_a=district_a,
        street_a=street_a,
        community_a=community_a,
        street_a2=street_a2,
        community_a2=community_a2,
        district_b=district_b,
        street_b=street_b,
        community_b=community_b,
        venue_a=venue_a,
        venue_b=venue_b,
        branch_a=branch_a,
        branch_a2=f.branch(organization=community_a2),
        functional_a=f.branch(
            organization=street_a,
            name="和平街道银发志愿服务队功能型党支部",
            kind=BranchKind.FUNCTIONAL,
        ),
        functional_b=f.branch(
            organization=street_b,
            name="长江街道银龄宣讲团功能型党支部",
            kind=BranchKind.FUNCTIONAL,
        ),
        branch_b=f.branch(organization=community_b, venue=venue_b),
        group_a=f.group(branch=branch_a),
        group_b=None,
        unit_a=f.unit(name="东城区教育局", district=district_a),
        unit_b=f.unit(name="西湖区财政局", district=district_b),
    )
    cast.group_b = f.group(branch=cast.branch_b)
    for key, (role, node_attr) in ROLE_USERS.items():
        cast.users[key] = f.user(username=key, role=role, node=getattr(cast, node_attr))
    cast.users["outsider"] = f.user(username="outsider")  # an account with no role at all
    _add_members(cast)
    return cast


def _add_members(cast: Cast) -> None:
    """A few members around the cast's branches (kept small: other tests count on it)."""
    import datetime

    cast.member_a = f.member(
        name="赵德明",
        community=cast.community_a,
        born=datetime.date(1948, 5, 12),
        original_unit=cast.unit_a,
        phone="13812345678",
        address="翠园社区解放路12号3单元501",
    )
    cast.reg_a = f.registration(
        member=cast.member_a, branch=cast.branch_a, party_group=cast.group_a
    )
    cast.member_a_bedridden = f.member(
        name="钱秀英",
        community=cast.community_a,
        born=datetime.date(1936, 11, 2),
        male=False,
        health="bedridden",
        mobility_impaired=True,
        living="alone",
        phone="13900001111",
    )
    f.registration(member=cast.member_a_bedridden, branch=cast.branch_a)
    cast.member_a_reported = f.member(
        name="孙建国",
        community=cast.community_a,
        born=datetime.date(1955, 8, 20),
        original_unit=cast.unit_b,
    )
    cast.reg_a_reported = f.registration(member=cast.member_a_reported, status="reported")
    cast.member_a_unregistered = f.member(
        name="周玉兰", community=cast.community_a, born=datetime.date(1958, 2, 14), male=False
    )
    cast.member_b = f.member(
        name="李华",
        community=cast.community_b,
        born=datetime.date(1952, 1, 30),
        male=False,
        original_unit=cast.unit_b,
        phone="13700002222",
    )
    cast.reg_b = f.registration(
        member=cast.member_b, branch=cast.branch_b, party_group=cast.group_b
    )


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture
def client_for(client, cast):
    """client_for("community_secretary") -> a client logged in as that member of the cast."""

    def login(key):
        # Admin roles must pass the second factor; the cast's are marked verified.
        return login_as(client, cast.user(key), key=key)

    return login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The cast creates a dozen users per test; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Services: PostgreSQL, Redis, Chromium, poppler --------------------------------------
# `@pytest.mark.services("postgres", "redis", "chromium")` on a test (or module) that needs
# real services ("poppler": pdftotext, to read PDF exports). When one is missing the test
# is skipped, except with REQUIRE_SERVICES=1 (CI), where it fails: a green CI run has
# really used every service.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _postgres_missing():
    from django.db import connection

    if connection.vendor != "postgresql":
        return f"the test database is {connection.vendor}; set DATABASE_URL=postgres://..."
    return None


def _redis_missing():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as error:
        return f"no Redis answers at {REDIS_URL} ({error})"
    return None


def _chromium_missing():
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make venv)"
    return None


def _poppler_missing():
    import shutil

    if not shutil.which("pdftotext"):
        return "no pdftotext on PATH (apt-get install poppler-utils)"
    return None


def _nginx_missing():
    import shutil

    for tool, package in (("nginx", "nginx-light"), ("openssl", "openssl")):
        if not (shutil.which(tool) or os.access(f"/usr/sbin/{tool}", os.X_OK)):
            return f"no {tool} (apt-get install {package})"
    return None


SERVICE_CHECKS = {
    "postgres": _postgres_missing,
    "redis": _redis_missing,
    "chromium": _chromium_missing,
    "poppler": _poppler_missing,
    "nginx": _nginx_missing,  # with openssl: the two-node test's reverse proxy
}
_service_status: dict[str, str | None] = {}


def service_missing(name: str) -> str | None:
    """Why service `name` is unavailable, or None when it is there (checked once per run)."""
    if name not in SERVICE_CHECKS:
        raise ValueError(f"unknown service {name!r}; known: {sorted(SERVICE_CHECKS)}")
    if name not in _service_status:
        _service_status[name] = SERVICE_CHECKS[name]()
    return _service_status[name]


def require_service(name: str) -> None:
    """Skip the calling test when `name` is missing, or fail it under REQUIRE_SERVICES=1."""
    reason = service_missing(name)
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {name} is unavailable: {reason}", pytrace=False)
    pytest.skip(f"{name} unavailable: {reason}")


def pytest_runtest_setup(item):
    for marker in item.iter_markers("services"):
        for name in marker.args:
            require_service(name)


@pytest.fixture
def redis_url():
    """The Redis server the tests talk to (REDIS_URL, else the local default)."""
    require_service("redis")
    return REDIS_URL


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings):
    """Senders run at the wall clock's hour: the members' quiet hours (21:00-08:00 in
    Shanghai) are off unless a test is about them (test_member_settings sets them), so no
    result depends on the hour the suite runs."""
    settings.REMINDER_QUIET_FROM_HOUR = settings.REMINDER_QUIET_UNTIL_HOUR = 0


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Stored files (uploads, print results) go to the test's own folder, never the
    checkout's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: dashboards are cached by pk and version,
    and the next test's rolled-back database hands out the same ones again."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1, the default mailer pointed at it."""
    from .integration.receivers import SmtpReceiver

    receiver = SmtpReceiver().start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": receiver.port, "timeout": 10},
        }
    }
    yield receiver
    receiver.stop()


# --- Object storage: a real S3-compatible server (moto in server mode) on loopback -------
def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    """`moto_server` as a subprocess: `url` is its endpoint, `process` its Popen (tests
    may SIGSTOP it to play a frozen store)."""

    ACCESS_KEY = "testing"
    SECRET_KEY = "testing"  # moto accepts any key
    REGION = "us-east-1"

    def __init__(self):
        self.process = None
        self.url = ""

    def start(self, *, wait_seconds: float = 15.0) -> str | None:
        """Start the server; None when it answers, else why it did not."""
        import shutil
        import subprocess
        import sys
        import time
        import urllib.request
        from pathlib import Path

        # The venv's own (requirements-dev.txt pins it) before any other on PATH.
        exe = str(Path(sys.executable).parent / "moto_server")
        if not os.access(exe, os.X_OK):
            exe = shutil.which("moto_server") or exe
        if not os.access(exe, os.X_OK):
            return "no moto_server (pip install -r requirements-dev.txt)"
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"moto_server exited with {self.process.returncode}"
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).close()  # noqa: S310
                return None
            except OSError:
                time.sleep(0.1)
        self.stop()
        return f"moto_server did not answer at {self.url} within {wait_seconds} s"

    def resume(self) -> None:
        import signal

        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.resume()  # a stopped process does not act on SIGTERM
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except Exception:
                self.process.kill()
                self.process.wait(timeout=5)

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.REGION,
            aws_access_key_id=self.ACCESS_KEY,
            aws_secret_access_key=self.SECRET_KEY,
        )


_s3_server_state: dict = {}


def _s3_missing():
    server = S3Server()
    reason = server.start()
    if reason is None:
        _s3_server_state["server"] = server
    return reason


SERVICE_CHECKS["s3"] = _s3_missing


@pytest.fixture(scope="session")
def s3_server():
    """The S3-compatible server of this test run (started once, stopped at session end).
    `s3_server.url` is the endpoint for other processes (e.g. two gunicorn nodes)."""
    require_service("s3")
    return _s3_server_state["server"]


def pytest_sessionfinish(session, exitstatus):
    server = _s3_server_state.pop("server", None)
    if server:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh, empty bucket on the test S3 server: its name."""
    import uuid

    name = f"portal-test-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def use_s3(settings, s3_server, bucket: str, **timeouts) -> None:
    """Point the default storage at `bucket` on the test S3 server (`timeouts`: the
    connect_timeout / read_timeout / max_attempts of retiree_party.settings)."""
    from retiree_party.settings import s3_storage_options

    settings.STORAGE_BACKEND = "s3"
    settings.S3_BUCKET = bucket
    settings.S3_ENDPOINT_URL = s3_server.url
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(
                bucket=bucket,
                endpoint_url=s3_server.url,
                region=S3Server.REGION,
                access_key=S3Server.ACCESS_KEY,
                secret_key=S3Server.SECRET_KEY,
                **timeouts,
            ),
        },
    }


@pytest.fixture
def s3_storage(settings, s3_server, s3_bucket):
    """The default storage switched to S3 (a fresh private bucket on the moto server)."""
    from django.core.files.storage import default_storage

    use_s3(settings, s3_server, s3_bucket)
    # Django's setting_changed handler resets `storages`; FileFields use the lazy
    # default_storage, so they follow the switch.
    yield default_storage


@pytest.fixture
def kept(monkeypatch):
    """The keys of the rendered bodies kept (`accounts.shared_cache.keep_page`), in order."""
    keys = []
    keep = shared_cache.keep_page

    def spy(key, body, seconds):
        keys.append(key)
        keep(key, body, seconds)

    monkeypatch.setattr(shared_cache, "keep_page", spy)
    return keys
