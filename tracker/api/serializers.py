"""What the API says of each record: the published fields, and a task's internal data (its
history's names and notes, contribution notes, managers' reviews) only for those who may read it
(``tracker.progress.pages.reads_task_publicly``)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracker.common.choices import FigureKind, ReviewLight, Status
from tracker.evaluation.models import GradeLevel, RoundState
from tracker.follow_up.models import Recommendation
from tracker.plans.models import (
    Agency,
    AgencyName,
    Indicator,
    KeyTask,
    Plan,
    Statistic,
    StrategicTechnology,
    Strategy,
)
from tracker.progress import timeline
from tracker.progress.models import Milestone, Task


class KeyTaskSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True, help_text="Its strategy's number and its own "
                                 "(2-1).")

    class Meta:
        model = KeyTask
        fields = ["code", "number", "title_ko", "title_en", "is_illustrative"]


class StrategySerializer(serializers.ModelSerializer):
    key_tasks = KeyTaskSerializer(many=True, read_only=True)

    class Meta:
        model = Strategy
        fields = ["number", "title_ko", "title_en", "key_tasks"]


class PlanSerializer(serializers.ModelSerializer):
    endorsed_by = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    won_per_usd = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True,
                                           coerce_to_string=True)
    url = serializers.SerializerMethodField(help_text="The plan's dashboard page.")
    tasks = serializers.SerializerMethodField(help_text="The plan's tasks in this API.")

    class Meta:
        model = Plan
        fields = ["year", "title_ko", "title_en", "endorsed_by", "endorsed_on", "meeting_number",
                  "held_in_writing", "announced_task_count", "total_budget", "won_per_usd",
                  "data_note_ko", "data_note_en", "url", "tasks"]

    def get_url(self, plan) -> str:
        return self.absolute(reverse("tracker:plan", args=[plan.year]))

    def get_tasks(self, plan) -> str:
        return self.absolute(reverse("api:task-list", args=[plan.year]))

    def absolute(self, path):
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class PlanDetailSerializer(PlanSerializer):
    strategies = StrategySerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "strategies"]


class AgencyNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgencyName
        fields = ["name_ko", "name_en", "abbreviation", "used_until", "is_approximate"]


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    former_names = AgencyNameSerializer(many=True, read_only=True, help_text=(
        "Earlier names, each in force until its last day, newest first."))

    class Meta:
        model = Agency
        fields = ["slug", "name_ko", "name_en", "abbreviation", "named_on", "kind", "parent",
                  "former_names"]


class TechnologySerializer(serializers.ModelSerializer):
    class Meta:
        model = StrategicTechnology
        fields = ["slug", "number", "name_ko", "name_en"]


class NamedAgencySerializer(serializers.Serializer):
    """An agency as the task's plan names it (the name in force on the plan's day)."""

    slug = serializers.CharField()
    name_ko = serializers.CharField()
    name_en = serializers.CharField()


def named(agency, names):
    called = names.of(agency)
    return {"slug": agency.slug, "name_ko": called.name_ko, "name_en": called.name_en}


class TaskSerializer(serializers.ModelSerializer):
    """A row of the task list: the task and its state on the day asked for (``as_of``)."""

    year = serializers.IntegerField(source="plan.year")
    strategy = serializers.IntegerField(source="strategy.number")
    key_task = serializers.SerializerMethodField()
    lead_agency = serializers.SerializerMethodField()
    supporting_agencies = serializers.SerializerMethodField()
    technologies = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    status = serializers.ChoiceField(source="current_status", choices=Status.choices,
                                     read_only=True)
    progress = serializers.IntegerField(source="current_progress", read_only=True)
    budget_executed = serializers.IntegerField(source="current_executed", read_only=True)
    last_reported_at = serializers.DateTimeField(source="current_reported_at", read_only=True,
                                                 allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    is_stale = serializers.BooleanField(read_only=True)
    carried_from = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                                allow_null=True)
    url = serializers.SerializerMethodField(help_text="The task's page.")

    class Meta:
        model = Task
        fields = ["code", "year", "number", "strategy", "key_task", "title_ko", "title_en",
                  "lead_agency", "supporting_agencies", "technologies", "budget", "start_date",
                  "end_date", "status", "progress", "budget_executed", "last_reported_at",
                  "is_overdue", "is_stale", "is_illustrative", "carried_from", "version", "url"]

    def get_key_task(self, task) -> str | None:
        return task.key_task.code if task.key_task_id else None

    @extend_schema_field(NamedAgencySerializer)
    def get_lead_agency(self, task):
        return named(task.lead_agency, self.context["names"])

    @extend_schema_field(NamedAgencySerializer(many=True))
    def get_supporting_agencies(self, task):
        return [named(agency, self.context["names"]) for agency in task.supporting_agencies.all()]

    def get_url(self, task) -> str:
        path = reverse("tracker:task_detail", args=[task.plan.year, task.number])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title_ko", "title_en", "baseline_date", "due_date", "completed_on",
                  "is_illustrative"]


class EventSerializer(serializers.Serializer):
    """One entry of a task's history, newest first. ``who`` and the notes are internal: they are
    left out for those who read the task only because the pages are published."""

    kind = serializers.ChoiceField(choices=["report", "milestone", "contribution", "review"])
    at = serializers.DateTimeField()
    who = serializers.CharField(required=False, allow_null=True,
                                help_text="The user's name (internal).")
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    progress = serializers.IntegerField(required=False)
    budget_executed = serializers.IntegerField(required=False)
    source = serializers.CharField(required=False, help_text="How a report came (internal).")
    note = serializers.CharField(required=False, help_text="A report's or contribution's note, "
                                 "or why a milestone moved (internal).")
    milestone = serializers.CharField(required=False, help_text="The milestone's Korean title.")
    old_due_date = serializers.DateField(required=False)
    new_due_date = serializers.DateField(required=False)
    old_completed_on = serializers.DateField(required=False, allow_null=True)
    new_completed_on = serializers.DateField(required=False, allow_null=True)
    agency = serializers.CharField(required=False, help_text="A contribution's agency (slug).")
    light = serializers.ChoiceField(choices=ReviewLight.choices, required=False,
                                    help_text="A manager's review (internal).")

    def to_representation(self, instance):
        # Only the keys the entry has: what a reader may not see is absent, not null.
        return {key: value for key, value in super().to_representation(instance).items()
                if key in instance}


def event_data(event, public: bool) -> dict:
    """A history entry as data: what the task page shows of it, to the same readers."""
    data = {"at": event.when}
    if isinstance(event, timeline.Report):
        update = event.update
        data.update(kind="report", status=update.status, progress=update.progress,
                    budget_executed=update.budget_executed)
        if not public:
            data.update(source=update.source, note=update.note)
    elif isinstance(event, timeline.MilestoneMove):
        change = event.change
        data.update(kind="milestone", milestone=change.milestone.title_ko,
                    old_due_date=change.old_due_date, new_due_date=change.new_due_date,
                    old_completed_on=change.old_completed_on,
                    new_completed_on=change.new_completed_on)
        if not public:
            data["note"] = change.reason
    elif isinstance(event, timeline.Contribution):
        data.update(kind="contribution", agency=event.note.agency.slug, note=event.note.note)
    else:
        data.update(kind="review", light=event.review.light, note=event.review.comment)
    if not public:
        data["who"] = event.who.get_username() if event.who else None
    return data


class TaskDetailSerializer(TaskSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)
    history = serializers.SerializerMethodField()

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields[:7], "description_ko", "description_en",
                  *TaskSerializer.Meta.fields[7:], "milestones", "history"]

    @extend_schema_field(EventSerializer(many=True))
    def get_history(self, task):
        public = self.context["public"]
        return EventSerializer([event_data(event, public) for event in
                                timeline.timeline(task, public=public)], many=True).data



class FigureSerializer(serializers.Serializer):
    """One published figure of a series: a year's value as its source published it. A year may
    have several (a preliminary figure, then revisions): the last published is in force."""

    year = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    kind = serializers.ChoiceField(choices=FigureKind.choices)
    published_on = serializers.DateField(allow_null=True)
    in_force = serializers.BooleanField(help_text="The year's figure in force: the last "
                                        "published; an earlier one was revised by it.")
    note_ko = serializers.CharField()
    note_en = serializers.CharField()
    source_ko = serializers.CharField()
    source_en = serializers.CharField()


def figures_data(values):
    """Every published figure of a series, each marked in force or revised (by year)."""
    last = {}
    for value in values:
        last[value.year] = value.pk  # values come by year, then publication: the last wins
    return FigureSerializer([
        {"year": value.year, "value": value.value, "kind": value.kind,
         "published_on": value.published_on, "in_force": last[value.year] == value.pk,
         "note_ko": value.note_ko, "note_en": value.note_en, "source_ko": value.source_ko,
         "source_en": value.source_en} for value in values], many=True).data


class IndicatorSerializer(serializers.ModelSerializer):
    target_value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                            coerce_to_string=True, read_only=True)
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = ["number", "name_ko", "name_en", "unit_ko", "unit_en", "target_year",
                  "target_value", "target_ko", "target_en", "source_ko", "source_en", "figures"]

    @extend_schema_field(FigureSerializer(many=True))
    def get_figures(self, indicator):
        return figures_data(indicator.values.all())


class StatisticSerializer(serializers.ModelSerializer):
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Statistic
        fields = ["number", "name_ko", "name_en", "unit_ko", "unit_en", "source_ko", "source_en",
                  "is_illustrative", "figures"]

    @extend_schema_field(FigureSerializer(many=True))
    def get_figures(self, statistic):
        return figures_data(statistic.values.all())


class UnitGradeSerializer(serializers.Serializer):
    unit = serializers.ChoiceField(choices=["task", "institution"])
    task_code = serializers.CharField(allow_null=True)
    agency = serializers.CharField(help_text="The task's lead agency, or the institution (slug).")
    grade = serializers.ChoiceField(choices=GradeLevel.choices)


class ResultSummarySerializer(serializers.Serializer):
    """A submitted result's public summary, as the task's page shows it."""

    task_code = serializers.CharField()
    summary = serializers.CharField(help_text="The results' public summary (공개용 요약).")


class AdviceSerializer(serializers.Serializer):
    task_code = serializers.CharField()
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    reason = serializers.CharField()
    for_year = serializers.IntegerField(help_text="The budget year the advice is for.")


class EvaluationSerializer(serializers.Serializer):
    """A plan's evaluation round as the reader may read it: its state and calendar always; the
    results' public summaries, the grades and the budget advice by the evaluation page's rules
    (everyone once the round is published)."""

    state = serializers.ChoiceField(choices=RoundState.choices)
    submission_closes = serializers.DateField(allow_null=True)
    meeting_number = serializers.IntegerField(allow_null=True)
    meeting_date = serializers.DateField(allow_null=True)
    published_on = serializers.DateField(allow_null=True)
    results = ResultSummarySerializer(many=True)
    grades = UnitGradeSerializer(many=True)
    budget_advice = AdviceSerializer(many=True)
