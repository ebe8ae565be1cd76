"""
The admin is where agency staff report and plan managers review. Each part of the yearly cycle
registers its own admins in its package; this module, which Django's admin autodiscovers, loads
them all and names the site:

- ``tracker.plans.admin``: strategies, technologies, indicators.
- ``tracker.loading.admin``: plans, with the page that imports a plan's tasks.
- ``tracker.accounts.admin``: agencies with their former names and rename page, users, their
  memberships and profiles.
- ``tracker.progress.admin``: the task admin (list, filters, change page with summary and
  history), milestones, progress reports, contribution notes, reviews, milestone changes and
  reminders; ``tracker.progress.admin_pages``: a task's own pages (report progress, add a
  contribution note, review).
- ``tracker.evaluation.admin``: a task's year-end results page and the list of results; rounds
  (dates, scale, bands, criteria, steps, the grades page) and evaluators' assignments with their
  scoring page.
- ``tracker.follow_up.admin``: improvement opinions (issued, answered, checked, closed) and budget
  advice on a round's graded projects.
- ``tracker.publishing.admin``: the annual reports generated.
- ``tracker.common.admin``: the mail kipplan sends (what failed, and send it again).
- ``tracker.api.admin``: every user's API tokens, to revoke one that leaked (superusers).

Access: every queryset of task data goes through ``Task.objects.visible_to(user)``, so no
admin URL (list, change, history, delete, actions, autocomplete, raw-id popups, inlines, a
task's own pages) reaches another agency's task. Every change with a rule goes through a
domain's ``services``.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tracker.accounts import admin as accounts_admin  # noqa: F401 (each registers its admins)
from tracker.api import admin as api_admin  # noqa: F401
from tracker.common import admin as common_admin  # noqa: F401
from tracker.evaluation import admin as evaluation_admin  # noqa: F401
from tracker.follow_up import admin as follow_up_admin  # noqa: F401
from tracker.loading import admin as loading_admin  # noqa: F401
from tracker.plans import admin as plans_admin  # noqa: F401
from tracker.progress import admin as progress_admin  # noqa: F401
from tracker.publishing import admin as publishing_admin  # noqa: F401

admin.site.site_header = _("kipplan: national IP plan tracker")
admin.site.site_title = _("kipplan")
admin.site.index_title = _("Plan administration")
