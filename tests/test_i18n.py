"""Korean and English: the catalogue, the language switch, the pages, the money and the dates."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from tests.factories import AgencyFactory, TaskFactory
from tests.helpers import gettext, need
from tracker.common.money import format_millions, format_usd, format_won
from tracker.models import Profile

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def entries(po):
    return {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in po}


# The catalogue ------------------------------------------------------------------------------


def test_the_korean_catalogue_translates_every_entry_with_the_same_placeholders():
    po = polib.pofile(str(CATALOGUE))

    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == [] and not po.metadata_is_fuzzy
    assert po.obsolete_entries() == []
    for entry in po:
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(
                PLACEHOLDER.findall(entry.msgid)), entry.msgid


# A particle written twice in brackets, for a word the sentence does not know: 을(를), 이(가),
# 은(는), 와(과), (으)로, (이)라. Korean reads them as a form left unfinished.
BRACKETED_PARTICLE = re.compile(r"[을를이가은는와과]\([을를이가은는와과]\)|\((?:으|이)\)")


def translations_of(po):
    for entry in po:
        texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        yield from ((entry.msgid, text) for text in texts)


def test_no_korean_sentence_leaves_a_particle_in_brackets():
    """kipplan's own sentences, and Django's that its pages show: a Django sentence with one is
    written anew in kipplan's catalogue (tracker/common/admin_wording.py), which Django reads
    first."""
    ours = polib.pofile(str(CATALOGUE))
    assert [(msgid, text) for msgid, text in translations_of(ours)
            if BRACKETED_PARTICLE.search(text)] == []
    rewritten = {entry.msgid for entry in ours}
    django_root = Path(__import__("django").__file__).parent
    for catalogue in [django_root / "conf", django_root / "contrib" / "admin",
                      django_root / "contrib" / "auth"]:
        theirs = polib.pofile(str(catalogue / "locale" / "ko" / "LC_MESSAGES" / "django.po"))
        left = [msgid for msgid, text in translations_of(theirs)
                if BRACKETED_PARTICLE.search(text) and msgid not in rewritten]
        assert left == [], catalogue
    for template in (ROOT / "templates").rglob("*.html"):
        assert not BRACKETED_PARTICLE.search(template.read_text(encoding="utf-8")), template


def test_the_committed_mo_file_is_compiled_from_the_po_file():
    po = polib.pofile(str(CATALOGUE))
    mo = polib.mofile(str(CATALOGUE.with_suffix(".mo")))

    def translations(catalogue):
        return {(e.msgctxt, e.msgid, e.msgid_plural):  # one msgid may have several contexts
                (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
                for e in catalogue if e.msgid}

    assert translations(mo) == translations(po), "run `make messages` and commit django.mo"


def test_the_catalogue_holds_exactly_the_strings_of_the_code(tmp_path, monkeypatch):
    """makemessages, run afresh on a copy of the code and catalogue, finds no string the
    catalogue lacks, and the catalogue keeps no string the code no longer has."""
    need(gettext())
    for folder in ["kipplan", "tracker", "templates", "locale"]:
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    copy = tmp_path / "locale"
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[copy]):
        call_command("makemessages", locale=["ko"], no_obsolete=True, verbosity=0)

    fresh = polib.pofile(str(copy / "ko" / "LC_MESSAGES" / "django.po"))
    committed = polib.pofile(str(CATALOGUE))
    assert sorted(entries(fresh) - entries(committed), key=str) == [], "new strings"
    assert sorted(entries(committed) - entries(fresh), key=str) == [], "stale strings"


# The language switch ------------------------------------------------------------------------


def test_the_switch_is_on_every_page_and_in_the_admin(client, manager, plan):
    pages = [reverse("login"), reverse("admin:login")]
    for url in pages:
        assert f'action="{reverse("set_language")}"' in client.get(url).content.decode(), url
    client.force_login(manager)
    for url in [reverse("tracker:plan", args=[plan.year]), reverse("admin:index"),
                reverse("tracker:task_list", args=[plan.year]), reverse("tracker:agency_list")]:
        body = client.get(url).content.decode()
        assert f'action="{reverse("set_language")}"' in body, url
        assert '<button type="submit" name="language" value="en" lang="en"' in body, url


def test_a_users_language_is_remembered_on_another_browser(client, manager, plan):
    client.force_login(manager)
    page = reverse("tracker:plan", args=[plan.year])

    response = client.post(reverse("set_language"), {"language": "en", "next": page})

    assert response.status_code == 302 and response["Location"] == page
    assert Profile.objects.get(user=manager).language == "en"
    assert "Dashboard" in client.get(page).content.decode()

    other_browser = Client()
    login = other_browser.post(reverse("login"), {"username": manager.username,
                                                  "password": "secret-pass-123"})
    assert login.status_code == 302
    assert login.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = other_browser.get(page).content.decode()
    assert '<html lang="en">' in body and "Tasks by status" in body


def test_anyone_can_switch_and_a_bad_language_changes_nothing(client, manager):
    anonymous = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert anonymous.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    client.force_login(manager)
    for bad in ["xx", "", "<script>", "en" * 100]:
        response = client.post(reverse("set_language"), {"language": bad, "next": "/"})
        assert response.status_code == 302
    assert not Profile.objects.filter(user=manager).exists()
    assert client.get(reverse("set_language")).status_code == 405


def test_a_user_without_a_choice_gets_korean(client, manager, plan):
    client.force_login(manager)

    body = client.get(reverse("tracker:plan", args=[plan.year])).content.decode()

    assert '<html lang="ko">' in body and "상태별 과제" in body


# Every page in both languages ---------------------------------------------------------------


def demo_pages():
    return {
        "dashboard": (reverse("tracker:plan", args=[2024]),
                      ["상태별 과제", "9,341억원", "약 6억 9,863만 달러", "추진전략별 진척"],
                      ["Tasks by status", "934.1 billion won", "≈ US$698.6 million",
                       "Progress by strategy"]),
        "task list": (reverse("tracker:task_list", args=[2024]),
                      ["과제 75건", "CSV 내려받기", "국가전략기술특허지원단 출범·운영",
                       "2024. 12. 31."],
                      ["75 tasks", "Download CSV",
                       "Launch and operation of the National Strategic Technology Patent "
                       "Support Team", "31 Dec 2024"]),
        "task": (reverse("tracker:task_detail", args=[2024, 1]),
                 ["국가전략기술특허지원단 출범·운영", "한국특허전략개발원", "추진 이력",
                  "2024. 12. 31."],
                 ["Launch and operation of the National Strategic Technology Patent Support Team",
                  "Korea Intellectual Property Strategy Agency", "Progress history",
                  "31 Dec 2024"]),
        "agencies": (reverse("tracker:agency_list"),
                     ["기관별 현황", "주관 과제 예산(백만원)", "한국특허전략개발원"],
                     ["Agency scorecards", "Budget led (million won)",
                      "Korea Intellectual Property Strategy Agency"]),
        "agency": (reverse("tracker:agency_detail", args=["kista"]),
                   ["주관 과제", "한국특허전략개발원"],
                   ["Tasks led (주관)", "Korea Intellectual Property Strategy Agency"]),
        "technologies": (reverse("tracker:technology_list"),
                         ["12대 국가전략기술", "반도체·디스플레이"],
                         ["The 12 national strategic technologies", "Semiconductor and display"]),
        "technology": (reverse("tracker:technology_detail", args=["semiconductor-display"]),
                       ["이 기술 관련 과제", "반도체·디스플레이"],
                       ["Tasks serving this technology", "Semiconductor and display"]),
        "admin task": (reverse("admin:tracker_task_change", args=[1]),
                       ["추진상황 보고", "국가지식재산 시행계획"],
                       ["Report progress", "National IP plan"]),
    }


@pytest.mark.parametrize("page", ["dashboard", "task list", "task", "agencies", "agency",
                                  "technologies", "technology", "admin task"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_page_speaks_the_chosen_language(client, demo, page, language):
    client.login(username="admin", password="kipplan-demo")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url, korean, english = demo_pages()[page]

    body = client.get(url).content.decode()

    assert f'<html lang="{language}"' in body
    expected = korean if language == "ko" else english
    for text in expected:
        assert text in body, text
    # The other language's interface strings are absent (names may appear in both).
    interface = {"ko": ["로그아웃", "상태"], "en": ["Log out", "Status"]}
    for text in interface["en" if language == "ko" else "ko"]:
        assert f">{text}<" not in body, text


def test_login_page_in_both_languages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Log in" in client.get(reverse("login")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    assert "로그인" in client.get(reverse("login")).content.decode()


def test_names_fall_back_to_the_other_language_where_one_is_empty(
    client, manager, plan, strategy
):
    korean_only = AgencyFactory(name_ko="가상기관", name_en="", slug="korean-only")
    english_only = AgencyFactory(name_ko="", name_en="English Only Agency", slug="english-only")
    TaskFactory(plan=plan, strategy=strategy, lead_agency=korean_only, title_ko="한글 과제",
                title_en="")
    TaskFactory(plan=plan, strategy=strategy, lead_agency=english_only, title_ko="",
                title_en="English task")
    client.force_login(manager)
    url = reverse("tracker:task_list", args=[plan.year])

    for language in ["ko", "en"]:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        body = client.get(url).content.decode()
        for name in ["가상기관", "English Only Agency", "한글 과제", "English task"]:
            assert name in body, (language, name)


# Money --------------------------------------------------------------------------------------


@pytest.mark.parametrize("won, korean, english", [
    (934_100_000_000, "9,341억원", "934.1 billion won"),
    (2_500_000_000, "25억원", "2.5 billion won"),
    (50_000_000, "0.5억원", "0.1 billion won"),
    (1_234_567_000_000, "1조 2,346억원", "1,234.6 billion won"),
    (3 * 10**12, "3조원", "3,000 billion won"),
    (-1_500_000_000_000, "-1조 5,000억원", "-1,500 billion won"),
    (0, "0억원", "0 billion won"),
    (None, "—", "—"),
])
def test_amounts_in_won_follow_each_language(won, korean, english):
    with translation.override("ko"):
        assert format_won(won) == korean
    with translation.override("en"):
        assert format_won(won) == english


def test_amounts_in_dollars_and_millions():
    with translation.override("ko"):
        assert format_usd(934_100_000_000, "1337.04") == "약 6억 9,863만 달러"
        assert format_usd(13_370_400_000, "1337.04") == "약 1,000만 달러"
        assert format_usd(5_000_000, "1337.04") == "약 3,740달러"
    with translation.override("en"):
        assert format_usd(934_100_000_000, "1337.04") == "≈ US$698.6 million"
        assert format_usd(10**14, "1337.04") == "≈ US$74.8 billion"
        assert format_usd(5_000_000, "1337.04") == "≈ US$3,740"
    assert format_millions(934_100_000_000) == "934,100"


@pytest.mark.django_db
def test_a_profile_holds_only_a_language_kipplan_offers(manager):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    with pytest.raises(ValidationError):
        Profile(user=manager, language="fr").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.create(user=manager, language="fr")
    Profile(user=manager, language="en").full_clean()


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("typed", [
    "2026. 12. 1.", "2026.12.1.", "2026. 12. 1", "2026-12-01", "2026년 12월 1일", "1 Dec 2026",
    "1 December 2026"])
def test_a_date_field_takes_the_date_as_the_pages_show_it(language, typed):
    from django import forms

    with translation.override(language):
        assert forms.DateField().clean(typed).isoformat() == "2026-12-01"


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_date_pickers_keep_writing_iso_dates(language):
    from django.utils import formats

    with translation.override(language):
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"
