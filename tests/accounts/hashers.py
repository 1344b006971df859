"""A real password hasher for the lockout tests: the tests' MD5 hasher, counting every
hash it computes and taking as long as a production hash (PBKDF2 on a small server),
so that concurrent log-ins overlap while they hash, as they do under a flood."""

import threading
import time

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    seconds = 0.0
    hashes = 0
    _lock = threading.Lock()

    def encode(self, password, salt):
        # verify() and make_password() both come through here: one call is one hash.
        with CountingHasher._lock:
            CountingHasher.hashes += 1
        time.sleep(CountingHasher.seconds)
        return super().encode(password, salt)

    @classmethod
    def reset(cls, *, seconds=0.0):
        cls.hashes, cls.seconds = 0, seconds
