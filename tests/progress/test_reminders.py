"""send_reminders: one digest per agency staff member, in their language, once a period."""

import datetime
import io
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from tests.helpers import plan_manager
from tracker.models import (
    Milestone,
    OutgoingMail,
    Profile,
    Reminder,
    Status,
    Task,
    end_of,
)

pytestmark = pytest.mark.django_db

STAFF = {"kipo", "kista", "kista-team", "msit", "mcst"}


@pytest.fixture(autouse=True)
def demo(demo):
    with translation.override("en"):  # the command's own output; each email has its language
        yield


def remind(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("send_reminders", "--year", "2024", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def mail_to(username):
    [message] = [m for m in mail.outbox if m.to == [f"{username}@demo.kipplan.invalid"]]
    return message


def test_each_staff_member_gets_one_digest_of_their_own_tasks():
    out, _ = remind()

    assert "5 reminders queued" in out
    assert {m.to[0].split("@")[0] for m in mail.outbox} == STAFF
    assert len(mail.outbox) == len(STAFF)
    msit = mail_to("msit").body
    theirs = Task.objects.filter(plan__year=2024, lead_agency__slug="msit").exclude(
        status__in=Status.finished())
    others = Task.objects.filter(plan__year=2024).exclude(lead_agency__slug="msit")
    assert all(task.code in msit for task in theirs)
    assert not any(f"{task.code} " in msit for task in others)
    overdue = Milestone.objects.filter(task__lead_agency__slug="msit", task__plan__year=2024,
                                       completed_on__isnull=True,
                                       due_date__lt=timezone.localdate())
    assert overdue.exists()
    assert all(f"/admin/tracker/milestone/{m.pk}/change/" in msit for m in overdue)
    finished = Task.objects.filter(plan__year=2024, lead_agency__slug="msit",
                                   status__in=Status.finished())
    assert not any(f"/admin/tracker/task/{t.pk}/report/" in msit for t in finished)


def test_the_digest_speaks_the_recipients_language():
    Profile.objects.update_or_create(user=get_user_model().objects.get(username="msit"),
                                     defaults={"language": "en"})

    remind()

    english, korean = mail_to("msit"), mail_to("kipo")
    assert english.subject.startswith("kipplan: ") and "items to report on" in english.subject
    assert "Overdue milestones" in english.body and "due 31 Dec 2024" in english.body
    assert "보고할 항목" in korean.subject
    assert "기한이 지난 마일스톤" in korean.body and "2024. 12. 31." in korean.body


def test_a_second_run_in_the_period_sends_nothing_new():
    remind()
    sent = len(mail.outbox)

    out, _ = remind()

    assert len(mail.outbox) == sent
    assert "0 reminders queued" in out
    assert Reminder.objects.count() == sent


def test_only_what_is_new_since_the_last_digest_is_sent():
    remind()
    mail.outbox.clear()
    task = Task.objects.filter(plan__year=2024, lead_agency__slug="mcst").first()
    late = Milestone.objects.create(task=task, title_ko="새로 늦어진 단계",
                                    baseline_date=datetime.date(2025, 1, 1),
                                    due_date=datetime.date(2025, 1, 1))

    remind()

    [message] = mail.outbox
    assert message.to == ["mcst@demo.kipplan.invalid"]
    assert "새로 늦어진 단계" in message.body
    assert message.body.count("/admin/tracker/") == 1
    assert Reminder.objects.latest("sent_at").items == [f"milestone:{late.pk}"]


def test_a_new_period_reminds_again():
    remind()
    sent = len(mail.outbox)
    Reminder.objects.update(sent_at=timezone.now() - datetime.timedelta(days=91))

    remind()

    assert len(mail.outbox) == 2 * sent


def test_the_period_is_configurable():
    reported = Task.objects.filter(
        plan__year=2024, last_reported_at__isnull=False, lead_agency__memberships__isnull=False,
    ).exclude(status__in=Status.finished()).distinct()
    assert reported.exists()

    def unreported():
        return {line for m in mail.outbox for line in m.body.splitlines() if "/report/" in line}

    remind("--days", "3000")  # eight years: every task reported at all counts as reported
    long_period = unreported()
    mail.outbox.clear()
    Reminder.objects.all().delete()
    remind("--days", "30")
    short_period = unreported()

    # The 2024 plan's year is over: the period is the one before its end, not before today.
    late = reported.filter(last_reported_at__lt=end_of(datetime.date(2024, 12, 31))
                           - datetime.timedelta(days=30))
    assert 0 < late.count() < reported.count()
    assert long_period < short_period
    assert len(short_period - long_period) == late.count()


def test_dry_run_lists_and_sends_nothing():
    out, _ = remind("--dry-run")

    assert "msit <msit@demo.kipplan.invalid>" in out
    assert "5 reminders would be sent" in out
    assert mail.outbox == []
    assert not Reminder.objects.exists()


def test_staff_without_an_email_address_are_named_and_skipped():
    get_user_model().objects.filter(username="mcst").update(email="")

    _, err = remind()

    assert "mcst" in err
    assert len(mail.outbox) == len(STAFF) - 1
    assert not Reminder.objects.filter(user__username="mcst").exists()


class RefusingBackend(locmem.EmailBackend):
    """The test outbox, behind a mail server that refuses one recipient."""

    def send_messages(self, messages):
        for message in messages:
            if "msit@demo.kipplan.invalid" in message.to:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)


def test_a_refused_digest_is_retried_then_shown_to_the_managers_who_send_it_again(
        settings, client, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.progress.test_reminders.RefusingBackend"
    settings.KIPPLAN_MAIL_ATTEMPTS = 3

    with django_capture_on_commit_callbacks(execute=True):  # each retry follows the last
        out, _ = remind()

    assert "5 reminders queued" in out
    assert {m.to[0].split("@")[0] for m in mail.outbox} == STAFF - {"msit"}
    refused = OutgoingMail.objects.get(to="msit@demo.kipplan.invalid")
    assert (refused.state, refused.attempts) == (OutgoingMail.State.FAILED, 3)
    assert "550" in refused.last_error and "No such user" in refused.last_error
    assert OutgoingMail.objects.filter(state=OutgoingMail.State.SENT).count() == 4

    # The managers see it on the dashboard, and send it again from the admin.
    client.force_login(plan_manager())
    note = client.get("/").content.decode()
    assert "메일 1건을 모든 시도에도 보내지 못했습니다" in note
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    response = client.post("/admin/tracker/outgoingmail/", {
        "action": "send_again", "_selected_action": [refused.pk]}, follow=True)
    assert "실패한 메일 1건을 다시 보내도록 넣었습니다." in response.content.decode()
    assert [m.to for m in mail.outbox] == [["msit@demo.kipplan.invalid"]]
    refused.refresh_from_db()
    assert refused.state == OutgoingMail.State.SENT
    assert 'id="failed-mail"' not in client.get("/").content.decode()


@pytest.mark.parametrize("args", [["--days", "0"], ["--days", "-5"], ["--year", "1999"]])
def test_bad_options_are_refused(args):
    with pytest.raises(CommandError):
        call_command("send_reminders", *args)
    assert mail.outbox == []
