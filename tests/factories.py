import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from tracker.models import (
    Agency,
    AgencyKind,
    AgencyMembership,
    ContributionNote,
    EvaluationRound,
    KeyTask,
    Milestone,
    MilestoneChange,
    PerformanceIndicator,
    Plan,
    ProgressUpdate,
    ReviewAssessment,
    Status,
    StrategicTechnology,
    Strategy,
    Task,
)

KST = datetime.timezone(datetime.timedelta(hours=9))


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


class KeyTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyTask

    strategy = factory.SubFactory(StrategyFactory)
    number = factory.Sequence(lambda n: n + 1)
    title_ko = factory.Sequence(lambda n: f"중점과제 {n}")
    title_en = factory.Sequence(lambda n: f"Key task {n}")


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


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewAssessment

    task = factory.SubFactory(TaskFactory)
    reviewer = factory.SubFactory(UserFactory)
    light = "green"
    comment = ""


def build_plan(tasks, year=2024, *, agencies=12, strategies=5, key_tasks=0):
    """A plan of ``tasks`` tasks, made with bulk inserts so that hundreds take a moment.

    Its ``strategies`` strategies and ``agencies`` agencies are its own (slugs
    ``{year}-agency-N``): the tasks take them in turn, each agency leading and supporting the
    same tasks, and one of four technologies. With ``key_tasks``, each strategy has that many
    key tasks, which its tasks take in turn, with a turn of no key task. Every task has a
    milestone and a report of 30 June. The first task's history grows with the plan, so that
    the pages of one task do too: ``tasks // 10`` more reports, moved milestones, contribution
    notes and reviews."""
    plan = Plan.objects.create(year=year, title_ko=f"{year}년도 시행계획", total_budget=10**12,
                               won_per_usd="1337.04", endorsed_on=datetime.date(year, 3, 19))
    strategy_rows = [StrategyFactory(plan=plan, number=n) for n in range(1, strategies + 1)]
    key_task_rows = {
        strategy.pk: [None, *(KeyTaskFactory(strategy=strategy, number=n)
                              for n in range(1, key_tasks + 1))]
        for strategy in strategy_rows
    }
    agency_rows = [AgencyFactory(slug=f"{year}-agency-{n}") for n in range(agencies)]
    technologies = [
        StrategicTechnology.objects.get_or_create(
            number=n + 1, defaults={"name_ko": f"기술 {n}", "slug": f"tech-{n}"})[0]
        for n in range(4)
    ]
    statuses = list(Status)
    june_30 = datetime.datetime(year, 6, 30, 10, tzinfo=KST)
    rows = []
    for n in range(1, tasks + 1):
        status = statuses[n % len(statuses)]
        strategy = strategy_rows[n % strategies]
        under = key_task_rows[strategy.pk]
        rows.append(Task(
            plan=plan, strategy=strategy, key_task=under[(n // strategies) % len(under)],
            number=n, code=f"{year}-{n:02d}",
            title_ko=f"과제 {n}", lead_agency=agency_rows[n % agencies], budget=10**9 + n,
            start_date=datetime.date(year, 1, 1), end_date=datetime.date(year, 12, 31),
            status=status, progress=100 if status in Status.finished() else n % 90,
            budget_executed=n, last_reported_at=june_30,
        ))
    created = Task.objects.bulk_create(rows)
    Supporting = Task.supporting_agencies.through
    Supporting.objects.bulk_create(
        Supporting(task=t, agency=agency_rows[(i + 1) % agencies]) for i, t in enumerate(created))
    Technologies = Task.technologies.through
    Technologies.objects.bulk_create(
        Technologies(task=t, strategictechnology=technologies[i % 4])
        for i, t in enumerate(created))
    Milestone.objects.bulk_create(
        Milestone(task=t, title_ko="점검", baseline_date=datetime.date(year, 6, 30),
                  due_date=datetime.date(year, 7, 31)) for t in created)
    reporter = ProgressUpdateFactory(task=created[0], reported_at=june_30,
                                     status=created[0].status, progress=created[0].progress,
                                     budget_executed=created[0].budget_executed).reported_by
    ProgressUpdate.objects.bulk_create(
        ProgressUpdate(task=t, reported_by=reporter, reported_at=june_30, status=t.status,
                       progress=t.progress, budget_executed=t.budget_executed)
        for t in created[1:])
    first, more = created[0], tasks // 10
    days = [datetime.date(year, 1, 1) + datetime.timedelta(days=n) for n in range(more)]
    ProgressUpdate.objects.bulk_create(
        ProgressUpdate(task=first, reported_by=reporter, status=first.status,
                       progress=first.progress, budget_executed=first.budget_executed,
                       reported_at=datetime.datetime.combine(day, datetime.time(10), KST))
        for day in days)
    moved = Milestone.objects.bulk_create(
        Milestone(task=first, title_ko=f"단계 {n}", baseline_date=day,
                  due_date=day + datetime.timedelta(days=30)) for n, day in enumerate(days))
    MilestoneChange.objects.bulk_create(
        MilestoneChange(milestone=m, changed_by=reporter, old_due_date=m.baseline_date,
                        new_due_date=m.due_date, reason="재공고") for m in moved)
    ContributionNote.objects.bulk_create(
        ContributionNote(task=first, agency=agency_rows[2 % agencies], author=reporter,
                         note=f"지원 {n}") for n in range(more))
    ReviewAssessment.objects.bulk_create(
        ReviewAssessment(task=first, reviewer=reporter, light="green") for _ in range(more))
    return plan


# -- The year-end evaluation ---------------------------------------------------------------------

class PerformanceIndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PerformanceIndicator

    task = factory.SubFactory(TaskFactory)
    number = factory.Sequence(lambda n: n + 1)
    name_ko = factory.Sequence(lambda n: f"성과지표 {n}")
    name_en = factory.Sequence(lambda n: f"Indicator {n}")
    unit = "건"
    target = 100


def evaluator(username="evaluator", *agencies):
    """An outside expert in the Evaluators group, belonging to ``agencies`` (for the conflict
    rule)."""
    from django.contrib.auth.models import Group

    from tracker import roles

    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=roles.EVALUATORS))
    for agency in agencies:
        MembershipFactory(user=user, agency=agency)
    return user


ROUND_DATES = {  # relative to the year after the plan's
    "submission_opens": (1, 2), "submission_closes": (1, 31), "evaluation_closes": (3, 7),
    "meeting_date": (3, 28), "published_on": (4, 30),
}


def round_at(state, plan, **fields):
    """A plan's round (with the default criteria) put straight into ``state`` with every date
    set, for tests that start there; the steps' own rules are tested through the services."""
    from tracker.evaluation import services as evaluation

    year = plan.year + 1
    dates = {name: datetime.date(year, month, day)
             for name, (month, day) in ROUND_DATES.items()}
    round_ = evaluation.create_round(plan=plan, meeting_number=38, **{**dates, **fields})
    EvaluationRound.objects.filter(pk=round_.pk).update(state=state)
    round_.refresh_from_db()
    return round_
