"""The S3 storage settings against a real S3-compatible server (moto) on loopback."""

import urllib.request

import pytest
from django.core.files.base import ContentFile

pytestmark = pytest.mark.services("s3")

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def test_saved_object_is_private_and_reads_back(s3_storage, s3_server, s3_bucket):
    name = s3_storage.save("checks/hello.txt", ContentFile("你好".encode()))
    with s3_storage.open(name) as stored:
        assert stored.read().decode() == "你好"
    acl = s3_server.client().get_object_acl(Bucket=s3_bucket, Key=name)
    assert not [g for g in acl["Grants"] if g["Grantee"].get("URI") == ALL_USERS]
    # No public URL: the storage's URL is signed and short-lived.
    url = s3_storage.url(name)
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=60" in url


def test_second_save_never_overwrites(s3_storage):
    first = s3_storage.save("checks/same.txt", ContentFile(b"one"))
    second = s3_storage.save("checks/same.txt", ContentFile(b"two"))
    assert first != second
    assert s3_storage.open(first).read() == b"one"


def test_unsigned_get_is_refused(s3_storage, s3_server, s3_bucket):
    name = s3_storage.save("checks/private.txt", ContentFile(b"secret"))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server.url}/{s3_bucket}/{name}", timeout=5)  # noqa: S310
    assert refused.value.code == 403


def test_the_probe_finds_a_private_s3_store_and_a_local_one_sound(s3_storage, settings, tmp_path):
    from accounts.stored_files import probe

    assert probe() == []
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.STORAGE_BACKEND = "file"
    assert probe() == []


def test_the_probe_reports_public_objects(s3_storage, settings):
    from accounts.stored_files import probe

    options = {**settings.STORAGES["default"]["OPTIONS"], "default_acl": "public-read"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    problems = probe()
    assert "stored objects are public (their ACL grants everyone)" in problems
    assert any("unsigned GET reads" in p for p in problems)


def test_the_probe_reports_a_store_that_is_not_there(settings, s3_server):
    from accounts.stored_files import probe

    from ..conftest import use_s3

    use_s3(settings, s3_server, "no-such-bucket", connect_timeout=1, read_timeout=1, max_attempts=1)
    assert probe()[0].startswith("the storage refuses a write")
