"""
What kipplan answers when it cannot do its work: the readiness probe (/readyz) for load
balancers, and the server-error handler, which tells "the database cannot be reached" (503, try
again later) from any other error (500).

Both error pages render from templates/layout.html with a plain context, so they show even when
the database is down: no user, session, messages or context processors.

KIPPLAN_RETRY_AFTER_SECONDS (a setting) is the Retry-After of a 503.
"""

import contextlib
import logging
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def unreachable_databases():
    """The aliases of the configured databases that do not answer ``SELECT 1``."""
    return [alias for alias in connections if not answers(connections[alias])]


def answers(connection):
    """Whether the database answers, on a fresh connection if the open one fails: a connection
    the database dropped a while ago does not mean the database is down."""
    if connection.connection is not None and select_one(connection):
        return True
    return select_one(connection)


def select_one(connection):
    """Runs ``SELECT 1``. On failure the connection is closed, never left broken for the next
    request, and the error is logged here, where its details (host, port) stay private."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Database %r does not answer: %s", connection.alias, error)
        with contextlib.suppress(DatabaseError):
            connection.close()
        return False
    return True


def unavailable(response):
    """response as a 503 that asks clients to come back later."""
    response.status_code = 503
    response["Retry-After"] = str(settings.KIPPLAN_RETRY_AFTER_SECONDS)
    return response


@never_cache
def readyz(request):
    """For load balancers: "ok" when every database answers; otherwise a 503 that names the
    databases by alias only (no addresses, no credentials)."""
    unreachable = unreachable_databases()
    if not unreachable:
        return HttpResponse("ok", content_type="text/plain")
    return unavailable(HttpResponse(
        f"database unavailable: {', '.join(unreachable)}", content_type="text/plain"))


def server_error(request):
    """handler500. Django calls it while handling the exception, so sys.exc_info() holds it. A
    failed connection (OperationalError, InterfaceError) answers 503 if a fresh probe fails too;
    a failing query on a database that answers, or any other error, is a 500."""
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError) and unreachable_databases():
        return unavailable(HttpResponse(render_to_string("503.html")))
    return HttpResponseServerError(render_to_string("500.html"))
