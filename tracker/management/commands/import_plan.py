from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.loading.imports import PlanImportError, import_plan
from tracker.management import base


class Command(base.Command):
    help = gettext_lazy(
        "Import a plan's tasks from a CSV or XLSX file in the task export's columns. All or "
        "nothing: every problem is reported with its row and column, and nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=_("the .csv or .xlsx file"))
        parser.add_argument("--year", type=int, required=True,
                            help=_("the plan's year; a missing plan is made like the latest "
                                   "earlier one"))
        parser.add_argument("--total", type=int, metavar="WON",
                            help=_("the plan's total budget in won, which the tasks' budgets "
                                   "must add up to"))
        parser.add_argument("--dry-run", action="store_true",
                            help=_("check the file and report, storing nothing"))

    def handle(self, *args, file, year, total, dry_run, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {
                "file": file, "error": error.strerror}) from None
        try:
            result = import_plan(file.name, data, year, total=total, dry_run=dry_run)
        except PlanImportError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(_(
                "%(count)s problem(s) in %(file)s; nothing was imported.") % {
                "count": len(error.problems), "file": file}) from None
        if result.dry_run:
            message = _("%(file)s is valid: %(count)s tasks would be imported into the "
                        "%(year)s plan. Nothing was stored (--dry-run).")
        elif result.created_plan:
            message = _("Imported %(count)s tasks into the new %(year)s plan.")
        else:
            message = _("Imported %(count)s tasks into the %(year)s plan.")
        self.stdout.write(self.style.SUCCESS(message % {
            "file": file, "count": result.tasks, "year": year}))
