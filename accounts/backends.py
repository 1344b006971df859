from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import lockout
from .audit import client_ip


class LockoutModelBackend(ModelBackend):
    """Django's model backend, refusing locked-out user names and addresses.

    Every password log-in path (the portal's form, the admin's, test clients) goes
    through authenticate(), so the lockout holds everywhere. Raising PermissionDenied
    stops authenticate() at once; Django then sends user_login_failed, which
    accounts.signals audits (without counting it as a new failure).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is not None and lockout.is_locked(username, client_ip(request)):
            if request is not None:
                request._login_locked = True
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)
