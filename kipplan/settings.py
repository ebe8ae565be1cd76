"""
kipplan's settings, read from the environment.

DJANGO_SECRET_KEY     required when DEBUG is off
DJANGO_DEBUG          "1"/"true"/"yes"/"on" turns debug on; off by default
DJANGO_ALLOWED_HOSTS  comma-separated host names
DJANGO_CSRF_TRUSTED_ORIGINS  comma-separated origins (https://plan.example.kr) behind a proxy
DJANGO_SECURE_PROXY_SSL_HEADER  "1" when a reverse proxy sets X-Forwarded-Proto
DJANGO_HTTPS          HTTPS only (redirect, secure cookies, HSTS); on by default when DEBUG is off
DJANGO_HSTS_SECONDS   HSTS max-age when HTTPS is on; a year by default
DATABASE_URL          e.g. postgres://user:pass@host:5432/kipplan; a SQLite file by default
DATABASE_CONNECT_TIMEOUT  seconds to connect to PostgreSQL before giving up (2)
DATABASE_STATEMENT_TIMEOUT_MS  PostgreSQL cancels a statement that runs longer (30000; 0: none)
DATABASE_PREPARE_THRESHOLD  PostgreSQL prepares a query sent this many times on a connection
                      (5; "off": bound in the client, for a pooler in transaction mode)
KIPPLAN_DB_ANSWER_SECONDS  after this long without an answer, a web request asks the database
                      on a new connection, and shows the 503 page if that gets none either (2;
                      0: no limit; kipplan.database)
KIPPLAN_PUBLIC_PAGES  "1" opens the progress pages, read-only and without internal notes, to all
KIPPLAN_REPORTING_PERIOD_DAYS  days without a report before a task counts as stale (90)
KIPPLAN_RESULTS_REMINDER_DAYS  days before the results deadline that reminders start, and between
                      two reminders of the same missing results or unscored assignment (7)
KIPPLAN_OPINION_REMINDER_DAYS  days before an improvement plan is due that reminders start, and
                      between two reminders of the same opinion or overdue action (7)
KIPPLAN_RETRY_AFTER_SECONDS  the Retry-After of a 503 while the database is out of reach (30)
KIPPLAN_READYZ_SECONDS  how long /readyz waits for the database before it reports it down (1.5)
KIPPLAN_PASSWORD_RESET_LIMIT  password resets one email address may ask for in the window (5)
KIPPLAN_PASSWORD_RESET_CLIENT_LIMIT  password resets one client address may ask for (5)
KIPPLAN_PASSWORD_RESET_WINDOW_MINUTES  the throttle's window; axes's cool-off by default (15)
KIPPLAN_EVIDENCE_MAX_MB  the largest evidence file accepted, in megabytes (20)
KIPPLAN_EVIDENCE_ROOT  the folder of the evidence files; "evidence" in the project folder by default
DJANGO_STATIC_ROOT    where collectstatic puts the static files; "staticfiles" in the project folder
KIPPLAN_PUBLICATION_NUMBER  the annual report's publication registration number (발간등록번호)
KIPPLAN_EVIDENCE_BUCKET  an S3 bucket for the evidence files instead of the folder (needs the
                      "s3" extra, django-storages); private objects, never overwritten
KIPPLAN_EVIDENCE_ENDPOINT_URL  the endpoint of S3-compatible storage (https://s3.example.kr);
                      Amazon S3 when unset
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION  the bucket's credentials and
                      region, read by boto3 itself
REDIS_URL             redis://host:6379/0: the cache in Redis, shared by every app server; local
                      memory in each process by default
KIPPLAN_PAGE_CACHE    "0" turns off the cache of rendered pages (on by default; kipplan.page_cache)
KIPPLAN_PAGE_CACHE_SECONDS  how long a rendered page is kept at most (86400, a day)
KIPPLAN_CACHE_ENTRIES  the pages kept in local memory, per process (1000)
KIPPLAN_CACHE_TIMEOUT_SECONDS  how long a page waits for Redis before it does without (0.25)
KIPPLAN_CACHE_PROBE_SECONDS  how often a process asks a failed Redis again (1)
KIPPLAN_OPEN_DATA_LICENCE  the open data sets' licence, a type of 공공누리 (kogl-1 to kogl-4;
                      kogl-1)
KIPPLAN_API_TOKEN_DAYS  how long a new API token lasts unless its user chooses fewer days (90)
KIPPLAN_API_TOKENS_PER_USER  tokens in use a user may have at once (10)
KIPPLAN_API_READS_PER_MINUTE, KIPPLAN_API_WRITES_PER_MINUTE  API requests a minute for each
                      token (120 and 30; 0: no limit)
KIPPLAN_API_IDEMPOTENCY_HOURS  how long a write's Idempotency-Key is remembered (24)
"""

import os
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_VALUES = {"1", "true", "yes", "on"}


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_VALUES


def env_list(name, default=()):
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default)


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off. "
            "Generate one with: python -c \"from django.core.management.utils import "
            'get_random_secret_key; print(get_random_secret_key())"'
        )
    SECRET_KEY = "django-insecure-kipplan-local-development-only"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Security headers and HTTPS. A production site (debug off) is HTTPS-only unless DJANGO_HTTPS=0
# (say, a load test on loopback); `manage.py check --deploy` passes with these.
HTTPS = env_bool("DJANGO_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    # Pages and admin load scripts, styles and images from this site only; no inline code.
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Login throttling (django-axes): after 5 failed logins for one username from one address, that
# pair is locked out for 15 minutes; a successful login resets the count. The address is
# REMOTE_ADDR: behind a proxy, that is the proxy, and the lockout is by username alone.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no banner on every management command; lockouts are still logged
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kipplan.auth.ModelBackend",  # Django's, its permissions read in one query
]

# Password resets are throttled like logins, in the database (there is no shared cache): an email
# address, and a client address (REMOTE_ADDR, so behind a proxy all clients share one count), may
# ask for so many resets within the window; more are refused with 429 and send nothing.
KIPPLAN_PASSWORD_RESET_LIMIT = int(
    os.environ.get("KIPPLAN_PASSWORD_RESET_LIMIT", AXES_FAILURE_LIMIT))
KIPPLAN_PASSWORD_RESET_CLIENT_LIMIT = int(
    os.environ.get("KIPPLAN_PASSWORD_RESET_CLIENT_LIMIT", AXES_FAILURE_LIMIT))
KIPPLAN_PASSWORD_RESET_WINDOW_MINUTES = int(os.environ.get(
    "KIPPLAN_PASSWORD_RESET_WINDOW_MINUTES", AXES_COOLOFF_TIME // timedelta(minutes=1)))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "axes",
    *([] if find_spec("django.tasks") else ["django_tasks"]),  # Django 6 has its own
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the documentation page's scripts, served from here
    "tracker",
]

# The JSON API (tracker.api): JSON only (the browsable API's pages would need inline scripts),
# read by the pages' rules; signed in with a user's API token (Authorization: Bearer), or by the
# session (the documentation page).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tracker.api.authentication.BearerToken",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.api.permissions.ReadsThePlan"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tracker.api.exceptions.handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# The open data sets' licence (tracker.publishing.open_data): a type of the Korea Open
# Government License (공공누리), kogl-1 (source indication only) to kogl-4.
KIPPLAN_OPEN_DATA_LICENCE = os.environ.get("KIPPLAN_OPEN_DATA_LICENCE", "kogl-1")
if KIPPLAN_OPEN_DATA_LICENCE not in {"kogl-1", "kogl-2", "kogl-3", "kogl-4"}:
    raise ImproperlyConfigured("KIPPLAN_OPEN_DATA_LICENCE must be kogl-1, kogl-2, kogl-3 or "
                               "kogl-4 (the types of 공공누리).")
# API tokens last this many days unless their user chooses fewer (at most a year).
KIPPLAN_API_TOKEN_DAYS = int(os.environ.get("KIPPLAN_API_TOKEN_DAYS", "90"))
# Tokens in use a user may have at once (each has its own rate limit below).
KIPPLAN_API_TOKENS_PER_USER = int(os.environ.get("KIPPLAN_API_TOKENS_PER_USER", "10"))
# Requests a minute for each token, reads and writes apart (0: no limit); more are answered 429
# with Retry-After.
KIPPLAN_API_READS_PER_MINUTE = int(os.environ.get("KIPPLAN_API_READS_PER_MINUTE", "120"))
KIPPLAN_API_WRITES_PER_MINUTE = int(os.environ.get("KIPPLAN_API_WRITES_PER_MINUTE", "30"))
# How long a write's Idempotency-Key is remembered: a retry within it is recorded once.
KIPPLAN_API_IDEMPOTENCY_HOURS = int(os.environ.get("KIPPLAN_API_IDEMPOTENCY_HOURS", "24"))
SPECTACULAR_SETTINGS = {
    "TITLE": "kipplan API",
    "DESCRIPTION": (
        "The national IP implementation plan as data: plans, tasks with their state on any day "
        "and their history, agencies with their names over time, and technologies. Read by the "
        "same rules as kipplan's pages."),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Background work (mail): Django's tasks framework with django-tasks-db's database backend; a
# worker, `manage.py db_worker`, runs beside the app servers (README, "Production").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "kipplan.database.answer_limit",  # a database that stops answering: a 503 within seconds
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tracker.accounts.languages.UserLanguageMiddleware",
    # a NUL in the query string: a 400, its page in the user's language (kipplan/requests.py)
    "kipplan.requests.refuse_nul",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "kipplan.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.access.roles",  # what the navigation shows by role
            ],
        },
    },
]

WSGI_APPLICATION = "kipplan.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A database that stops answering (kipplan.database): a web request that has waited this long for
# an answer asks the database on a new connection, and shows the 503 page if it does not answer
# that either (a lock or a long query is waited for). 0: no limit.
KIPPLAN_DB_ANSWER_SECONDS = float(os.environ.get("KIPPLAN_DB_ANSWER_SECONDS", "2"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with the answer limit above, and libpq's own timeouts; a DATABASE_URL's
    # query (?connect_timeout=5) has the last word. connect_timeout: seconds to connect (libpq
    # takes 2 at least). Keepalives and tcp_user_timeout (ms): a server gone from the network
    # (no acknowledgement) is given up after about 10 s rather than the system's 2 hours.
    # statement_timeout (ms): the server cancels a statement that runs this long, in every
    # process; a long migration may need DATABASE_STATEMENT_TIMEOUT_MS=0 (none).
    # Prepared statements: psycopg binds parameters on the server and prepares a query once it
    # has been sent DATABASE_PREPARE_THRESHOLD times on a connection (psycopg's default, 5), so
    # PostgreSQL parses and plans it once for the connection instead of on every request
    # (planning the task page's ten-table query took 3 ms, running it 0.4 ms). A pooler in
    # transaction mode that cannot keep prepared statements (PgBouncer before 1.21) needs
    # DATABASE_PREPARE_THRESHOLD=off: queries are then bound in the client, as Django's default.
    DATABASES["default"]["ENGINE"] = "kipplan.postgresql"
    prepare_threshold = os.environ.get("DATABASE_PREPARE_THRESHOLD", "5").strip().lower()
    if prepare_threshold != "off" and not prepare_threshold.isdigit():
        raise ImproperlyConfigured("DATABASE_PREPARE_THRESHOLD must be a number of times (5) or "
                                   "off.")
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "2")),
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10_000,
        **({} if prepare_threshold == "off" else {"server_side_binding": True,
                                                   "prepare_threshold": int(prepare_threshold)}),
        "options": "-c statement_timeout="
                   + os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "30000"),
        **DATABASES["default"].get("OPTIONS", {}),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tracker:start"  # by role: the admin, the dashboard or the staff's work
LOGOUT_REDIRECT_URL = "tracker:dashboard"

# Plan results are published: "1" makes the progress pages public and read-only.
KIPPLAN_PUBLIC_PAGES = env_bool("KIPPLAN_PUBLIC_PAGES", default=False)
# A task with no progress report for this many days is "stale" on the pages and in the reminders.
# The law and the plan set no period; 90 days is a quarter, as the agencies report.
KIPPLAN_REPORTING_PERIOD_DAYS = int(os.environ.get("KIPPLAN_REPORTING_PERIOD_DAYS", "90"))
# The year-end evaluation's reminders (send_reminders --evaluation): agency staff are reminded of
# results not yet submitted from this many days before the round's deadline, and of results still
# missing after it; evaluators of assignments not fully scored. An item is sent again only after
# this many days. The decree sets no such period (a week is a guess the Council may change).
KIPPLAN_RESULTS_REMINDER_DAYS = int(os.environ.get("KIPPLAN_RESULTS_REMINDER_DAYS", "7"))
# send_reminders --opinions reminds an agency's staff of an improvement plan from this many days
# before it is due (and, marked late, after), and of overdue actions; an item is sent again only
# after this many days. The law sets no such period (a week is a guess the Council may change).
KIPPLAN_OPINION_REMINDER_DAYS = int(os.environ.get("KIPPLAN_OPINION_REMINDER_DAYS", "7"))
# What a 503 (the database out of reach) asks clients to wait before trying again, in seconds.
KIPPLAN_RETRY_AFTER_SECONDS = int(os.environ.get("KIPPLAN_RETRY_AFTER_SECONDS", "30"))
# How long /readyz (and the 500 handler, telling a 503 from a 500) waits for a fresh connection's
# SELECT 1 before it reports the database out of reach (kipplan.health).
KIPPLAN_READYZ_SECONDS = float(os.environ.get("KIPPLAN_READYZ_SECONDS", "1.5"))
# The year-end evaluation (tracker.evaluation.services). The law and the sources give no weights,
# scale, score bands or number of evaluators: these are what a new round starts with, and each round
# keeps its own, which the plan managers change in the round's admin page before scoring starts.
# Criteria: (Korean name, English name, weight, for metropolitan governments only).
# The decree's calendar (지식재산 기본법 시행령 arts. 10, 11 and 17; law art. 15): each a
# (month, day) in the plan's year (the guideline) or the next (the rest). A new evaluation round
# takes these dates, and the managers change them per round; the opinions' answer is due
# improvement_plan_days after the notice (tracker.common.calendar).
KIPPLAN_CALENDAR = {
    "guideline_by": (10, 31),  # art. 11: the checking and evaluation guideline, plan's year
    "results_due": (1, 15),  # art. 11: the agencies' and 시·도' results (추진실적), next year
    "notice_by": (3, 31),  # art. 11: the results and improvement opinions notified, next year
    "improvement_plan_days": 30,  # art. 11: an improvement plan within 30 days of the notice
    "annual_report_by": (3, 31),  # art. 17, law art. 15: the annual report, next year
}
# How long the Council's budget advice stays editable: "report_sent" (by default), until the
# annual report is marked as sent to the National Assembly, the advice's last use; or
# "publication", until the round is published.
KIPPLAN_ADVICE_OPEN_UNTIL = os.environ.get("KIPPLAN_ADVICE_OPEN_UNTIL", "report_sent")
KIPPLAN_EVALUATION = {
    "scale": (0, 100),
    # The lowest panel mean of each grade; below the last one, 미흡.
    "bands": {"outstanding": 90, "excellent": 80, "satisfactory": 60},
    "evaluators_per_unit": 2,
    "criteria": [
        ("정책품질", "Policy quality", 40, False),
        ("파급효과", "Ripple effect", 30, False),
        ("전략성", "Strategy", 30, False),
        ("지역특화 전략", "Region-specific strategy", 20, True),
        ("수요 대응", "Response to demand", 20, True),
    ],
}
# Evidence files of the year-end results: the largest file accepted, in megabytes (checked by
# tracker.evaluation.evidence; the web server in front must let a request this large through).
KIPPLAN_EVIDENCE_MAX_MB = int(os.environ.get("KIPPLAN_EVIDENCE_MAX_MB", "20"))
# Where the links in emails point: the site as its users reach it.
KIPPLAN_SITE_URL = os.environ.get("KIPPLAN_SITE_URL", "http://127.0.0.1:8000")

# The cache (Django's cache framework): rendered pages, keyed by the data's revision so that
# none is ever served after the data behind it changed (kipplan.page_cache). Local memory in each
# process by default, bounded by its number of entries (the least recently used go first);
# Redis, through Django's own backend, where several app servers share one database: give it a
# maxmemory and the allkeys-lru policy to bound it.
KIPPLAN_PAGE_CACHE = env_bool("KIPPLAN_PAGE_CACHE", default=True)
KIPPLAN_PAGE_CACHE_SECONDS = int(os.environ.get("KIPPLAN_PAGE_CACHE_SECONDS", "86400"))
KIPPLAN_CACHE_ENTRIES = int(os.environ.get("KIPPLAN_CACHE_ENTRIES", "1000"))
# A Redis that hangs costs one page at most this long (each of connecting and answering), then
# pages skip the cache until it answers again, which a thread checks every
# KIPPLAN_CACHE_PROBE_SECONDS (kipplan.page_cache.Outage).
KIPPLAN_CACHE_TIMEOUT_SECONDS = float(os.environ.get("KIPPLAN_CACHE_TIMEOUT_SECONDS", "0.25"))
KIPPLAN_CACHE_PROBE_SECONDS = float(os.environ.get("KIPPLAN_CACHE_PROBE_SECONDS", "1"))


def redis_cache(url, prefix="kipplan"):
    """Django's Redis cache at url, with the timeouts above (redis-py's are 5 s)."""
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_timeout": KIPPLAN_CACHE_TIMEOUT_SECONDS,
                        "socket_connect_timeout": KIPPLAN_CACHE_TIMEOUT_SECONDS}}


if os.environ.get("REDIS_URL"):
    CACHES = {"default": redis_cache(os.environ["REDIS_URL"])}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                          "LOCATION": "kipplan", "OPTIONS": {"MAX_ENTRIES": KIPPLAN_CACHE_ENTRIES}}}

# Korean is the default; English is the other language.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60  # a year; the choice is also kept in the user's Profile
FORMAT_MODULE_PATH = ["kipplan.formats"]  # dates as each language writes them
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Evidence files: outside the static files and never served from a URL of their own; the
    # download view applies the task's access rules (tracker.evaluation.views).
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("KIPPLAN_EVIDENCE_ROOT",
                                               str(BASE_DIR / "evidence")),
                    "base_url": None},
    },
}
if os.environ.get("KIPPLAN_EVIDENCE_BUCKET", "").strip():
    # S3 or S3-compatible storage (django-storages, the "s3" extra): private objects, a new name
    # for every file (never overwritten); the download view streams them, so their signed URLs
    # are never handed out. boto3 reads the AWS_* credentials from the environment itself.
    STORAGES["evidence"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["KIPPLAN_EVIDENCE_BUCKET"].strip(),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            **({"endpoint_url": os.environ["KIPPLAN_EVIDENCE_ENDPOINT_URL"].strip()}
               if os.environ.get("KIPPLAN_EVIDENCE_ENDPOINT_URL", "").strip() else {}),
        },
    }

# In development whitenoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "kipplan@localhost")
# The SMTP server, for django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=False)
# A server that accepts the connection and then says nothing fails the attempt after this long.
EMAIL_TIMEOUT = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "30"))
# Each mail is tried this many times, the wait doubling from KIPPLAN_MAIL_RETRY_SECONDS (1, 2, 4,
# ... times it); a mail whose last attempt fails is shown to the plan managers on the dashboard
# and in the admin, where it can be sent again (tracker.common.mail).
KIPPLAN_MAIL_ATTEMPTS = int(os.environ.get("KIPPLAN_MAIL_ATTEMPTS", "5"))
KIPPLAN_MAIL_RETRY_SECONDS = int(os.environ.get("KIPPLAN_MAIL_RETRY_SECONDS", "60"))
# A mail still queued after this long has lost its task (a worker stopped halfway): it is shown
# to the plan managers with the failed ones, and sent again from the admin.
KIPPLAN_MAIL_STUCK_MINUTES = int(os.environ.get("KIPPLAN_MAIL_STUCK_MINUTES", "120"))
# The annual report is made by the same worker; a making still unfinished after this long has
# lost its worker, and no longer holds the next one back (tracker.publishing.services).
KIPPLAN_REPORT_STUCK_MINUTES = int(os.environ.get("KIPPLAN_REPORT_STUCK_MINUTES", "30"))
# An XLSX upload (a plan, IP statistics, assignments) whose parts unpack to more than this is
# refused before openpyxl reads it: a 300 KB workbook can unpack to 300 MB, and openpyxl holds
# it all in the worker's memory. A sheet of a few thousand rows unpacks to a few megabytes.
KIPPLAN_XLSX_MAX_UNPACKED_MB = int(os.environ.get("KIPPLAN_XLSX_MAX_UNPACKED_MB", "50"))
# The annual report's publication registration number (발간등록번호), which government
# publications of 10 pages or more carry: given by the publications registry each year, so a
# setting; the report's page warns while it is empty.
KIPPLAN_PUBLICATION_NUMBER = os.environ.get("KIPPLAN_PUBLICATION_NUMBER", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
