from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import lockout
from .audit import client_ip


class LockoutModelBackend(ModelBackend):
    """Django's model backend behind the lockout: a locked user name or a throttled
    address is refused before the password is hashed (accounts.lockout).

    Every password log-in path (the portal's form, the admin's, test clients) goes
    through authenticate(), so the lockout holds everywhere. Raising PermissionDenied
    stops authenticate() at once; Django then sends user_login_failed, which
    accounts.signals audits.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        attempt = lockout.attempt(username, client_ip(request))
        if attempt.refused:
            if request is not None:
                request._login_refused = attempt.refused
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            lockout.succeeded(attempt)
        return user

    def user_can_authenticate(self, user):
        # An API client's account never logs in with a password (it has none; this holds
        # even if one were set).
        return super().user_can_authenticate(user) and not user.is_service_account
