"""
Every mail kipplan sends goes through here, so that none is lost and no failure is silent.

``queue(message, kind=...)`` records each recipient's mail as an ``OutgoingMail`` and enqueues
the task that delivers it, both in the transaction of the write the mail tells of: rolled back
with it, committed with it. The task (Django's tasks framework; in production django-tasks-db's
database backend, run by ``manage.py db_worker``) sends the mail. An attempt that fails (the
server refuses it, is out of reach, or says nothing for ``EMAIL_TIMEOUT`` seconds) is retried
later, the wait doubling from ``KIPPLAN_MAIL_RETRY_SECONDS``, up to ``KIPPLAN_MAIL_ATTEMPTS``
attempts; then the mail is marked failed and logged as an error, and the plan managers see it on
the dashboard and in the admin, where they can send it again (``retry``).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from tracker.common.models import OutgoingMail

try:  # Django 6's own tasks framework, or its backport on Django 5.2
    from django.tasks import task
except ImportError:  # pragma: no cover (the one that is not installed)
    from django_tasks import task

logger = logging.getLogger(__name__)

# The kinds whose body holds a secret (a password reset link): emptied once sent.
SECRET_KINDS = frozenset({"password_reset"})


def queue(message: EmailMessage, *, kind: str) -> list[OutgoingMail]:
    """Record the message, one mail a recipient, and enqueue their delivery."""
    mails = [OutgoingMail(kind=kind, to=address, subject=message.subject, body=message.body)
             for address in message.to]
    with transaction.atomic():
        for mail in mails:
            mail.save()
            deliver.enqueue(mail.pk)
    return mails


def retry(mails) -> int:
    """Send again the mails that failed, or that have waited in the queue too long (a worker
    stopped halfway), each with a full set of attempts. Returns how many."""
    count = 0
    with transaction.atomic():
        for mail in mails.needing_attention().select_for_update():
            mail.state, mail.attempts, mail.finished_at = OutgoingMail.State.QUEUED, 0, None
            mail.save(update_fields=["state", "attempts", "finished_at"])
            deliver.enqueue(mail.pk)
            count += 1
    return count


def wait_before(attempt: int) -> timedelta:
    """How long to wait after the given failed attempt (1, 2, ...) before the next."""
    return timedelta(seconds=settings.KIPPLAN_MAIL_RETRY_SECONDS * 2 ** (attempt - 1))


@task()
def deliver(mail_id: int) -> str:
    """Send one queued mail; on failure, enqueue the next attempt or give up. The mail is
    claimed in a short transaction and sent with none open: every write first takes the data's
    revision (kipplan.page_cache), so a lock held while a slow mail server answers would hold
    up every writer on the site. The outcome is recorded in a second short transaction."""
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update().filter(
            pk=mail_id, state=OutgoingMail.State.QUEUED).first()
        if mail is None:  # sent already, or given up and not sent again
            return "gone"
        mail.attempts += 1
        mail.save(update_fields=["attempts"])
    try:
        EmailMessage(mail.subject, mail.body, to=[mail.to]).send()
    except Exception as error:  # smtplib's, a server out of reach or silent, any other
        mail.last_error = f"{type(error).__name__}: {error}"[:2000]
        if mail.attempts >= settings.KIPPLAN_MAIL_ATTEMPTS:
            mail.state, mail.finished_at = OutgoingMail.State.FAILED, timezone.now()
            logger.error("Mail %s to %s failed %s attempts, the last with %s; the plan "
                         "managers see it on the dashboard.", mail.pk, mail.to,
                         mail.attempts, mail.last_error)
        else:
            logger.warning("Mail %s to %s: attempt %s failed (%s); retrying.", mail.pk,
                           mail.to, mail.attempts, mail.last_error)
        with transaction.atomic():
            mail.save(update_fields=["last_error", "state", "finished_at"])
            if mail.state == OutgoingMail.State.QUEUED:
                _enqueue_later(mail)
        return mail.state
    mail.state, mail.finished_at, mail.last_error = OutgoingMail.State.SENT, timezone.now(), ""
    if mail.kind in SECRET_KINDS:
        mail.body = ""
    mail.save(update_fields=["state", "finished_at", "last_error", "body"])
    return mail.state


def _enqueue_later(mail):
    """The next attempt, after the wait, where the backend can defer a task (the database
    backend can); at once where it cannot (the tests' immediate backend)."""
    if deliver.get_backend().supports_defer:
        deliver.using(run_after=timezone.now() + wait_before(mail.attempts)).enqueue(mail.pk)
    else:
        transaction.on_commit(lambda: deliver.enqueue(mail.pk))
