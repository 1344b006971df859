"""`manage.py deploy_check` (`make deploy-check`) run as an operator would: a separate
process with a production environment, against the test database, a real Redis and the
S3-compatible test server. It passes on a good target and names each broken part."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection

from .. import factories as f
from ..conftest import REDIS_URL, S3Server
from ..factories import Level
from ..integration.receivers import free_port

pytestmark = [
    pytest.mark.services("postgres", "redis", "s3"),
    pytest.mark.django_db(transaction=True),
]

ENCRYPTION_KEY = Fernet.generate_key().decode()
HASH_KEY = secrets.token_urlsafe(48)


@pytest.fixture
def member(settings):
    """A member whose ID number is encrypted and hashed under this module's keys."""
    settings.FIELD_ENCRYPTION_KEYS = [ENCRYPTION_KEY]
    settings.FIELD_HASH_KEY = HASH_KEY
    community = f.org(name="翠园社区", level=Level.COMMUNITY, code="319901001001")
    return f.member(name="赵德明", community=community)


@pytest.fixture
def bucket(s3_server):
    name = f"portal-check-{uuid.uuid4().hex[:10]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def production_env(s3_server, bucket, **changes) -> dict:
    params = connection.settings_dict
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "retiree_party.settings",
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "FIELD_HASH_KEY": HASH_KEY,
        "ALLOWED_HOSTS": "portal.example.cn",
        "CSRF_TRUSTED_ORIGINS": "https://portal.example.cn",
        "TRUSTED_PROXIES": "127.0.0.1",
        "DATABASE_URL": (
            f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST'] or '127.0.0.1'}"
            f":{params['PORT'] or 5432}/{params['NAME']}"
        ),
        "REDIS_URL": REDIS_URL,
        "CACHE_URL": REDIS_URL,
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_server.url,
        "S3_ACCESS_KEY_ID": S3Server.ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": S3Server.SECRET_KEY,
        "EMAIL_HOST": "127.0.0.1",
    }
    env.update(changes)
    return env


def deploy_check(env, *args) -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", "deploy_check", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def test_a_good_target_passes_every_check(member, s3_server, bucket):
    status, output, _ = deploy_check(production_env(s3_server, bucket))
    assert status == 0, output
    for step in ("部署安全检查", "字段加密密钥", "数据库", "Redis", "文件存储"):
        assert f"[通过] {step}" in output
    assert "全部检查通过" in output
    # The storage probe is gone again.
    assert "Contents" not in s3_server.client().list_objects_v2(Bucket=bucket)


def test_keys_that_did_not_write_the_data_fail_and_are_named(member, s3_server, bucket):
    env = production_env(s3_server, bucket, FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    status, output, _ = deploy_check(env)
    assert status == 1
    assert "[失败] 字段加密密钥" in output
    assert "members.Member.id_number 无法用 FIELD_ENCRYPTION_KEYS 解密" in output
    assert "[通过] 数据库" in output

    env = production_env(s3_server, bucket, FIELD_HASH_KEY=secrets.token_urlsafe(48))
    status, output, _ = deploy_check(env, "--language", "en")
    assert status == 1
    assert "[FAIL] Field encryption keys" in output
    assert "members.Member.id_number_hash does not match FIELD_HASH_KEY" in output


def test_the_development_keys_and_missing_shared_services_fail(member, s3_server, bucket):
    env = production_env(
        s3_server,
        bucket,
        FIELD_ENCRYPTION_KEYS="ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZC0=",  # settings.py's
        CACHE_URL="",
        REDIS_URL="",
        DEBUG="1",
    )
    status, output, _ = deploy_check(env)
    assert status == 1
    assert "accounts.E003" in output  # the key written in settings.py
    assert "security.W018" in output  # DEBUG
    assert "未设置 REDIS_URL" in output
    assert "未设置 CACHE_URL" in output
    assert "此环境尚不能上线服务" in output


def test_an_unreachable_database_and_cache_fail_within_bounded_time(s3_server, bucket):
    port = free_port()  # nobody listens there
    env = production_env(
        s3_server,
        bucket,
        DATABASE_URL=f"postgres://portal:portal@127.0.0.1:{port}/portal",
        CACHE_URL=f"redis://127.0.0.1:{port}/0",
    )
    status, output, seconds = deploy_check(env)
    assert status == 1
    assert "[失败] 数据库" in output and "数据库无响应" in output
    assert "缓存（CACHE_URL）无响应" in output
    assert seconds < 60, seconds


def test_a_public_bucket_fails(s3_server, bucket):
    s3_server.client().put_bucket_acl(Bucket=bucket, ACL="public-read")
    status, output, _ = deploy_check(production_env(s3_server, bucket))
    assert status == 1
    assert "[失败] 文件存储" in output
    assert f"存储桶 {bucket} 或其中的对象任何人都能读取" in output
