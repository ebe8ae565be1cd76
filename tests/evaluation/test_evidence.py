"""Evidence files of the year-end results: accepted by their content, stored under names of their
own with nothing left behind by a failed upload, added and withdrawn by the lead agency's staff
while the round takes results, and downloaded only by those who may read the task's results."""

import io
import json
import math
import os
import struct
import subprocess
import sys
import zipfile
import zlib

import openpyxl
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import IntegrityError
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from tests.factories import AgencyFactory, TaskFactory, evaluator, round_at
from tests.helpers import pdf_bytes, plan_manager, without_csrf
from tracker.evaluation import services as evaluation
from tracker.evaluation.evidence import add_evidence, check_upload, withdraw_evidence
from tracker.models import EvidenceFile, EvidenceKind, Result, RoundState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# -- Real files, built here ---------------------------------------------------------------------

def png_bytes():
    """A 1×1 white PNG."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff")) + chunk(b"IEND", b""))


def jpeg_bytes():
    """A 1×1 grey baseline JPEG: quantisation and Huffman tables of one code each, and one block
    whose DC difference and AC coefficients are all zero."""
    def segment(marker, data):
        return b"\xff" + marker + struct.pack(">H", len(data) + 2) + data
    one_code = bytes([1] + [0] * 15)
    return (b"\xff\xd8"
            + segment(b"\xe0", b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + segment(b"\xdb", b"\x00" + b"\x01" * 64)
            + segment(b"\xc0", b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
            + segment(b"\xc4", b"\x00" + one_code + b"\x00")   # DC: "0" is a difference of 0
            + segment(b"\xc4", b"\x10" + one_code + b"\x00")   # AC: "0" is end of block
            + segment(b"\xda", b"\x01\x01\x00\x00\x3f\x00")
            + b"\x3f"                                           # "0", "0", then padding
            + b"\xff\xd9")


def zip_bytes(parts, *, first=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        if first:
            # HWPX, as ODF: the mimetype comes first, stored uncompressed.
            package.writestr(zipfile.ZipInfo(first[0]), first[1], zipfile.ZIP_STORED)
        for name, data in parts.items():
            package.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                 'openxmlformats.org/package/2006/content-types"/>')


def docx_bytes():
    return zip_bytes({
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": "<Relationships/>",
        "word/document.xml": '<w:document xmlns:w="http://schemas.openxmlformats.org/'
                             'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>추진실적'
                             '</w:t></w:r></w:p></w:body></w:document>',
    })


def pptx_bytes():
    return zip_bytes({
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": "<Relationships/>",
        "ppt/presentation.xml": "<p:presentation xmlns:p=\"http://schemas.openxmlformats.org/"
                                "presentationml/2006/main\"/>",
    })


def xlsx_bytes():
    book = openpyxl.Workbook()
    book.active["A1"] = "성과지표"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def hwpx_bytes():
    return zip_bytes({
        "META-INF/container.xml": "<container/>",
        "Contents/content.hpf": "<opf:package/>",
        "Contents/section0.xml": "<hs:sec/>",
    }, first=("mimetype", b"application/hwp+zip"))


END, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def compound_bytes(streams):
    """A compound file ([MS-CFB] version 3, 512-byte sectors) whose root storage holds
    ``streams`` ({name: bytes}): those under 4096 bytes in the mini stream, as HWP's FileHeader
    is, the others in sectors of their own. Sector 0 is the FAT, then the directory, the mini
    FAT, the mini stream and the large streams."""
    mini, mini_fat, starts = b"", [], {}
    for name, data in streams.items():
        if len(data) < 4096:
            count = max(1, math.ceil(len(data) / 64))
            starts[name] = first = len(mini) // 64
            mini += data.ljust(count * 64, b"\x00")
            mini_fat += [first + n + 1 for n in range(count - 1)] + [END]
    sectors, fat = [], [FAT_SECTOR]

    def place(data):
        """Put ``data`` in the next sectors, chained in the FAT; its first sector's number."""
        count = max(1, math.ceil(len(data) / 512))
        first = len(sectors) + 1
        sectors.extend(data[n * 512:(n + 1) * 512].ljust(512, b"\x00") for n in range(count))
        fat.extend([first + n + 1 for n in range(count - 1)] + [END])
        return first

    directory_sectors = math.ceil((1 + len(streams)) / 4)
    first_directory = place(b"\x00" * directory_sectors * 512)  # written below
    first_mini_fat = place(struct.pack(f"<{len(mini_fat)}I", *mini_fat)) if mini_fat else END
    mini_start = place(mini) if mini else END
    for name, data in streams.items():
        if len(data) >= 4096:
            starts[name] = place(data)
    names = list(streams)
    rows = [directory_entry("Root Entry", 5, 1 if names else NO_STREAM, NO_STREAM, mini_start,
                            len(mini))]
    rows += [directory_entry(name, 2, NO_STREAM, number + 1 if number < len(names) else NO_STREAM,
                             starts[name], len(streams[name]))
             for number, name in enumerate(names, start=1)]
    unused = directory_entry("", 0, NO_STREAM, NO_STREAM, 0, 0)
    rows += [unused] * (directory_sectors * 4 - len(rows))
    directory = b"".join(rows)
    for n in range(directory_sectors):
        sectors[first_directory - 1 + n] = directory[n * 512:(n + 1) * 512]
    assert len(fat) <= 128, "one FAT sector is enough for these small files"
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x00" * 16,
        0x3E, 3, 0xFFFE, 9, 6, b"\x00" * 6, 0, 1, first_directory, 0, 4096, first_mini_fat,
        1 if mini_fat else 0, END, 0)
    header += struct.pack("<109I", 0, *[FREE] * 108)  # the FAT is sector 0
    fat_sector = struct.pack("<128I", *fat, *[FREE] * (128 - len(fat)))
    return header + fat_sector + b"".join(sectors)


def directory_entry(name, kind, child, right, start, size):
    encoded = name.encode("utf-16-le") + b"\x00\x00" if name else b""
    return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1 if kind else 0,
                       NO_STREAM, right if kind else NO_STREAM, child, b"\x00" * 16, 0, 0, 0,
                       start, size)


def hwp_bytes():
    """An HWP 5 document as far as recognising it goes: a compound file whose FileHeader stream
    (256 bytes, in the mini stream) starts with the signature, beside its DocInfo stream."""
    file_header = b"HWP Document File".ljust(32, b"\x00") + struct.pack("<II", 0x05000300, 0)
    return compound_bytes({"DocInfo": b"\x00" * 100, "FileHeader": file_header.ljust(256, b"\0")})


def upload(name, data):
    return SimpleUploadedFile(name, data)


GOOD = {
    "실적보고서.pdf": (pdf_bytes, EvidenceKind.PDF),
    "증빙.hwp": (hwp_bytes, EvidenceKind.HWP),
    "증빙.hwpx": (hwpx_bytes, EvidenceKind.HWPX),
    "report.docx": (docx_bytes, EvidenceKind.DOCX),
    "indicators.xlsx": (xlsx_bytes, EvidenceKind.XLSX),
    "briefing.pptx": (pptx_bytes, EvidenceKind.PPTX),
    "chart.png": (png_bytes, EvidenceKind.PNG),
    "photo.jpg": (jpeg_bytes, EvidenceKind.JPEG),
    "PHOTO.JPEG": (jpeg_bytes, EvidenceKind.JPEG),
}


# -- What is accepted ------------------------------------------------------------------------

@pytest.mark.parametrize("name", GOOD)
def test_each_accepted_kind_is_recognised_by_its_content(name):
    build, kind = GOOD[name]

    assert check_upload(upload(name, build())) == (kind, name)


def test_a_korean_name_is_kept_in_its_composed_form():
    decomposed = "\u1109\u1165\u11bc\u1100\u116a.pdf"  # 성과.pdf, as macOS spells it

    assert check_upload(upload(decomposed, pdf_bytes()))[1] == "성과.pdf"


def refused(file, match):
    with pytest.raises(ValidationError, match=match) as caught:
        check_upload(file)
    return caught.value.messages[0]


@pytest.mark.parametrize("name, build, match", [
    ("setup.pdf", lambda: b"MZ\x90\x00\x03" + b"\x00" * 200,
     "“setup.pdf” is not PDF: it is a Windows program"),
    ("tool.png", lambda: b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "not PNG: it is a Linux program"),
    ("notes.docx", lambda: "그냥 글입니다\n".encode() * 10, "not DOCX: it is text"),
    ("report.pdf", png_bytes, r"is PNG, not PDF: .*extension of its kind \(\.png\)"),
    ("slides.docx", pptx_bytes, r"is PPTX, not DOCX"),
    ("sheet.xlsx", lambda: zip_bytes({"a.txt": "x"}), "not XLSX: it is a ZIP archive that is"),
    ("old.hwp", lambda: compound_bytes({"WordDocument": b"\xec\xa5" + b"\x00" * 200}),
     "not HWP: it is a compound document without the header of an HWP document"),
    ("book.hwp", lambda: compound_bytes({"Workbook": b"\x09\x08" + b"\x00" * 5000}),
     "not HWP: it is a compound document without"),
    ("encrypted.docx", lambda: compound_bytes({"EncryptedPackage": b"\x00" * 300}),
     "not DOCX: it is a compound document"),
])
def test_content_that_is_not_what_the_name_says_is_refused(name, build, match):
    refused(upload(name, build()), match)


def test_the_hwp_signature_counts_only_in_the_file_header_stream():
    # The signature's bytes are in the file, in another stream: a byte search would take it.
    data = compound_bytes({"Contents": b"HWP Document File".ljust(256, b"\x00")})
    assert b"HWP Document File" in data

    refused(upload("fake.hwp", data), "compound document")


def test_a_damaged_compound_file_is_refused():
    data = bytearray(hwp_bytes())
    data[76:80] = struct.pack("<I", 4000)  # the FAT is said to be in a sector past the end

    refused(upload("broken.hwp", bytes(data)), "damaged")


def test_a_truncated_or_corrupt_zip_is_refused():
    data = docx_bytes()

    refused(upload("cut.docx", data[: len(data) // 2]), "damaged")
    corrupt = bytearray(data)
    start = corrupt.index(b"word/document.xml") + len("word/document.xml")
    corrupt[start + 5] ^= 0xFF  # inside the compressed document: its CRC no longer agrees
    refused(upload("corrupt.docx", bytes(corrupt)), "damaged")


def test_an_empty_file_is_refused():
    refused(upload("빈파일.pdf", b""), "“빈파일.pdf” is empty")


@override_settings(KIPPLAN_EVIDENCE_MAX_MB=1)
def test_a_file_over_the_limit_is_refused_saying_the_limit():
    big = pdf_bytes() + b"%" * (1024 * 1024)

    message = refused(upload("big.pdf", big), "at most 1 MB")
    assert "1.0 MB" in message
    assert check_upload(upload("fits.pdf", pdf_bytes() + b"%" * (1024 * 1024 - 1000)))


@pytest.mark.parametrize("name", ["readme.txt", "setup.exe", "archive.zip", "image.gif",
                                  "document.doc"])
def test_a_type_not_allowed_is_refused_listing_the_accepted(name):
    message = refused(upload(name, pdf_bytes()), "are not accepted")
    assert "PDF, HWP, HWPX, DOCX, XLSX, PPTX, PNG, JPEG" in message


@pytest.mark.parametrize("name", [
    "../../etc/passwd.pdf", "..\\secret.pdf", "a/b.pdf", "report..pdf",
])
def test_a_name_with_path_parts_is_refused(name):
    refused(ContentFile(pdf_bytes(), name=name), "may not contain")


@pytest.mark.parametrize("name", [
    "report\x00.pdf", "line\nbreak.pdf", "carriage\r.pdf", "tab\t.pdf", "del\x7f.pdf",
    "invoice\u202efdp.exe.pdf", "x\u202a.pdf", "x\u2066.pdf", "x\u2069.pdf",
])
def test_a_name_with_control_characters_is_refused_without_repeating_it(name):
    message = refused(ContentFile(pdf_bytes(), name=name), "control or invisible characters")
    assert name not in message


def test_a_long_name_or_one_without_an_extension_is_refused():
    refused(upload("가" * 147 + ".pdf", pdf_bytes()), "151 characters long: at most 150")
    assert check_upload(upload("가" * 146 + ".pdf", pdf_bytes()))
    refused(upload("report", pdf_bytes()), "has no extension")
    refused(upload(".pdf", pdf_bytes()), "has no extension")
    refused(upload("report.", pdf_bytes()), "has no extension")


def test_a_django_upload_strips_the_path_before_the_check():
    # What the admin passes: Django's upload keeps only the last part of the name.
    assert check_upload(upload("../../증빙.pdf", pdf_bytes())) == (EvidenceKind.PDF, "증빙.pdf")


# -- Adding and withdrawing ---------------------------------------------------------------------

def storage_root():
    return EvidenceFile._meta.get_field("file").storage.location


def stored_files():
    root = storage_root()
    return {os.path.relpath(os.path.join(folder, name), root)
            for folder, _dirs, names in os.walk(root) for name in names}


@pytest.fixture
def open_round(plan):
    return round_at(RoundState.SUBMISSION, plan)


def test_lead_staff_add_a_file_stored_under_a_name_of_its_own(open_round, task, staff):
    before = stored_files()
    data = pdf_bytes()

    evidence = add_evidence(task=task, user=staff, upload=upload("실적 보고서.pdf", data))

    assert (evidence.name, evidence.kind, evidence.size) == ("실적 보고서.pdf", "pdf", len(data))
    assert evidence.uploaded_by == staff
    assert evidence.result == Result.objects.get(task=task)  # a draft, made for it
    assert len(evidence.sha256) == 64
    [new] = stored_files() - before
    assert new.startswith(f"{task.plan.year}/{task.pk}/") and new.endswith(".pdf")
    assert "실적" not in new
    with evidence.file.open("rb") as stored:
        assert stored.read() == data


def test_the_same_name_twice_is_two_files_nothing_overwritten(open_round, task, staff):
    first = add_evidence(task=task, user=staff, upload=upload("사진.png", png_bytes()))
    second = add_evidence(task=task, user=staff, upload=upload("사진.png", png_bytes()))

    assert first.file.name != second.file.name
    assert EvidenceFile.objects.filter(result__task=task, name="사진.png").count() == 2
    assert {first.file.name, second.file.name} <= stored_files()


def test_a_large_upload_in_a_temporary_file_is_stored(open_round, task, staff):
    data = pdf_bytes() + b"%" * 3_000_000
    temporary = TemporaryUploadedFile("large.pdf", "application/pdf", len(data), None)
    temporary.write(data)
    temporary.flush()

    evidence = add_evidence(task=task, user=staff, upload=temporary)

    with evidence.file.open("rb") as stored:
        assert stored.read() == data
    temporary.close()  # as the request's end does: the storage moved its file


@pytest.mark.parametrize("name, build", [
    ("setup.pdf", lambda: b"MZ" + b"\x00" * 100),
    ("빈.pdf", lambda: b""),
    ("../x.pdf", pdf_bytes),
    ("x\u202e.pdf", pdf_bytes),
    ("notes.txt", lambda: b"hello"),
])
def test_a_bad_upload_stores_no_row_and_no_file(open_round, task, staff, name, build):
    before = stored_files()

    with pytest.raises(ValidationError):
        add_evidence(task=task, user=staff, upload=ContentFile(build(), name=name))

    assert not EvidenceFile.objects.exists()
    assert stored_files() == before


@override_settings(KIPPLAN_EVIDENCE_MAX_MB=1)
def test_a_file_over_the_limit_stores_nothing(open_round, task, staff):
    before = stored_files()

    with pytest.raises(ValidationError, match="at most 1 MB"):
        add_evidence(task=task, user=staff,
                     upload=upload("big.pdf", pdf_bytes() + b"%" * (1024 * 1024)))

    assert not EvidenceFile.objects.exists()
    assert stored_files() == before


@pytest.mark.parametrize("failure", [
    ValidationError("the row is refused"), IntegrityError("a constraint"), RuntimeError("?")])
def test_a_failure_after_the_file_is_stored_deletes_it(open_round, task, staff, monkeypatch,
                                                       failure):
    before = stored_files()

    def fail(self, *args, **kwargs):
        assert stored_files() - before, "the file is stored when the row is saved"
        raise failure

    monkeypatch.setattr(EvidenceFile, "save", fail)

    with pytest.raises(type(failure)):
        add_evidence(task=task, user=staff, upload=upload("a.pdf", pdf_bytes()))

    assert stored_files() == before
    assert not EvidenceFile.objects.exists()


@pytest.fixture
def supporting_staff(task, other_agency, make_staff):
    task.supporting_agencies.add(other_agency)
    return make_staff(other_agency, username="mcst-staff")


@pytest.fixture
def unrelated_staff(make_staff):
    return make_staff(AgencyFactory(slug="unrelated"), username="unrelated-staff")


@pytest.fixture
def assigned(open_round, task, other_agency):
    """An evaluator assigned to the task (from another agency, as the conflict rule asks)."""
    user = evaluator("assigned-evaluator", other_agency)
    evaluation.assign(round_=open_round, evaluator=user, task=task, user=plan_manager())
    return user


@pytest.mark.parametrize("who", ["supporting_staff", "unrelated_staff", "manager", "assigned"])
def test_only_the_lead_agencys_staff_add_files(request, open_round, task, who):
    user = request.getfixturevalue(who)
    before = stored_files()

    with pytest.raises(PermissionDenied):
        add_evidence(task=task, user=user, upload=upload("a.pdf", pdf_bytes()))

    assert not EvidenceFile.objects.exists()
    assert not Result.objects.exists()
    assert stored_files() == before


@pytest.mark.parametrize("state, match", [
    (RoundState.PREPARING, "once the round opens"),
    (RoundState.APPROVED, "nothing of it changes"),
    (RoundState.PUBLISHED, "nothing of it changes"),
])
def test_files_are_taken_only_while_the_round_takes_results(plan, task, staff, state, match):
    round_at(state, plan)
    before = stored_files()

    with pytest.raises(ValidationError, match=match):
        add_evidence(task=task, user=staff, upload=upload("a.pdf", pdf_bytes()))

    assert not EvidenceFile.objects.exists()
    assert stored_files() == before


def test_a_plan_without_a_round_takes_no_files(task, staff):
    with pytest.raises(ValidationError, match="no evaluation round"):
        add_evidence(task=task, user=staff, upload=upload("a.pdf", pdf_bytes()))


def test_a_late_file_is_accepted_while_the_round_is_evaluated(plan, task, staff):
    round_at(RoundState.EVALUATION, plan)

    assert add_evidence(task=task, user=staff, upload=upload("late.pdf", pdf_bytes())).pk


def test_withdrawing_keeps_the_file_listed_as_withdrawn(open_round, task, staff):
    evidence = add_evidence(task=task, user=staff, upload=upload("a.pdf", pdf_bytes()))

    withdrawn = withdraw_evidence(evidence=evidence, user=staff)

    evidence.refresh_from_db()
    assert evidence.withdrawn and evidence.withdrawn_by == staff
    assert withdrawn.withdrawn_at == evidence.withdrawn_at
    assert evidence.file.name in stored_files()
    with pytest.raises(ValidationError, match="withdrawn already"):
        withdraw_evidence(evidence=evidence, user=staff)


@pytest.mark.parametrize("who", ["supporting_staff", "unrelated_staff", "manager", "assigned"])
def test_only_the_lead_agencys_staff_withdraw_files(request, open_round, task, staff, who):
    evidence = add_evidence(task=task, user=staff, upload=upload("a.pdf", pdf_bytes()))
    user = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        withdraw_evidence(evidence=evidence, user=user)

    evidence.refresh_from_db()
    assert not evidence.withdrawn


def test_nothing_is_withdrawn_once_the_round_is_decided(open_round, task, staff):
    evidence = add_evidence(task=task, user=staff, upload=upload("a.pdf", pdf_bytes()))
    type(open_round).objects.filter(pk=open_round.pk).update(state=RoundState.APPROVED)

    with pytest.raises(ValidationError, match="nothing of it changes"):
        withdraw_evidence(evidence=evidence, user=staff)

    evidence.refresh_from_db()
    assert not evidence.withdrawn


# -- Downloads ----------------------------------------------------------------------------------

@pytest.fixture
def draft_evidence(open_round, task, staff):
    return add_evidence(task=task, user=staff, upload=upload("추진 실적 (최종).pdf", pdf_bytes()))


@pytest.fixture
def evidence(draft_evidence, task, staff):
    """The file of results submitted: read by all who read the task's results."""
    from tracker.evaluation import services as results

    results.save_result(task=task, user=staff, achievements="성과", problems="", next_steps="",
                        expected_version=results.result_for(task).version)
    results.submit_result(task=task, user=staff)
    return draft_evidence


@pytest.mark.parametrize("who, status", [
    ("staff", 200), ("supporting_staff", 404), ("manager", 404), ("assigned", 404)])
def test_a_drafts_file_is_its_lead_agencys_own_until_submitted(client, request,
                                                              draft_evidence, who, status):
    client.force_login(request.getfixturevalue(who))

    assert download(client, draft_evidence).status_code == status


def download(client, evidence):
    return client.get(reverse("tracker:evidence_download", args=[evidence.pk]))


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("who", ["staff", "supporting_staff", "manager", "assigned"])
def test_those_who_read_the_results_download_the_file(client, request, evidence, who):
    client.force_login(request.getfixturevalue(who))

    response = download(client, evidence)

    assert response.status_code == 200
    assert body(response) == pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%EC%B6%94%EC%A7%84" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert evidence.file.name not in response["Content-Disposition"]


@pytest.fixture
def unassigned(agency):
    """An evaluator with no assignment, though of the task's own agency."""
    return evaluator("unassigned-evaluator", agency)


@pytest.mark.parametrize("who", ["unrelated_staff", "unassigned"])
def test_anyone_else_gets_the_404_of_a_file_that_does_not_exist(client, request, evidence, who):
    client.force_login(request.getfixturevalue(who))

    response = download(client, evidence)
    missing_url = reverse("tracker:evidence_download", args=[evidence.pk + 1000])
    missing = client.get(missing_url)

    assert response.status_code == missing.status_code == 404
    own_url = reverse("tracker:evidence_download", args=[evidence.pk])
    assert without_csrf(response.content.decode()).replace(own_url, "URL") == without_csrf(
        missing.content.decode()).replace(missing_url, "URL")
    assert "추진 실적".encode() not in response.content
    assert evidence.file.name.encode() not in response.content


def test_an_unassigned_evaluator_of_another_agency_gets_a_404(client, evidence, other_agency):
    client.force_login(evaluator("outsider", other_agency))

    assert download(client, evidence).status_code == 404


@pytest.mark.parametrize("public", [False, True])
def test_anonymous_users_are_sent_to_log_in_even_on_a_published_site(client, evidence, public):
    with override_settings(KIPPLAN_PUBLIC_PAGES=public):
        response = download(client, evidence)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_withdrawn_file_still_downloads_for_its_readers(client, evidence, staff, manager):
    withdraw_evidence(evidence=evidence, user=staff)
    client.force_login(manager)

    response = download(client, evidence)

    assert response.status_code == 200
    assert body(response) == pdf_bytes()


@pytest.mark.parametrize("name", list(GOOD))
def test_each_kind_downloads_with_its_content_type(client, open_round, task, staff, name):
    build, kind = GOOD[name]
    content = build()  # once: the office formats stamp the zip entries with the current second
    evidence = add_evidence(task=task, user=staff, upload=upload(name, content))
    client.force_login(staff)

    response = download(client, evidence)

    expected = {
        "pdf": "application/pdf", "hwp": "application/x-hwp", "hwpx": "application/hwp+zip",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "png": "image/png", "jpeg": "image/jpeg"}
    assert response["Content-Type"] == expected[kind]
    assert body(response) == content


def test_a_file_missing_from_the_storage_is_a_404_saying_so(client, evidence, staff):
    evidence.file.storage.delete(evidence.file.name)
    client.force_login(staff)

    response = download(client, evidence)

    assert response.status_code == 404
    assert "추진 실적 (최종).pdf" in response.content.decode()
    assert evidence.file.name not in response.content.decode()


def test_another_agencys_file_name_never_appears_in_a_404(client, plan, strategy,
                                                          other_agency, make_staff, staff):
    theirs_task = TaskFactory(plan=plan, strategy=strategy, lead_agency=other_agency, number=3)
    round_at(RoundState.SUBMISSION, plan)
    theirs = add_evidence(task=theirs_task, user=make_staff(other_agency),
                          upload=upload("문체부 비공개 자료.pdf", pdf_bytes()))
    client.force_login(staff)

    response = download(client, theirs)

    assert response.status_code == 404
    assert "비공개".encode() not in response.content
    assert str(theirs_task).encode() not in response.content


def test_only_get_and_head_are_answered(client, evidence, staff):
    client.force_login(staff)

    assert client.post(reverse("tracker:evidence_download", args=[evidence.pk])
                       ).status_code == 405


# -- Where files are stored ---------------------------------------------------------------------

def evidence_storage_setting(**env):
    """STORAGES["evidence"] as kipplan.settings makes it from ``env``, in a fresh interpreter."""
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("DJANGO_", "DATABASE_", "KIPPLAN_"))}
    result = subprocess.run(
        [sys.executable, "-c",
         "import json, kipplan.settings as s; print(json.dumps(s.STORAGES['evidence']))"],
        env={**clean, "DJANGO_SECRET_KEY": "x" * 50, **env}, cwd=settings.BASE_DIR,
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_files_are_stored_in_a_folder_outside_any_url_by_default():
    default = evidence_storage_setting()
    moved = evidence_storage_setting(KIPPLAN_EVIDENCE_ROOT="/srv/kipplan/evidence")

    assert default == {"BACKEND": "django.core.files.storage.FileSystemStorage",
                       "OPTIONS": {"location": str(settings.BASE_DIR / "evidence"),
                                   "base_url": None}}
    assert moved["OPTIONS"]["location"] == "/srv/kipplan/evidence"


def test_a_bucket_stores_files_privately_in_s3_compatible_storage():
    aws = evidence_storage_setting(KIPPLAN_EVIDENCE_BUCKET="kipplan-evidence")
    compatible = evidence_storage_setting(KIPPLAN_EVIDENCE_BUCKET="kipplan-evidence",
                                          KIPPLAN_EVIDENCE_ENDPOINT_URL="https://s3.example.kr")

    assert aws == {"BACKEND": "storages.backends.s3.S3Storage",
                   "OPTIONS": {"bucket_name": "kipplan-evidence", "default_acl": "private",
                               "querystring_auth": True, "file_overwrite": False}}
    assert compatible["OPTIONS"]["endpoint_url"] == "https://s3.example.kr"
