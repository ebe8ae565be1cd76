from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.management import base
from tracker.models import Plan, ReportRun
from tracker.publishing import services as annual_report


class Command(base.Command):
    help = gettext_lazy(
        "Make a plan year's annual report (Korean and English, HWPX and PDF), as the report's "
        "page does: here and now, or with --queue by the background worker. Either way it is "
        "recorded on the page's history."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help=_("the plan's year, e.g. 2024"))
        parser.add_argument("--queue", action="store_true",
                            help=_("leave the making to the background worker (db_worker)"))

    def handle(self, *args, year, queue, **options):
        plan = Plan.objects.filter(year=year).first()
        if plan is None:
            raise CommandError(_("There is no plan for %(year)s.") % {"year": year})
        try:
            run = annual_report.request(plan=plan, enqueue=queue)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if queue:
            self.stdout.write(_("The annual report on %(year)s is queued for the worker.")
                              % {"year": year})
            return
        self.stdout.write(_("Making the annual report on %(year)s...") % {"year": year})
        annual_report.make.call(run.pk)
        run.refresh_from_db()
        if run.state != ReportRun.State.DONE:
            raise CommandError(_("The annual report could not be made: %(why)s")
                               % {"why": run.note})
        report = run.report
        made = [label for label, field in (("HWPX (ko)", report.hwpx_ko),
                                           ("HWPX (en)", report.hwpx_en),
                                           ("PDF (ko)", report.pdf_ko),
                                           ("PDF (en)", report.pdf_en)) if field]
        self.stdout.write(self.style.SUCCESS(_(
            "Made the annual report on %(year)s in %(seconds)s s: %(files)s.") % {
            "year": year, "seconds": run.seconds, "files": ", ".join(made)}))
        if run.note:
            self.stdout.write(run.note)
