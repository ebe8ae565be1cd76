"""Requests refused at the door, before any view reads them (kipplan/requests.py), and uploads
refused before a library reads them (tracker.common.spreadsheets)."""

import io

import openpyxl
import pytest
from django.urls import reverse

from tracker.common.spreadsheets import Unreadable, read_rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["q=%00", "term=a%00b", "%00=1"])
def test_a_nul_in_the_query_string_is_a_400_page_not_a_500(client, manager, query):
    """Before, the admin's autocomplete answered a NUL with a 500 on PostgreSQL."""
    client.force_login(manager)
    for url in (reverse("admin:autocomplete"), reverse("tracker:years")):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, url
        assert "이 요청에는 답할 수 없습니다" in response.content.decode()


def test_an_xlsx_that_unpacks_past_the_limit_is_refused_before_it_is_read(settings):
    """A workbook of a few hundred kilobytes can unpack to hundreds of megabytes, all held by
    openpyxl: the zip's own directory says so first."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in range(20000):
        sheet.append(["같은 내용이 되풀이되는 긴 셀입니다 " * 4, row])
    data = io.BytesIO()
    book.save(data)
    data = data.getvalue()
    settings.KIPPLAN_XLSX_MAX_UNPACKED_MB = 1
    with pytest.raises(Unreadable, match="MB"):
        read_rows("big.xlsx", data, limit=10)
    settings.KIPPLAN_XLSX_MAX_UNPACKED_MB = 50
    assert read_rows("big.xlsx", data, limit=3)[0][1][1] == 0
