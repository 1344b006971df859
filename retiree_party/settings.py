"""Settings for the retiree party-branch portal: one module, read from the environment.

With nothing set it runs on a SQLite file with no broker (the zero-setup demo).
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis. PORTAL_ENV=production
turns on the secure defaults and refuses to start without a SECRET_KEY.
"""

import json
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.log import DEFAULT_LOGGING
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("PORTAL_ENV", "development") == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when PORTAL_ENV=production.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105

DEBUG = envbool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if PRODUCTION else "*")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # The Django admin on an OTP-guarded site for the system administrator only.
    "accounts.admin_apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    # The TOTP device model is accounts.TOTPDevice (its secret encrypted at rest), not
    # django_otp.plugins.otp_totp's; accounts migration 0006 moved the devices over.
    "django_otp",
    "accounts",
    "branches",
    "members",
    "activities",
    "resources.funds",
    "resources.places",
    "units",
    "rollout",
    "reports",
    # After the older apps: where two catalogs translate the same English words, theirs
    # win (notices name their own words apart: "Notice title", "Notices received").
    "notices",
    "workbench",
    # The REST API (api/): DRF, django-filter, the OpenAPI schema (drf-spectacular).
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "api",
    "retiree_party",  # the wiring package: seed_demo and other cross-app commands
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "retiree_party.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.query.RefuseNulInQuery",
    # Django's LoginRequiredMiddleware, answering htmx requests with a bare 401.
    "accounts.middleware.PortalLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Innermost, so that their redirects still get every header above.
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.AccountGateMiddleware",
    # Outermost of the API's own: logs every /api/ request with its outcome.
    "api.requestlog.ApiRequestLogMiddleware",
]
# Which app server answered (X-Portal-Node), when several run behind the proxy.
NODE_NAME = os.environ.get("NODE_NAME", "")
if NODE_NAME:
    MIDDLEWARE.insert(0, "retiree_party.middleware.NodeNameMiddleware")

# The REST API (api/): bearer tokens of API clients only (no sessions, so no CSRF), the
# client's own rate, JSON only, stable page-number pages, django-filter for list filters.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ClientTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # JSON only: `?format=` is an ordinary (ignored) parameter, not a renderer switch
    # that would answer 404 before the token is even checked.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "离退休干部党建工作平台 API",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("kind", "status") get their own enum names.
    "ENUM_NAME_OVERRIDES": {
        "BranchKindEnum": "branches.models.BranchKind",
        "NoticeKindEnum": "notices.models.NoticeKind",
        "MeetingKindEnum": "activities.meetings.models.MeetingKind",
        "MeetingStatusEnum": "activities.meetings.models.MeetingStatus",
        "AttendanceStatusEnum": "activities.meetings.models.AttendanceStatus",
        "MeetingModeEnum": "activities.meetings.models.MeetingMode",
        "CareVisitKindEnum": "activities.care.models.CareVisitKind",
        "FollowUpStateEnum": "activities.care.models.FollowUpState",
        "CoverageGroupEnum": "api.v1.care.COVERAGE_GROUPS",
    },
    # docs/api/openapi.yaml is generated in Chinese (`make api-schema`, --lang zh-hans)
    # and checked against the code by tests/api/test_schema.py.
    "DESCRIPTION": _(
        "The portal's data for other systems, with the roles and scope the security "
        "administrator granted to the API client. See docs/api.md."
    ),
}
# The API's request log (api.ApiRequest) keeps this many days; a nightly task and
# `manage.py prune_api_requests` delete older rows.
API_REQUEST_LOG_DAYS = max(1, envint("API_REQUEST_LOG_DAYS", 180))

ROOT_URLCONF = "retiree_party.urls"
WSGI_APPLICATION = "retiree_party.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "branches.context_processors.access",
                "accounts.context_processors.login_state",
            ],
            # {% url %} reversing each URL once per process (after Django's builtins).
            "builtins": ["accounts.templatetags.kept_urls"],
        },
    },
]

# Database: SQLite file by default; DATABASE_URL (postgres://...) in CI and production.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Dashboards run a few large aggregates; PostgreSQL's JIT compiles them for seconds
    # longer than they take to run (measured: 9.9 s with JIT vs 2.6 s without).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo database: WAL lets progress polls read while a long import writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Accounts: password, lockout and session policy (MLPS level 3 defaults) -------------
# These are the defaults; the security administrator may tighten them on the policy page
# (accounts.SecurityPolicy), never below the MLPS baseline.
PASSWORD_MIN_LENGTH = envint("PASSWORD_MIN_LENGTH", 10)
PASSWORD_MIN_CLASSES = envint("PASSWORD_MIN_CLASSES", 3)  # of lower, upper, digit, symbol
PASSWORD_MAX_AGE_DAYS = envint("PASSWORD_MAX_AGE_DAYS", 90)
PASSWORD_HISTORY = envint("PASSWORD_HISTORY", 5)  # recent passwords that may not be reused
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.PolicyLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassValidator"},
    {"NAME": "accounts.validators.PasswordHistoryValidator"},
]
# Lockout: this many failures per user name within the window (seconds) lock the name.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW = envint("LOGIN_FAILURE_WINDOW", 15 * 60)
# Throttle per client address (many users may share one, e.g. a community office): past
# this many failures within the window (seconds) its attempts wait, without locking names.
LOGIN_ADDRESS_FAILURE_LIMIT = envint("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
LOGIN_ADDRESS_WINDOW = envint("LOGIN_ADDRESS_WINDOW", 60)
# The client address is REMOTE_ADDR; X-Forwarded-For is read only when REMOTE_ADDR is one
# of these reverse proxies (a forged header from anyone else is ignored). Behind a proxy
# set it (comma-separated addresses), or every user has the proxy's address
# (check --deploy warns: accounts.W003).
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES")
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutModelBackend"]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)  # the absolute lifetime
SESSION_IDLE_TIMEOUT = envint("SESSION_IDLE_TIMEOUT", 30 * 60)  # seconds without a request
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Capabilities are defined in branches.access (a layer above accounts): accounts asks
# through this function, the way Django asks for AUTH_USER_MODEL, instead of importing it.
ACCESS_SCOPE_FUNCTION = "branches.access.scope_for"
# The second factor (TOTP): the issuer name shown in the authenticator app.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "离退休干部党建工作平台")

# --- Audit trail ------------------------------------------------------------------------
# Entries younger than this are never pruned; MLPS asks for at least 180 days.
AUDIT_RETENTION_DAYS = max(180, envint("AUDIT_RETENTION_DAYS", 180))
AUDIT_EXPORT_MAX_ROWS = envint("AUDIT_EXPORT_MAX_ROWS", 100_000)
# Keys of before/after values shown masked on the audit pages and in the audit export.
AUDIT_MASKED_FIELDS = envlist(
    "AUDIT_MASKED_FIELDS",
    "id_number,phone,address,health,health_note,contact_phone,"
    # Care notes (activities: CareNeed, CareVisit, FollowUp).
    "care_note,summary,matters_raised,matter,hospitalised,limited_mobility,lives_alone",
)

# --- Encryption at rest (accounts.crypto) ------------------------------------------------
# FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys, the first encrypts, all decrypt
# (rotate: prepend a new key, run `manage.py reencrypt_fields`, then drop the old one).
# FIELD_HASH_KEY: the HMAC key of the exact-lookup hashes (e.g. of ID numbers).
FIELD_ENCRYPTION_KEYS = envlist("FIELD_ENCRYPTION_KEYS")
FIELD_HASH_KEY = os.environ.get("FIELD_HASH_KEY", "")
if not FIELD_ENCRYPTION_KEYS or not FIELD_HASH_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set when PORTAL_ENV=production "
            "(generate with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        )
    # Development and tests only: fixed keys, so a demo database stays readable.
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [
        "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZC0=",  # base64 of a 32-byte dev key
    ]
    FIELD_HASH_KEY = FIELD_HASH_KEY or "dev-only-field-hash-key"

# Internationalisation: Simplified Chinese first, English kept.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic writes here; nginx serves it as /static/ (deploy/nginx/portal-proxy.conf).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploads (meeting attachments, receipts, notice files, import workbooks, print results)
# go through Django's storage API. STORAGE_BACKEND=file (default: demo, tests) keeps them
# under MEDIA_ROOT; STORAGE_BACKEND=s3 puts them in a private bucket of any S3-compatible
# store (MinIO, a cloud bucket), so every app node sees the same files. Either way they
# are never served at MEDIA_URL: only the portal's scoped views hand them out.
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "file").strip().lower()
if STORAGE_BACKEND not in {"file", "s3"}:
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'file' or 's3'.")
S3_BUCKET = os.environ.get("S3_BUCKET", "")
S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "") or None  # None: AWS itself
S3_REGION = os.environ.get("S3_REGION", "us-east-1")
S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
# A presigned download URL (S3_DOWNLOADS=redirect) is valid this many seconds: long
# enough to follow the redirect, too short to pass the link around.
S3_PRESIGNED_SECONDS = max(1, envint("S3_PRESIGNED_SECONDS", 60))
# How a download leaves the portal after the scope check: "stream" (through the app
# server, default) or "redirect" (a 302 to a presigned URL; the store must be reachable
# by the browser, e.g. through nginx).
S3_DOWNLOADS = os.environ.get("S3_DOWNLOADS", "stream").strip().lower()
if S3_DOWNLOADS not in {"stream", "redirect"}:
    raise ImproperlyConfigured("S3_DOWNLOADS must be 'stream' or 'redirect'.")
# A frozen store must not hold a request forever: bounded connect/read, few tries (the
# first included). Keep attempts x (connect + read) well below gunicorn's timeout.
S3_CONNECT_TIMEOUT = envint("S3_CONNECT_TIMEOUT", 3)
S3_READ_TIMEOUT = envint("S3_READ_TIMEOUT", 5)
S3_MAX_ATTEMPTS = max(1, envint("S3_MAX_ATTEMPTS", 2))


def s3_storage_options(
    *,
    bucket: str,
    endpoint_url: str | None,
    region: str,
    access_key: str,
    secret_key: str,
    connect_timeout: int = S3_CONNECT_TIMEOUT,
    read_timeout: int = S3_READ_TIMEOUT,
    max_attempts: int = S3_MAX_ATTEMPTS,
) -> dict:
    """django-storages S3 options: private objects, signed short-lived URLs, bounded calls."""
    from botocore.config import Config

    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url,
        "region_name": region,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "addressing_style": "path",
        "signature_version": "s3v4",
        "file_overwrite": False,
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": S3_PRESIGNED_SECONDS,
        "client_config": Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # total_max_attempts counts the first try (botocore's max_attempts does not).
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            signature_version="s3v4",
            s3={"addressing_style": "path"},
        ),
    }


if STORAGE_BACKEND == "s3":
    if not S3_BUCKET:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs S3_BUCKET.")
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(
            bucket=S3_BUCKET,
            endpoint_url=S3_ENDPOINT_URL,
            region=S3_REGION,
            access_key=S3_ACCESS_KEY_ID,
            secret_key=S3_SECRET_ACCESS_KEY,
        ),
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Roster imports run inside the web request: reading a workbook stops after this many
# seconds (keep it below gunicorn's --timeout), and a check or write that has not finished
# after the lease (keep it above --timeout) is offered for retry or discard.
MEMBER_IMPORT_READ_SECONDS = envint("MEMBER_IMPORT_READ_SECONDS", 25)
MEMBER_IMPORT_LEASE_SECONDS = envint("MEMBER_IMPORT_LEASE_SECONDS", 120)
# Roll-out import jobs (rollout.jobs): how long a worker holds a job without a sign of life.
IMPORT_JOB_LEASE_SECONDS = envint("IMPORT_JOB_LEASE_SECONDS", 300)
# Staff accounts imported in bulk (rollout.staff): days an activation link works.
STAFF_ACTIVATION_DAYS = envint("STAFF_ACTIVATION_DAYS", 7)
# Batch prints (reports.prints): where the parts and results are written, how long a
# worker holds a job without news (then it is resumed elsewhere), how long a result is kept.
PRINT_JOB_DIR = os.environ.get("PRINT_JOB_DIR", str(BASE_DIR / "var"))
PRINT_JOB_LEASE_SECONDS = envint("PRINT_JOB_LEASE_SECONDS", 300)
PRINT_JOB_KEEP_SECONDS = envint("PRINT_JOB_KEEP_SECONDS", 7 * 86400)

# Celery: with no REDIS_URL tasks run inline, so the demo needs no broker.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A frozen Redis (it accepts connections, answers nothing) would otherwise hold every
# read on the socket forever: bound each one, not only the connect.
REDIS_SOCKET_TIMEOUT = envint("REDIS_SOCKET_TIMEOUT", 2)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE: dict = {}

# Cache (computed dashboards: reports.cache). Per process by default; CACHE_URL (e.g.
# redis://127.0.0.1:6379/1, a database of its own) shares it between workers. Entries
# are keyed by the version of the data, so a stale one is never read, only left to expire.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    )
}
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", 6 * 3600))

# Security headers. CSP is Django's own, with per-request nonces for scripts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Django 6's CSP has no 'unsafe-inline' anywhere: scripts carry the nonce, styles come
# from files (tests/security/test_headers.py checks every URL's headers and markup).
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = False
# A Chinese page in the site's style instead of Django's English one.
CSRF_FAILURE_VIEW = "retiree_party.views.csrf_failure"

if PRODUCTION:
    # WhiteNoise serves the collected static files in production only; development and
    # the browser tests use Django's own static serving.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"  # secure, host-only, path=/
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Mail (Django 6.1 MAILERS). SMTP in production; printed to the console in development.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portal@localhost")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "127.0.0.1"),
                "port": envint("EMAIL_PORT", 25),
                "timeout": envint("EMAIL_TIMEOUT", 10),
            },
        }
        if PRODUCTION or os.environ.get("EMAIL_HOST")
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}

# Everything goes to the root's console handler once. Django's default config gives the
# "django" logger a console handler of its own (DEBUG only) that also propagates to the
# root: every django.* line (e.g. "Not Found") came out twice under runserver.
# Configuring "django" resets its children, so django.server (runserver's request lines,
# with their time) is set up again as Django has it: its own handler, not propagating.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"django.server": DEFAULT_LOGGING["formatters"]["django.server"]},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": DEFAULT_LOGGING["handlers"]["django.server"],
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": DEFAULT_LOGGING["loggers"]["django.server"],
    },
}

# --- Reminders (activities.messaging, activities.tasks) ---------------------------------
# What is due, in days (each a threshold the district may want to tune):
REMINDER_MEETING_DAYS_AHEAD = envint("REMINDER_MEETING_DAYS_AHEAD", 3)  # planned meeting soon
REMINDER_ATTENDANCE_AFTER_DAYS = envint("REMINDER_ATTENDANCE_AFTER_DAYS", 3)  # not recorded
# A cadence period at risk: it ends within this many days and its minimum is not met.
REMINDER_CADENCE_DAYS_LEFT = {
    "month": envint("REMINDER_CADENCE_DAYS_LEFT_MONTH", 7),
    "quarter": envint("REMINDER_CADENCE_DAYS_LEFT_QUARTER", 15),
    "year": envint("REMINDER_CADENCE_DAYS_LEFT_YEAR", 45),
}
REMINDER_GREETING_DAYS_AHEAD = envint("REMINDER_GREETING_DAYS_AHEAD", 3)  # birthdays, 政治生日
REMINDER_TERM_ENDING_DAYS = envint("REMINDER_TERM_ENDING_DAYS", 183)  # about six months
REMINDER_REGISTRATION_WAITING_DAYS = envint("REMINDER_REGISTRATION_WAITING_DAYS", 3)
REMINDER_NO_PARTICIPATION_DAYS = envint("REMINDER_NO_PARTICIPATION_DAYS", 90)
# Also notify the expected members of a planned meeting by SMS (their phone in the roster).
REMINDER_MEETING_SMS_TO_MEMBERS = envbool("REMINDER_MEETING_SMS_TO_MEMBERS", False)
# Also text a carer who is a member with a phone and no portal account, once a week while
# the member they care for is overdue for a visit.
REMINDER_CARE_SMS_TO_CARERS = envbool("REMINDER_CARE_SMS_TO_CARERS", False)
# Pruning (daily): read or resolved items, and sent or failed outbound rows, older than
# this many days go, in batches of this many rows.
REMINDER_PRUNE_AFTER_DAYS = envint("REMINDER_PRUNE_AFTER_DAYS", 180)
REMINDER_PRUNE_BATCH = envint("REMINDER_PRUNE_BATCH", 1000)
# Sending: a claimed row is held this long (longer than the slowest channel's timeouts);
# failures retry after base x 2^(attempt-1) seconds, capped, up to the attempt limit.
REMINDER_LEASE_SECONDS = envint("REMINDER_LEASE_SECONDS", 300)
REMINDER_MAX_ATTEMPTS = envint("REMINDER_MAX_ATTEMPTS", 6)
REMINDER_RETRY_BASE_SECONDS = envint("REMINDER_RETRY_BASE_SECONDS", 60)
REMINDER_RETRY_MAX_SECONDS = envint("REMINDER_RETRY_MAX_SECONDS", 3600)
REMINDER_SEND_BATCH = envint("REMINDER_SEND_BATCH", 100)
REMINDER_SWEEP_EVERY_SECONDS = envint("REMINDER_SWEEP_EVERY_SECONDS", 300)

# Self check-in at meetings (扫码签到, activities.meetings.checkin). A meeting's QR code is
# accepted from 00:00 of the meeting day until this many hours after its start time (the
# end of the day when it has none), unless the secretary closes it earlier.
SELF_CHECKIN_HOURS = envint("SELF_CHECKIN_HOURS", 4)
# Wrong last four digits: after this many for one member (from any address) that member's
# self check-in locks for the lock time; an address is locked after ADDRESS failures
# (a typed name not on the list counts as one too). Counters live in the cache: set
# CACHE_URL (Redis) in production so every worker shares them.
SELF_CHECKIN_MAX_FAILURES = envint("SELF_CHECKIN_MAX_FAILURES", 5)
SELF_CHECKIN_ADDRESS_MAX_FAILURES = envint("SELF_CHECKIN_ADDRESS_MAX_FAILURES", 20)
SELF_CHECKIN_LOCK_MINUTES = envint("SELF_CHECKIN_LOCK_MINUTES", 15)
# Submissions (right or wrong) accepted per meeting per minute: a whole branch checks in
# within a minute or two; a flood beyond this waits.
SELF_CHECKIN_PER_MEETING_PER_MINUTE = envint("SELF_CHECKIN_PER_MEETING_PER_MINUTE", 600)
# Channels. Mail goes through this MAILERS alias; links in messages start with SITE_URL.
REMINDER_MAILER = os.environ.get("REMINDER_MAILER", "default")
REMINDER_SITE_URL = os.environ.get("REMINDER_SITE_URL", "").rstrip("/")
REMINDER_MESSAGE_ID_DOMAIN = os.environ.get("REMINDER_MESSAGE_ID_DOMAIN", "portal.localhost")
REMINDER_WEBHOOK_TIMEOUT = envint("REMINDER_WEBHOOK_TIMEOUT", 5)
# Robot webhooks may only point at these URL prefixes (no requests to internal hosts).
REMINDER_WEBHOOK_ALLOWED_PREFIXES = envlist(
    "REMINDER_WEBHOOK_ALLOWED_PREFIXES",
    "https://qyapi.weixin.qq.com/,https://oapi.dingtalk.com/,https://open.feishu.cn/",
)
# SMS: a class with send(phone=, text=, key=, kind=, params=). The default logs; the
# providers are activities.messaging.sms.TencentSmsBackend and .AliyunSmsBackend
# (docs/reminders.md, "SMS providers"). They send approved templates only: one template
# code per kind (JSON {"meeting_notice": "1234567", ...}), checked at start-up.
REMINDER_SMS_BACKEND = os.environ.get(
    "REMINDER_SMS_BACKEND", "activities.messaging.channels.LoggingSmsBackend"
)
REMINDER_SMS_TEMPLATES = json.loads(os.environ.get("REMINDER_SMS_TEMPLATES") or "{}")
REMINDER_SMS_SIGN_NAME = os.environ.get("REMINDER_SMS_SIGN_NAME", "")  # 短信签名
REMINDER_SMS_ACCESS_KEY_ID = os.environ.get("REMINDER_SMS_ACCESS_KEY_ID", "")
REMINDER_SMS_ACCESS_KEY_SECRET = os.environ.get("REMINDER_SMS_ACCESS_KEY_SECRET", "")
REMINDER_SMS_APP_ID = os.environ.get("REMINDER_SMS_APP_ID", "")  # Tencent's SmsSdkAppId
REMINDER_SMS_REGION = os.environ.get("REMINDER_SMS_REGION", "ap-guangzhou")  # Tencent
# The provider's API host (default: its public one); plain http only for a local test server.
REMINDER_SMS_ENDPOINT = os.environ.get("REMINDER_SMS_ENDPOINT", "")
REMINDER_SMS_ENDPOINT_HTTP = envbool("REMINDER_SMS_ENDPOINT_HTTP", False)
REMINDER_SMS_TIMEOUT = envint("REMINDER_SMS_TIMEOUT", 5)  # seconds, connect and read
REMINDER_SMS_PER_NUMBER_PER_DAY = envint("REMINDER_SMS_PER_NUMBER_PER_DAY", 5)
REMINDER_SMS_PER_DAY = envint("REMINDER_SMS_PER_DAY", 20000)
# Receipts and replies: the provider posts to /sms/<provider>/<token>/status/ and
# .../reply/ (set that URL in its console); empty: callbacks off (poll instead with
# REMINDER_SMS_POLL_SECONDS > 0).
REMINDER_SMS_CALLBACK_TOKEN = os.environ.get("REMINDER_SMS_CALLBACK_TOKEN", "")
REMINDER_SMS_POLL_SECONDS = envint("REMINDER_SMS_POLL_SECONDS", 0)
# WeCom (企业微信) application messages to one person (the digest): the corporation's id,
# the application's AgentId and secret. Empty AgentId: the channel is not offered.
REMINDER_WECOM_API = os.environ.get("REMINDER_WECOM_API", "https://qyapi.weixin.qq.com")
REMINDER_WECOM_CORP_ID = os.environ.get("REMINDER_WECOM_CORP_ID", "")
REMINDER_WECOM_AGENT_ID = os.environ.get("REMINDER_WECOM_AGENT_ID", "")
REMINDER_WECOM_SECRET = os.environ.get("REMINDER_WECOM_SECRET", "")
# Quiet hours for members (Asia/Shanghai): no text message to a member (or their family
# contact) from FROM o'clock until UNTIL o'clock; what falls inside waits until UNTIL
# (activities.messaging.sender). Equal hours switch them off.
REMINDER_QUIET_FROM_HOUR = envint("REMINDER_QUIET_FROM_HOUR", 21)
REMINDER_QUIET_UNTIL_HOUR = envint("REMINDER_QUIET_UNTIL_HOUR", 8)
# Publishing a task from a web request never waits on the broker: one try, short timeout.
CELERY_BROKER_CONNECTION_TIMEOUT = envint("CELERY_BROKER_CONNECTION_TIMEOUT", 2)
AUDIT_VERIFY_AT = (2, 30)  # (hour, minute), Asia/Shanghai
CELERY_BEAT_SCHEDULE.update(
    {
        "reminders-sweep": {
            "task": "activities.sweep_reminders",
            "schedule": float(REMINDER_SWEEP_EVERY_SECONDS),
        },
        "reminders-send": {"task": "activities.send_pending_reminders", "schedule": 60.0},
        # Messages to original units: retries, and those written while the broker was down.
        "unit-messages-send": {"task": "units.send_unit_messages", "schedule": 60.0},
        # Import jobs stranded by a stopped worker or a lost publish (rollout.jobs).
        "import-jobs-resume": {"task": "rollout.resume_import_jobs", "schedule": 60.0},
        # Daily at night (Asia/Shanghai, CELERY_TIMEZONE).
        "reminders-prune": {
            "task": "activities.prune_reminders",
            "schedule": crontab(hour=3, minute=40),
        },
        # Before office hours: the day's first look at a dashboard finds it computed.
        "dashboards-warm": {
            "task": "reports.warm_dashboards",
            "schedule": crontab(hour=6, minute=30),
        },
        # Batch prints: stranded jobs resumed, results past their keeping time removed.
        "print-jobs-resume": {"task": "reports.resume_print_jobs", "schedule": 60.0},
        "print-jobs-prune": {
            "task": "reports.prune_print_jobs",
            "schedule": crontab(hour=3, minute=50),
        },
        # The audit chain checked every night; the auditor's workbench shows the last
        # check and when the next is due (AUDIT_VERIFY_AT, local time).
        # The API's request log: rows older than API_REQUEST_LOG_DAYS go.
        "api-requests-prune": {
            "task": "api.prune_api_requests",
            "schedule": crontab(hour=3, minute=50),
        },
        "audit-verify": {
            "task": "accounts.verify_audit_chain",
            "schedule": crontab(hour=AUDIT_VERIFY_AT[0], minute=AUDIT_VERIFY_AT[1]),
        },
    }
)
if REMINDER_SMS_POLL_SECONDS:
    # Receipts and replies fetched from the SMS provider where it cannot call us back.
    CELERY_BEAT_SCHEDULE["sms-poll"] = {
        "task": "activities.poll_sms",
        "schedule": float(REMINDER_SMS_POLL_SECONDS),
    }
