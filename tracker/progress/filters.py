
import django_filters
from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker.common.choices import Status
from tracker.common.i18n import localized_pair
from tracker.common.widgets import FastSelect, options_html
from tracker.plans.agency_names import name_day, name_in_force, names_for
from tracker.plans.models import Agency, StrategicTechnology
from tracker.progress.models import Task
from tracker.progress.selectors import strategies_and_key_tasks

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
NO_KEY_TASK = "none"


class TaskFilter(django_filters.FilterSet):
    """The task list's filters. Everything lives in the URL, so a filtered list can be shared."""

    q = django_filters.CharFilter(label=_("Search words"), method="search", max_length=200)
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Status.choices, field_name="current_status",
        widget=forms.CheckboxSelectMultiple,
    )
    # A choice of the plan's strategy numbers, checked in Python: no lookup of arbitrary input.
    strategy = django_filters.ChoiceFilter(
        label=_("Strategy"), field_name="strategy__number", empty_label=_("All strategies"),
        widget=FastSelect,
    )
    # A choice of the plan's key tasks by code (1-2), or none; checked in Python.
    key_task = django_filters.ChoiceFilter(
        label=_("Key task"), method="of_key_task", empty_label=_("All key tasks"),
        widget=FastSelect,
    )
    # Agencies are choices of (slug, name), read once for both filters, checked in Python.
    lead = django_filters.ChoiceFilter(
        label=_("Lead agency"), field_name="lead_agency__slug", widget=FastSelect,
        empty_label=_("All agencies"),
    )
    agency = django_filters.ChoiceFilter(
        label=_("Any involved agency"), method="involving", widget=FastSelect,
        empty_label=_("All agencies"),
        help_text=_("Leading or supporting, sub-agencies included."),
    )
    technology = django_filters.ChoiceFilter(
        label=_("Strategic technology"), field_name="technologies__slug", widget=FastSelect,
        empty_label=_("All technologies"),
    )
    overdue = django_filters.ChoiceFilter(
        label=_("Overdue"), choices=YES_NO, method="flag", empty_label=_("Any"), widget=FastSelect,
    )
    stale = django_filters.ChoiceFilter(
        choices=YES_NO, method="flag", empty_label=_("Any"), widget=FastSelect,
    )
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[("number", "number"), ("end_date", "due"), ("current_progress", "progress"),
                ("budget", "budget"), ("current_reported_at", "reported")],
        # Spelled out, so that every label is in kipplan's catalogue (django-filter's own
        # "(descending)" has no Korean translation).
        choices=[
            ("number", _("Number")), ("-number", _("Number, highest first")),
            ("due", _("Due date")), ("-due", _("Due date, latest first")),
            ("progress", _("Progress")), ("-progress", _("Progress, highest first")),
            ("budget", _("Budget")), ("-budget", _("Budget, largest first")),
            ("reported", _("Last report")), ("-reported", _("Last report, newest first")),
        ],
    )

    class Meta:
        model = Task
        fields = []

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted per request, in the request's language (a class attribute would be fixed
        # in whichever language was active when the module was imported).
        self.filters["stale"].label = gettext("No report in %(days)s days") % {
            "days": settings.KIPPLAN_REPORTING_PERIOD_DAYS}
        # The strategies and their key tasks in one query.
        structure = strategies_and_key_tasks(plan)
        self.filters["strategy"].extra["choices"] = [
            (str(strategy.number), str(strategy)) for strategy, _key_tasks in structure
        ]
        key_tasks = [key_task for _strategy, key_tasks in structure for key_task in key_tasks]
        self.key_task_ids = {key_task.code: key_task.pk for key_task in key_tasks}
        self.filters["key_task"].extra["choices"] = [
            *((key_task.code, str(key_task)) for key_task in key_tasks),
            (NO_KEY_TASK, gettext("No key task")),
        ]
        self.filters["technology"].extra["choices"] = [
            (technology.slug, str(technology)) for technology in StrategicTechnology.objects.all()
        ]
        # Agencies by the names the plan's year gives them (the page's own names, read once).
        self.name_day = name_day(plan)
        called = names_for(plan)
        agencies = sorted(
            ((agency.slug, called.of(agency)) for agency in
             Agency.objects.only("pk", "slug", "name_ko", "name_en")),
            key=lambda pair: pair[1].name_ko)
        agencies = [(slug, localized_pair(name.name_ko, name.name_en)) for slug, name in agencies]
        shared = options_html([("", _("All agencies")), *agencies])  # one string for both
        for name in ("lead", "agency"):
            # A callable, as a form deep-copies a list of choices for every field that has it.
            self.filters[name].extra.update(choices=lambda: agencies,
                                            widget=FastSelect(options=shared))

    def search(self, queryset, name, value):
        """Tasks with every word in their code, title or description, or in their lead
        agency's name (as the plan's year names it)."""
        words = value.split()
        queryset = queryset.annotate(
            lead_called_ko=name_in_force("lead_agency", self.name_day),
            lead_called_en=name_in_force("lead_agency", self.name_day, "name_en"),
        )
        for word in words[:10]:
            queryset = queryset.filter(
                Q(code__icontains=word) | Q(title_ko__icontains=word)
                | Q(title_en__icontains=word) | Q(description_ko__icontains=word)
                | Q(description_en__icontains=word) | Q(lead_called_ko__icontains=word)
                | Q(lead_called_en__icontains=word)
            )
        return queryset

    def involving(self, queryset, name, value: str):  # value: an agency's slug
        ids = list(Agency.objects.filter(slug=value).with_descendants().values_list(
            "pk", flat=True))
        supporting = Task.supporting_agencies.through.objects.filter(
            task_id=OuterRef("pk"), agency_id__in=ids
        )
        return queryset.filter(Q(lead_agency_id__in=ids) | Exists(supporting))

    def of_key_task(self, queryset, name, code):
        if code == NO_KEY_TASK:
            return queryset.filter(key_task__isnull=True)
        return queryset.filter(key_task_id=self.key_task_ids[code])

    def flag(self, queryset, name, value):
        field = {"overdue": "is_overdue", "stale": "is_stale"}[name]
        return queryset.filter(**{field: value == "yes"})
