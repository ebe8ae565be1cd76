"""The IP statistics of the annual report's trends: series kept by the plan managers in the
admin, each figure with its source, publication day and kind, and imported from a spreadsheet,
all or nothing."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tracker.loading.statistics import StatisticsImportError, import_statistics
from tracker.models import FigureKind, Statistic, StatisticValue

pytestmark = pytest.mark.django_db

HEADER = "series,year,value,kind,published_on,source_ko,note_ko,note_en\n"


@pytest.fixture
def series(db):
    return [Statistic.objects.create(number=1, name_ko="특허 출원", name_en="Patent applications",
                                     unit_ko="건", unit_en="applications", source_ko="특허청",
                                     source_en="KIPO"),
            Statistic.objects.create(number=2, name_ko="지식재산권 무역수지",
                                     name_en="IPR trade balance", unit_ko="백만 달러",
                                     unit_en="US$ million", source_ko="한국은행",
                                     source_en="Bank of Korea")]


def csv(text):
    return ("figures.csv", (HEADER + text).encode("utf-8-sig"))


def test_figures_are_added_and_a_revision_is_a_figure_of_its_own(series):
    result = import_statistics(*csv(
        "특허 출원,2023,\"243,310\",,,,,\n"
        "IPR trade balance,2022,-1330,preliminary,2023-03-24,BOK 2023-03-24,최초,first\n"
        "2,2022,\"-1,110\",수정치,2024. 3. 20.,BOK 2024-03-20,수정,revised\n"))
    assert (result.added, result.updated) == (3, 0)
    balance = StatisticValue.objects.filter(statistic=series[1], year=2022)
    assert [(v.value, v.kind, v.published_on) for v in balance] == [
        (Decimal("-1330"), FigureKind.PRELIMINARY, datetime.date(2023, 3, 24)),
        (Decimal("-1110"), FigureKind.REVISED, datetime.date(2024, 3, 20))]
    again = import_statistics(*csv("1,2023,243311,final,,특허청 통계,,\n"))
    assert (again.added, again.updated) == (0, 1)
    assert StatisticValue.objects.get(statistic=series[0]).kind == FigureKind.FINAL


def test_a_file_with_problems_stores_nothing_and_says_each_with_its_row(series):
    with pytest.raises(StatisticsImportError) as refused:
        import_statistics(*csv("특허 출원,2023,243310,,,,,\n"
                               "상표 출원,2023,10,,,,,\n"
                               "1,23,abc,guess,yesterday,,,\n"
                               "1,2023,5,,,,,\n"))
    problems = [(p.row, p.column) for p in refused.value.problems]
    assert (3, "series") in problems
    assert {(4, "year"), (4, "value"), (4, "kind"), (4, "published_on")} <= set(problems)
    assert (5, None) in problems  # the same figure as row 2
    assert not StatisticValue.objects.exists()


def test_an_xlsx_file_imports_as_a_csv_does(series):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["series", "year", "value"])
    sheet.append(["Patent applications", 2024, 246245])
    data = io.BytesIO()
    book.save(data)
    assert import_statistics("figures.xlsx", data.getvalue()).added == 1


def test_managers_keep_the_series_and_import_figures_in_the_admin(client, manager, series,
                                                                   staff):
    client.force_login(manager)
    listing = client.get(reverse("admin:tracker_statistic_changelist")).content.decode()
    page = reverse("admin:tracker_statistic_import")
    assert page in listing
    refused = client.post(page, {"file": SimpleUploadedFile(*csv("9,2023,1,,,,,\n"))})
    assert refused.status_code == 200 and "kipplan-problems" in refused.content.decode()
    done = client.post(page, {"file": SimpleUploadedFile(*csv("1,2023,243310,,,,,\n"))},
                       follow=True)
    assert done.redirect_chain[-1][0] == reverse("admin:tracker_statistic_changelist")
    assert StatisticValue.objects.count() == 1
    change = client.get(reverse("admin:tracker_statistic_change", args=[series[0].pk]))
    assert change.status_code == 200
    client.force_login(staff)
    assert client.get(page).status_code == 403


def test_notes_too_long_and_values_with_more_than_two_decimals_are_said_not_stored(series):
    with pytest.raises(StatisticsImportError) as refused:
        import_statistics(*csv(f"1,2023,180.555,,,,{'가' * 201},\n"
                               "1,2022,999999999999.999,,,,,\n"))
    problems = {(p.row, p.column) for p in refused.value.problems}
    assert {(2, "value"), (2, "note_ko"), (3, "value")} <= problems
    assert not StatisticValue.objects.exists()


def test_an_xlsx_date_cell_is_taken_as_the_day_it_says(series):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["series", "year", "value", "published_on"])
    sheet.append([2, 2023, 180, datetime.datetime(2024, 3, 20)])
    data = io.BytesIO()
    book.save(data)
    import_statistics("figures.xlsx", data.getvalue())
    assert StatisticValue.objects.get().published_on == datetime.date(2024, 3, 20)


def test_two_undated_figures_of_a_year_in_one_admin_save_are_said_on_the_row(
        client, manager, series):
    client.force_login(manager)
    url = reverse("admin:tracker_statistic_change", args=[series[0].pk])
    data = {"number": 1, "name_ko": "특허 출원", "name_en": "Patent applications",
            "unit_ko": "건", "unit_en": "applications", "source_ko": "특허청", "source_en": "",
            "values-TOTAL_FORMS": "2", "values-INITIAL_FORMS": "0",
            "values-MIN_NUM_FORMS": "0", "values-MAX_NUM_FORMS": "1000"}
    for n in (0, 1):
        data.update({f"values-{n}-year": "2023", f"values-{n}-value": "1",
                     f"values-{n}-kind": "preliminary"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "발표일 없는 수치가 이미 있습니다" in response.content.decode()
    assert not StatisticValue.objects.exists()
