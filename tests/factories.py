import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from tracker.models import (
    Agency,
    AgencyKind,
    AgencyMembership,
    Milestone,
    Plan,
    ProgressUpdate,
    Status,
    StrategicTechnology,
    Strategy,
    Task,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.kr")
    password = factory.django.Password("secret-pass-123")
    is_staff = True

    @factory.post_generation
    def view_permissions(user, create, models, **kwargs):
        """UserFactory(view_permissions=["task", ...]) grants tracker view permissions."""
        if create and models:
            user.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="tracker", codename__in=[f"view_{m}" for m in models]
                )
            )


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name_ko = factory.Sequence(lambda n: f"기관{n}")
    name_en = factory.Sequence(lambda n: f"Agency {n}")
    abbreviation = factory.Sequence(lambda n: f"AG{n}")
    slug = factory.Sequence(lambda n: f"agency-{n}")
    kind = AgencyKind.MINISTRY


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyMembership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)


class TechnologyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategicTechnology

    number = factory.Sequence(lambda n: n + 1)
    name_ko = factory.Sequence(lambda n: f"기술{n}")
    name_en = factory.Sequence(lambda n: f"Technology {n}")
    slug = factory.Sequence(lambda n: f"technology-{n}")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ["year"]

    year = 2024
    title_ko = factory.LazyAttribute(lambda plan: f"{plan.year}년도 국가지식재산 시행계획")
    title_en = factory.LazyAttribute(lambda plan: f"{plan.year} National IP Implementation Plan")
    endorsed_on = factory.LazyAttribute(lambda plan: datetime.date(plan.year, 3, 19))
    total_budget = 934_100_000_000
    won_per_usd = "1337.04"


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    title_ko = factory.Sequence(lambda n: f"추진전략 {n}")
    title_en = factory.Sequence(lambda n: f"Strategy {n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    plan = factory.SubFactory(PlanFactory)
    strategy = factory.SubFactory(StrategyFactory, plan=factory.SelfAttribute("..plan"))
    number = factory.Sequence(lambda n: n + 1)
    title_ko = factory.Sequence(lambda n: f"세부과제 {n}")
    title_en = factory.Sequence(lambda n: f"Task {n}")
    lead_agency = factory.SubFactory(AgencyFactory)
    budget = 10_000_000_000
    start_date = datetime.date(2024, 1, 1)
    end_date = datetime.date(2024, 12, 31)

    @factory.post_generation
    def supporting_agencies(task, create, agencies, **kwargs):
        if create and agencies:
            task.supporting_agencies.add(*agencies)

    @factory.post_generation
    def technologies(task, create, technologies, **kwargs):
        if create and technologies:
            task.technologies.add(*technologies)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    task = factory.SubFactory(TaskFactory)
    title_ko = "세부 추진계획 수립"
    title_en = "Detailed action plan"
    baseline_date = datetime.date(2024, 4, 30)
    due_date = factory.SelfAttribute("baseline_date")


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    task = factory.SubFactory(TaskFactory)
    reported_by = factory.SubFactory(UserFactory)
    status = Status.ON_TRACK
    progress = 40
    budget_executed = 1_000_000_000
