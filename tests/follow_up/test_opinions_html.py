"""The pages of improvement opinions, with an opinion answered and checked, are valid HTML in
both languages (the checker of tests/test_html.py)."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from tests.helpers import validate
from tracker.follow_up import opinions

pytestmark = pytest.mark.django_db


def test_the_opinion_pages_are_valid_html(vnu, tmp_path, client, manager, staff, plan, task,
                                          agency):
    day = datetime.date(2025, 4, 1)
    opinion = opinions.issue_opinion(plan=plan, task=task, text="지표를 <보완>할 것",
                                     issued_on=day, answer_due=day, user=manager)
    opinions.issue_opinion(plan=plan, agency=agency, text="기관 의견", issued_on=day,
                           answer_due=datetime.date(2099, 1, 1), user=manager)
    first = opinions.answer_opinion(opinion=opinion, text="계획", user=staff,
                                    actions=[("하나", day), ("둘", day)])
    action = opinions.answer_opinion(opinion=opinion, text="수정 계획", user=staff,
                                     actions=[("셋", day)]).actions.get()
    opinions.report_action(action=action, status="implemented", note="완료", user=staff)
    opinions.check_action(action=action, status="in_progress", note="일부", user=manager)
    assert first.actions.filter(withdrawn_at__isnull=False).count() == 2
    admin = "admin:tracker_opinion_"
    # Not the add page: Django's own form, whose autocomplete selects have an empty <option>
    # the checker refuses (as on the other admins with autocomplete fields).
    pages = {
        manager: {
            "list": reverse(f"{admin}changelist"),
            "change": reverse(f"{admin}change", args=[opinion.pk]),
            "status": reverse(f"{admin}action_status", args=[opinion.pk, action.pk]),
            "close": reverse(f"{admin}close", args=[opinion.pk]),
            "dashboard": reverse("tracker:plan", args=[plan.year]),
            "task": reverse("tracker:task_detail", args=[plan.year, task.number]),
            "agency": reverse("tracker:agency_detail", args=[agency.slug])
            + f"?year={plan.year}",
        },
        staff: {
            "staff-change": reverse(f"{admin}change", args=[opinion.pk]),
            "answer": reverse(f"{admin}answer", args=[opinion.pk]),
            "report": reverse(f"{admin}action_status", args=[opinion.pk, action.pk]),
        },
    }
    files = []
    for language in ("ko", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for user, urls in pages.items():
            client.force_login(user)
            for name, url in urls.items():
                response = client.get(url)
                assert response.status_code == 200, (name, response.status_code)
                path = tmp_path / f"{language}-{name}.html"
                path.write_bytes(response.content)
                files.append(path)

    errors = validate(vnu, files)

    assert errors == {}, "\n".join(
        f"{name}:\n  " + "\n  ".join(messages) for name, messages in errors.items())
