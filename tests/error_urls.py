"""The site's URLconf with two views that fail, for tests/test_errors.py."""

from django.db import OperationalError
from django.urls import path

from kipplan.urls import handler500
from kipplan.urls import urlpatterns as site_patterns

__all__ = ["handler500", "urlpatterns"]


def bug(request):
    raise RuntimeError("a bug in a view")


def failing_query(request):
    raise OperationalError("deadlock detected")  # what a query on a working database may raise


urlpatterns = [
    path("bug", bug),
    path("failing-query", failing_query),
    *site_patterns,
]
