"""send_reminders --evaluation: results digests to agency staff around the round's deadline,
scoring digests to evaluators, in each recipient's language, once a period."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import formats, timezone, translation

from tests.factories import AgencyFactory, TaskFactory, evaluator, round_at
from tracker import roles
from tracker.evaluation import services as evaluation
from tracker.evaluation.reminders import evaluation_digests
from tracker.models import (
    AgencyKind,
    Assignment,
    Criterion,
    Profile,
    Reminder,
    Result,
    ResultState,
    RoundState,
    Score,
)
from tracker.progress.reminders import send

pytestmark = pytest.mark.django_db

DAYS = 7  # KIPPLAN_RESULTS_REMINDER_DAYS' default


@pytest.fixture(autouse=True)
def english_output(settings):
    settings.KIPPLAN_RESULTS_REMINDER_DAYS = DAYS
    with translation.override("en"):  # the command's own output; each email has its language
        yield


def dated_round(state, plan, closes_in):
    """The plan's round in ``state``, its results due ``closes_in`` days from today."""
    today = timezone.localdate()
    closes = today + timedelta(days=closes_in)
    later = max(closes, today)
    return round_at(state, plan, submission_opens=closes - timedelta(days=60),
                    submission_closes=closes, evaluation_closes=later + timedelta(days=30),
                    meeting_date=later + timedelta(days=60),
                    published_on=later + timedelta(days=90))


def remind(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("send_reminders", "--evaluation", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def mail_to(user):
    found = [message for message in mail.outbox if message.to == [user.email]]
    assert len(found) <= 1
    return found[0] if found else None


def day(value, language):
    with translation.override(language):
        return formats.date_format(value, "SHORT_DATE_FORMAT")


def results_link(task):
    return f"/admin/tracker/task/{task.pk}/results/"


def speaks(user, language):
    Profile.objects.update_or_create(user=user, defaults={"language": language})


def submitted(task):
    return Result.objects.create(task=task, state=ResultState.SUBMITTED,
                                 submitted_at=timezone.now(), achievements="성과")


@pytest.fixture
def world(plan, strategy, agency, kista, other_agency, make_staff, manager):
    """KIPO (with KISTA below it) and MCST, each with a staff member (KIPO's reads English,
    MCST's Korean), and their tasks: KIPO's missing, KISTA's missing, KIPO's submitted, KIPO's
    draft, MCST's missing, and MCST's task that KIPO supports. An evaluator belongs to MCST."""

    def task(number, lead, **kwargs):
        return TaskFactory(plan=plan, strategy=strategy, lead_agency=lead, number=number,
                           **kwargs)

    tasks = {
        "kipo": task(1, agency), "kista": task(2, kista), "done": task(3, agency),
        "draft": task(4, agency), "mcst": task(5, other_agency),
        "supported": task(6, other_agency, supporting_agencies=[agency]),
    }
    submitted(tasks["done"])
    Result.objects.create(task=tasks["draft"], achievements="쓰는 중")
    kipo = make_staff(agency, username="kipo-staff")
    speaks(kipo, "en")
    return {
        "plan": plan, "tasks": tasks, "kipo": kipo,
        "mcst": make_staff(other_agency, username="mcst-staff"), "manager": manager,
        "evaluator": evaluator("eva", other_agency),
    }


# Results, to agency staff ----------------------------------------------------------------------


def test_staff_get_their_agencies_missing_results_before_the_deadline(world):
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=3)
    tasks = world["tasks"]

    out, _err = remind()

    assert "2 reminders queued" in out
    assert sorted(m.to[0] for m in mail.outbox) == ["kipo-staff@example.kr",
                                                    "mcst-staff@example.kr"]
    kipo = mail_to(world["kipo"]).body
    for name in ("kipo", "kista", "draft"):  # KISTA is below KIPO
        assert results_link(tasks[name]) in kipo, name
    for name in ("done", "mcst", "supported"):  # submitted, or led by another agency
        assert results_link(tasks[name]) not in kipo, name
    assert "a draft is saved, not submitted" in kipo and "nothing saved yet" in kipo
    mcst = mail_to(world["mcst"]).body
    assert results_link(tasks["mcst"]) in mcst and results_link(tasks["supported"]) in mcst
    assert mcst.count("/admin/tracker/") == 2
    assert Reminder.objects.get(user=world["kipo"]).items == [
        f"result:{tasks[name].pk}" for name in ("kipo", "kista", "draft")]
    for nobody in ("manager", "evaluator"):  # the evaluator belongs to MCST
        assert mail_to(world[nobody]) is None


def test_after_the_deadline_the_missing_results_are_listed_as_late(world):
    round_ = dated_round(RoundState.SUBMISSION, world["plan"], closes_in=-2)
    tasks = world["tasks"]
    # Reminded just before the deadline: the deadline passing is news all the same.
    Reminder.objects.create(user=world["kipo"], sent_at=timezone.now() - timedelta(days=3),
                            items=[f"result:{tasks['kipo'].pk}"])

    remind()

    body = mail_to(world["kipo"]).body
    deadline = day(round_.submission_closes, "en")
    assert f"Missing: the deadline, {deadline}, has passed." in body
    assert "Due by" not in body
    assert results_link(tasks["kipo"]) in body
    assert Reminder.objects.filter(user=world["kipo"]).latest("sent_at").items == [
        f"late-result:{tasks[name].pk}" for name in ("kipo", "kista", "draft")]


def test_a_metropolitan_government_is_reminded_of_its_own_results_as_an_institution(
        world, make_staff):
    """Incheon leads no task: before, it got no reminder at all, although the Council grades
    the 17 시·도 on their own results."""
    incheon = AgencyFactory(slug="incheon", name_ko="인천광역시", name_en="Incheon",
                            kind=AgencyKind.METROPOLITAN)
    busan = AgencyFactory(slug="busan", name_ko="부산광역시", kind=AgencyKind.METROPOLITAN)
    staff = {agency: make_staff(agency, username=f"{agency.slug}-staff")
             for agency in (incheon, busan)}
    round_ = dated_round(RoundState.SUBMISSION, world["plan"], closes_in=3)
    evaluation.save_institution_result(round_=round_, agency=busan, user=staff[busan],
                                       achievements="부산 지역 IP 지원", problems="",
                                       next_steps="", indicators=[], expected_version=0)
    evaluation.submit_institution_result(round_=round_, agency=busan, user=staff[busan])

    remind()

    page = reverse("admin:tracker_institution_results", args=[round_.pk, incheon.pk])
    body = mail_to(staff[incheon]).body
    assert page in body and "인천광역시 기관 추진실적" in body and "아직 저장된 내용 없음" in body
    assert mail_to(staff[busan]) is None  # submitted
    assert page not in mail_to(world["kipo"]).body
    assert Reminder.objects.get(user=staff[incheon]).items == [
        f"result:round-{round_.pk}:institution-{incheon.pk}"]
    mail.outbox.clear()
    remind()
    assert mail_to(staff[incheon]) is None  # once a period


@pytest.mark.parametrize(("closes_in", "sent"), [
    (DAYS + 1, False), (DAYS, True), (0, True), (-30, True)])
def test_results_are_reminded_from_the_periods_start_before_the_deadline(world, closes_in, sent):
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=closes_in)

    remind()

    assert bool(mail_to(world["kipo"])) is sent


def test_the_period_is_a_setting(world, settings):
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=15)
    remind()
    assert mail.outbox == []

    settings.KIPPLAN_RESULTS_REMINDER_DAYS = 20
    remind()

    assert mail_to(world["kipo"]) is not None
    assert "once every 20 days" in mail_to(world["kipo"]).body.replace("\n", " ")


def test_the_results_digest_speaks_the_recipients_language(world):
    round_ = dated_round(RoundState.SUBMISSION, world["plan"], closes_in=3)

    remind()

    english, korean = mail_to(world["kipo"]), mail_to(world["mcst"])
    deadline = round_.submission_closes
    assert english.subject == ("kipplan: 3 year-end results to submit for the 2024 National "
                               "IP Implementation Plan")
    assert f"Due by {day(deadline, 'en')}, in 3 days" in english.body
    assert "2024년도 국가지식재산 시행계획" in korean.subject
    assert day(deadline, "ko") in korean.body and day(deadline, "en") not in korean.body
    assert "세부과제" in korean.body and "Task" not in korean.body  # the tasks' Korean titles
    assert "세부과제" not in english.body


def test_a_second_run_in_the_period_sends_only_what_is_new(world):
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=3)
    remind()
    first = len(mail.outbox)
    mail.outbox.clear()

    out, _err = remind()

    assert mail.outbox == [] and "0 reminders queued" in out
    assert Reminder.objects.count() == first
    new = TaskFactory(plan=world["plan"], strategy=world["tasks"]["kipo"].strategy,
                      lead_agency=world["tasks"]["kipo"].lead_agency, number=9)

    remind()

    [message] = mail.outbox
    assert message.to == [world["kipo"].email]
    assert message.body.count("/admin/tracker/") == 1 and results_link(new) in message.body


def test_a_new_period_reminds_again_of_what_is_still_missing(world):
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=-1)
    remind()
    submitted(world["tasks"]["mcst"])
    submitted(world["tasks"]["supported"])
    Reminder.objects.update(sent_at=timezone.now() - timedelta(days=DAYS, minutes=1))
    mail.outbox.clear()

    remind()

    assert [m.to for m in mail.outbox] == [[world["kipo"].email]]  # MCST has submitted all


def test_an_evaluator_gets_no_results_digest_even_as_a_member_of_a_leading_agency(world):
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=3)
    both = world["mcst"]
    both.groups.add(Group.objects.get(name=roles.EVALUATORS))

    remind()

    assert mail_to(both) is None and mail_to(world["kipo"]) is not None


def test_inactive_staff_get_nothing_and_staff_without_an_address_are_named(world):
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=3)
    get_user_model().objects.filter(pk=world["kipo"].pk).update(is_active=False)
    get_user_model().objects.filter(pk=world["mcst"].pk).update(email="")

    out, err = remind()

    assert mail.outbox == [] and "0 reminders queued" in out
    assert "mcst-staff has no email address" in err
    assert "kipo-staff" not in err
    assert not Reminder.objects.exists()


# Scores, to evaluators -------------------------------------------------------------------------


@pytest.fixture
def panel(world):
    """The round being evaluated: eva has a task partly scored, a task fully scored and a
    metropolitan government partly scored; ada has a task with no score. Both read English."""
    round_ = dated_round(RoundState.EVALUATION, world["plan"], closes_in=-10)
    tasks = world["tasks"]
    incheon = AgencyFactory(name_ko="인천광역시", name_en="Incheon", abbreviation="",
                            kind=AgencyKind.METROPOLITAN)
    eva, ada = world["evaluator"], evaluator("ada")
    speaks(eva, "en")
    speaks(ada, "en")
    criteria = list(Criterion.objects.filter(round=round_).order_by("number"))
    general = [c for c in criteria if not c.institutions_only]

    def assigned(user, scored, **unit):
        assignment = Assignment.objects.create(round=round_, evaluator=user, **unit)
        Score.objects.bulk_create(Score(assignment=assignment, criterion=criterion, value=70)
                                  for criterion in scored)
        evaluation.recount_scores(Assignment.objects.filter(pk=assignment.pk))
        return assignment

    return {
        "round": round_, "eva": eva, "ada": ada,
        "partly": assigned(eva, general[:2], task=tasks["kipo"]),
        "fully": assigned(eva, general, task=tasks["kista"]),
        "city": assigned(eva, criteria[:3], agency=incheon),
        "unscored": assigned(ada, [], task=tasks["kipo"]),
    }


def assignment_link(assignment):
    return f"/admin/tracker/assignment/{assignment.pk}/change/"


def test_evaluators_get_their_assignments_not_fully_scored(world, panel):
    out, _err = remind()

    assert "2 reminders queued" in out  # staff get no results digest while evaluating
    eva = mail_to(panel["eva"]).body
    assert assignment_link(panel["partly"]) in eva and "(2 of 3 criteria scored)" in eva
    assert assignment_link(panel["city"]) in eva and "Incheon (3 of 5 criteria scored)" in eva
    assert assignment_link(panel["fully"]) not in eva
    assert assignment_link(panel["unscored"]) not in eva  # another evaluator's
    ada = mail_to(panel["ada"]).body
    assert assignment_link(panel["unscored"]) in ada and "(0 of 3 criteria scored)" in ada
    assert ada.count("/admin/tracker/") == 1
    assert Reminder.objects.get(user=panel["eva"]).items == [
        f"assignment:{panel['partly'].pk}", f"assignment:{panel['city'].pk}"]
    for staff in ("kipo", "mcst", "manager"):
        assert mail_to(world[staff]) is None


def test_the_scoring_digest_speaks_the_evaluators_language(panel):
    speaks(panel["eva"], "ko")

    remind()

    english, korean = mail_to(panel["ada"]), mail_to(panel["eva"])
    closes = panel["round"].evaluation_closes
    assert english.subject == ("kipplan: 1 assignment to score for the 2024 National IP "
                               "Implementation Plan")
    assert f"The evaluation closes on {day(closes, 'en')}." in english.body
    assert "2024년도 국가지식재산 시행계획" in korean.subject
    assert day(closes, "ko") in korean.body and "인천광역시" in korean.body


def test_scoring_reminders_are_sent_once_a_period(panel):
    remind()
    mail.outbox.clear()

    remind()
    assert mail.outbox == []

    Reminder.objects.update(sent_at=timezone.now() - timedelta(days=DAYS + 1))
    Score.objects.bulk_create(Score(assignment=panel["unscored"], criterion=criterion, value=1)
                              for criterion in panel["round"].criteria.filter(
                                  institutions_only=False))
    evaluation.recount_scores(Assignment.objects.filter(pk=panel["unscored"].pk))
    remind()
    assert [m.to for m in mail.outbox] == [[panel["eva"].email]]  # ada has scored all


def test_an_inactive_evaluator_gets_nothing(panel):
    get_user_model().objects.filter(pk=panel["ada"].pk).update(is_active=False)

    remind()

    assert mail_to(panel["ada"]) is None and mail_to(panel["eva"]) is not None


# Rounds that take neither results nor scores -------------------------------------------------


@pytest.mark.parametrize("state", [RoundState.PREPARING, RoundState.APPROVED,
                                   RoundState.PUBLISHED])
def test_nothing_is_sent_for_a_round_not_taking_results_or_scores(panel, state):
    round_ = panel["round"]
    type(round_).objects.filter(pk=round_.pk).update(state=state)

    out, _err = remind()

    assert mail.outbox == []
    assert "No evaluation round is taking results or scores" in out


def test_no_round_at_all_sends_nothing(world):
    out, _err = remind("--year", "2024")

    assert mail.outbox == [] and "0 reminders queued" in out


# The command -------------------------------------------------------------------------------


def test_dry_run_lists_and_sends_nothing(world, panel):
    out, _err = remind("--dry-run")

    assert "eva <eva@example.kr> (en): 2 assignments not fully scored" in out
    assert "2 reminders would be sent" in out
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_dry_run_names_results_due(world):
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=1)

    out, _err = remind("--dry-run")

    assert ("kipo-staff <kipo-staff@example.kr> (en): 3 results due, 0 results missing after "
            "the deadline") in out


@pytest.mark.parametrize("args", [["--days", "0"], ["--days", "5000"], ["--year", "1999"]])
def test_bad_options_are_refused(world, args):
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=1)

    with pytest.raises(CommandError):
        remind(*args)

    assert mail.outbox == []


# Queries ---------------------------------------------------------------------------------------


def grow(world, count):
    """``count`` more tasks for each agency, each with results missing and two assignments
    (eva's and ada's) not fully scored."""
    tasks = world["tasks"]
    ada = evaluator("ada")
    made = []
    for _n in range(count):
        for lead in (tasks["kipo"].lead_agency, tasks["mcst"].lead_agency):
            made.append(TaskFactory(plan=world["plan"], strategy=tasks["kipo"].strategy,
                                    lead_agency=lead, number=100 + len(made)))
    return made, ada


@pytest.mark.parametrize("count", [5, 50])
def test_results_reminders_take_the_same_queries_for_few_and_many_tasks(
    world, count, django_assert_max_num_queries
):
    grow(world, count)
    dated_round(RoundState.SUBMISSION, world["plan"], closes_in=2)

    # The reminders sent, the rounds, the tasks, the institutions (the 시·도' own results), the
    # staff; each recipient's agencies (two), language and record; each mail queued and, in the
    # tests, delivered at once (11, 12 on PostgreSQL: tracker.common.mail): the same for 5 and
    # 50 tasks an agency.
    with django_assert_max_num_queries(41):
        due, _none = evaluation_digests(days=DAYS)
        sent = send(due)

    assert sent == 2
    assert mail_to(world["kipo"]).body.count("/admin/tracker/") == count + 3


@pytest.mark.parametrize("count", [5, 50])
def test_scoring_reminders_take_the_same_queries_for_few_and_many_assignments(
    world, count, django_assert_max_num_queries
):
    made, ada = grow(world, count)
    round_ = dated_round(RoundState.EVALUATION, world["plan"], closes_in=-3)
    Assignment.objects.bulk_create(
        Assignment(round=round_, evaluator=user, task=task)
        for task in made for user in (world["evaluator"], ada))

    # The reminders sent, the rounds, the assignments; each evaluator's language and record;
    # each mail queued and delivered (11 or 12, as above).
    with django_assert_max_num_queries(33):
        due, _none = evaluation_digests(days=DAYS)
        sent = send(due)

    assert sent == 2
    assert mail_to(ada).body.count("/admin/tracker/") == 2 * count
