"""Exported text is shown by a spreadsheet, never run, and imports back as it was.

A title such as =HYPERLINK("http://x","y") (an imported file can carry one) is a live formula
in Excel and LibreOffice if it is written as it is; "+", "-", "@", a tab or a carriage return
start one in some of them. The CSV writes such text after an apostrophe, which its import takes
off again; the XLSX writes it as a string cell, unchanged.
"""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import TaskFactory
from tracker.loading.imports import import_plan
from tracker.models import Task

pytestmark = pytest.mark.django_db

FORMULA = 'HYPERLINK("http://x","y")'
LEADS = ["=", "+", "-", "@", "\t", "\r"]
STARTS_LIKE_A_FORMULA = [lead + FORMULA for lead in LEADS]
# Text that starts with an apostrophe is escaped too, so that the import can tell the export's
# apostrophe from one that belongs to the text.
STARTS_WITH_AN_APOSTROPHE = ["'=" + FORMULA, "'hello", "''", "'"]
# Written as they are in both formats; "#N/A" is one of the names openpyxl would make an error
# cell of.
PLAIN = ["#N/A", "hello = world", "세부과제"]
TEXTS = STARTS_LIKE_A_FORMULA + STARTS_WITH_AN_APOSTROPHE + PLAIN
# Every free-text column of the export, each with an ending of its own so that the columns can
# be told apart. The other text columns cannot start like a formula: code is made from the year
# and number, the agency and technology columns are slugs (SlugField), the dates are ISO dates
# within 2000-2100, status is one of Status's values, is_illustrative is yes or no.
ENDINGS = {"title_ko": "", "title_en": " (en)", "description_ko": " 설명",
           "description_en": " description"}


def text(number, column):
    return TEXTS[number - 1] + ENDINGS[column]


@pytest.fixture
def tricky_plan(plan, strategy, agency):
    """The 2024 plan, with a task per text of TEXTS, numbered from 1, in every text column."""
    for number in range(1, len(TEXTS) + 1):
        TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=number,
                    **{column: text(number, column) for column in ENDINGS})
    return plan


@pytest.fixture
def exported(client, superuser, tricky_plan):
    """export(fmt) -> the 2024 plan's export file, as bytes."""
    client.force_login(superuser)

    def export(fmt):
        response = client.get(reverse(f"tracker:task_export_{fmt}", args=[2024]))
        assert response.status_code == 200
        return b"".join(response.streaming_content)

    return export


def texts_by_number(year):
    return {task["number"]: {column: task[column] for column in ENDINGS}
            for task in Task.objects.filter(plan__year=year).values("number", *ENDINGS)}


def test_csv_writes_text_that_starts_like_a_formula_or_an_apostrophe_after_an_apostrophe(
    exported
):
    rows = list(csv.DictReader(io.StringIO(exported("csv").decode("utf-8-sig"), newline="")))

    cells = {(int(row["number"]), column): row[column] for row in rows for column in ENDINGS}
    assert cells == {
        (number, column): ("" if TEXTS[number - 1] in PLAIN else "'") + text(number, column)
        for number in range(1, len(TEXTS) + 1) for column in ENDINGS}


def test_xlsx_writes_every_text_as_it_is_in_a_string_cell(exported):
    data = exported("xlsx")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]  # formulas as formulas, not values
    header, *rows = sheet.iter_rows()
    columns = {cell.value: n for n, cell in enumerate(header)}

    cells = {(row[columns["number"]].value, column): (row[columns[column]].data_type,
                                                      row[columns[column]].value)
             for row in rows for column in ENDINGS}
    # openpyxl writes through lxml (python-hwpx's dependency), which escapes a carriage return
    # (&#13;), so it reads back as it was.
    assert cells == {(number, column): ("s", text(number, column))
                     for number in range(1, len(TEXTS) + 1) for column in ENDINGS}
    with zipfile.ZipFile(io.BytesIO(data)) as workbook:
        assert b"<f>" not in workbook.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_texts_import_back_into_another_year_exactly(exported, fmt):
    data = exported(fmt)

    import_plan(f"plan.{fmt}", data, 2025)

    # The import strips whitespace from every cell, as a form does from every field, so a text
    # stored with a leading tab or carriage return (possible only outside the forms and the
    # import) comes back without it; the apostrophe and the other leads come back as they were.
    kept = {number for number in range(1, len(TEXTS) + 1)
            if not TEXTS[number - 1].startswith(("\t", "\r"))}
    before = {number: texts for number, texts in texts_by_number(2024).items() if number in kept}
    after = {number: texts for number, texts in texts_by_number(2025).items() if number in kept}
    assert after == before


@pytest.mark.parametrize(("cell", "title"), [
    ("'hello", "'hello"),  # an apostrophe the export would not have written is the text's
    ("''hello", "'hello"),
    ("'=SUM(1,2)", "=SUM(1,2)"),  # as Excel reads a cell typed as '=SUM(1,2)
    ("'-1", "-1"),
    ("=SUM(1,2)", "=SUM(1,2)"),
])
def test_a_csv_written_by_hand_takes_off_only_the_apostrophe_the_export_would_have_written(
    tricky_plan, cell, title
):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([
        ["number", "strategy", "title_ko", "lead_agency", "budget", "start_date", "end_date"],
        [1, 1, cell, "kipo", 1000, "2025-01-01", "2025-12-31"],
    ])

    import_plan("plan.csv", buffer.getvalue().encode(), 2025)

    assert Task.objects.get(plan__year=2025).title_ko == title
