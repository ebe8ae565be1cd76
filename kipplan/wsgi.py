"""WSGI entry point, for gunicorn: gunicorn kipplan.wsgi."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kipplan.settings")

application = get_wsgi_application()
