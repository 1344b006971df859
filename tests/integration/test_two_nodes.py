"""Two app nodes behind nginx over HTTPS, one cache, one object store (issue 20).

The stack is what deploy/README.md builds, on loopback: Debian's nginx running the
shipped site (deploy/nginx/portal.conf and its snippets, with this run's ports, paths and
a self-signed certificate made here by openssl) in front of two gunicorn processes with
retiree_party/gunicorn.conf.py and PORTAL_ENV=production, sharing the test database, a
Redis server of their own as the cache (CACHE_URL) and moto's S3 server as the store.

Routing is deterministic: besides the site's own balanced port, two more HTTPS servers
include the same snippet with $portal_upstream pinned to node a or node b. Each node
names itself in X-Portal-Node (NODE_NAME). nginx connects to the nodes from 127.0.0.3
(proxy_bind), the nodes trust only that address (TRUSTED_PROXIES), so the browser's
address (127.0.0.1) is the client's, as a real client's public address would be.
Chromium (Playwright, ignore_https_errors) drives the pages. Every wait is bounded and
every process is stopped at the end of the module.
"""

from __future__ import annotations

import functools
import getpass
import io
import re
import secrets
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection

from accounts.models import LoginFailure
from activities.meetings.models import Meeting, MeetingAttachment

from ..conftest import CHROMIUM, S3Server, build_cast, require_service
from ..e2e.conftest import LAUNCH_ARGS, PageProblems, screenshot
from ..factories import PASSWORD
from .conftest import RedisServer
from .receivers import free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium", "s3", "nginx"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy" / "nginx"
PROXY_ADDRESS = "127.0.0.3"  # nginx's side of its connections to the nodes
ADDRESS_LIMIT = 4  # LOGIN_ADDRESS_FAILURE_LIMIT of the nodes, so the test is short
START_SECONDS = 90


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen
    log: Path


@dataclass
class Stack:
    work: Path
    bucket: str
    s3: S3Server
    redis: RedisServer
    http_port: int
    balanced: str  # https://localhost:<port>, the site's own server (both nodes)
    pinned: dict[str, str]  # node name -> https://localhost:<port>
    nodes: list[Node] = field(default_factory=list)
    nginx: subprocess.Popen | None = None


def _run(command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, timeout=240, **kwargs)


def _database_url() -> str:
    params = connection.settings_dict
    return (
        f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST'] or '127.0.0.1'}:"
        f"{params['PORT'] or 5432}/{params['NAME']}"
    )


def _node_env(stack: Stack, name: str, secret_key: str, static_root: Path) -> dict:
    origins = [stack.balanced, *stack.pinned.values()]
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(stack.work),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "retiree_party.settings",
        "PORTAL_ENV": "production",
        "NODE_NAME": name,
        "SECRET_KEY": secret_key,
        # The test process wrote the cast's encrypted fields with these keys.
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "FIELD_HASH_KEY": settings.FIELD_HASH_KEY,
        "ALLOWED_HOSTS": "localhost",
        "CSRF_TRUSTED_ORIGINS": ",".join(origins),
        "TRUSTED_PROXIES": PROXY_ADDRESS,
        "DATABASE_URL": _database_url(),
        "CACHE_URL": stack.redis.url,
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": stack.bucket,
        "S3_ENDPOINT_URL": stack.s3.url,
        "S3_REGION": S3Server.REGION,
        "S3_ACCESS_KEY_ID": S3Server.ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": S3Server.SECRET_KEY,
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(stack.work / "media"),
        "LOGIN_ADDRESS_FAILURE_LIMIT": str(ADDRESS_LIMIT),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
        "EMAIL_HOST": "127.0.0.1",
    }


def render_nginx(stack: Stack, nodes: dict[str, int], certificate: Path, key: Path) -> Path:
    """The shipped site with this run's ports and paths, plus one pinned server per node."""
    site = (DEPLOY / "portal.conf").read_text(encoding="utf-8")
    replacements = {
        "/etc/nginx/snippets/": f"{DEPLOY}/",
        "/etc/ssl/portal/fullchain.pem": str(certificate),
        "/etc/ssl/portal/privkey.pem": str(key),
        "listen 80;": f"listen 127.0.0.1:{stack.http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{stack.balanced.rsplit(':', 1)[1]} ssl http2;",
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{nodes['a']} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{nodes['b']} ",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/portal.conf no longer has {old!r}"
        site = site.replace(old, new)
    # The snippet's paths: the checkout's error pages, this run's collected static files.
    proxy = (DEPLOY / "portal-proxy.conf").read_text(encoding="utf-8")
    for old, new in {
        "/srv/portal/staticfiles/": f"{stack.work}/static/",
        "/srv/portal/static;": f"{ROOT}/static;",
    }.items():
        assert old in proxy, f"deploy/nginx/portal-proxy.conf no longer has {old!r}"
        proxy = proxy.replace(old, new)
    (stack.work / "portal-proxy.conf").write_text(proxy, encoding="utf-8")
    site = site.replace(f"{DEPLOY}/portal-proxy.conf", f"{stack.work}/portal-proxy.conf")
    pinned = "".join(
        f"""
    upstream node_{name} {{ server 127.0.0.1:{port}; keepalive 8; }}
    server {{
        listen 127.0.0.1:{stack.pinned[name].rsplit(":", 1)[1]} ssl http2;
        ssl_certificate {certificate};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        set $portal_upstream node_{name};
        include {stack.work}/portal-proxy.conf;
    }}"""
        for name, port in nodes.items()
    )
    work = stack.work
    conf = work / "nginx.conf"
    conf.write_text(
        f"""
user {getpass.getuser()};  # its workers read this run's files (ignored unless root)
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {work}/nginx-access.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    proxy_bind {PROXY_ADDRESS};
{site}
{pinned}
}}
""",
        encoding="utf-8",
    )
    return conf


def _insecure_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, *, method="GET", data=None, headers=None):
    """(status, headers, body) without following redirects; loopback only."""
    opener = urllib.request.build_opener(
        _NoRedirect(), urllib.request.HTTPSHandler(context=_insecure_context())
    )
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _wait_until_up(url: str, processes) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, f"{process.args[0]} exited with {process.returncode}"
        try:
            if fetch(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} did not answer within {START_SECONDS} s")


def _stop(process: subprocess.Popen | None, how=signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, s3_server, tmp_path_factory):
    require_service("nginx")
    require_service("chromium")
    work = tmp_path_factory.mktemp("two-nodes")
    certificate, key = work / "cert.pem", work / "key.pem"
    _run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(certificate),
        ]
    )  # fmt: skip
    bucket = f"portal-nodes-{uuid.uuid4().hex[:10]}"
    s3_server.client().create_bucket(Bucket=bucket)
    redis = RedisServer(free_port()).start()
    ports = {"a": free_port(), "b": free_port()}
    stack = Stack(
        work=work,
        bucket=bucket,
        s3=s3_server,
        redis=redis,
        http_port=free_port(),
        balanced=f"https://localhost:{free_port()}",
        pinned={name: f"https://localhost:{free_port()}" for name in ports},
    )
    secret_key = secrets.token_urlsafe(50)
    static_root = work / "static"
    try:
        env = _node_env(stack, "collect", secret_key, static_root)
        _run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
        )
        for name, port in ports.items():
            env = _node_env(stack, name, secret_key, static_root)
            log = work / f"gunicorn-{name}.log"
            process = subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/gunicorn"), "retiree_party.wsgi",
                    "-c", "retiree_party/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                ],
                cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            )  # fmt: skip
            stack.nodes.append(Node(name, port, process, log))
        conf = render_nginx(stack, ports, certificate, key)
        _run(["nginx", "-t", "-q", "-c", str(conf), "-p", f"{work}/"])
        stack.nginx = subprocess.Popen(
            ["nginx", "-c", str(conf), "-p", f"{work}/", "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(work / "nginx-stderr.log").open("wb"),
        )
        processes = [stack.nginx, *(node.process for node in stack.nodes)]
        for base in stack.pinned.values():
            _wait_until_up(f"{base}/accounts/login/", processes)
        yield stack
    finally:
        _stop(stack.nginx)
        for node in stack.nodes:
            _stop(node.process, signal.SIGINT)  # gunicorn's quick shutdown
        redis.stop()
        with django_db_blocker.unblock():
            _wait_for_node_sessions_to_end()


def _wait_for_node_sessions_to_end() -> None:
    """The nodes' database sessions end a moment after their processes: the test
    database can be dropped at the end of the run only once they have."""
    deadline = time.monotonic() + 15
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.2)


@pytest.fixture
def cast(transactional_db, settings):
    cast = build_cast()
    # The nodes check passwords with the production hashers, not the tests' fast MD5.
    get_user_model().objects.filter(
        username__in=["district_staff", "street_staff", "branch_secretary"]
    ).update(password=make_password(PASSWORD, hasher=PBKDF2PasswordHasher()))
    return cast


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


def new_page(browser, width=1280):
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": width, "height": 900}, locale="zh-CN"
    )
    context.set_default_timeout(20_000)
    return context, context.new_page()


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def closing_its_connection(test):
    """Playwright's sync API runs a test's body in a context of its own, where the ORM
    opens a database connection of its own: closed at the end, or the test database
    could not be dropped after the run."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        try:
            return test(*args, **kwargs)
        finally:
            connection.close()

    return run


def test_a_session_made_on_node_a_holds_on_node_b_and_on_the_balanced_port(stack, cast, browser):
    context, page = new_page(browser)
    problems = PageProblems(page)
    answered = []
    page.on("response", lambda r: answered.append(r.headers.get("x-portal-node")))
    log_in(page, stack.pinned["a"], "district_staff")
    assert "a" in answered and "b" not in answered

    response = page.goto(f"{stack.pinned['b']}/")
    assert response.headers["x-portal-node"] == "b"
    assert page.url == f"{stack.pinned['b']}/"  # not sent back to the log-in page
    assert "district_staff" in page.locator("header").inner_text()
    screenshot(page, "two-nodes-home-on-b")

    # The site's own server takes turns between the nodes; the session holds on both.
    seen = set()
    for _ in range(6):
        response = page.goto(f"{stack.balanced}/")
        assert response.status == 200 and page.url == f"{stack.balanced}/"
        seen.add(response.headers["x-portal-node"])
    assert seen == {"a", "b"}
    context.close()
    assert problems.errors == []


def test_headers_cookies_and_static_files_as_seen_through_nginx(stack, cast, browser):
    # Plain HTTP is only a redirect to HTTPS.
    status, headers, _ = fetch(
        f"http://127.0.0.1:{stack.http_port}/reports/?x=1", headers={"Host": "localhost"}
    )
    assert status == 301
    assert headers["Location"] == "https://localhost/reports/?x=1"

    # HSTS once, nginx's (Chromium hides it from a page whose certificate it ignores).
    status, headers, _ = fetch(f"{stack.pinned['a']}/accounts/login/")
    assert status == 200
    assert headers.get_all("Strict-Transport-Security") == [
        "max-age=31536000; includeSubDomains; preload"
    ]

    context, page = new_page(browser)
    response = page.goto(f"{stack.pinned['a']}/accounts/login/")
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    log_in(page, stack.pinned["a"], "street_staff")
    cookies = {c["name"]: c for c in context.cookies()}
    for name in ("__Host-sessionid", "__Host-csrftoken"):
        assert cookies[name]["secure"] is True, name
        assert cookies[name]["path"] == "/"
    assert cookies["__Host-sessionid"]["httpOnly"] is True
    assert cookies["__Host-sessionid"]["sameSite"] == "Lax"
    # Static files come from nginx (no node named), compressed, with HSTS too.
    stylesheet = page.locator("link[rel=stylesheet]").first.get_attribute("href")
    status, headers, body = fetch(
        f"{stack.pinned['b']}{stylesheet}", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200 and body
    assert "X-Portal-Node" not in headers
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    context.close()

    # Beyond the largest upload nginx answers itself, in Chinese, before any node reads it.
    status, headers, body = fetch(
        f"{stack.pinned['a']}/accounts/login/",
        method="POST",
        data=b"x" * (22 * 2**20),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert status == 413
    assert "上传的文件太大" in body.decode()
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _attended(page) -> int:
    stat = page.locator(".stat", has=page.locator("h2", has_text="参会率"))
    return int(re.search(r"参会 (\d+) 人次", stat.inner_text()).group(1))


@closing_its_connection
def test_an_upload_and_a_meeting_saved_through_a_are_seen_through_b(stack, cast, browser):
    a, b = stack.pinned["a"], stack.pinned["b"]
    import redis as redis_client

    cache = redis_client.Redis(port=stack.redis.port, socket_timeout=2)
    staff_context, staff = new_page(browser)
    log_in(staff, b, "district_staff")
    board = f"{b}/reports/org/{cast.district_a.pk}/"
    assert staff.goto(board).headers["x-portal-node"] == "b"
    before = _attended(staff)
    assert any(b"dashboard" in k for k in cache.keys("*")), "node b filled the shared cache"

    context, page = new_page(browser, width=375)
    problems = PageProblems(page)
    log_in(page, a, "branch_secretary")
    page.goto(f"{a}/branches/{cast.branch_a.pk}/meetings/")
    page.get_by_role("link", name=f"登记：{cast.group_a.name}").click()
    page.get_by_label("主题").fill("两台服务器之间的一次组会")
    response_nodes = []
    page.on("response", lambda r: response_nodes.append(r.headers.get("x-portal-node")))
    page.get_by_role("button", name="保存出席情况").click()
    page.wait_for_url(re.compile(r".*/meetings/\d+/$"))
    assert set(response_nodes) <= {"a", None}
    meeting = Meeting.objects.get(branch=cast.branch_a, topic="两台服务器之间的一次组会")

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (60, 40), (168, 20, 28)).save(picture, "PNG")
    page.goto(f"{a}/meetings/{meeting.pk}/attach/")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "签到表.png", "mimeType": "image/png", "buffer": picture.getvalue()}],
    )
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{a}/meetings/{meeting.pk}/")
    screenshot(page, "two-nodes-meeting-on-a-375")
    attachment = MeetingAttachment.objects.get(meeting=meeting)
    # In the shared bucket, nowhere on the node's disk.
    keys = [o["Key"] for o in stack.s3.client().list_objects_v2(Bucket=stack.bucket)["Contents"]]
    assert attachment.file.name in keys
    assert not (stack.work / "media").exists() or not any((stack.work / "media").rglob("*.png"))
    download = context.request.get(f"{b}/attachments/{attachment.pk}/")
    assert download.status == 200
    assert download.headers["x-portal-node"] == "b"
    assert download.body() == picture.getvalue()
    # The object's own URL, unsigned, is refused by the store.
    assert fetch(f"{stack.s3.url}/{stack.bucket}/{attachment.file.name}")[0] == 403
    context.close()
    assert problems.errors == []

    # The meeting bumped the district's figures version: node b computes anew.
    assert staff.goto(board).headers["x-portal-node"] == "b"
    assert _attended(staff) == before + 1
    screenshot(staff, "two-nodes-dashboard-on-b")
    staff_context.close()


@closing_its_connection
def test_the_log_in_throttle_counts_the_address_nginx_saw_not_a_forged_header(stack, cast, browser):
    context, page = new_page(browser)
    login = f"{stack.pinned['a']}/accounts/login/"
    for n in range(ADDRESS_LIMIT):
        # A guesser rotating X-Forwarded-For: nginx replaces it with its own peer address.
        page.set_extra_http_headers({"X-Forwarded-For": f"203.0.113.{n + 1}"})
        page.goto(login)
        page.fill("input[name=username]", f"guess{n}")
        page.fill("input[name=password]", "Wrong#Guess-1")
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
        # The last failure reaches the limit: its message already says the address waits.
        expected = "用户名或密码" if n < ADDRESS_LIMIT - 1 else "来自此网络地址的登录失败次数过多"
        assert expected in page.locator("main").inner_text()
    failures = list(LoginFailure.objects.values_list("ip", flat=True))
    assert failures == ["127.0.0.1"] * ADDRESS_LIMIT

    # The address is throttled now, whichever header comes next and on whichever node.
    page.set_extra_http_headers({"X-Forwarded-For": "198.51.100.77"})
    page.goto(f"{stack.pinned['b']}/accounts/login/")
    page.fill("input[name=username]", "street_staff")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "来自此网络地址的登录失败次数过多" in page.locator("main").inner_text()
    assert page.url.endswith("/accounts/login/")
    screenshot(page, "two-nodes-throttled-on-b")
    context.close()
