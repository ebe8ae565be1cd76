"""A yearly plan and what it is made of: strategies, agencies (a tree), the strategic
technologies and the outcome indicators.

Money is an integer number of won; display units (억원, US$) belong to ``tracker.common.money``."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from tracker.common.choices import AgencyKind, FigureKind
from tracker.common.i18n import english_active, localized
from tracker.common.validators import check_day


class PlanQuerySet(models.QuerySet):
    def with_budget_totals(self):
        """Annotate each plan with its task count and the sum of its task budgets."""
        return self.annotate(
            task_count=Count("tasks"),
            allocated_budget=Coalesce(Sum("tasks__budget"), 0),
        )


class Plan(models.Model):
    """One year's national IP implementation plan (시행계획)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    title_ko = models.CharField(_("title (Korean)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    endorsed_by = models.ForeignKey(
        "Agency",
        verbose_name=_("endorsed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="endorsed_plans",
    )
    endorsed_on = models.DateField(_("endorsed on"), null=True, blank=True)
    meeting_number = models.PositiveSmallIntegerField(
        _("Council meeting"), null=True, blank=True,
        help_text=_("The number of the Council meeting that endorsed the plan, e.g. 36."),
    )
    held_in_writing = models.BooleanField(
        _("endorsed in writing"), default=False,
        help_text=_("The meeting was held in writing (서면)."),
    )
    announced_task_count = models.PositiveIntegerField(
        _("tasks as announced"), null=True, blank=True,
        help_text=_("The number of tasks the plan was announced with. A plan may be recorded by "
                    "its headline figures before its tasks are entered."),
    )
    total_budget = models.BigIntegerField(
        _("total budget (won)"), validators=[MinValueValidator(0)]
    )
    won_per_usd = models.DecimalField(
        _("reference rate (won per US$)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(1)],
        help_text=_("Used only to show amounts in US dollars."),
    )
    source_note = models.TextField(_("sources"), blank=True)
    # In each language apart: the report's files and the pages read one language each.
    data_note_ko = models.TextField(
        _("note on illustrative data (Korean)"),
        blank=True,
        help_text=_("Says which parts of this plan's data are invented for demonstration."),
    )
    data_note_en = models.TextField(_("note on illustrative data (English)"), blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(total_budget__gte=0), name="plan_total_budget_not_negative"
            ),
            models.CheckConstraint(condition=Q(won_per_usd__gt=0), name="plan_rate_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def data_note(self):
        return localized(self, "data_note")

    @property
    def title(self):
        return localized(self, "title")

    def budget_difference(self, allocated_budget):
        """Total budget minus the sum of task budgets: zero when the plan adds up."""
        return self.total_budget - allocated_budget


class Strategy(models.Model):
    """A strategy (추진전략) of the master plan, as the yearly plan groups its tasks."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="strategies"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    title_ko = models.CharField(_("title (Korean)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["plan_id", "number"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="strategy_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="strategy_number_positive"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"

    @property
    def title(self):
        return localized(self, "title")


def key_task_code(strategy_number, number):
    """A key task's code, as the master plan numbers them: strategy, then key task (1-2)."""
    return f"{strategy_number}-{number}"


class KeyTask(models.Model):
    """A key task (중점과제) of the master plan, under one of a yearly plan's strategies: the
    plan's structure is strategy → key task → task."""

    strategy = models.ForeignKey(
        Strategy, verbose_name=_("strategy"), on_delete=models.CASCADE, related_name="key_tasks"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    title_ko = models.CharField(_("title (Korean)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    is_illustrative = models.BooleanField(
        _("illustrative"), default=False,
        help_text=_("The key task's title is invented demo data."),
    )

    class Meta:
        ordering = ["strategy_id", "number"]
        verbose_name = _("key task")
        verbose_name_plural = _("key tasks")
        constraints = [
            models.UniqueConstraint(fields=["strategy", "number"], name="key_task_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="key_task_number_positive"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def code(self):
        return key_task_code(self.strategy.number, self.number)

    @property
    def title(self):
        return localized(self, "title")


class AgencyQuerySet(models.QuerySet):
    def with_descendants(self):
        """These agencies and every agency below them in the tree. Reads the tree's edges in
        one query (agencies number in the hundreds) and walks them in Python."""
        children = {}
        for pk, parent_id in Agency.objects.values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        ids, frontier = set(), list(self.values_list("pk", flat=True))
        while frontier:
            pk = frontier.pop()
            if pk not in ids:
                ids.add(pk)
                frontier += children.get(pk, [])
        return Agency.objects.filter(pk__in=ids)


class Agency(models.Model):
    """A ministry, office, agency or delivery body; ``parent`` makes the tree."""

    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)
    named_on = models.DateField(
        _("name in force since"), null=True, blank=True, validators=[check_day],
        help_text=_("The day the current name took effect; earlier names are kept as former "
                    "names."),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=AgencyKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    note = models.TextField(_("note"), blank=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["name_ko"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")), name="agency_not_its_own_parent"
            ),
        ]

    def __str__(self):
        if self.abbreviation:
            return f"{self.name} ({self.abbreviation})"
        return self.name

    @property
    def name(self):
        return localized(self, "name")

    @property
    def short_name(self):
        """For narrow columns: the Korean name in Korean (특허청), the abbreviation in English
        (KIPO), or the name where there is none."""
        if english_active():
            return self.abbreviation or self.name
        return self.name

    def clean(self):
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError(
                    {"parent": _("An agency cannot be placed below itself or its own sub-agency.")}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class AgencyName(models.Model):
    """A name an agency had before its current one, in force until ``used_until`` (its last
    day). The agency keeps its identity (slug, tasks, history, memberships) through renames."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="former_names"
    )
    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)
    used_until = models.DateField(_("in force until"), validators=[check_day],
                                  help_text=_("The name's last day."))
    is_approximate = models.BooleanField(
        _("date approximate"), default=False,
        help_text=_("The sources give the month of the rename, not the day."),
    )
    source_note = models.TextField(_("sources"), blank=True)

    class Meta:
        ordering = ["agency_id", "used_until"]
        verbose_name = _("former name")
        verbose_name_plural = _("former names")
        constraints = [
            # Two names never end on the same day, so no day has two names.
            models.UniqueConstraint(fields=["agency", "used_until"],
                                    name="agency_name_one_per_day"),
        ]

    def __str__(self):
        if self.abbreviation:
            return f"{self.name} ({self.abbreviation})"
        return self.name

    @property
    def name(self):
        return localized(self, "name")

    short_name = Agency.short_name


class StrategicTechnology(models.Model):
    """One of the 12 national strategic technologies (12대 국가전략기술)."""

    number = models.PositiveSmallIntegerField(
        _("number"), unique=True, validators=[MinValueValidator(1)]
    )
    name_ko = models.CharField(_("name (Korean)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("strategic technology")
        verbose_name_plural = _("strategic technologies")

    def __str__(self):
        return f"{self.number}. {self.name}"

    @property
    def name(self):
        return localized(self, "name")


class Indicator(models.Model):
    """An outcome indicator of a plan, with yearly values and a target."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="indicators"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    unit_ko = models.CharField(_("unit (Korean)"), max_length=50)
    unit_en = models.CharField(_("unit (English)"), max_length=50, blank=True)
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    target_ko = models.CharField(_("target (Korean)"), max_length=200, blank=True)
    target_en = models.CharField(_("target (English)"), max_length=200, blank=True)
    source_ko = models.TextField(_("source (Korean)"))
    source_en = models.TextField(_("source (English)"), blank=True)

    class Meta:
        ordering = ["plan_id", "number"]
        verbose_name = _("outcome indicator")
        verbose_name_plural = _("outcome indicators")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="indicator_number_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return localized(self, "name")

    @property
    def unit(self):
        return localized(self, "unit")

    @property
    def target(self):
        return localized(self, "target")

    @property
    def source(self):
        return localized(self, "source")


class PublishedFigure(models.Model):
    """One year's figure of a series (an outcome indicator, an IP statistic) as its source
    published it: statistics are published preliminary and revised, so a revision is a figure
    of its own with a later publication day, and the last published is the one in force."""

    year = models.PositiveSmallIntegerField(_("year"))
    note_ko = models.CharField(_("note (Korean)"), max_length=200, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=FigureKind.choices,
                            default=FigureKind.PRELIMINARY)
    published_on = models.DateField(
        _("published on"), null=True, blank=True,
        help_text=_("When the source published this figure; a later one revises it."),
    )
    source_ko = models.TextField(_("source (Korean)"), blank=True)
    source_en = models.TextField(_("source (English)"), blank=True)

    class Meta:
        abstract = True

    @property
    def note(self):
        return localized(self, "note")

    @property
    def source(self):
        return localized(self, "source")


class IndicatorValue(PublishedFigure):
    """One year's value of an outcome indicator."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="values"
    )
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)

    class Meta:
        # A year's figures in the order they were published: the last one is in force.
        ordering = ["indicator_id", "year", F("published_on").asc(nulls_first=True), "pk"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year", "published_on"],
                                    name="indicator_value_one_per_publication"),
            # One undated figure a year: a revision says when it was published.
            models.UniqueConstraint(fields=["indicator", "year"],
                                    condition=Q(published_on__isnull=True),
                                    name="indicator_value_one_undated"),
        ]

    def __str__(self):
        return f"{self.indicator}: {self.year} {self.value}"


class Statistic(models.Model):
    """A yearly series of IP statistics for the annual report's trends (patent, PCT, trademark
    and design applications, copyright registrations, the Bank of Korea's IP trade balance by
    type, and any other a manager adds), each figure with its source, as outcome indicators
    have; not tied to one plan."""

    number = models.PositiveSmallIntegerField(
        _("number"), unique=True, validators=[MinValueValidator(1)],
        help_text=_("The series' place in the report's trends section."))
    name_ko = models.CharField(_("name (Korean)"), max_length=200, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    unit_ko = models.CharField(_("unit (Korean)"), max_length=50)
    unit_en = models.CharField(_("unit (English)"), max_length=50, blank=True)
    source_ko = models.TextField(_("source (Korean)"), help_text=_(
        "Who publishes the series; each figure may name its own publication."))
    source_en = models.TextField(_("source (English)"), blank=True)
    is_illustrative = models.BooleanField(
        _("illustrative"), default=False,
        help_text=_("The series' figures are invented demo data."))

    class Meta:
        ordering = ["number"]
        verbose_name = _("IP statistic")
        verbose_name_plural = _("IP statistics")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return localized(self, "name")

    @property
    def unit(self):
        return localized(self, "unit")

    @property
    def source(self):
        return localized(self, "source")


class StatisticValue(PublishedFigure):
    """One year's figure of an IP statistic, as published (PublishedFigure)."""

    statistic = models.ForeignKey(Statistic, verbose_name=_("IP statistic"),
                                  on_delete=models.CASCADE, related_name="values")
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["statistic_id", "year", F("published_on").asc(nulls_first=True), "pk"]
        verbose_name = _("IP statistic figure")
        verbose_name_plural = _("IP statistic figures")
        constraints = [
            models.UniqueConstraint(fields=["statistic", "year", "published_on"],
                                    name="statistic_value_one_per_publication"),
            models.UniqueConstraint(fields=["statistic", "year"],
                                    condition=Q(published_on__isnull=True),
                                    name="statistic_value_one_undated"),
        ]

    def __str__(self):
        return f"{self.statistic}: {self.year} {self.value}"


class CouncilMeeting(models.Model):
    """A meeting of the Presidential Council on Intellectual Property (국가지식재산위원회): its
    number, day, whether held in writing, the agenda and what it decided, and its minutes. What
    it decided of kipplan's records is found by its number: the plans it endorsed
    (``Plan.meeting_number``) and the evaluations it approved (``EvaluationRound.
    meeting_number``), with their budget advice."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True,
                                              validators=[MinValueValidator(1)])
    held_on = models.DateField(_("held on"))
    held_in_writing = models.BooleanField(_("held in writing"), default=False,
                                          help_text=_("The meeting was held in writing (서면)."))
    minutes_ko = models.TextField(_("minutes (Korean)"), blank=True,
                                  help_text=_("The minutes, or where they are kept."))
    minutes_en = models.TextField(_("minutes (English)"), blank=True)
    is_illustrative = models.BooleanField(
        _("illustrative"), default=False,
        help_text=_("The meeting's agenda or decisions are invented or inferred demo data."))

    class Meta:
        ordering = ["number"]
        verbose_name = _("Council meeting")
        verbose_name_plural = _("Council meetings")

    def __str__(self):
        return _("Council meeting no. %(number)s") % {"number": self.number}

    @property
    def minutes(self):
        return localized(self, "minutes")


class AgendaItem(models.Model):
    """An item on a Council meeting's agenda, with what the Council decided of it."""

    meeting = models.ForeignKey(CouncilMeeting, verbose_name=_("Council meeting"),
                                on_delete=models.CASCADE, related_name="agenda")
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    title_ko = models.CharField(_("title (Korean)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    decision_ko = models.CharField(_("decision (Korean)"), max_length=300, blank=True)
    decision_en = models.CharField(_("decision (English)"), max_length=300, blank=True)

    class Meta:
        ordering = ["meeting_id", "number"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [models.UniqueConstraint(fields=["meeting", "number"],
                                               name="agenda_item_number_unique")]

    def __str__(self):
        return f"{self.number}. {self.title}"

    @property
    def title(self):
        return localized(self, "title")

    @property
    def decision(self):
        return localized(self, "decision")
