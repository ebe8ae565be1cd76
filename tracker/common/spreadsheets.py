"""Writing CSV and XLSX files (cells that a spreadsheet cannot run as formulas, streamed CSV
chunks, workbooks written to a temporary file), and reading them back (``read_rows``)."""

import csv
import io
import tempfile
from itertools import islice
from pathlib import PurePath

from django.utils.translation import gettext as _

CHUNK = 2000  # rows read from the database at a time


ROWS_PER_CHUNK = 200  # CSV rows to a streamed chunk


# Spreadsheets run a CSV cell that starts with one of the first six as a formula (=HYPERLINK(...)
# from an imported title); such text is written after an apostrophe. Text that starts with an
# apostrophe gets one too, so that the import can take exactly one off again.
ESCAPED = ("=", "+", "-", "@", "\t", "\r", "'")


def inert(row):
    """The row's values as CSV cells that no spreadsheet runs: text that starts with one of
    ESCAPED after an apostrophe; anything else as it is. (A row at a time: a call for each cell
    took a sixth of a large export's time.)"""
    return [f"'{value}" if value.__class__ is str and value.startswith(ESCAPED) else value
            for value in row]


def revived(text):
    """The text that inert() wrote as the CSV cell ``text``. Only an apostrophe inert() could
    have added is taken off: a cell written by hand as 'hello stays 'hello."""
    return text[1:] if text.startswith("'") and text.startswith(ESCAPED, 1) else text


def csv_chunks(rows, batch=ROWS_PER_CHUNK):
    """CSV text after a UTF-8 byte-order mark, so that Excel reads Korean; ``batch`` rows to a
    chunk, as a chunk per row would spend more time passing chunks on than writing them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    rows = iter(rows)
    while chunk := list(islice(rows, batch)):
        writer.writerows(map(inert, chunk))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no rows at all: the byte-order mark alone
        yield buffer.getvalue()


def xlsx_file(rows, title):
    """An XLSX workbook in a temporary file, written row by row (openpyxl's write-only mode).
    Text is written as it is, in string cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    def text_cell(text):
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"
        return cell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        # openpyxl makes text that starts with "=" a formula, and text such as "#N/A" an error;
        # only those are given a cell of their own, the rest of the row stays plain values.
        sheet.append([text_cell(value) if value.__class__ is str and value.startswith(("=", "#"))
                      else value for value in row])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle


def plain_number(value):
    """A Decimal as plain text without trailing zeros (100, 80.5); "" for None."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def xlsx_workbook(sheets):
    """An XLSX workbook of several sheets, [(title, rows)], in a temporary file, written row by
    row as xlsx_file writes one (text that starts with "=" or "#" in a string cell)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            cells = []
            for value in row:
                if value.__class__ is str and value.startswith(("=", "#")):
                    value = WriteOnlyCell(sheet, value)
                    value.data_type = "s"
                cells.append(value)
            sheet.append(cells)
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle




# -- Reading ------------------------------------------------------------------------------------

class Unreadable(Exception):
    """A file that is not a CSV or XLSX kipplan can read; ``str(error)`` says why, in the
    request's language."""


def read_rows(name, data, *, limit):
    """The first ``limit`` rows of a CSV (UTF-8, with or without Excel's byte-order mark) or
    XLSX file (its first sheet) that are not blank, as (row number, [cells]); the header is
    row 1. CSV cells lose the apostrophe ``inert`` wrote."""
    suffix = PurePath(name).suffix.lower()
    readers = {".csv": read_csv, ".xlsx": read_xlsx}
    if suffix not in readers:
        raise Unreadable(_("kipplan reads .csv and .xlsx files, not “%(suffix)s”.") % {
            "suffix": suffix or name})
    return readers[suffix](data, limit=limit)


def numbered(table, limit):
    rows = ((n, list(cells)) for n, cells in enumerate(table, 1)
            if any(cell_text(cell) for cell in cells))
    return list(islice(rows, limit))


def read_csv(data, *, limit):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable(_("The file is not UTF-8 text. Save it from Excel as “CSV UTF-8”, "
                           "or as XLSX.")) from None
    if "\x00" in text:
        raise Unreadable(_("The file is not a CSV file."))
    cells = ([revived(cell) for cell in row] for row in csv.reader(io.StringIO(text, newline="")))
    try:
        return numbered(cells, limit)
    except csv.Error as error:
        raise Unreadable(_("The CSV file cannot be read: %(error)s") % {"error": error}) from None


def read_xlsx(data, *, limit):
    import zipfile

    from django.conf import settings
    from openpyxl import load_workbook

    # What the workbook unpacks to, from its zip directory, before openpyxl inflates it.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise Unreadable(_("The file is not a readable XLSX workbook.")) from None
    most = settings.KIPPLAN_XLSX_MAX_UNPACKED_MB
    if unpacked > most * 2**20:
        raise Unreadable(_(
            "The workbook unpacks to %(size)s MB, more than the %(most)s MB kipplan reads: "
            "split it, or save it as CSV.") % {"size": unpacked // 2**20, "most": most})
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        return numbered(sheet.iter_rows(values_only=True), limit)
    except Exception:  # noqa: BLE001 - whatever openpyxl trips on, the upload is unreadable
        raise Unreadable(_("The file is not a readable XLSX workbook.")) from None


def cell_text(value):
    """A cell as trimmed text: none is "", a whole float (Excel's numbers) without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
