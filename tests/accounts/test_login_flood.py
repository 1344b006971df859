"""A login flood: what the lockout refuses is refused before the password is hashed, and
concurrent attempts never get more failures through than the limit (PostgreSQL, threads:
each attempt on its own connection, as on gunicorn workers)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.models import LoginFailure

from ..factories import PASSWORD
from .hashers import CountingHasher

LOGIN = reverse("accounts:login")
HASHER = "tests.accounts.hashers.CountingHasher"


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [HASHER]
    CountingHasher.reset()
    return CountingHasher


def _login(username, password, addr):
    return Client().post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=addr)


def test_a_refused_attempt_costs_no_password_hash(cast, counting_hasher, settings):
    for _ in range(5):
        _login("district_staff", "wrong", "198.51.100.1")
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _login(f"guess{n}", "wrong", "198.51.100.2")
    counting_hasher.reset()
    # The locked name, from anywhere, and anybody from the throttled address.
    assert _login("district_staff", PASSWORD, "198.51.100.3").status_code == 200
    assert _login("street_staff", PASSWORD, "198.51.100.2").status_code == 200
    assert _login("nobody-at-all", "x", "198.51.100.2").status_code == 200
    assert counting_hasher.hashes == 0
    # An attempt that is not refused is hashed as usual.
    assert _login("street_staff", PASSWORD, "198.51.100.4").status_code == 302
    assert counting_hasher.hashes == 1


def _flood(attempts):
    """Send (username, password, address) attempts at once, one thread and one database
    connection each, released together."""
    start = threading.Barrier(len(attempts))

    def one(args):
        try:
            start.wait(timeout=30)
            return _login(*args).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(attempts)) as pool:
        return list(pool.map(one, attempts))


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_passwords_for_one_name_stop_at_the_limit(cast, counting_hasher):
    counting_hasher.reset(seconds=0.3)  # each hash overlaps the others' checks
    attempts = [("district_staff", "wrong", f"198.51.100.{n + 1}") for n in range(12)]
    assert _flood(attempts) == [200] * 12
    assert LoginFailure.objects.filter(username="district_staff").count() == 5
    assert counting_hasher.hashes == 5  # the seven refused never reached the hasher


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_from_one_address_stop_at_its_limit(cast, counting_hasher, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    counting_hasher.reset(seconds=0.3)
    attempts = [(f"guess{n}", "wrong", "203.0.113.7") for n in range(10)]
    _flood(attempts)
    assert LoginFailure.objects.filter(ip="203.0.113.7").count() == 4
    assert counting_hasher.hashes == 4
