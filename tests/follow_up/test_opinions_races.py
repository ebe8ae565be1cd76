"""Two people writing on one opinion at once take turns (the opinion's row is locked): of
improvement plans submitted together, exactly one is in force, the others withdrawn."""

import datetime
import threading

import pytest
from django.db import connection

from tracker.follow_up import opinions
from tracker.models import ImprovementAction, OpinionAnswer


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent writers need PostgreSQL (SQLite serialises writes)")
@pytest.mark.django_db(transaction=True)
def test_answers_submitted_at_once_leave_one_plan_in_force(plan, task, manager, staff):
    day = datetime.date(2025, 4, 1)
    opinion = opinions.issue_opinion(plan=plan, task=task, text="보완", issued_on=day,
                                     answer_due=day, user=manager)
    runs = 4
    barrier = threading.Barrier(runs)
    errors = []

    def run(n):
        try:
            barrier.wait(timeout=10)
            opinions.answer_opinion(opinion=opinion, text=f"계획 {n}", user=staff,
                                    actions=[(f"조치 {n}", day), (f"조치 {n}-2", day)])
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert OpinionAnswer.objects.count() == runs
    in_force = ImprovementAction.objects.filter(withdrawn_at__isnull=True)
    assert in_force.count() == 2
    latest = OpinionAnswer.objects.order_by("-submitted_at", "-pk").first()
    assert set(in_force.values_list("answer", flat=True)) == {latest.pk}
    assert ImprovementAction.objects.exclude(withdrawn_at__isnull=True).count() == 2 * (runs - 1)
