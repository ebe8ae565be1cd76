"""
The annual report (연차보고서) to the National Assembly on a plan year's results (지식재산
기본법 art. 15), due 31 March of the next year (``tracker.publishing.models.report_due``):

- ``content``: what it says, read from the database in the active language;
- ``hwpx`` and ``pdf``: the two formats, HWPX (python-hwpx) and PDF (WeasyPrint, which needs
  Pango and the Korean font from the system: ``pdf_unavailable`` says what is missing);
- here, the services: ``request`` asks the background worker to make the report (a
  ``ReportRun``, one at a time), ``make`` is that task (``generate`` writes the Korean and
  English files into the plan's ``AnnualReport`` row, reporting each file made), ``mark_sent``
  records the day it was sent; and ``status_for``, what the dashboard shows of it.

Making the report takes seconds to minutes (ten seconds at the 2024 plan's size, about a minute
at 750 tasks): past a web server's timeout, so it is never made inside a request.
"""

import ctypes
import datetime
import gc
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tracker.access import check_plan_manager
from tracker.plans.models import Plan
from tracker.publishing.content import check_reportable, report_content
from tracker.publishing.hwpx import build_hwpx
from tracker.publishing.models import AnnualReport, ReportRun, report_due

try:  # Django 6's own tasks framework, or its backport on Django 5.2
    from django.tasks import task
except ImportError:  # pragma: no cover (the one that is not installed)
    from django_tasks import task
from tracker.publishing.pdf import PdfUnavailable, build_pdf, pdf_unavailable

__all__ = ["FILES", "ReportStatus", "generate", "make", "mark_sent", "pdf_unavailable",
           "request", "status_for"]

logger = logging.getLogger(__name__)

LANGUAGES = ("ko", "en")
# The report's file fields: (field, language, format).
FILES = [(f"{kind}_{language}", language, kind)
         for language in LANGUAGES for kind in ("hwpx", "pdf")]


def file_name(plan: Plan, language: str, kind: str) -> str:
    return f"kipplan-{plan.year}-annual-report-{language}.{kind}"


def check_manager(user):
    check_plan_manager(user, _("Only the plan managers make and send the annual report."))


def release_memory():
    """Give the memory a file took back to the system. python-hwpx's trees and WeasyPrint's
    layout of a 750-task report take 300 MB each, which glibc keeps in the process once freed;
    without this the second file's peak comes on top of the first's (bench/annual_report.py).
    Elsewhere than glibc, nothing."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover (not glibc)
        pass


def render_files(plan: Plan, made=None) -> tuple[dict, str | None]:
    """The report's files, {field: bytes}, in Korean and English; without the PDF engine, the
    HWPX files only and the reason. One file at a time, the memory given back after each;
    ``made(count, total)`` is told after each file."""
    reason = pdf_unavailable()
    total = len(LANGUAGES) * (1 if reason else 2)
    files = {}
    for language in LANGUAGES:
        with translation.override(language):
            report = report_content(plan, language=language)
            files[f"hwpx_{language}"] = build_hwpx(report)
            release_memory()
            if made:
                made(len(files), total)
            if reason is None:
                try:
                    files[f"pdf_{language}"] = build_pdf(report)
                except PdfUnavailable as error:  # pragma: no cover (checked just above)
                    reason = str(error)
                release_memory()
                if made:
                    made(len(files), total)
    return files, reason


def generate(*, plan: Plan, user, made=None) -> tuple[AnnualReport, str | None]:
    """Make the plan's annual report in Korean and English, HWPX and PDF (HWPX only when the
    PDF cannot be made here), and keep the files in the plan's AnnualReport row, replacing the
    last ones. Returns the row and why there is no PDF (None when there is). A plan whose round
    has not taken results: a ValidationError, nothing stored. ``user`` None: from the shell
    (``manage.py generate_annual_report``)."""
    if user is not None:
        check_manager(user)
    check_reportable(plan)
    files, reason = render_files(plan, made)
    stored = []
    try:
        with transaction.atomic():
            report, _created = AnnualReport.objects.select_for_update().get_or_create(plan=plan)
            old = [getattr(report, name).name for name, _language, _kind in FILES
                   if getattr(report, name)]
            for name, language, kind in FILES:
                field = getattr(report, name)
                if name in files:
                    field.save(file_name(plan, language, kind), ContentFile(files[name]),
                               save=False)
                    stored.append(field.name)
                else:
                    field.name = ""
            report.generated_at = timezone.now()
            report.generated_by = user
            report.full_clean()
            report.save()
    except BaseException:
        delete_files(stored)
        raise
    transaction.on_commit(lambda: delete_files(set(old) - set(stored)))
    return report, reason


def delete_files(names):
    from tracker.evaluation.models import evidence_storage

    storage = evidence_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover (a file already gone)
            logger.warning("Could not delete the old annual report file %s", name)


# -- Made in the background ----------------------------------------------------------------------

def request(*, plan: Plan, user=None, enqueue=True) -> ReportRun:
    """Ask the background worker to make the plan's report (``enqueue``; or leave the run for
    the caller to make, as the shell command does); a ValidationError when it cannot be made
    yet, or while another making of it is waiting or under way."""
    if user is not None:
        check_manager(user)
    check_reportable(plan)
    try:
        with transaction.atomic():
            report, _created = AnnualReport.objects.select_for_update().get_or_create(plan=plan)
            if report.sent_on is not None:
                raise ValidationError(_(
                    "The report was sent on %(day)s: the files sent are kept as they are.") % {
                    "day": date_format(report.sent_on, "SHORT_DATE_FORMAT")})
            report.runs.stuck().update(
                state=ReportRun.State.FAILED, finished_at=timezone.now(),
                note=_("Interrupted: the worker stopped before it finished."))
            if report.runs.filter(state__in=ReportRun.UNFINISHED).exists():
                raise ValidationError(_("The report is being made already: this page shows "
                                        "when it is done."))
            run = ReportRun.objects.create(report=report, requested_by=user, files_total=len(
                LANGUAGES) * (1 if pdf_unavailable() else 2))
            # In the same transaction, as mail is (tracker.common.mail): the worker sees the
            # task once the run is committed, and never one without the other.
            if enqueue:
                make.enqueue(run.pk)
    except IntegrityError:  # another request's run, made in the same instant
        raise ValidationError(_("The report is being made already: this page shows when it "
                                "is done.")) from None
    return run


@task()
def make(run_id: int) -> str:
    """Make the report a run asks for (``generate``), telling the run each file made; a failure
    is kept on the run, said on the report's page and logged. Claimed in a short transaction,
    made with none open (a transaction held for minutes would hold the rows it wrote, and on
    SQLite every writer)."""
    def made(count, total):
        ReportRun.objects.filter(pk=run_id).update(files_done=count, files_total=total)

    try:
        with transaction.atomic():
            run = (ReportRun.objects.select_for_update(of=("self",))
                   .select_related("report__plan", "requested_by")
                   .filter(pk=run_id, state=ReportRun.State.QUEUED).first())
            if run is None:  # made already, or given up
                return "gone"
            run.state, run.started_at = ReportRun.State.RUNNING, timezone.now()
            run.save(update_fields=["state", "started_at"])
        _report, reason = generate(plan=run.report.plan, user=run.requested_by, made=made)
    except Exception as error:
        logger.exception("The annual report (making %s) could not be made", run_id)
        note = (" ".join(error.messages) if isinstance(error, ValidationError)
                else f"{type(error).__name__}: {error}")
        ReportRun.objects.filter(pk=run_id, state__in=ReportRun.UNFINISHED).update(
            state=ReportRun.State.FAILED, finished_at=timezone.now(), note=note[:2000])
        return ReportRun.State.FAILED
    # Only a run still being made is done: one set aside meanwhile stays set aside.
    ReportRun.objects.filter(pk=run_id, state=ReportRun.State.RUNNING).update(
        state=ReportRun.State.DONE, finished_at=timezone.now(),
        note=_("Only the HWPX files were made: %(reason)s") % {"reason": reason}
        if reason else "")
    return ReportRun.State.DONE


def mark_sent(*, plan: Plan, sent_on: datetime.date, user) -> AnnualReport:
    """Record the day the report was sent to the National Assembly: after the plan's year
    ended, not in the future, and only once the report has been generated, on or after that
    day (a report is not sent before it is made)."""
    check_manager(user)
    if sent_on is None:
        raise ValidationError({"sent_on": _("Give the day the report was sent.")})
    if sent_on <= datetime.date(plan.year, 12, 31):
        raise ValidationError({"sent_on": _(
            "The report on %(year)s is sent after the year has ended: give a day from "
            "1 January %(next)s.") % {"year": plan.year, "next": plan.year + 1}})
    if sent_on > timezone.localdate():
        raise ValidationError({"sent_on": _("The day it was sent cannot be in the future.")})
    with transaction.atomic():
        report = AnnualReport.objects.select_for_update().filter(plan=plan).first()
        if report is None or report.generated_at is None:
            raise ValidationError(_("Generate the report before marking it as sent."))
        made_on = timezone.localdate(report.generated_at)
        if sent_on < made_on:
            raise ValidationError({"sent_on": _(
                "The report sent is the one made on %(day)s: it cannot have been sent before "
                "that day.") % {"day": date_format(made_on, "SHORT_DATE_FORMAT")}})
        report.sent_on = sent_on
        report.sent_marked_by = user
        report.full_clean()
        report.save()
    return report


@dataclass(frozen=True)
class ReportStatus:
    """What the dashboard shows of a plan's annual report."""

    year: int
    due: datetime.date
    generated_at: datetime.datetime | None
    sent_on: datetime.date | None
    today: datetime.date

    @property
    def generated(self):
        return self.generated_at is not None

    @property
    def sent(self):
        return self.sent_on is not None

    @property
    def overdue(self):
        return not self.sent and self.today > self.due

    @property
    def days_left(self):
        return (self.due - self.today).days

    @property
    def days_late(self):
        """How many days after the due day it was sent (0 or less: on time); None unsent."""
        return (self.sent_on - self.due).days if self.sent else None


def status_for(plan: Plan, *, today: datetime.date | None = None,
               selected: bool = False) -> ReportStatus:
    """The plan's report: due date, when it was generated, when sent, and whether it is overdue
    (unsent after its due date). One query, or none when the plan's query ``selected`` the
    report with it (``select_related("annual_report")``: the dashboard's does)."""
    if selected:
        report = getattr(plan, "annual_report", None)  # None: the plan has no report yet
    else:
        report = (AnnualReport.objects.filter(plan=plan)
                  .only("generated_at", "sent_on", "plan_id").first())
    return ReportStatus(year=plan.year, due=report_due(plan.year),
                        generated_at=report.generated_at if report else None,
                        sent_on=report.sent_on if report else None,
                        today=today or timezone.localdate())
