"""The API's views, each asking the pages' rules (``tracker.progress.pages``) who may read and what
they see; the task's two writes (a report, a milestone) ask the services' (``writes``)."""

from django.core.exceptions import ValidationError as ModelValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers as drf_serializers
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from tracker.api import serializers, writes
from tracker.api.permissions import MayReport, ReadsThePlan
from tracker.common.choices import StateSource
from tracker.common.stale import StaleEdit
from tracker.evaluation import selectors as round_report
from tracker.evaluation.models import Grade, Result, ResultState
from tracker.follow_up.advice import advice_of
from tracker.plans.agency_names import names_for
from tracker.plans.models import Agency, Plan, Statistic, StrategicTechnology, Strategy
from tracker.progress import selectors as reports
from tracker.progress import services
from tracker.progress.filters import TaskFilter
from tracker.progress.forms import AsOfForm
from tracker.progress.pages import reads_task_publicly, small_number, visible_tasks


class Pages(PageNumberPagination):
    """50 records a page, as the task list shows; ``page_size`` up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ReadOnly(viewsets.ReadOnlyModelViewSet):
    permission_classes = [ReadsThePlan]
    pagination_class = Pages
    throttle_classes = [writes.PerToken]
    serializer_class = None  # the list's
    detail_serializer_class = None  # one record's, where it says more than the list
    not_found = None  # the 404's words, for a lookup by a small number (a year, a task number)

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class:
            return self.detail_serializer_class
        return super().get_serializer_class()

    def get_object(self):
        if self.not_found is None:
            return super().get_object()
        value = small_number(self.kwargs[self.lookup_field], self.not_found)
        found = get_object_or_404(self.get_queryset(), **{self.lookup_field: value})
        self.check_object_permissions(self.request, found)  # as DRF's own get_object does
        return found


class PlanViewSet(ReadOnly):
    """The plans, newest first; one plan by its year, with its strategies and key tasks."""

    lookup_field = "year"
    lookup_value_converter = "int"
    serializer_class = serializers.PlanSerializer
    detail_serializer_class = serializers.PlanDetailSerializer
    not_found = _("No plan for that year.")

    @extend_schema(responses=serializers.IndicatorSerializer(many=True),
                   description="The plan's outcome indicators, each with every figure published "
                               "for it: a year's preliminary figure and its revisions, the last "
                               "published in force.")
    @action(detail=True, pagination_class=None)
    def indicators(self, request, *args, **kwargs):
        plan = self.get_object()
        indicators = plan.indicators.order_by("number").prefetch_related("values")
        return Response(serializers.IndicatorSerializer(indicators, many=True).data)

    @extend_schema(responses=serializers.EvaluationSerializer,
                   description="The plan's evaluation round: its state and calendar; the "
                               "results' public summaries, the grades and the budget advice as "
                               "the evaluation page shows them to the reader (to everyone once "
                               "the round is published).")
    @action(detail=True)
    def evaluation(self, request, *args, **kwargs):
        return Response(serializers.EvaluationSerializer(
            evaluation_data(self.get_object(), request.user)).data)

    def get_queryset(self):
        plans = Plan.objects.select_related("endorsed_by", "evaluation_round").order_by("-year")
        if self.action == "retrieve":
            plans = plans.prefetch_related(Prefetch(
                "strategies", Strategy.objects.order_by("number").prefetch_related("key_tasks")))
        return plans


def evaluation_data(plan, user) -> dict:
    """The plan's round as ``user`` reads it, by the evaluation page's rules
    (``tracker.evaluation.selectors.reader_of``, ``tracker.follow_up.advice.advice_of``):
    results' public summaries of the tasks whose results they read (everyone's once the round
    is published), the grades they may see, the advice they may read."""
    round_ = round_report.round_of_plan(plan)
    if round_ is None:
        raise Http404(_("This plan has no evaluation round yet."))
    reader = round_report.reader_of(user, round_)
    results = Result.objects.filter(task__plan=plan, state=ResultState.SUBMITTED).select_related(
        "task").order_by("task__number")
    if not round_report.results_published(round_):
        if reader.public:
            results = results.none()
        elif not reader.manager:
            results = results.filter(task__in=reader.tasks.values("pk"))
    grades = reader.grades_of(Grade.objects.filter(round=round_)).select_related(
        "task__lead_agency", "agency").order_by("task__number", "agency__slug")
    advice = advice_of(round_, reader).select_related("task").order_by("task__number")
    return {
        "state": round_.state, "submission_closes": round_.submission_closes,
        "meeting_number": round_.meeting_number, "meeting_date": round_.meeting_date,
        "published_on": round_.published_on,
        "results": [{"task_code": result.task.code, "summary": result.summary_public}
                    for result in results],
        "grades": [{"unit": "task" if grade.task_id else "institution",
                    "task_code": grade.task.code if grade.task_id else None,
                    "agency": (grade.task.lead_agency if grade.task_id else grade.agency).slug,
                    "grade": grade.grade} for grade in grades],
        "budget_advice": [{"task_code": item.task.code, "recommendation": item.recommendation,
                           "reason": item.reason, "for_year": item.for_year}
                          for item in advice],
    }


class PlanTasks(DjangoFilterBackend):
    """The task list's filters (tracker.progress.filters.TaskFilter), for the plan of the URL;
    a filter that is not valid is a 400 naming it."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {**super().get_filterset_kwargs(request, queryset, view), "plan": view.plan}


IDEMPOTENCY_KEY = OpenApiParameter(
    writes.IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, description=(
        "Any unique text (a UUID) for this write: sent again with the same request, the write "
        "is answered as the first time and recorded once."))


class Stale(drf_serializers.Serializer):
    detail = drf_serializers.CharField()
    task = serializers.TaskDetailSerializer()


AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="Each task's state at the end of this day, from its "
    "reports (YYYY-MM-DD); today's without it.")


@extend_schema_view(list=extend_schema(parameters=[AS_OF]),
                    retrieve=extend_schema(parameters=[AS_OF]))
class TaskViewSet(ReadOnly):
    """A plan's tasks that the reader sees (agency staff: their agencies'; plan managers and,
    while the pages are published, everyone: all), by number, with the task list's filters and
    ``as_of``; one task by its number, with its milestones and history."""

    lookup_field = "number"
    lookup_value_converter = "int"
    serializer_class = serializers.TaskSerializer
    detail_serializer_class = serializers.TaskDetailSerializer
    not_found = _("No task with that number.")
    filter_backends = [PlanTasks]
    filterset_class = TaskFilter

    @cached_property
    def plan(self):
        year = small_number(self.kwargs["year"], _("No plan for that year."))
        return get_object_or_404(Plan, year=year)

    @cached_property
    def moment(self):
        form = AsOfForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return reports.Moment.of(form.cleaned_data["as_of"], year=self.plan.year)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation
            return reports.Task.objects.none()
        tasks = reports.task_rows(visible_tasks(self.request.user).filter(plan=self.plan),
                                  self.moment)
        tasks = tasks.select_related(
            "plan", "strategy", "key_task__strategy", "lead_agency", "carried_from"
        ).prefetch_related("supporting_agencies", "technologies").order_by("number")
        if self.action == "retrieve":
            tasks = tasks.prefetch_related("milestones")
        return tasks

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        context["names"] = names_for(self.plan)
        return context

    def retrieve(self, request, *args, **kwargs):
        return Response(self.detail_data(self.get_object()))

    def detail_data(self, task):
        """The task whole, as this reader may see it."""
        context = {**self.get_serializer_context(),
                   "public": reads_task_publicly(self.request.user, task)}
        return serializers.TaskDetailSerializer(task, context=context).data

    def fresh(self, task):
        """The task as it is now, with its state (after a write, or a write refused)."""
        return self.get_queryset().get(pk=task.pk)

    @extend_schema(
        request=writes.ReportIn, parameters=[IDEMPOTENCY_KEY],
        responses={201: serializers.TaskDetailSerializer, 409: Stale, 400: OpenApiTypes.OBJECT,
                   403: OpenApiTypes.OBJECT, 422: OpenApiTypes.OBJECT},
        description="Report the task's progress, as its lead agency's staff do in the admin: "
                    "the same rules, and the report joins the task's history, marked as sent "
                    "through the API. Send the version read last; a report on a task that "
                    "changed since is refused (409) with the task as it is now.")
    @action(detail=True, methods=["post"], url_path="reports", permission_classes=[MayReport])
    def reports(self, request, *args, **kwargs):
        task = self.get_object()

        def write():
            report = writes.ReportIn(data=request.data)
            report.is_valid(raise_exception=True)
            try:
                services.report_progress(
                    task=task, user=request.user, status=report.validated_data["status"],
                    progress=report.validated_data["progress"],
                    budget_executed=report.validated_data["budget_executed"],
                    note=report.validated_data["note"],
                    expected_version=report.validated_data["version"], source=StateSource.API)
            except StaleEdit as error:
                return Response({"detail": str(error), "task": self.detail_data(self.fresh(task))},
                                status=status.HTTP_409_CONFLICT)
            except ModelValidationError as error:
                raise writes.rule_errors(error) from None
            return Response(self.detail_data(self.fresh(task)), status=status.HTTP_201_CREATED)

        return writes.once(request, write)

    @extend_schema(
        request=writes.MilestoneIn, parameters=[IDEMPOTENCY_KEY],
        responses={200: serializers.MilestoneSerializer, 400: OpenApiTypes.OBJECT,
                   403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT,
                   422: OpenApiTypes.OBJECT},
        description="Move a milestone's due date (with a reason) or record its completion, as "
                    "in the admin; the baseline stays, and the change joins the history.")
    @action(detail=True, methods=["patch"], url_path="milestones/<int:milestone>",
            permission_classes=[MayReport])
    def milestone(self, request, *args, milestone=None, **kwargs):
        task = self.get_object()
        found = task.milestones.filter(pk=milestone).first()
        if found is None:
            raise Http404(_("The task has no milestone with that id."))

        def write():
            change = writes.MilestoneIn(data=request.data)
            change.is_valid(raise_exception=True)
            try:
                services.update_milestone(milestone=found, user=request.user,
                                          **change.validated_data)
            except ModelValidationError as error:
                raise writes.rule_errors(error) from None
            found.refresh_from_db()
            return Response(serializers.MilestoneSerializer(found).data)

        return writes.once(request, write)


class AgencyViewSet(ReadOnly):
    """The agencies, with their parents and their names over time (a renamed agency keeps its
    slug); one agency by its slug."""

    lookup_field = "slug"
    lookup_value_converter = "slug"
    serializer_class = serializers.AgencySerializer
    queryset = Agency.objects.select_related("parent").prefetch_related("former_names")


class TechnologyViewSet(ReadOnly):
    """The national strategic technologies, by number."""

    lookup_field = "slug"
    lookup_value_converter = "slug"
    serializer_class = serializers.TechnologySerializer
    queryset = StrategicTechnology.objects.order_by("number")


class StatisticViewSet(ReadOnly):
    """The IP statistics (특허·상표 출원, 지식재산권 무역수지, ...), each with every figure
    published for it, revisions marked; one by its number."""

    lookup_field = "number"
    lookup_value_converter = "int"
    serializer_class = serializers.StatisticSerializer
    not_found = _("No IP statistic with that number.")
    queryset = Statistic.objects.order_by("number").prefetch_related("values")
