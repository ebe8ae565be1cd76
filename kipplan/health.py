"""
What kipplan answers when it cannot do its work: the readiness probe (/readyz) for load
balancers, and the server-error handler, which tells "the database cannot be reached" (503, try
again later) from any other error (500).

Both error pages render from templates/layout.html with a plain context, so they show even when
the database is down: no user, session, messages or context processors.

KIPPLAN_RETRY_AFTER_SECONDS (a setting) is the Retry-After of a 503; KIPPLAN_READYZ_SECONDS how
long the probe waits for a database before it reports it out of reach. A database that does not
answer a request in time (kipplan.database) is a 503 without a probe.
"""

import contextlib
import logging
import sys
import threading

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache

from kipplan.database import answers_within, is_silent

logger = logging.getLogger(__name__)


def unreachable_databases():
    """The aliases of the configured databases that do not answer ``SELECT 1`` on a fresh
    connection within ``KIPPLAN_READYZ_SECONDS``."""
    return [alias for alias in connections if not answers(alias)]


def answers(alias, seconds=None):
    """Whether the database answers ``SELECT 1`` on a fresh connection within ``seconds``
    (``KIPPLAN_READYZ_SECONDS``). The probe runs in a thread of its own, which has connections
    of its own: a connection the database dropped a while ago does not mean the database is
    down, and a probe that hangs (a database that says nothing) is given up at the deadline,
    left to end at its own timeouts."""
    seconds = settings.KIPPLAN_READYZ_SECONDS if seconds is None else seconds
    result = []
    probe = threading.Thread(target=lambda: result.append(select_one(connections[alias])),
                             name=f"kipplan-probe-{alias}", daemon=True)
    probe.start()
    probe.join(seconds)
    if probe.is_alive():
        logger.warning("Database %r did not answer within %g s", alias, seconds)
        return False
    return result == [True]


def select_one(connection):
    """Runs ``SELECT 1`` and closes the connection. A failure is logged here, where its details
    (host, port) stay private."""
    try:
        with answers_within(settings.KIPPLAN_DB_ANSWER_SECONDS or None):
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Database %r does not answer: %s", connection.alias, error)
        return False
    finally:
        with contextlib.suppress(DatabaseError):
            connection.close()
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
    if is_silent(exception):  # a database that said nothing in time: known to be out of reach
        return unavailable(HttpResponse(render_to_string("503.html")))
    if isinstance(exception, OperationalError | InterfaceError) and unreachable_databases():
        return unavailable(HttpResponse(render_to_string("503.html")))
    return HttpResponseServerError(render_to_string("500.html"))
