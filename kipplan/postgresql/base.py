"""Django's PostgreSQL backend, with connections that stop waiting for a database that does
not answer (kipplan.database). kipplan.settings chooses it for every PostgreSQL DATABASE_URL."""

import psycopg
from django.db.backends.postgresql import base

from kipplan.database import AnsweringConnection


class Psycopg:
    """The psycopg module as Django's backend reads it, its connections AnsweringConnection."""

    connect = staticmethod(AnsweringConnection.connect)

    def __getattr__(self, name):
        return getattr(psycopg, name)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = Psycopg()
