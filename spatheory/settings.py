"""Spa Theory settings, all read from the environment in this one module.

With nothing set the site runs on the embedded default: DEBUG on, SQLite under
``var/``, Celery tasks inline, email printed to the console. Production sets
``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY``, ``SITE_URL``, ``DATABASE_URL``,
``CELERY_BROKER_URL`` and the rest listed in the README.
"""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured, ValidationError

from booking.rate_format import parse_rate
from therapists.validators import phone_to_e164

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


# The words a yes/no variable may hold. env.bool reads any word it doesn't know as False, so
# DJANGO_DEBUG=flase would quietly mean "off"; here it stops the process instead.
BOOLEAN_WORDS = {"1", "0", "true", "false", "yes", "no", "on", "off"}


def _env(read, name: str, default):
    """``read(name)``, ``read`` being ``env.bool`` or ``env.int``, or ``default`` when the
    variable is unset or empty. A value it can't read stops the process with one line naming
    the variable."""
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    if read == env.bool:
        if raw.lower() in BOOLEAN_WORDS:
            return read(name)
        expected = "1 or 0 (true/false)"
    else:
        try:
            return read(name)
        except ValueError:
            expected = "a whole number"
    raise ImproperlyConfigured(f"{name} must be {expected}, not {raw!r}")


def _rate(name: str, default: str) -> str:
    """A rate limit in ``booking.rate_format``'s format, checked now."""
    value = env.str(name, default=default).strip()
    parse_rate(value, name=name)
    return value


def _phone(name: str, default: str) -> str:
    """A US phone number, as shown to people; the ``tel:`` links use its E.164 form."""
    value = env.str(name, default=default).strip()
    try:
        phone_to_e164(value)
    except ValidationError:
        raise ImproperlyConfigured(
            f"{name} must be a US phone number like {default}, not {value!r}"
        ) from None
    return value


def _site_url(*, production: bool, plain_http: bool) -> str:
    """The absolute base of every link that leaves the site (emails, calendar invites, feeds,
    the sitemap, canonical links): a scheme and a host, nothing after. Production must set it,
    on https; on http only where ``DJANGO_SECURE_SSL_REDIRECT=0`` says the site is served over
    plain HTTP (the local compose file)."""
    value = env.str("SITE_URL", default="").strip().rstrip("/")
    if not value:
        if production:
            raise ImproperlyConfigured(
                "SITE_URL must be set when DJANGO_DEBUG=0, e.g. https://spatheory.com"
            )
        return "http://127.0.0.1:8000"
    origin = re.fullmatch(r"(https?)://[A-Za-z0-9.-]+(:[0-9]{1,5})?", value)
    if not origin:
        raise ImproperlyConfigured(
            f"SITE_URL must be a scheme and host like https://spatheory.com, not {value!r}"
        )
    if production and origin[1] != "https" and not plain_http:
        raise ImproperlyConfigured(
            "SITE_URL must start with https:// when DJANGO_DEBUG=0 (http:// only with "
            f"DJANGO_SECURE_SSL_REDIRECT=0), not {value!r}"
        )
    return value


# An origin a Content-Security-Policy directive may add: https (a host may start with *.), or
# plain http on this machine for a local test server.
CSP_ORIGIN = re.compile(
    r"https://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]+)?|http://(127\.0\.0\.1|localhost)(:[0-9]+)?"
)


def _csp_origins(name: str) -> list[str]:
    """A comma-separated list of origins for one CSP directive. Anything else (a keyword such as
    'unsafe-inline', a path, a stray ";") stops the process."""
    origins = [origin.strip() for origin in env.str(name, default="").split(",") if origin.strip()]
    for origin in origins:
        if not CSP_ORIGIN.fullmatch(origin):
            raise ImproperlyConfigured(
                f"{name} must list origins like https://js.example.com, not {origin!r}"
            )
    return origins


def _media_url() -> str:
    """Where uploaded photos and images are linked from. Django serves them only in debug, at
    the default path; production names the web server that serves MEDIA_ROOT (the compose
    file's ``media`` service), on https or, for a local run, plain http on this machine."""
    value = env.str("MEDIA_URL", default="").strip() or "media/"
    parts = urlsplit(value)
    on_its_own_host = bool(parts.scheme or parts.netloc)
    if not value.endswith("/") or (
        on_its_own_host and not CSP_ORIGIN.fullmatch(f"{parts.scheme}://{parts.netloc}")
    ):
        raise ImproperlyConfigured(
            "MEDIA_URL must be a path or an https:// address ending in a slash, like "
            f"https://media.spatheory.com/media/, not {value!r}"
        )
    return value


def _origin(url: str) -> list[str]:
    """The scheme and host of an absolute URL, for a CSP directive; none for a path."""
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.netloc else []


def _database(url: str) -> dict:
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(
            "DATABASE_URL must look like postgres://user@host:5432/name or sqlite:////path, "
            f"not {url!r}"
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:
        raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from None
    if config["ENGINE"] != "django.db.backends.sqlite3" and not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. .../spatheory")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Writers queue for the lock when their transaction begins; a read-then-write
        # transaction would otherwise fail with "database is locked" under concurrent bookings.
        config.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    config["ATOMIC_REQUESTS"] = False
    config["CONN_MAX_AGE"] = _env(env.int, "DATABASE_CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


DEBUG = _env(env.bool, "DJANGO_DEBUG", True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-default"

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The number clients call, on every page that gives one.
BUSINESS_PHONE = _phone("BUSINESS_PHONE", "(404) 555-0199")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    # Before allauth, so the portal's sign-in templates replace allauth's own.
    "pro",
    "allauth",
    "allauth.account",
    "spatheory",
    "therapists",
    "booking",
    "blog",
    "staff",
    "payments",
    "clients",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "spatheory.middleware.CSPMiddleware",
    "spatheory.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions, CSRF and sign-in: a stored public page goes out without them.
    "spatheory.middleware.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "staff.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "spatheory.urls"
WSGI_APPLICATION = "spatheory.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Searched before the apps, so spatheory/templates/admin/ extends the admin's own.
        "DIRS": [BASE_DIR / "spatheory" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "spatheory.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": _database(env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'spatheory.db'}"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    if urlsplit(CACHE_URL).scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, not {CACHE_URL!r}")
    CACHES = {
        "default": {
            "BACKEND": "spatheory.cache.FailOpenRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="spatheory"),
            "TIMEOUT": 600,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Therapists' sign-in by emailed code (pro.adapter); it takes no passwords.
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = _media_url()
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console by default, SMTP (or the compose mail catcher) through EMAIL_URL.
EMAIL_URL = env.str("EMAIL_URL", default="consolemail://")
try:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
except Exception as exc:
    raise ImproperlyConfigured(f"EMAIL_URL could not be parsed: {exc}") from None
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Spa Theory <hello@spatheory.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
STAFF_ALERT_EMAIL = env.str("STAFF_ALERT_EMAIL", default="bookings@spatheory.com")

# Texts go through Twilio when all three are set, and only to the log otherwise.
# TWILIO_API_BASE sends the API calls to another address (a local stand-in for tests).
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="").strip()
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="").strip()
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="").strip()
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="").strip().rstrip("/")
_twilio_required = {
    "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
    "TWILIO_FROM_NUMBER": TWILIO_FROM_NUMBER,
}
if any(_twilio_required.values()):
    _twilio_missing = [name for name, value in _twilio_required.items() if not value]
    if _twilio_missing:
        raise ImproperlyConfigured(f"Texts need {', '.join(_twilio_missing)} set too")
    try:
        TWILIO_FROM_NUMBER = phone_to_e164(TWILIO_FROM_NUMBER)
    except ValidationError:
        raise ImproperlyConfigured(
            f"TWILIO_FROM_NUMBER must be a US phone number, not {TWILIO_FROM_NUMBER!r}"
        ) from None
if TWILIO_API_BASE and urlsplit(TWILIO_API_BASE).scheme not in ("http", "https"):
    raise ImproperlyConfigured(
        f"TWILIO_API_BASE must be an http:// or https:// address, not {TWILIO_API_BASE!r}"
    )

# Security. Production values are the defaults whenever DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env(env.bool, "DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SITE_URL = _site_url(production=not DEBUG, plain_http=not SECURE_SSL_REDIRECT)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = _env(env.int, "DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = _env(env.bool, "DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache and written to both: a booking step reads the client's
# draft without a database round trip. Without Redis they are read from the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
X_FRAME_OPTIONS = "DENY"
# Number of proxies in front of the app whose X-Forwarded-For entries are trusted.
TRUSTED_PROXY_COUNT = _env(env.int, "TRUSTED_PROXY_COUNT", 0)
# Content-Security-Policy (django-csp): everything from this site only, nothing inline and no
# eval; Bootstrap draws its form-control icons from data: URIs. A third party a feature needs (a
# payment provider's script, API and frames) is added through the CSP_EXTRA_* lists.
CSP_EXTRA_SCRIPT_SRC = _csp_origins("CSP_EXTRA_SCRIPT_SRC")
CSP_EXTRA_CONNECT_SRC = _csp_origins("CSP_EXTRA_CONNECT_SRC")
CSP_EXTRA_FRAME_SRC = _csp_origins("CSP_EXTRA_FRAME_SRC")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, *CSP_EXTRA_SCRIPT_SRC],
        "style-src": [SELF],
        # The one inline style allowed, by its hash: django-simple-history's history page (a
        # therapist's History in admin) writes style="border-top: 0".
        "style-src-attr": [
            "'unsafe-hashes'",
            "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",
        ],
        "img-src": [SELF, "data:", *_origin(MEDIA_URL)],
        "connect-src": [SELF, *CSP_EXTRA_CONNECT_SRC],
        "frame-src": [SELF, *CSP_EXTRA_FRAME_SRC],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Permissions-Policy (spatheory.middleware): the browser features no page here uses, denied to
# the site and anything it embeds. A feature a page comes to need gets its allow-list, e.g.
# "payment": ["self", '"https://pay.example.com"'].
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Staff sign-in. After STAFF_LOGIN_FAILURE_LIMIT wrong passwords in a row for one username
# from one address (the client IP as booking.ratelimit sees it) that pair is locked out for
# STAFF_LOGIN_COOLOFF_MINUTES; every try meanwhile restarts the wait. Staff without a verified
# authenticator app reach no admin page while STAFF_REQUIRE_TWO_FACTOR is on.
STAFF_LOGIN_FAILURE_LIMIT = _env(env.int, "STAFF_LOGIN_FAILURE_LIMIT", 10)
STAFF_LOGIN_COOLOFF_MINUTES = _env(env.int, "STAFF_LOGIN_COOLOFF_MINUTES", 15)
if STAFF_LOGIN_FAILURE_LIMIT < 1 or STAFF_LOGIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured(
        "STAFF_LOGIN_FAILURE_LIMIT and STAFF_LOGIN_COOLOFF_MINUTES must be 1 or more"
    )
STAFF_REQUIRE_TWO_FACTOR = _env(env.bool, "STAFF_REQUIRE_TWO_FACTOR", not DEBUG)
AXES_FAILURE_LIMIT = STAFF_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=STAFF_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "booking.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "staff.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "Spa Theory"
# The TOTP devices' admin shows no secret keys once created.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Therapists sign in to /pro/ with a code sent to their email (django-allauth's login by code),
# never a password: pro.adapter closes signup, finds the account through the therapist's record
# only (never a staff account) and answers the same whether the address is known or not.
# Clients sign in the same way at /account/ (clients.adapter, which extends it): their account
# is found by its normalised email only, and is never a staff or therapist user.
ACCOUNT_ADAPTER = "clients.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "request_login_code": "pro.forms.SignInCodeRequestForm",
    "confirm_login_code": "pro.forms.SignInCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = _env(env.int, "THERAPIST_SIGN_IN_CODE_MINUTES", 10) * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_RATE_LIMITS = {
    # Codes asked for, per client IP and per address; wrong codes per IP and per address.
    "request_login_code": env.str("THERAPIST_SIGN_IN_RATE_LIMIT", default="10/m/ip,3/10m/key"),
    # The same for clients asking at /account/sign-in/ (clients.forms.REQUEST_CODE_ACTION).
    "client_request_login_code": env.str("CLIENT_SIGN_IN_RATE_LIMIT", default="10/m/ip,3/10m/key"),
    "login_failed": "10/m/ip,5/5m/key",
}

# Celery. Without a broker the tasks run inline, so the embedded default needs no Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = _env(env.bool, "CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="spatheory")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Publishing after commit must never hold up a booking when the broker is down.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 1}
# A publish that can't reach the broker fails at once; the outbox sweep publishes it later.
CELERY_TASK_PUBLISH_RETRY = False
# Workers keep their database connection across tasks (CONN_MAX_AGE applies, as for requests:
# booking.tasks recycles old or broken ones) instead of reconnecting for every email.
CELERY_DB_REUSE_MAX = _env(env.int, "CELERY_DB_REUSE_MAX", 1000)
# Sending email mostly waits on the mail server and the database, so run more worker processes
# than cores.
CELERY_WORKER_CONCURRENCY = _env(env.int, "CELERY_WORKER_CONCURRENCY", 4)
# The beat schedule is in spatheory/celery.py: only the workers load Celery.

# Business rules.
BOOKING_SLOT_STEP_MINUTES = _env(env.int, "BOOKING_SLOT_STEP_MINUTES", 30)
BOOKING_MIN_NOTICE_MINUTES = _env(env.int, "BOOKING_MIN_NOTICE_MINUTES", 180)
BOOKING_HORIZON_DAYS = _env(env.int, "BOOKING_HORIZON_DAYS", 60)
BOOKING_LATE_CANCELLATION_HOURS = _env(env.int, "BOOKING_LATE_CANCELLATION_HOURS", 24)
BOOKING_MIN_BUFFER_MINUTES = _env(env.int, "BOOKING_MIN_BUFFER_MINUTES", 30)
BOOKING_COUPLES_CHANGEOVER_MINUTES = _env(env.int, "BOOKING_COUPLES_CHANGEOVER_MINUTES", 15)
BOOKING_RATE_LIMIT = _rate("BOOKING_RATE_LIMIT", "20/h")
# "Lost your link?" requests per client IP, in the same format.
BOOKING_LOST_LINK_RATE_LIMIT = _rate("BOOKING_LOST_LINK_RATE_LIMIT", "5/h")
CREDENTIAL_WARNING_DAYS = _env(env.int, "CREDENTIAL_WARNING_DAYS", 30)
# A therapist may decline a job only while it starts more than this many hours from now; closer
# to the time they call staff.
DECLINE_NOTICE_HOURS = _env(env.int, "DECLINE_NOTICE_HOURS", 24)
# A therapist's calendar feed shows their jobs from this many days ago on.
THERAPIST_CALENDAR_PAST_DAYS = _env(env.int, "THERAPIST_CALENDAR_PAST_DAYS", 30)
# How long a booking waits for another booking's lock on the same therapists before giving up.
BOOKING_LOCK_TIMEOUT_MS = _env(env.int, "BOOKING_LOCK_TIMEOUT_MS", 5000)
# The therapist's job page shows the client's personal details only from this long before the
# appointment (the evening before, to plan the route and read the health notes) until this
# long after it ends (to finish up), then never again.
JOB_DETAILS_VISIBLE_HOURS_BEFORE = _env(env.int, "JOB_DETAILS_VISIBLE_HOURS_BEFORE", 24)
JOB_DETAILS_VISIBLE_HOURS_AFTER = _env(env.int, "JOB_DETAILS_VISIBLE_HOURS_AFTER", 2)

# Payments (Stripe). Off unless STRIPE_SECRET_KEY is set: then the review step takes a card, the
# price is charged when the massage is completed, and the fees below are charged. Amounts are
# percentages of the booking's price; the therapist's share is overridable per therapist.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="").strip()
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="").strip()
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="").strip()
# Where the API and Stripe.js are; the defaults are Stripe's own.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="").strip().rstrip("/")
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/").strip()
LATE_CANCELLATION_FEE_PERCENT = _env(env.int, "LATE_CANCELLATION_FEE_PERCENT", 50)
NO_SHOW_FEE_PERCENT = _env(env.int, "NO_SHOW_FEE_PERCENT", 100)
# A no-show can be marked this long after the start, not before.
NO_SHOW_GRACE_MINUTES = _env(env.int, "NO_SHOW_GRACE_MINUTES", 15)
THERAPIST_SHARE_PERCENT = _env(env.int, "THERAPIST_SHARE_PERCENT", 60)
THERAPIST_FEE_SHARE_PERCENT = _env(env.int, "THERAPIST_FEE_SHARE_PERCENT", 75)
# The receipt's tip link works this long after the massage is completed.
TIP_WINDOW_HOURS = _env(env.int, "TIP_WINDOW_HOURS", 72)

# Client personal details are removed from bookings that ended this many months ago (0: never).
BOOKING_RETENTION_MONTHS = _env(env.int, "BOOKING_RETENTION_MONTHS", 24)
# A medical massage's referral covers massages up to this many months after its date.
REFERRAL_VALID_MONTHS = _env(env.int, "REFERRAL_VALID_MONTHS", 12)

# Notification outbox: a message the mail server refuses for now is tried again after 2, 4, 8 ...
# seconds, the wait capped at NOTIFICATION_RETRY_MAX_SECONDS, until NOTIFICATION_RETRY_WINDOW_HOURS
# after it was written, when it is marked failed and staff are alerted. Then when a claimed row
# counts as abandoned, and the most rows one sweep publishes.
NOTIFICATION_RETRY_MAX_SECONDS = _env(env.int, "NOTIFICATION_RETRY_MAX_SECONDS", 6 * 60 * 60)
NOTIFICATION_RETRY_WINDOW_HOURS = _env(env.int, "NOTIFICATION_RETRY_WINDOW_HOURS", 24)
if NOTIFICATION_RETRY_MAX_SECONDS < 1 or NOTIFICATION_RETRY_WINDOW_HOURS < 1:
    raise ImproperlyConfigured(
        "NOTIFICATION_RETRY_MAX_SECONDS and NOTIFICATION_RETRY_WINDOW_HOURS must be 1 or more"
    )
NOTIFICATION_STALE_SENDING_MINUTES = _env(env.int, "NOTIFICATION_STALE_SENDING_MINUTES", 5)
NOTIFICATION_SWEEP_BATCH = _env(env.int, "NOTIFICATION_SWEEP_BATCH", 1000)
# A send task takes its own row and up to this many due rows in all, sent over one connection.
NOTIFICATION_SEND_BATCH = _env(env.int, "NOTIFICATION_SEND_BATCH", 50)
if NOTIFICATION_SEND_BATCH < 1:
    raise ImproperlyConfigured("NOTIFICATION_SEND_BATCH must be 1 or more")

# Every handler redacts booking and job tokens (spatheory/logging.py). Django's own handlers are
# replaced: its request warnings reach the console here, runserver's lines their own handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "spatheory.logging.RedactTokens"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},
        # Twilio's client logs every request's headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
    },
}
