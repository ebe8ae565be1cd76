"""carry_over run by several people at once: one plan is made, the others are refused."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from tracker.loading import carry_over
from tracker.models import Plan, Status, Task


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent writers need PostgreSQL (SQLite serialises writes)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_carry_overs_on_postgresql_make_one_plan():
    call_command("loaddata", "demo", verbosity=0)
    runs = 4
    barrier = threading.Barrier(runs)
    made, refused = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            made.append(carry_over.carry_over(2024, 2026).tasks)
        except carry_over.CarryOverError as error:
            refused.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    unfinished = Task.objects.filter(plan__year=2024).exclude(
        status__in=[*Status.finished(), Status.SUSPENDED]).count()
    assert made == [unfinished]
    assert len(refused) == runs - 1, refused
    assert Plan.objects.filter(year=2026).count() == 1
    assert Task.objects.filter(plan__year=2026).count() == unfinished
