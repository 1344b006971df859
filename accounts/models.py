import datetime
import time
from base64 import b32encode
from binascii import unhexlify
from importlib import import_module
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import hex_validator, random_hex

from .crypto import EncryptedCharField

# Password hashes kept per user: enough for the strictest history a policy may ask for.
PASSWORD_HISTORY_KEPT = 24


class User(AbstractUser):
    """A staff user of the portal. What they may see comes from their StaffRoles."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The 大字版 (large mode) preference follows the person across devices.
    large_mode = models.BooleanField(_("large text mode"), default=False)
    # Password policy: when the password was last set, and whether an administrator set it
    # (then the user must choose their own at the next login).
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # An API client (api.ApiClient): holds roles like a person, authenticates only with a
    # token, never with a password, and never opens a page.
    is_service_account = models.BooleanField(_("API client account"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def account_label(self) -> str:
        """How lists of accounts name this one: "user name · full name", and an API
        client's account as such ("接口客户端：智慧党建平台")."""
        if self.is_service_account:
            return _("API client: %(name)s") % {"name": self.full_name or self.username}
        return f"{self.username} · {self.full_name}" if self.full_name else self.username

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        user = super().from_db(db, field_names, values, **kwargs)
        # Remembered so that save() can tell when an account is being disabled.
        user._loaded_is_active = user.__dict__.get("is_active")
        return user

    def save(self, *args, **kwargs):
        # Django sets `_password` when set_password() was called and clears it after the
        # save; a hasher upgrade on login clears it before saving (not a change).
        password_changed = self._password is not None
        update_fields = kwargs.get("update_fields")
        if password_changed:
            self.password_changed_at = timezone.now()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "password_changed_at"}
        disabled = getattr(self, "_loaded_is_active", None) is True and not self.is_active
        adding = self._state.adding
        super().save(*args, **kwargs)
        if password_changed and self.has_usable_password():
            PasswordHistory.objects.create(user=self, password=self.password)
            if not adding:
                PasswordHistory.objects.trim(self)
        if disabled:
            # Disabling an account ends every session it has open.
            UserSession.objects.end_for(self)
        self._loaded_is_active = self.is_active

    def password_expired(self, max_age_days: int) -> bool:
        if self.password_changed_at is None or max_age_days <= 0:
            return False
        return timezone.now() - self.password_changed_at > datetime.timedelta(days=max_age_days)


class PasswordHistoryQuerySet(models.QuerySet):
    def trim(self, user):
        keep = self.filter(user=user).order_by("-pk").values("pk")[:PASSWORD_HISTORY_KEPT]
        self.filter(user=user).exclude(pk__in=models.Subquery(keep)).delete()

    def recent(self, user, count: int):
        return self.filter(user=user).order_by("-pk")[:count]


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords, so that they are not used again."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="password_history", verbose_name=_("user")
    )
    password = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("set at"), auto_now_add=True)

    objects = PasswordHistoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("old password")
        verbose_name_plural = _("old passwords")
        indexes = [models.Index(fields=["user", "-id"], name="password_history_user_idx")]

    def __str__(self):
        return f"{self.user_id} · {self.created_at:%Y-%m-%d}"


class UserSessionQuerySet(models.QuerySet):
    def end_for(self, user, *, keep: str | None = None) -> int:
        """Delete every session `user` has open (except `keep`); the number ended."""
        store = import_module(settings.SESSION_ENGINE).SessionStore
        rows = self.filter(user=user)
        if keep:
            rows = rows.exclude(session_key=keep)
        keys = list(rows.values_list("session_key", flat=True))
        for key in keys:
            store(session_key=key).delete()
        rows.delete()
        return len(keys)


class UserSession(models.Model):
    """Which sessions a user has open, so they can be ended when the account is disabled."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("user")
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    ip = models.CharField(_("address"), max_length=45, blank=True)

    objects = UserSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")

    def __str__(self):
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"


class LoginFailure(models.Model):
    """One failed log-in, counted per user name and per address for the lockout."""

    username = models.CharField(_("user name"), max_length=150)
    ip = models.CharField(_("address"), max_length=45, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    # A later successful log-in clears the failure for the user name, not for the address.
    name_cleared = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("failed log-in")
        verbose_name_plural = _("failed log-ins")
        indexes = [
            models.Index(fields=["username", "at"], name="login_failure_user_idx"),
            models.Index(fields=["ip", "at"], name="login_failure_ip_idx"),
            models.Index(fields=["at"], name="login_failure_at_idx"),
        ]

    def __str__(self):
        return f"{self.username} · {self.ip} · {self.at:%Y-%m-%d %H:%M}"


class SecurityPolicy(models.Model):
    """The password, lockout and session policy; one row, edited by the security
    administrator. Without a row the defaults from settings apply. The validators keep
    every value at or above the MLPS level-3 baseline (等保三级)."""

    password_min_length = models.PositiveSmallIntegerField(
        _("minimum password length"), validators=[MinValueValidator(10), MaxValueValidator(64)]
    )
    password_min_classes = models.PositiveSmallIntegerField(
        _("character classes required"),
        help_text=_("Of: lower-case letters, upper-case letters, digits, symbols."),
        validators=[MinValueValidator(3), MaxValueValidator(4)],
    )
    password_max_age_days = models.PositiveSmallIntegerField(
        _("password expires after (days)"),
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )
    password_history = models.PositiveSmallIntegerField(
        _("recent passwords that may not be reused"),
        validators=[MinValueValidator(5), MaxValueValidator(PASSWORD_HISTORY_KEPT)],
    )
    lockout_threshold = models.PositiveSmallIntegerField(
        _("failed log-ins before lockout"),
        help_text=_("Counted per user name and per address."),
        validators=[MinValueValidator(3), MaxValueValidator(10)],
    )
    lockout_minutes = models.PositiveSmallIntegerField(
        _("lockout period (minutes)"),
        help_text=_("Failures are counted over this period and the lockout lasts as long."),
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("log out after idle (minutes)"),
        validators=[MinValueValidator(5), MaxValueValidator(60)],
    )
    session_lifetime_hours = models.PositiveSmallIntegerField(
        _("log out after (hours) in any case"),
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policies")

    def __str__(self):
        return str(_("Security policy"))

    POLICY_FIELDS = (
        "password_min_length",
        "password_min_classes",
        "password_max_age_days",
        "password_history",
        "lockout_threshold",
        "lockout_minutes",
        "idle_timeout_minutes",
        "session_lifetime_hours",
    )

    @classmethod
    def defaults(cls) -> dict:
        return {
            "password_min_length": settings.PASSWORD_MIN_LENGTH,
            "password_min_classes": settings.PASSWORD_MIN_CLASSES,
            "password_max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
            "password_history": settings.PASSWORD_HISTORY,
            "lockout_threshold": settings.LOGIN_FAILURE_LIMIT,
            "lockout_minutes": max(1, settings.LOGIN_FAILURE_WINDOW // 60),
            "idle_timeout_minutes": max(1, settings.SESSION_IDLE_TIMEOUT // 60),
            "session_lifetime_hours": max(1, settings.SESSION_COOKIE_AGE // 3600),
        }

    @classmethod
    def current(cls) -> "SecurityPolicy":
        """The policy in force: the stored row, or the settings' defaults (one query)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1, **cls.defaults())

    def values(self) -> dict:
        return {name: getattr(self, name) for name in self.POLICY_FIELDS}


class AuditAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    VIEW_SENSITIVE = "view_sensitive", _("Viewed unmasked data")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    LOGIN = "login", _("Log in")
    LOGIN_FAILED = "login_failed", _("Failed log-in")
    LOGOUT = "logout", _("Log out")
    PASSWORD_CHANGE = "password_change", _("Changed own password")
    PASSWORD_RESET = "password_reset", _("Reset a password")
    OTP_SETUP = "otp_setup", _("Set up second factor")
    OTP_FAILED = "otp_failed", _("Wrong second-factor code")
    OTP_RESET = "otp_reset", _("Reset a second factor")
    GRANT = "grant", _("Granted a role")
    REVOKE = "revoke", _("Revoked a role")
    VERIFY = "verify", _("Checked the audit chain")
    PRUNE = "prune", _("Pruned old audit entries")


class AuditEntry(models.Model):
    """One line of the audit trail. Written only through accounts.audit; never edited."""

    at = models.DateTimeField(_("time"), db_index=True)
    # PROTECT: an account that left audit entries is disabled, never deleted (the actor
    # id is part of each entry's hash).
    actor = models.ForeignKey(
        User,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.CharField(_("address"), max_length=45, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class AuditHead(models.Model):
    """The chain's head, kept beside it: the newest entry (so deleting the newest rows is
    detected) and the anchor left by pruning (the hash the oldest kept entry links to).
    One row (pk=1), locked by every writer so the chain never forks."""

    last_pk = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    anchor_pk = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64)
    pruned = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self):
        return f"#{self.last_pk} {self.last_hash[:12]}"


# --- Second factor -------------------------------------------------------------------------


def default_totp_key() -> str:
    return random_hex(20)


def validate_totp_key(value):
    return hex_validator()(value)


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """The TOTP authenticator of an admin-role user: django-otp's TOTPDevice
    (django_otp.plugins.otp_totp) with the secret encrypted at rest. django-otp's model
    is concrete and stores the hex key in plain text; this one keeps the same fields and
    the same verification, and django-otp finds it like any Device subclass
    (devices_for_user, the OTP admin site's log-in form, the session's verified device).
    """

    # The hex secret (up to 40 bytes), encrypted (accounts.crypto): a stolen database
    # or backup does not give away the second factor.
    key = EncryptedCharField(
        _("secret key"),
        max_length=80,
        validators=[validate_totp_key],
        default=default_totp_key,
    )
    step = models.PositiveSmallIntegerField(_("time step (seconds)"), default=30)
    t0 = models.BigIntegerField(_("first step (Unix time)"), default=0)
    digits = models.PositiveSmallIntegerField(_("digits"), choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(_("tolerance (steps)"), default=1)
    drift = models.SmallIntegerField(_("drift (steps)"), default=0)
    # The step of the last code accepted: a code is never accepted twice.
    last_t = models.BigIntegerField(_("last step used"), default=-1)

    class Meta(Device.Meta):
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def verify_token(self, token) -> bool:
        """As django_otp.plugins.otp_totp.models.TOTPDevice.verify_token (django-otp 1.7)."""
        verify_allowed, _info = self.verify_is_allowed()
        if not verify_allowed:
            return False
        try:
            token = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = totp.verify(token, self.tolerance, self.last_t + 1)
            if verified:
                self.last_t = totp.t()
                if getattr(settings, "OTP_TOTP_SYNC", True):
                    self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self):
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    @property
    def config_url(self) -> str:
        """The otpauth:// URL an authenticator app reads (Key Uri Format)."""
        label = str(self.user.get_username())
        params = urlencode(
            {
                "secret": b32encode(self.bin_key),
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        issuer = (getattr(settings, "OTP_TOTP_ISSUER", "") or "").replace(":", "")
        if issuer:
            label = f"{issuer}:{label}"
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"
