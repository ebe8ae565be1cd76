"""
A database that stops answering, noticed in seconds rather than never.

PostgreSQL's own timeouts (kipplan.settings: ``connect_timeout``, ``statement_timeout``, TCP
keepalives and ``tcp_user_timeout``) cover a server that refuses, runs a query too long, or
vanishes from the network. They do not cover a server, or a proxy or pooler in front of it, that
holds the connection open and says nothing: the client waits for an answer that never comes,
and a web worker hangs until gunicorn kills it, with no page shown. So when a web request has
waited ``KIPPLAN_DB_ANSWER_SECONDS`` for an answer of the database, it asks the database again
on a new connection: if that one is answered too (the statement waits for a lock, or runs
long), it waits on; if not, the connection is closed and the request fails with ``NoAnswer``,
which the server-error handler answers with the 503 page (kipplan.health). Management commands
and the task worker (a migration, the annual report) wait as long as the database takes.

The limit applies to psycopg's own waits (``Connection.wait``, through which every query, fetch
and the health check of a kept connection go) while the view runs, inside the middleware: not
to a streamed response's body (an export), read after it, nor to Django's check of a kept
connection between requests, which it makes only after an error and which a connection closed
here answers at once.
"""

import contextvars
import threading
from contextlib import contextmanager

import psycopg
from django.conf import settings
from psycopg.errors import _WaitTimeout  # what psycopg's waits raise at their timeout

# Seconds a web request waits for each answer of the database; None outside web requests.
_answer_seconds: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "kipplan_db_answer_seconds", default=None)
# Set in a probe's own thread: its connection gives up at the limit without probing again.
_probing: contextvars.ContextVar[bool] = contextvars.ContextVar("kipplan_db_probing",
                                                               default=False)


class NoAnswer(psycopg.OperationalError):
    """The database did not answer within the limit; the connection has been closed."""


@contextmanager
def answers_within(seconds: float | None):
    """Inside, each wait for the database lasts at most ``seconds`` (None: no limit)."""
    token = _answer_seconds.set(seconds)
    try:
        yield
    finally:
        _answer_seconds.reset(token)


def answer_limit(get_response):
    """Middleware, first of all: the request's waits for the database are limited."""

    def middleware(request):
        with answers_within(settings.KIPPLAN_DB_ANSWER_SECONDS or None):
            return get_response(request)

    return middleware


class AnsweringConnection(psycopg.Connection):
    """psycopg's connection, whose waits end at the limit in force (``answers_within``) if the
    database does not answer a fresh connection either: a statement waiting for a lock, or
    running long, is waited for (up to the server's ``statement_timeout``)."""

    params: dict = {}  # what it was made with, for the probe

    @classmethod
    def connect(cls, *args, **params):
        connection = super().connect(*args, **params)
        connection.params = params
        return connection

    def wait(self, gen, interval=0.1, timeout=None):  # psycopg's signature and interval
        limit = _answer_seconds.get()
        if timeout is not None or limit is None:
            return super().wait(gen, interval, timeout)
        while True:
            try:
                return super().wait(gen, interval, limit)
            except _WaitTimeout:
                # psycopg's generators wait on when sent nothing: the same exchange goes on.
                if _probing.get() or not server_answers(self.params):
                    self.close()  # halfway through an exchange: it cannot be used again
                    raise NoAnswer(f"the database did not answer within {limit:g} s, nor a "
                                   "new connection to it") from None


def server_answers(params) -> bool:
    """Whether the database answers ``SELECT 1`` on a new connection made with ``params``
    within ``KIPPLAN_READYZ_SECONDS``. In a thread, given up at the deadline."""
    seconds = settings.KIPPLAN_READYZ_SECONDS
    result = []

    def probe():
        _probing.set(True)
        try:
            with answers_within(seconds), AnsweringConnection.connect(
                    **{**params, "autocommit": True}) as connection:
                connection.execute("SELECT 1")
        except psycopg.Error:
            result.append(False)
        else:
            result.append(True)

    thread = threading.Thread(target=probe, name="kipplan-database-probe", daemon=True)
    thread.start()
    thread.join(seconds)
    return result == [True]


def is_silent(error: BaseException | None) -> bool:
    """Whether error, or what caused it, is a database that did not answer or let us connect
    within its time: no need to ask it again to know that it is out of reach."""
    while error is not None:
        if isinstance(error, NoAnswer | psycopg.errors.ConnectionTimeout):
            return True
        error = error.__cause__ or error.__context__
    return False
