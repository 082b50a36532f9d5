"""EcomOps settings, read from the environment with safe local defaults.

Embedded defaults (nothing set): a SQLite file next to ``manage.py``, Celery tasks run
eagerly in-process, a local-memory cache, ``DEBUG`` on. Production sets ``DATABASE_URL``
(PostgreSQL), ``CELERY_BROKER_URL`` and ``REDIS_URL`` (Redis), ``SECRET_KEY`` and
``DEBUG=0``. See the README's production section for the full list.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-ecomops-development-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])


# --- Database -------------------------------------------------------------------------

_DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql", "psql", "postgis"}


def database_from_url(url: str) -> dict:
    """Parse ``DATABASE_URL``; a malformed value stops start-up with a message naming it."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme not in _DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL is malformed or unsupported: {url!r}. Expected "
            "sqlite:////absolute/path.sqlite3 or postgres://user:password@host:5432/name."
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # environ raises several types for bad URLs
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {url!r} ({exc}).") from exc
    if config["ENGINE"] != "django.db.backends.sqlite3" and not config.get("NAME"):
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {url!r} names no database.")
    return config


DATABASES = {
    "default": database_from_url(
        env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the dev server read while a seed or an import writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (``Index(include=...)``) serve PostgreSQL; SQLite, the embedded
# default, ignores their extra columns, which is all this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]


# --- Cache ----------------------------------------------------------------------------


def cache_from_url(url: str) -> dict:
    """``redis://...`` uses Django's Redis cache; ``locmem://`` (default) local memory."""
    scheme = urlsplit(url).scheme
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme in {"locmem", "locmemcache", ""}:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ecomops"}
    if scheme in {"dummy", "dummycache"}:
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(f"CACHE_URL is malformed or unsupported: {url!r}.")


REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {"default": cache_from_url(env.str("CACHE_URL", default=REDIS_URL or "locmem://"))}


# --- Applications ---------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ecomops",
    "customers",
    "catalog",
    "analytics",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "customers.audit.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ecomops.urls"
WSGI_APPLICATION = "ecomops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ecomops.context_processors.navigation",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"


# How long a page's computed report may be served from the cache (seconds); a new
# analytics run, orders import or KPI target makes every cached report stale at once.
PAGES_REPORT_CACHE_SECONDS = env.int("PAGES_REPORT_CACHE_SECONDS", default=600)


# --- Internationalisation -------------------------------------------------------------

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# One catalog per app, plus ecomops's for the shared templates; in this order, so that
# `manage.py makemessages` run at the top files each string under its own app.
LOCALE_PATHS = [
    BASE_DIR / app / "locale"
    for app in ("ecomops", "customers", "catalog", "analytics", "campaigns")
]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True


# --- Static files ---------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "ecomops" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "media/"


# --- Security (production values when DEBUG is off) -----------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"


# --- Celery ---------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker configured: run every task eagerly in-process (embedded defaults and tests).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=20 * 60)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis re-delivers a task whose worker died unacknowledged after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
# Nightly jobs; later features add theirs here.
CELERY_BEAT_SCHEDULE = {
    "ecomops-heartbeat": {
        "task": "ecomops.tasks.heartbeat",
        "schedule": crontab(minute=0),
    },
    "analytics-nightly": {
        "task": "analytics.tasks.compute_analytics",
        "schedule": crontab(hour=2, minute=30),
    },
    "campaigns-tick": {
        "task": "campaigns.tasks.campaigns_tick",
        "schedule": crontab(minute="*"),
    },
    "automations-daily": {
        "task": "campaigns.tasks.run_automations",
        "schedule": crontab(hour=9, minute=0),
    },
    "loyalty-sync-nightly": {
        "task": "campaigns.tasks.sync_loyalty",
        "schedule": crontab(hour=1, minute=0),
    },
    "points-expiry-nightly": {
        "task": "campaigns.tasks.expire_points",
        "schedule": crontab(hour=1, minute=30),
    },
    "webhooks-retry": {
        "task": "ecomops.tasks.retry_webhooks",
        "schedule": crontab(minute="*"),
    },
    "tiers-nightly": {
        "task": "campaigns.tasks.evaluate_tiers",
        "schedule": crontab(hour=2, minute=0),
    },
}


# --- Analytics thresholds (DESIGN §3; every one is a setting) -------------------------

ANALYTICS = {
    "RFM_WINDOW_DAYS": env.int("ANALYTICS_RFM_WINDOW_DAYS", default=365),  # 0 = all history
    # "score": a dimension is high when its score >= 3; "mean": above the mean score.
    "RFM_HIGH": env.str("ANALYTICS_RFM_HIGH", default="score"),
    # Which RFM label the pages show: "segment" (11 segments) or "class" (8 classes).
    "RFM_LABEL_SHOWN": env.str("ANALYTICS_RFM_LABEL_SHOWN", default="segment"),
    # Fixed RFM cut points instead of quintiles, e.g. {"r": [30, 60, 90, 180], ...}.
    "RFM_FIXED_THRESHOLDS": None,
    "LIFECYCLE_NEW_DAYS": 30,
    "LIFECYCLE_ACTIVE_DAYS": 90,
    "LIFECYCLE_WARNING_DAYS": 180,
    "LIFECYCLE_WON_BACK_DAYS": 30,
    "CLV_HORIZON_DAYS": 90,
    "CLV_PENALIZER": 0.0,  # L2 on log-parameters, as lifetimes scales it; > 0 only for tiny data
    "CLV_MIN_REPEAT_CUSTOMERS": 20,
    "QUALITY_RETURN_RATE": 0.20,
    "QUALITY_POSITIVE_RATE": 0.70,
    "QUALITY_MIN_UNITS": 30,
    "QUALITY_POSITIVE_RATING": 4,  # a review with at least this rating is positive
    "AFFINITY_MIN_SUPPORT": 0.001,
    "AFFINITY_WINDOW_DAYS": 365,  # 0 = all history
    "INVENTORY_SAFETY_DAYS": 7,
    "INVENTORY_SLOW_MOVER_DAYS": 60,
    "TAG_THRESHOLDS": {},  # overrides of analytics.metrics.tags.TagThresholds
    # Recommendation blend: co-purchase similarity, category share, tag peers.
    "RECOMMEND_WEIGHTS": {
        "similarity": 0.6,
        "category": 0.25,
        "tags": 0.15,
    },  # overrides of analytics.metrics.tags.TagThresholds
}


# --- Loyalty ----------------------------------------------------------------------------

LOYALTY = {
    "POINTS_PER_YUAN": env.float("LOYALTY_POINTS_PER_YUAN", default=1.0),  # × tier multiplier
    # A customer below their tier is downgraded only after holding it this many days.
    "TIER_GRACE_DAYS": env.int("LOYALTY_TIER_GRACE_DAYS", default=30),
    # Points to the referrer when a referred customer pays their first order.
    "REFERRAL_POINTS": env.int("LOYALTY_REFERRAL_POINTS", default=200),
    # Points older than this many months expire (oldest first), at the nightly expiry.
    "POINTS_EXPIRY_MONTHS": env.int("LOYALTY_POINTS_EXPIRY_MONTHS", default=24),
    # Imported orders earn points only when paid within this many days (no points for
    # an imported history).
    "AWARD_LOOKBACK_DAYS": env.int("LOYALTY_AWARD_LOOKBACK_DAYS", default=30),
}


# --- Campaigns and automations --------------------------------------------------------

CAMPAIGNS = {
    # No more than one campaign or automation contact per customer within this many days.
    "FREQUENCY_CAP_DAYS": env.int("CAMPAIGNS_FREQUENCY_CAP_DAYS", default=7),
    # Treatment recipients per launch task (each issues coupons and sends messages).
    "CHUNK_SIZE": env.int("CAMPAIGNS_CHUNK_SIZE", default=1000),
    # A running launch with no contact for this long is resumed by the periodic tick
    # (and at worker start-up): chunks are idempotent, so a resume never sends twice.
    "STALL_SECONDS": env.int("CAMPAIGNS_STALL_SECONDS", default=300),
    # The effect a campaign's sample-size check plans for: a relative lift of conversion.
    "BASELINE_CONVERSION": env.float("CAMPAIGNS_BASELINE_CONVERSION", default=0.05),
    "PLANNED_LIFT": env.float("CAMPAIGNS_PLANNED_LIFT", default=0.2),
    # Recommended products named in a message ({{ products }}).
    "MESSAGE_PRODUCTS": 3,
    "CHANNEL_BACKENDS": {
        "console": "campaigns.channels.ConsoleBackend",
        "email": "campaigns.channels.EmailBackend",
        "sms": "campaigns.channels.SmsGatewayBackend",
        "wecom": "campaigns.channels.WeComBackend",
    },
    # The console backend appends one JSON line per message here; empty = the log only.
    "OUTBOX_FILE": env.str("CAMPAIGNS_OUTBOX_FILE", default=""),
    "EMAIL_SUBJECT": env.str("CAMPAIGNS_EMAIL_SUBJECT", default="A little something for you"),
    # HTTP gateways for SMS and WeCom (JSON POST with a bearer key).
    "SMS_GATEWAY_URL": env.str("CAMPAIGNS_SMS_GATEWAY_URL", default=""),
    "SMS_GATEWAY_KEY": env.str("CAMPAIGNS_SMS_GATEWAY_KEY", default=""),
    "WECOM_GATEWAY_URL": env.str("CAMPAIGNS_WECOM_GATEWAY_URL", default=""),
    "WECOM_GATEWAY_KEY": env.str("CAMPAIGNS_WECOM_GATEWAY_KEY", default=""),
}


# --- Django REST framework ------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ecomops.api.access.ApiKeyAuthentication",  # first: a 401 names the Api-Key scheme
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ecomops.api.access.ScopedAccess"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "ecomops.api.schema.ExampleSchema",
    "DEFAULT_PAGINATION_CLASS": "ecomops.api.pagination.ApiCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["ecomops.api.access.KeyOrUserThrottle"],
    "EXCEPTION_HANDLER": "ecomops.api.errors.api_exception_handler",
    "PAGE_SIZE": 50,
    "ORDERING_PARAM": "ordering",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "EcomOps API",
    "DESCRIPTION": (
        "Customer operations for e-commerce: push orders and events, pull segments, scores, "
        "recommendations and reports, issue and redeem coupons, run campaigns. "
        "Authenticate with `Authorization: Api-Key <key>` (see docs/api.md)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "catalog.models.Order.Status",
        "CouponStatusEnum": "campaigns.models.Coupon.Status",
        "CampaignStatusEnum": "campaigns.models.Campaign.Status",
        "ExperimentStatusEnum": "campaigns.models.Experiment.Status",
        "DeliveryStatusEnum": "ecomops.models.WebhookDelivery.Status",
        "BulkItemStatusEnum": ["created", "updated", "error"],
    },
}

# A bulk request of 1,000 orders is about 0.4 MB; 10 MB leaves room for long lines.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

WEBHOOKS = {
    "TIMEOUT": env.float("WEBHOOKS_TIMEOUT", default=10.0),  # seconds per attempt
    "MAX_ATTEMPTS": env.int("WEBHOOKS_MAX_ATTEMPTS", default=8),
    "BACKOFF_SECONDS": env.int("WEBHOOKS_BACKOFF_SECONDS", default=60),  # doubles each time
}

API = {
    # Requests per API key (or per user) — DRF rate syntax: "1200/min", "50/s".
    "THROTTLE_RATE": env.str("API_THROTTLE_RATE", default="1200/min"),
}


# --- Logging --------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
