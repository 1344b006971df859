"""Password validators that read the security policy in force (accounts.SecurityPolicy)."""

import re

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _policy():
    from .models import SecurityPolicy

    return SecurityPolicy.current()


class PolicyLengthValidator:
    """At least the policy's minimum length (10 by default)."""

    def __init__(self, min_length: int | None = None):
        self._min_length = min_length

    @property
    def min_length(self) -> int:
        return self._min_length or _policy().password_min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(self.get_help_text(), code="password_too_short")

    def get_help_text(self):
        count = self.min_length
        return ngettext(
            "Your password must contain at least %(count)d character.",
            "Your password must contain at least %(count)d characters.",
            count,
        ) % {"count": count}


class CharacterClassValidator:
    """Require characters from at least `min_classes` of: lower, upper, digit, symbol."""

    CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")

    def __init__(self, min_classes: int | None = None):
        self._min_classes = min_classes

    @property
    def min_classes(self) -> int:
        return self._min_classes or _policy().password_min_classes

    def validate(self, password, user=None):
        found = sum(1 for pattern in self.CLASSES if re.search(pattern, password))
        if found < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _(
            "Your password must mix at least %(count)d of: lower-case letters, "
            "upper-case letters, digits and symbols."
        ) % {"count": self.min_classes}


class PasswordHistoryValidator:
    """Not the current password nor one of the policy's number of recent ones (5)."""

    def __init__(self, count: int | None = None):
        self._count = count

    @property
    def count(self) -> int:
        return self._count or _policy().password_history

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        from .models import PasswordHistory

        hashes = [user.password] if user.password else []
        hashes += PasswordHistory.objects.recent(user, self.count).values_list(
            "password", flat=True
        )
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def get_help_text(self):
        return _("Your password cannot be one of your last %(count)d passwords.") % {
            "count": self.count
        }
