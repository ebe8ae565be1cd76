"""Settings for the test suite: the production settings with fast, local parts."""

import os
import tempfile
from importlib.util import find_spec

os.environ.setdefault("DJANGO_SECRET_KEY", "kipplan-tests-only-not-a-secret")

from kipplan.settings import *  # noqa: E402, F403

# Fast hashing for users the tests create (and the demo's, once loaded: tests/helpers.py,
# load_demo); PBKDF2, production's, stays to check the fixture's own hashes
# (tests/test_fixtures.py).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Evidence files are real files, in a folder of this test run's own.
    "evidence": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                 "OPTIONS": {"location": tempfile.mkdtemp(prefix="kipplan-evidence-"),
                             "base_url": None}},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Production's two authentication backends stay (a call that works with one backend only fails
# here as it would in production), but django-axes is off: Django's test client logs in without a
# request, which axes refuses. The login throttling test turns it back on
# (tests/test_security.py).
AXES_ENABLED = False
# Plain-HTTP test requests; tests/test_security.py checks the HTTPS settings of production.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = False

# Not a setting, but a difference all the same: on PostgreSQL the data's revision is replaced as a
# transaction commits (kipplan.postgresql), and a test's own transaction never commits, so inside
# one it is replaced at once, as on SQLite (kipplan.page_cache.in_a_tests_transaction). The
# transactional tests in tests/test_page_cache.py cover production's way: committed writes show,
# rolled-back ones leave the page, writers do not wait for one another.

# Mail and other background tasks run at once, in the request or command that enqueues them:
# the test client's request ends before a worker could run. The database backend and its worker,
# production's, deliver to a real SMTP server in tests/test_mail.py.
TASKS = {"default": {"BACKEND": (
    "django.tasks.backends.immediate.ImmediateBackend" if find_spec("django.tasks")
    else "django_tasks.backends.immediate.ImmediateBackend")}}
