"""Django's PostgreSQL backend, as kipplan.settings chooses it for every PostgreSQL
DATABASE_URL: with connections that stop waiting for a database that does not answer
(kipplan.database), and a transaction's new data revision written as it commits
(kipplan.page_cache): the revision's one row is then locked for a moment at each commit, rather
than from a transaction's first write to its end, so writers do not take turns on it."""

import psycopg
from django.db.backends.postgresql import base

from kipplan.database import AnsweringConnection, NoAnswer


class Psycopg:
    """The psycopg module as Django's backend reads it, its connections AnsweringConnection."""

    connect = staticmethod(AnsweringConnection.connect)

    def __getattr__(self, name):
        return getattr(psycopg, name)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = Psycopg()

    def is_usable(self):
        """Django's check of a kept connection, except that a database which answers neither it
        nor a new connection (kipplan.database.NoAnswer) is an error rather than a reason to
        connect again, which would wait as long."""
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except NoAnswer:
            with self.wrap_database_errors:
                raise
        except psycopg.Error:
            return False
        return True
    # kipplan.page_cache.RevisionWrapper: a transaction's writes mark the revision pending;
    # it is replaced just before the transaction commits, or before it reads the token back.
    replaces_revision_at_commit = True
    revision_pending = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending_at_savepoint = {}

    def _commit(self):
        from kipplan.page_cache import replace_pending

        if self.connection is not None and self.revision_pending:
            # The foreign keys' checks, which Django defers to the commit, run first: they take
            # locks on the rows referred to, and a transaction holding the revision must wait
            # for nothing (another writer holding one of those rows may be waiting for it).
            with self.connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            replace_pending(self)
        return super()._commit()

    def _rollback(self):
        self.revision_pending = False
        return super()._rollback()

    def _savepoint(self, sid):
        self.pending_at_savepoint[sid] = self.revision_pending
        return super()._savepoint(sid)

    def _savepoint_rollback(self, sid):
        # Writes undone: pending as it was when the savepoint was made (a replacement made
        # since, when the transaction read the token back, is undone with them).
        self.revision_pending = self.pending_at_savepoint.pop(sid, self.revision_pending)
        return super()._savepoint_rollback(sid)

    def _savepoint_commit(self, sid):
        self.pending_at_savepoint.pop(sid, None)
        return super()._savepoint_commit(sid)

    def _close(self):
        self.revision_pending = False
        self.pending_at_savepoint.clear()
        return super()._close()
