"""Backup and restore as the README describes it: dumpdata, then loaddata into an empty
database, loses nothing (but the data's revision, which the loading replaces)."""

import re
from datetime import date

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management import call_command
from django.utils import timezone

from tracker.loading.carry_over import carry_over
from tracker.models import (
    AnnualReport,
    ApiToken,
    EvaluationRound,
    EvidenceFile,
    EvidenceKind,
    IdempotentRequest,
    OutgoingMail,
    PasswordResetRequest,
    Plan,
    Profile,
    Reminder,
    ReportRun,
    Result,
    Revision,
    RoundStep,
    Task,
)

# flush empties the whole database, which a test transaction cannot roll back.
pytestmark = pytest.mark.django_db(transaction=True)

# As in the README: content types and permissions are made by migrate, sessions are not kept.
DUMP = ["--natural-foreign", "--exclude", "contenttypes", "--exclude", "auth.permission",
        "--exclude", "sessions", "--exclude", "tracker.revision", "--indent", "1"]


def everything():
    """Every row of kipplan's models and of the users and roles, as serialized text. Django's
    JSON writes a time to the millisecond, and one within the first millisecond of its second
    as "…:28.000Z" before it is loaded and "…:28Z" after (one time in a thousand): written one
    way here."""
    models = [*(model for model in apps.get_app_config("tracker").get_models()
                if model is not Revision), get_user_model(),
              apps.get_model("auth", "Group"), apps.get_model("admin", "LogEntry")]
    return {model._meta.label: WHOLE_SECOND.sub(r"\1\2", serializers.serialize(
        "json", model._default_manager.order_by("pk"), use_natural_foreign_keys=True))
        for model in models}


WHOLE_SECOND = re.compile(r'(T\d\d:\d\d:\d\d)\.000(Z|[+-]\d\d:\d\d)(?=")')


def test_a_whole_plan_survives_dumpdata_and_loaddata_into_an_empty_database(tmp_path):
    # A database as migrate leaves it, whose roles are the first groups (as in production): an
    # earlier transactional test's flush made them again under later ids.
    call_command("flush", "--no-input", verbosity=0)
    call_command("loaddata", "demo", verbosity=0)
    carry_over(2024, 2026)  # a plan made by the service too, beside the demo's 2024 and 2025
    Profile.objects.create(user=get_user_model().objects.get(username="msit"), language="en")
    Reminder.objects.create(user=get_user_model().objects.get(username="kipo"),
                            items=["task:1", "milestone:2"])
    PasswordResetRequest.objects.create(email="kipo@example.kr", client_address="203.0.113.7")
    RoundStep.objects.create(round=EvaluationRound.objects.get(plan__year=2025),
                             from_state="preparing", to_state="submission", reason="지침 통보",
                             taken_by=get_user_model().objects.get(username="manager"),
                             warnings=["Submission is to open on 2026. 1. 2., in 3 days."])
    OutgoingMail.objects.create(kind="reminder", to="kipo@example.kr", subject="kipplan",
                                body="…", state=OutgoingMail.State.FAILED, attempts=5)
    # The demo's evaluation has no evidence file (files do not live in a fixture): a row of one,
    # whose file is in the evidence storage, beside the database (README, Backup and restore).
    EvidenceFile.objects.create(
        result=Result.objects.order_by("pk").first(), file="2024/1/evidence.pdf",
        name="실적보고서.pdf", kind=EvidenceKind.PDF, size=1024, sha256="0" * 64,
        uploaded_by=get_user_model().objects.get(username="kipo"))
    # Nor an annual report (generated on demand): the row of one, its files beside the evidence.
    AnnualReport.objects.create(plan=Plan.objects.get(year=2024),
                                hwpx_ko="annual-reports/2024/report-ko.hwpx",
                                generated_at=timezone.now(), sent_on=date(2025, 3, 28))
    ReportRun.objects.create(report=AnnualReport.objects.get(plan__year=2024),
                             state=ReportRun.State.DONE, files_done=4)
    # An API token (its user's agency system keeps working after a restore) and a write's
    # idempotency record.
    token, _key = ApiToken.objects.issue(user=get_user_model().objects.get(username="kipo"),
                                         name="특허청 과제관리시스템", days=30)
    IdempotentRequest.objects.create(user=token.user, key="b1946ac9-report", fingerprint="0" * 64,
                                     status=201, body="{}")
    before = everything()
    backup = tmp_path / "kipplan-backup.json"

    call_command("dumpdata", *DUMP, "--output", str(backup), verbosity=0)
    call_command("flush", "--no-input", verbosity=0)
    assert not Task.objects.exists() and not get_user_model().objects.exists()
    call_command("loaddata", str(backup), verbosity=0)

    after = everything()
    assert after == before
    assert Task.objects.filter(plan__year=2024).count() == 75
    assert all(rows != "[]" for label, rows in before.items()
               if label not in {"admin.LogEntry"}), "every model has rows to lose"
