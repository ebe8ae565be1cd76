from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker.evaluation.reminders import evaluation_digests, open_rounds
from tracker.follow_up.reminders import opinion_digests
from tracker.management import base
from tracker.plans.models import Plan
from tracker.progress.reminders import digests, send


class Command(base.Command):
    help = gettext_lazy(
        "Email each agency staff member one digest of their overdue milestones and of their "
        "tasks with no progress report in the reporting period, in their language. Items "
        "already sent within the period are not sent again. With --evaluation, the year-end "
        "evaluation's digests instead: to agency staff, their tasks' results not yet submitted "
        "(from --days before the round's deadline, and after it while missing); to evaluators, "
        "their assignments not fully scored. With --opinions, the improvement opinions' "
        "digests instead: to agency staff, the improvement plans their agencies owe (from "
        "--days before they are due, and after while missing) and the overdue actions of their "
        "plans."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int,
            help=_("the reporting period in days (%(progress)s; with --evaluation, "
                   "%(evaluation)s)") % {
                "progress": settings.KIPPLAN_REPORTING_PERIOD_DAYS,
                "evaluation": settings.KIPPLAN_RESULTS_REMINDER_DAYS})
        parser.add_argument("--year", type=int, help=_(
            "the plan (the latest by default; with --evaluation, every round taking results or "
            "scores)"))
        parser.add_argument("--evaluation", action="store_true",
                            help=_("send the year-end evaluation's digests"))
        parser.add_argument("--opinions", action="store_true",
                            help=_("send the improvement opinions' digests (every plan; "
                                   "--days defaults to %(days)s)") % {
                                "days": settings.KIPPLAN_OPINION_REMINDER_DAYS})
        parser.add_argument("--dry-run", action="store_true",
                            help=_("list what would be sent, sending and recording nothing"))

    def handle(self, *args, days, year, evaluation, opinions, dry_run, **options):
        if evaluation and opinions:
            raise CommandError(_("Choose --evaluation or --opinions, not both."))
        if days is None:
            days = (settings.KIPPLAN_RESULTS_REMINDER_DAYS if evaluation
                    else settings.KIPPLAN_OPINION_REMINDER_DAYS if opinions
                    else settings.KIPPLAN_REPORTING_PERIOD_DAYS)
        if not 1 <= days <= 3660:
            raise CommandError(_("Give a reporting period between 1 and 3660 days."))
        if opinions:
            due, no_address = opinion_digests(days=days)
            for digest in due:
                self.stdout.write(digest.summary())
            return self.finish(due, no_address, dry_run)
        plans = Plan.objects.order_by("-year")
        plan = plans.filter(year=year).first() if year else plans.first()
        if plan is None:
            raise CommandError(_("There is no plan for %(year)s.") % {"year": year} if year
                               else _("No plan has been loaded yet."))
        if evaluation:
            if not open_rounds(plan if year else None).exists():
                self.stdout.write(_("No evaluation round is taking results or scores: there is "
                                    "nothing to remind of."))
            due, no_address = evaluation_digests(days=days, plan=plan if year else None)
            for digest in due:
                self.stdout.write(digest.summary())
        else:
            due, no_address = digests(plan, days=days)
            for digest in due:
                self.stdout.write(_(
                    "%(user)s <%(email)s> (%(language)s): %(milestones)s overdue milestones, "
                    "%(tasks)s tasks without a report") % {
                    "user": digest.user.username, "email": digest.user.email,
                    "language": digest.language, "milestones": len(digest.milestones),
                    "tasks": len(digest.tasks)})
        return self.finish(due, no_address, dry_run)

    def finish(self, due, no_address, dry_run):
        for digest in no_address:
            self.stderr.write(_("%(user)s has no email address: no reminder sent.") % {
                "user": digest.user.username})
        if dry_run:
            self.stdout.write(ngettext(
                "%(count)s reminder would be sent (--dry-run: nothing was sent).",
                "%(count)s reminders would be sent (--dry-run: nothing was sent).",
                len(due)) % {"count": len(due)})
            return
        sent = send(due)
        self.stdout.write(self.style.SUCCESS(ngettext(
            "%(count)s reminder queued: the mail worker sends it, and a failure shows on the "
            "dashboard.",
            "%(count)s reminders queued: the mail worker sends them, and a failure shows on "
            "the dashboard.", sent) % {"count": sent}))
