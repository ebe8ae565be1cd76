"""
A task that continues across years: each carry-over links the new task to the one it continues
(``Task.carried_from``), so the links make a chain, 2024-17 → 2025-17 → …. Carried tasks are a
small share of all tasks, so one query reads every link and the chains are followed in Python.
"""

from tracker.progress.models import Task


def links():
    """{task pk: the pk of the task it continues}, for every carried task: one query."""
    return dict(Task.objects.filter(carried_from__isnull=False)
                .values_list("pk", "carried_from_id"))


def chain_ids(pk, carried_from, carried_into=None):
    """The pks of the chain through task ``pk``, earliest first, given the links (and their
    reverse, when the caller has it already)."""
    if carried_into is None:
        carried_into = {source: pk for pk, source in carried_from.items()}
    seen = {pk}

    def follow(links):
        steps, step = [], pk
        while (step := links.get(step)) is not None and step not in seen:
            steps.append(step)
            seen.add(step)
        return steps

    return [*reversed(follow(carried_from)), pk, *follow(carried_into)]


def chain_of(task, tasks):
    """The tasks of ``task``'s chain among ``tasks`` (the ones the reader may see), earliest
    first, with their plans; [] when the task continues nothing and nothing continues it. Two
    queries."""
    ids = chain_ids(task.pk, links())
    if len(ids) == 1:
        return []
    found = tasks.filter(pk__in=ids).select_related("plan").in_bulk()
    return [found[pk] for pk in ids if pk in found]


def chain_codes(tasks):
    """{pk: "2024-17 → 2025-17"} for every task of ``tasks`` (the ones the reader may see) in a
    chain of them; for exports: one query, however many tasks."""
    pairs = tasks.filter(carried_from__in=tasks.values("pk")).values_list(
        "pk", "carried_from_id", "code", "carried_from__code")
    carried_from, codes = {}, {}
    for pk, source, code, source_code in pairs:
        carried_from[pk] = source
        codes[pk], codes[source] = code, source_code
    carried_into = {source: pk for pk, source in carried_from.items()}
    return {pk: " → ".join(codes[step] for step in chain_ids(pk, carried_from, carried_into))
            for pk in codes}
