from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.loading.carry_over import CarryOverError, carry_over
from tracker.management import base


class Command(base.Command):
    help = gettext_lazy(
        "Create next year's plan from this year's unfinished tasks, with their agencies, "
        "technologies and open milestones. The earlier plan is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("source_year", type=int, help=_("the plan to carry over, e.g. 2024"))
        parser.add_argument("target_year", type=int, help=_("the new plan's year, e.g. 2025"))
        parser.add_argument("--include-suspended", action="store_true",
                            help=_("carry over suspended tasks too (left behind by default)"))

    def handle(self, *args, source_year, target_year, include_suspended, **options):
        try:
            result = carry_over(source_year, target_year, include_suspended=include_suspended)
        except CarryOverError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(_(
            "Carried %(tasks)s unfinished tasks and %(milestones)s open milestones of the "
            "%(source)s plan into the %(target)s plan.") % {
            "tasks": result.tasks, "milestones": result.milestones, "source": source_year,
            "target": target_year}))
        if result.suspended_left:
            self.stdout.write(_(
                "%(count)s suspended tasks were left behind (--include-suspended carries them "
                "too).") % {"count": result.suspended_left})
