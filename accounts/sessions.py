"""Session policy: idle timeout, absolute lifetime and the password-change gate.

At log-in the limits in force are written into the session itself, so the middleware
checks them on every request without a query: policy changes apply from the next log-in.
"""

from __future__ import annotations

import time

from .models import SecurityPolicy

AUTH_AT = "_portal_auth_at"  # when the session logged in (epoch seconds)
LAST_SEEN = "_portal_last_seen"  # the last request (written at most once a minute)
IDLE_LIMIT = "_portal_idle"  # seconds without a request before logging out
LIFETIME = "_portal_lifetime"  # seconds after log-in before logging out in any case
PASSWORD_CHANGE = "_portal_password_change"  # noqa: S105  (a session key)  # "expired" / "reset": must change first

# last-seen is refreshed only when older than this, so most requests write nothing.
TOUCH_EVERY = 60


def now() -> float:
    """The clock the session policy reads (tests move it)."""
    return time.time()


def stamp(session, user, policy: SecurityPolicy | None = None) -> None:
    """Write the session limits and gates at log-in."""
    policy = policy or SecurityPolicy.current()
    moment = now()
    session[AUTH_AT] = moment
    session[LAST_SEEN] = moment
    session[IDLE_LIMIT] = policy.idle_timeout_minutes * 60
    session[LIFETIME] = policy.session_lifetime_hours * 3600
    if user.must_change_password:
        session[PASSWORD_CHANGE] = "reset"
    elif user.password_expired(policy.password_max_age_days):
        session[PASSWORD_CHANGE] = "expired"
    else:
        session.pop(PASSWORD_CHANGE, None)
    session.set_expiry(policy.session_lifetime_hours * 3600)


def expired(session) -> str:
    """Why the session has run out ("idle" or "lifetime"), or "" while it is valid."""
    if AUTH_AT not in session:
        return ""
    moment = now()
    if moment - session[AUTH_AT] > session.get(LIFETIME, 8 * 3600):
        return "lifetime"
    if moment - session.get(LAST_SEEN, session[AUTH_AT]) > session.get(IDLE_LIMIT, 1800):
        return "idle"
    return ""


def touch(session) -> None:
    moment = now()
    if moment - session.get(LAST_SEEN, 0) >= TOUCH_EVERY:
        session[LAST_SEEN] = moment
