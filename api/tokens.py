"""Bearer tokens: "<prefix>.<secret>", shown once; only the SHA-256 digest is stored."""

import hashlib
import hmac
import secrets

PREFIX_BYTES = 6  # 12 hex characters: looked up by index
SECRET_BYTES = 32


def new_token() -> tuple[str, str, str]:
    """A fresh (token, prefix, digest)."""
    prefix = secrets.token_hex(PREFIX_BYTES)
    token = f"{prefix}.{secrets.token_urlsafe(SECRET_BYTES)}"
    return token, prefix, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def split(token: str) -> str | None:
    """The prefix of a well-formed token, or None."""
    prefix, dot, secret = token.partition(".")
    if not dot or len(prefix) != 2 * PREFIX_BYTES or not secret or len(token) > 200:
        return None
    return prefix


def matches(token: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(token), stored_digest)
