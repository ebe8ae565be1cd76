"""
Evidence files of the year-end results: what is accepted, and the services that add and withdraw
them.

A file is accepted by its content, never by its name alone: PDF, HWP (a compound file whose
``FileHeader`` stream says "HWP Document File"), HWPX, DOCX, XLSX and PPTX (zip packages with
their own parts), PNG and JPEG, each under the size limit (KIPPLAN_EVIDENCE_MAX_MB), with a
name whose extension agrees with the content. Files are stored through the ``evidence`` storage
under a name of their own (``<plan year>/<task id>/<random>.<ext>``), never the user's, so that
nothing is overwritten; a failed upload leaves no file behind. A withdrawn file stays, listed as
withdrawn. Who may add or withdraw files, and when, is the results' rule
(``tracker.evaluation.services``).
"""

import hashlib
import logging
import struct
import unicodedata
import uuid
import zipfile
import zlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.evaluation.models import (
    EvaluationRound,
    EvidenceFile,
    EvidenceKind,
    Result,
    evidence_storage,
)
from tracker.evaluation.services import (
    can_write_institution_results,
    check_open_for_results,
    locked_open_round,
    locked_round_for_results,
    round_of,
)

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 150

# The extensions accepted, and the kind each one promises.
EXTENSIONS = {
    "pdf": EvidenceKind.PDF, "hwp": EvidenceKind.HWP, "hwpx": EvidenceKind.HWPX,
    "docx": EvidenceKind.DOCX, "xlsx": EvidenceKind.XLSX, "pptx": EvidenceKind.PPTX,
    "png": EvidenceKind.PNG, "jpg": EvidenceKind.JPEG, "jpeg": EvidenceKind.JPEG,
}
# The extension of a stored file of each kind.
STORED_EXTENSION = {kind: kind.value for kind in EvidenceKind} | {EvidenceKind.JPEG: "jpg"}

# What the download says each kind is.
CONTENT_TYPES = {
    EvidenceKind.PDF: "application/pdf",
    EvidenceKind.HWP: "application/x-hwp",
    EvidenceKind.HWPX: "application/hwp+zip",
    EvidenceKind.DOCX:
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    EvidenceKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    EvidenceKind.PPTX:
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    EvidenceKind.PNG: "image/png",
    EvidenceKind.JPEG: "image/jpeg",
}

PDF_SIGNATURE = b"%PDF-"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
HWP_SIGNATURE = b"HWP Document File"

# Characters never accepted in a file name: controls (\x00, \n, \r, \t, DEL...), format characters
# (the bidirectional overrides and isolates U+202A-U+202E and U+2066-U+2069 among them, which make
# a name read differently from what it is), lone surrogates and line or paragraph separators.
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def accepted_kinds():
    return ", ".join(kind.label for kind in EvidenceKind)


# -- What a file is -----------------------------------------------------------------------------

def check_upload(upload) -> tuple[str, str]:
    """Check an uploaded file (a Django File: an UploadedFile, or a ContentFile with a name) and
    return (its EvidenceKind value, its name as it will be shown); a ValidationError says what is
    wrong. The content decides what the file is; its extension must agree."""
    name = check_name(upload.name or "")
    extension = name.rsplit(".", 1)[1].lower()
    expected = EXTENSIONS.get(extension)
    if expected is None:
        raise ValidationError(
            _("Files of type “.%(extension)s” are not accepted. Accepted are %(kinds)s.")
            % {"extension": extension, "kinds": accepted_kinds()}, code="evidence_type")
    size = upload.size
    if not size:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name},
                              code="evidence_empty")
    limit = settings.KIPPLAN_EVIDENCE_MAX_MB
    if size > limit * 1024 * 1024:
        raise ValidationError(
            _("“%(name)s” is %(size)s MB: files may be at most %(limit)s MB.")
            % {"name": name, "size": f"{size / (1024 * 1024):.1f}", "limit": limit},
            code="evidence_too_large")
    kind, what = identify(upload)
    if kind is None:
        raise ValidationError(
            _("The content of “%(name)s” is not %(kind)s: it is %(what)s.")
            % {"name": name, "kind": expected.label, "what": what}, code="evidence_content")
    if kind != expected:
        raise ValidationError(
            _("The content of “%(name)s” is %(actual)s, not %(kind)s: give the file the "
              "extension of its kind (.%(extension)s).")
            % {"name": name, "actual": EvidenceKind(kind).label, "kind": expected.label,
               "extension": STORED_EXTENSION[kind]}, code="evidence_content")
    return kind, name


def check_name(raw: str) -> str:
    """The file's name, NFC-normalised (Korean names stay as they are), or a ValidationError.
    Messages do not repeat a refused name: it may hold characters that mislead."""
    name = unicodedata.normalize("NFC", raw).strip(" ")
    if not name:
        raise ValidationError(_("The file has no name."), code="evidence_name")
    if any(unicodedata.category(char) in FORBIDDEN_CATEGORIES for char in name):
        raise ValidationError(
            _("The file's name contains control or invisible characters (such as line breaks "
              "or text-direction marks). Rename the file and upload it again."),
            code="evidence_name")
    if "/" in name or "\\" in name or ".." in name:
        raise ValidationError(
            _("The file's name may not contain “/”, “\\” or “..”. Rename the file and upload "
              "it again."), code="evidence_name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("The file's name is %(length)s characters long: at most %(limit)s are accepted.")
            % {"length": len(name), "limit": MAX_NAME_LENGTH}, code="evidence_name")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not extension or extension != extension.strip():
        raise ValidationError(
            _("“%(name)s” has no extension: name it after its kind (%(kinds)s).")
            % {"name": name, "kinds": accepted_kinds()}, code="evidence_name")
    return name


def identify(upload) -> tuple[str | None, str]:
    """(The kind the content is, or None; what it is, in words, when it is none of them.)"""
    upload.seek(0)
    head = upload.read(16)
    if head.startswith(PDF_SIGNATURE):
        return EvidenceKind.PDF, ""
    if head.startswith(PNG_SIGNATURE):
        return EvidenceKind.PNG, ""
    if head.startswith(JPEG_SIGNATURE):
        return EvidenceKind.JPEG, ""
    if head.startswith(OLE_SIGNATURE):
        return identify_compound(upload)
    if head.startswith(ZIP_SIGNATURE):
        return identify_package(upload)
    return None, describe(head)


def describe(head: bytes) -> str:
    """What a file of no accepted kind is, as far as its first bytes say."""
    if head.startswith(b"MZ"):
        return _("a Windows program")
    if head.startswith(b"\x7fELF"):
        return _("a Linux program")
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                    b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return _("a macOS program")
    if head.startswith(b"#!"):
        return _("a script")
    if head.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        return _("an empty or split ZIP archive")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(char.isprintable() or char in "\r\n\t" for char in text):
        return _("text")
    return _("none of the kinds accepted (%(kinds)s)") % {"kinds": accepted_kinds()}


# ZIP packages: HWPX, DOCX, XLSX, PPTX. Their parts are read only as far as needed, with a bound
# on what is unpacked, so that a zip bomb cannot hold the server.
PACKAGE_PARTS = {
    EvidenceKind.DOCX: "word/document.xml",
    EvidenceKind.XLSX: "xl/workbook.xml",
    EvidenceKind.PPTX: "ppt/presentation.xml",
}
CONTENT_TYPES_PART = "[Content_Types].xml"
HWPX_MIMETYPE = b"application/hwp+zip"
MAX_UNPACKED = 256 * 1024 * 1024


class TooLarge(Exception):
    """A part of a package unpacks to more than MAX_UNPACKED."""


def identify_package(upload):
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as package:
            names = set(package.namelist())
            kind = package_kind(package, names)
    except TooLarge:
        return None, _("a ZIP archive that unpacks to more than %(limit)s MB") % {
            "limit": MAX_UNPACKED // (1024 * 1024)}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
            RuntimeError, NotImplementedError, ValueError):
        # RuntimeError: an encrypted part; NotImplementedError: an unknown compression.
        return None, _("a damaged or encrypted ZIP archive")
    if kind is None:
        return None, _("a ZIP archive that is none of HWPX, DOCX, XLSX or PPTX")
    return kind, ""


def package_kind(package, names):
    if "mimetype" in names and read_part(package, "mimetype", limit=256).strip() == HWPX_MIMETYPE:
        return EvidenceKind.HWPX
    if CONTENT_TYPES_PART not in names:
        return None
    kinds = [kind for kind, part in PACKAGE_PARTS.items() if part in names]
    if len(kinds) != 1:
        return None
    read_part(package, CONTENT_TYPES_PART)
    read_part(package, PACKAGE_PARTS[kinds[0]])
    return kinds[0]


def read_part(package, name, limit=None):
    """Read a part to its end, so that zipfile checks its CRC; at most ``limit`` bytes are kept,
    and at most MAX_UNPACKED read."""
    kept, total = b"", 0
    with package.open(name) as part:
        while chunk := part.read(1024 * 1024):
            total += len(chunk)
            if total > MAX_UNPACKED:
                raise TooLarge
            if limit is not None and len(kept) < limit:
                kept += chunk[:limit - len(kept)]
    return kept


# Compound files (OLE2, [MS-CFB]): an HWP 5 document is one whose root storage holds a
# ``FileHeader`` stream starting with "HWP Document File". A Word 97 .doc or an Excel .xls is a
# compound file too, without that stream: refused. The reader below follows the format's own
# tables (the FAT, the mini FAT, the directory), never a search of the bytes.
FREE, END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE
NO_STREAM = 0xFFFFFFFF
MAX_REGULAR_SECTOR = 0xFFFFFFFA
STREAM, ROOT = 2, 5


class Damaged(Exception):
    """The compound file's tables do not hold together."""


def identify_compound(upload):
    try:
        header = read_file_header_stream(upload)
    except Damaged:
        return None, _("a damaged compound document")
    if header is not None and header.startswith(HWP_SIGNATURE):
        return EvidenceKind.HWP, ""
    return None, _("a compound document without the header of an HWP document (an old Word "
                   "or Excel file, say, or a password-protected Office file)")


class CompoundFile:
    """Just enough of [MS-CFB] to read a small stream of the root storage."""

    def __init__(self, upload):
        self.file = upload
        self.file_size = upload.size
        header = self.read_at(0, 512)
        (major, byte_order, sector_shift, mini_shift) = struct.unpack_from("<HHHH", header, 26)
        if byte_order != 0xFFFE or (major, sector_shift) not in ((3, 9), (4, 12)) \
                or mini_shift != 6:
            raise Damaged
        self.sector_size = 1 << sector_shift
        (fat_sectors, self.first_directory, _signature, self.mini_cutoff, self.first_mini_fat,
         mini_fat_sectors, first_difat, difat_sectors) = struct.unpack_from("<8I", header, 44)
        self.max_sectors = self.file_size // self.sector_size + 1
        if fat_sectors > self.max_sectors or difat_sectors > self.max_sectors:
            raise Damaged
        self.fat = self.read_fat(header, fat_sectors, first_difat, difat_sectors)

    def read_at(self, offset, length):
        if offset + length > self.file_size:
            raise Damaged
        self.file.seek(offset)
        data = self.file.read(length)
        if len(data) != length:
            raise Damaged
        return data

    def sector(self, number):
        if number > MAX_REGULAR_SECTOR:
            raise Damaged
        return self.read_at((number + 1) * self.sector_size, self.sector_size)

    def read_fat(self, header, fat_sectors, first_difat, difat_sectors):
        locations = list(struct.unpack_from("<109I", header, 76))
        per_sector = self.sector_size // 4
        number, seen = first_difat, 0
        while number not in (FREE, END_OF_CHAIN) and seen < difat_sectors:
            entries = struct.unpack(f"<{per_sector}I", self.sector(number))
            locations += entries[:-1]
            number, seen = entries[-1], seen + 1
        locations = [location for location in locations if location != FREE][:fat_sectors]
        if len(locations) != fat_sectors:
            raise Damaged
        fat = []
        for location in locations:
            fat += struct.unpack(f"<{per_sector}I", self.sector(location))
        return fat

    def chain(self, start, table):
        """The sector numbers of a chain, refusing loops and numbers off the table."""
        numbers, number = [], start
        while number != END_OF_CHAIN:
            if number >= len(table) or len(numbers) > len(table):
                raise Damaged
            numbers.append(number)
            number = table[number]
        return numbers

    def read_chain(self, start, size):
        data = b"".join(self.sector(n) for n in self.chain(start, self.fat))
        if len(data) < size:
            raise Damaged
        return data[:size]

    def directory(self):
        data = b"".join(self.sector(n) for n in self.chain(self.first_directory, self.fat))
        entries = []
        for offset in range(0, len(data), 128):
            raw = data[offset:offset + 128]
            length, kind = struct.unpack_from("<HB", raw, 64)
            name = raw[:max(0, min(length, 64) - 2)].decode("utf-16-le", errors="replace")
            left, right, child = struct.unpack_from("<III", raw, 68)
            start, size = struct.unpack_from("<IQ", raw, 116)
            if self.sector_size == 512:
                size &= 0xFFFFFFFF  # version 3 files may leave the high half undefined
            entries.append({"name": name, "kind": kind, "left": left, "right": right,
                            "child": child, "start": start, "size": size})
        return entries

    def root_stream(self, wanted):
        """The content of the stream named ``wanted`` directly in the root storage, or None."""
        entries = self.directory()
        if not entries or entries[0]["kind"] != ROOT:
            raise Damaged
        root = entries[0]
        pending, seen = [root["child"]], set()
        while pending:
            number = pending.pop()
            if number == NO_STREAM:
                continue
            if number >= len(entries) or number in seen:
                raise Damaged
            seen.add(number)
            entry = entries[number]
            pending += [entry["left"], entry["right"]]
            if entry["kind"] == STREAM and entry["name"].upper() == wanted.upper():
                return self.stream(entry, root)
        return None

    def stream(self, entry, root):
        size = entry["size"]
        if size > self.file_size:
            raise Damaged
        if size >= self.mini_cutoff:
            return self.read_chain(entry["start"], size)
        # A small stream lives in the mini stream (the root's), in 64-byte mini sectors.
        mini_fat_data = b"".join(
            self.sector(n) for n in self.chain(self.first_mini_fat, self.fat)
        ) if self.first_mini_fat != END_OF_CHAIN else b""
        mini_fat = list(struct.unpack(f"<{len(mini_fat_data) // 4}I", mini_fat_data))
        if root["size"] > self.file_size:
            raise Damaged
        mini_stream = self.read_chain(root["start"], root["size"])
        data = b"".join(mini_stream[number * 64:(number + 1) * 64]
                        for number in self.chain(entry["start"], mini_fat))
        if len(data) < size:
            raise Damaged
        return data[:size]


def read_file_header_stream(upload):
    try:
        return CompoundFile(upload).root_stream("FileHeader")
    except (struct.error, OSError, ValueError) as error:
        raise Damaged from error


# -- Services -----------------------------------------------------------------------------------

def stored_name(folder, kind):
    """A new name in the storage: the unit's folder (the plan's year, then the task, or the
    institution), a random part; never the user's."""
    return f"{folder}/{uuid.uuid4().hex}.{STORED_EXTENSION[kind]}"


def digest(upload):
    sha256, size = hashlib.sha256(), 0
    for chunk in upload.chunks():
        sha256.update(chunk)
        size += len(chunk)
    return sha256.hexdigest(), size


def add_evidence(*, user, upload, task=None, round_=None, institution=None) -> EvidenceFile:
    """Add an evidence file to a task's results, or to a metropolitan government's own for the
    round (``round_`` and ``institution``); a draft is made if there are none yet. The file is
    stored under a new name; if anything fails once it is stored, it is deleted again."""
    if task is not None:
        if not task.can_write_results(user):
            raise PermissionDenied
        check_open_for_results(round_of(task))
        unit, folder = {"task": task}, f"{task.plan.year}/{task.pk}"

        def lock():
            return locked_open_round(task)
    else:
        if not can_write_institution_results(user, institution):
            raise PermissionDenied
        check_open_for_results(round_)
        unit = {"plan": round_.plan, "institution": institution}
        folder = f"{round_.plan.year}/institution-{institution.pk}"

        def lock():
            return locked_round_for_results(round_)
    kind, name = check_upload(upload)
    sha256, size = digest(upload)
    storage = evidence_storage()
    path = None
    try:
        upload.seek(0)
        path = storage.save(stored_name(folder, kind), upload)
        with transaction.atomic():
            lock()
            result, _created = Result.objects.get_or_create(**unit)
            evidence = EvidenceFile(result=result, file=path, name=name, kind=kind, size=size,
                                    sha256=sha256, uploaded_by=user)
            evidence.full_clean()
            evidence.save()
    except BaseException:
        if path is not None:
            remove_quietly(storage, path)
        raise
    return evidence


def writable_by(result, user) -> bool:
    """Whether a user writes these results: the task's lead agency, or the institution."""
    if result.task_id:
        return result.task.can_write_results(user)
    return can_write_institution_results(user, result.institution)


def remove_quietly(storage, path):
    """Delete a file stored by a failed upload; a failure to delete is logged, not raised over
    the error that caused it."""
    try:
        storage.delete(path)
    except Exception:
        logger.exception("Could not delete the evidence file %s of a failed upload", path)


def withdraw_evidence(*, evidence, user) -> EvidenceFile:
    """Withdraw an evidence file: it stays, listed as withdrawn, with who withdrew it and when."""
    result = evidence.result
    if not writable_by(result, user):
        raise PermissionDenied
    with transaction.atomic():
        if result.task_id:
            locked_open_round(result.task)
        else:
            round_ = EvaluationRound.objects.filter(plan_id=result.plan_id).first()
            check_open_for_results(round_)  # a round deleted meanwhile: said, not a crash
            locked_round_for_results(round_)
        evidence = EvidenceFile.objects.select_for_update().get(pk=evidence.pk)
        if evidence.withdrawn:
            raise ValidationError(
                _("“%(name)s” was withdrawn already, on %(when)s.") % {
                    "name": evidence.name,
                    "when": timezone.localtime(evidence.withdrawn_at).strftime("%Y-%m-%d %H:%M")},
                code="evidence_withdrawn")
        evidence.withdrawn_at = timezone.now()
        evidence.withdrawn_by = user
        evidence.full_clean()
        evidence.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return evidence
