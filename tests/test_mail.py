"""Mail in production's shape: the database task backend and its worker (``db_worker``),
production's two authentication backends, Django's SMTP backend and a real SMTP server
(aiosmtpd) on loopback, or a socket that accepts and never answers. The rest of the suite runs
tasks at once (kipplan/test_settings.py); these tests cover what that hides."""

import datetime
import socket
import threading
import time

import pytest
from django.core.management import call_command

from tracker.common.models import OutgoingMail
from tracker.follow_up import opinions
from tracker.models import Profile

# The worker, as in production, sees what is committed and manages its own connection (it
# closes it between tasks): each test commits, as the request that queued the mail would.
pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime.date(2025, 4, 1)


@pytest.fixture
def production_mail(settings):
    """The database task backend, Django's SMTP backend, and no wait between attempts."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = 1
    settings.KIPPLAN_MAIL_RETRY_SECONDS = 0
    assert len(settings.AUTHENTICATION_BACKENDS) == 2  # production's: axes and the model's
    return settings


@pytest.fixture
def smtp_server(production_mail, smtp_inbox):
    return smtp_inbox


@pytest.fixture
def hung_server(production_mail):
    """A server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    production_mail.EMAIL_PORT = listener.getsockname()[1]
    yield
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def work():
    """The worker, as production runs it, until the queue is empty."""
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def test_an_issued_opinion_reaches_the_smtp_server_through_the_worker(
        smtp_server, manager, plan, task, staff, make_staff, agency):
    Profile.objects.create(user=staff, language="en")
    korean = make_staff(agency, username="kipo-ko")

    opinions.issue_opinion(plan=plan, task=task, text="성과지표를 다시 정하십시오.",
                           issued_on=DAY, answer_due=DAY + datetime.timedelta(days=30),
                           user=manager)
    queued = OutgoingMail.objects.order_by("to")
    assert [mail.state for mail in queued] == ["queued", "queued"]
    assert smtp_server.envelopes == []  # nothing is sent while the manager waits

    work()

    assert smtp_server.to() == sorted([staff.email, korean.email])
    assert {mail.state for mail in queued.all()} == {"sent"}
    english = next(e for e in smtp_server.envelopes if e.rcpt_tos == [staff.email])
    assert b"improvement opinion" in english.content


def test_a_server_that_never_answers_fails_each_attempt_then_shows_on_the_dashboard(
        hung_server, production_mail, client, manager, plan, task, staff):
    production_mail.KIPPLAN_MAIL_ATTEMPTS = 2

    opinions.issue_opinion(plan=plan, task=task, text="예산 집행 계획을 보완하십시오.",
                           issued_on=DAY, answer_due=DAY + datetime.timedelta(days=30),
                           user=manager)
    work()

    mail = OutgoingMail.objects.get()
    assert (mail.state, mail.attempts) == ("failed", 2)
    assert "timed out" in mail.last_error
    client.force_login(manager)
    page = client.get("/").content.decode()
    assert 'id="failed-mail"' in page and "/admin/tracker/outgoingmail/?attention=1" in page


def test_a_failed_mail_sent_again_by_a_manager_arrives(smtp_server, client, manager, plan, task,
                                                      staff):
    opinions.issue_opinion(plan=plan, task=task, text="추진 일정을 구체화하십시오.",
                           issued_on=DAY, answer_due=DAY + datetime.timedelta(days=30),
                           user=manager)
    OutgoingMail.objects.update(state="failed", attempts=5, last_error="SMTPServerDisconnected")
    client.force_login(manager)

    response = client.post("/admin/tracker/outgoingmail/", {
        "action": "send_again", "_selected_action": list(
            OutgoingMail.objects.values_list("pk", flat=True))}, follow=True)
    assert response.status_code == 200
    work()

    assert smtp_server.to() == [staff.email]
    assert OutgoingMail.objects.get().state == "sent"


def test_a_password_reset_link_is_not_kept_once_sent_nor_shown_to_managers(
        smtp_server, client, manager, staff):
    client.post("/accounts/password_reset/", {"email": staff.email})
    reset = OutgoingMail.objects.get(kind="password_reset")
    client.force_login(manager)
    page = client.get(f"/admin/tracker/outgoingmail/{reset.pk}/change/").content.decode()
    assert "/accounts/reset/" not in page

    work()

    assert smtp_server.to() == [staff.email]
    assert b"/accounts/reset/" in smtp_server.envelopes[0].content
    reset.refresh_from_db()
    assert (reset.state, reset.body) == ("sent", "")


def test_a_password_reset_is_answered_at_once_whatever_the_mail_server_does(
        hung_server, production_mail, client, staff):
    """The mail is sent after the response, by the worker: a silent mail server neither holds
    the visitor up nor tells, by the time the answer takes, whether the address is a user's."""
    production_mail.EMAIL_TIMEOUT = 5
    answers = []
    for email in (staff.email, "nobody@example.kr"):
        start = time.monotonic()
        response = client.post("/accounts/password_reset/", {"email": email})
        answers.append((response.status_code, response.url, time.monotonic() - start))

    assert [answer[:2] for answer in answers] == [(302, "/accounts/password_reset/done/")] * 2
    assert all(seconds < 1 for *_, seconds in answers)  # the server would take 5 s
    assert OutgoingMail.objects.get(kind="password_reset").to == staff.email
    assert OutgoingMail.objects.get().state == "queued"


def test_a_mail_whose_task_was_lost_shows_as_stuck_and_is_sent_again(smtp_server, client,
                                                                      manager, staff, plan):
    """A worker stopped halfway leaves a mail queued with no task: after
    KIPPLAN_MAIL_STUCK_MINUTES it is shown with the failed ones, and sent again from there."""
    import datetime as dt

    from django.utils import timezone

    stuck = OutgoingMail.objects.create(kind="opinion", to=staff.email, subject="kipplan",
                                        body="본문", attempts=1)
    OutgoingMail.objects.filter(pk=stuck.pk).update(
        queued_at=timezone.now() - dt.timedelta(hours=3))
    client.force_login(manager)

    assert 'id="failed-mail"' in client.get("/").content.decode()
    listed = client.get("/admin/tracker/outgoingmail/?attention=1")
    assert list(listed.context["cl"].result_list) == [OutgoingMail.objects.get(pk=stuck.pk)]
    client.post("/admin/tracker/outgoingmail/", {"action": "send_again",
                                                 "_selected_action": [stuck.pk]})
    work()

    assert smtp_server.to() == [staff.email]
    assert OutgoingMail.objects.get(pk=stuck.pk).state == "sent"
