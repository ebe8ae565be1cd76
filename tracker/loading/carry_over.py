"""The carry-over of a plan into the next year: a new plan like the last, its key tasks, the
unfinished tasks with their open milestones, and the improvement opinions still open."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, When
from django.utils.translation import gettext as _

from tracker.common.choices import Status
from tracker.common.validators import check_year
from tracker.follow_up.models import Opinion
from tracker.plans.models import KeyTask, Plan, Strategy
from tracker.progress.models import (
    Milestone,
    Task,
    task_code,
)


def new_plan_like(model, year, *, total_budget):
    """A new, empty plan for ``year`` with the strategies, key tasks and exchange rate of
    ``model`` (an earlier plan): the master plan's strategies and key tasks run for five
    years."""
    plan = Plan.objects.create(
        year=year, title_ko=f"{year}년도 국가지식재산 시행계획",
        title_en=f"{year} National IP Implementation Plan", total_budget=total_budget,
        won_per_usd=model.won_per_usd,
    )
    strategies = Strategy.objects.bulk_create([
        Strategy(plan=plan, number=strategy.number, title_ko=strategy.title_ko,
                 title_en=strategy.title_en)
        for strategy in model.strategies.order_by("number")
    ])
    copy_key_tasks(model, {strategy.number: strategy for strategy in strategies})
    return plan


def key_tasks_by_number(key_tasks):
    """{(strategy number, key task number): key task} of a queryset of key tasks, in one
    query."""
    return {(key_task.strategy.number, key_task.number): key_task
            for key_task in key_tasks.select_related("strategy")}


def copy_key_tasks(source: Plan, strategies: dict) -> dict:
    """The key tasks of the ``source`` plan, under ``strategies`` ({number: strategy}) of
    another plan, matched by strategy number and key task number: copies (titles, illustrative
    or not) where that plan has none of the number, its own where it has; none under a strategy
    it lacks. Returns that plan's {(strategy number, number): key task}. Three queries."""
    present = key_tasks_by_number(KeyTask.objects.filter(strategy__in=strategies.values()))
    copies = KeyTask.objects.bulk_create([
        KeyTask(strategy=strategies[strategy_number], number=number,
                title_ko=key_task.title_ko, title_en=key_task.title_en,
                is_illustrative=key_task.is_illustrative)
        for (strategy_number, number), key_task in key_tasks_by_number(
            KeyTask.objects.filter(strategy__plan=source).order_by(
                "strategy__number", "number")).items()
        if strategy_number in strategies and (strategy_number, number) not in present
    ])
    return {**present, **{(copy.strategy.number, copy.number): copy for copy in copies}}


class CarryOverError(Exception):
    pass


@dataclass
class CarryOver:
    plan: Plan
    tasks: int
    milestones: int
    suspended_left: int


def shift_years(day, years):
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def carry_over(source_year, target_year, *, include_suspended=False):
    """Next year's plan from this year's unfinished tasks: the same numbers, titles, agencies,
    technologies and budgets, the dates moved to the new year, the state started afresh (the
    history stays with the old task), and the open milestones with their dates. Sources are
    not copied: they speak of the earlier plan, which each new task links to. The source plan
    is left untouched. Refuses when the target plan already has tasks."""
    source = Plan.objects.filter(year=source_year).first()
    if source is None:
        raise CarryOverError(_("There is no %(year)s plan.") % {"year": source_year})
    if target_year == source_year:
        raise CarryOverError(_("Carry a plan over to another year."))
    try:
        check_year(target_year)
    except ValidationError as error:
        raise CarryOverError(error.messages[0]) from None
    target = Plan.objects.filter(year=target_year).first()
    if target is not None and target.tasks.exists():
        raise CarryOverError(_(
            "The %(year)s plan already has %(count)s tasks; tasks are carried over only into "
            "an empty plan.") % {"year": target_year, "count": target.tasks.count()})
    leaving = Status.finished() if include_suspended else [*Status.finished(), Status.SUSPENDED]
    unfinished = (source.tasks.exclude(status__in=leaving)
                  .select_related("strategy", "key_task")
                  .prefetch_related("supporting_agencies", "technologies", "milestones")
                  .order_by("number"))
    years = target_year - source_year
    try:
        with transaction.atomic():
            if target is None:
                target = new_plan_like(source, target_year, total_budget=sum(
                    task.budget for task in unfinished))
            strategies = {s.number: s for s in target.strategies.all()}
            missing = sorted({t.strategy.number for t in unfinished} - strategies.keys())
            if missing:
                raise CarryOverError(_("The %(year)s plan has no strategy %(numbers)s.") % {
                    "year": target_year, "numbers": ", ".join(map(str, missing))})
            key_tasks = copy_key_tasks(source, strategies)
            carried, milestones = copy_tasks(unfinished, target, strategies, key_tasks, years)
            carry_opinions(unfinished, carried)
    except IntegrityError:
        # Checked above, so only another carry-over or import at the same moment gets here.
        raise CarryOverError(_(
            "The %(year)s plan was being filled by someone else at the same time; nothing "
            "was stored. Run the command again.") % {"year": target_year}) from None
    suspended = 0 if include_suspended else source.tasks.filter(status=Status.SUSPENDED).count()
    return CarryOver(target, len(carried), len(milestones), suspended)


def copy_tasks(tasks, plan, strategies, key_tasks, years):
    """Copies of tasks in plan, ``years`` later, under the plan's strategies and key tasks of
    the same numbers, with their supporting agencies, technologies and open milestones, each
    linked to the task it continues. Returns the new tasks and milestones."""
    carried = Task.objects.bulk_create([
        Task(plan=plan, strategy=strategies[task.strategy.number],
             key_task=key_tasks[task.strategy.number, task.key_task.number]
             if task.key_task else None, number=task.number,
             code=task_code(plan.year, task.number), title_ko=task.title_ko,
             title_en=task.title_en, description_ko=task.description_ko,
             description_en=task.description_en, lead_agency_id=task.lead_agency_id,
             budget=task.budget, start_date=shift_years(task.start_date, years),
             end_date=shift_years(task.end_date, years), is_illustrative=task.is_illustrative,
             carried_from=task)
        for task in tasks
    ])
    pairs = list(zip(tasks, carried, strict=True))
    Task.supporting_agencies.through.objects.bulk_create([
        Task.supporting_agencies.through(task=new, agency=agency)
        for old, new in pairs for agency in old.supporting_agencies.all()])
    Task.technologies.through.objects.bulk_create([
        Task.technologies.through(task=new, strategictechnology=technology)
        for old, new in pairs for technology in old.technologies.all()])
    milestones = Milestone.objects.bulk_create([
        Milestone(task=new, title_ko=m.title_ko, title_en=m.title_en,
                  baseline_date=m.baseline_date, due_date=m.due_date,
                  is_illustrative=m.is_illustrative)
        for old, new in pairs for m in old.milestones.all() if m.completed_on is None])
    return carried, milestones


def carry_opinions(tasks, carried):
    """Open improvement opinions follow their tasks: each open opinion on one of ``tasks``, or
    carried to one of them from an earlier year, is carried to its copy in ``carried``. One
    UPDATE."""
    new_of = {old.pk: new.pk for old, new in zip(tasks, carried, strict=True)}
    if not new_of:
        return 0
    return Opinion.objects.filter(
        Q(carried_to_id__in=new_of) | Q(carried_to__isnull=True, task_id__in=new_of),
        closed_at__isnull=True,
    ).update(carried_to_id=Case(
        *[When(carried_to_id=old, then=new) for old, new in new_of.items()],
        *[When(task_id=old, then=new) for old, new in new_of.items()],
    ))


