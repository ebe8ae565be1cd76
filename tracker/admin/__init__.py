"""
The admin is where agency staff report and plan managers review. By role:

- ``base``: what the others share: bilingual columns, ``TaskScopedAdmin`` (the one
  ``get_queryset`` that scopes a task's rows) and ``HistoryAdmin`` (append-only).
- ``tasks``: the task admin (list, filters, change page with summary and history) and milestones.
- ``task_pages``: a task's own pages: report progress, add a contribution note, review.
- ``history``: progress reports, contribution notes, reviews, milestone changes, reminders.
- ``people``: agencies, memberships and users.
- ``plans``: plans, strategies, technologies, indicators, and the plan import page.
- ``results``: a task's year-end results page (write, submit, withdraw, evidence) and the list
  of results.
- ``evaluation``: the year-end evaluation: rounds (dates, scale, bands, criteria, steps, the
  grades page) and evaluators' assignments with their scoring page.
- ``opinions``: improvement opinions: issued and closed by managers, answered with an
  improvement plan by the agency, each action's status reported and checked.
- ``advice``: budget advice on a round's graded projects (one page a round).
- ``reports``: the annual reports generated.

Access: every queryset of task data goes through ``Task.objects.visible_to(user)``, so no
admin URL (list, change, history, delete, actions, autocomplete, raw-id popups, inlines, a
task's own pages) reaches another agency's task. Every change with a rule goes through
``tracker.services``.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import (  # noqa: F401 (each registers its admins)
    advice,
    evaluation,
    history,
    opinions,
    people,
    plans,
    reports,
    results,
    tasks,
)

admin.site.site_header = _("kipplan: national IP plan tracker")
admin.site.site_title = _("kipplan")
admin.site.index_title = _("Plan administration")
