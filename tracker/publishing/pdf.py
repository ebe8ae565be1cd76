"""
The annual report as PDF, for publication: WeasyPrint renders an HTML template
(``templates/tracker/annual_report_pdf.html``) to A4 with Korean fonts embedded, page numbers,
a table of contents with page numbers and tables whose header rows repeat on every page.

WeasyPrint is pure Python but needs Pango from the system (Debian ``libpango-1.0-0``,
``libpangoft2-1.0-0``) and a font with Korean glyphs (Debian ``fonts-noto-cjk``). It is imported
only here, when a PDF is made: on a machine without them the rest of kipplan works, the report
page says what is missing (``pdf_unavailable``) and only the HWPX files are made.
"""

import functools
import glob
import logging
import os
import re
import shutil
import subprocess

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.publishing.content import Report
from tracker.publishing.hwpx import (
    best_metropolitan_text,
    cover_lines,
    no_meetings_text,
    opinion_rows,
    region_header,
    region_row,
    section_titles,
    trend_charts,
)

FONT_FAMILY = "Noto Sans CJK KR"
FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"),
             os.path.expanduser("~/.local/share/fonts")]


class PdfUnavailable(Exception):
    """The PDF cannot be made on this machine; the message says why and what to install."""


def korean_font_installed():
    """Whether fontconfig knows the Korean font (``fc-list``), or, without fc-list, whether its
    files are in the usual font folders."""
    if shutil.which("fc-list"):
        found = subprocess.run(["fc-list", f":family={FONT_FAMILY}", "family"],
                               capture_output=True, text=True, timeout=30, check=False)
        return FONT_FAMILY in found.stdout
    return any(glob.glob(os.path.join(folder, "**", "NotoSansCJK*"), recursive=True)
               for folder in FONT_DIRS)


@functools.cache
def pdf_unavailable():
    """Why the PDF cannot be made here (a sentence for the report page), or None when it can.
    Checked once a process: installing the packages takes a restart."""
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi)
    except ImportError:
        return _("The PDF engine WeasyPrint is not installed (pip install weasyprint).")
    except OSError as error:
        return _("WeasyPrint cannot load Pango, which it needs from the system (Debian: apt "
                 "install libpango-1.0-0 libpangoft2-1.0-0): %(error)s") % {"error": error}
    if not korean_font_installed():
        return _("The Korean font %(font)s is not installed (Debian: apt install "
                 "fonts-noto-cjk).") % {"font": FONT_FAMILY}
    return None


# A run of text between spaces that holds a Hangul syllable or jamo.
KOREAN_WORD = re.compile(r"[^\s<>]*[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3][^\s<>]*")
TEXT_NODE = re.compile(r">([^<]+)<")
ENTITY = re.compile(r"(&#?\w+;)")
HEADING = re.compile(r"<h([1-6])([^>]*)>(.*?)</h\1>", re.S)


WORD_JOINER = "\u2060"


def keep_korean_words(html: str) -> str:
    """Korean is broken between words, never inside one ("미착수", not "미착/수"): CSS says
    ``word-break: keep-all``, which WeasyPrint does not support (70: normal and break-all only).
    So each Korean word of the body's text has a word joiner (U+2060, which forbids a break and
    draws nothing: the PDF's text has none) between its letters. A span a word, which does the
    same, took 40% more memory at 750 tasks (bench/annual_report.py)."""
    head, body = html.split("<body>", 1)
    # Headings keep their text as it is in an attribute, for the PDF's bookmarks and the pages'
    # running title (the template's CSS reads it), which would otherwise carry the joiners.
    body = HEADING.sub(lambda found: f'<h{found[1]}{found[2]} data-label="'
                       + re.sub(r"<[^>]+>", "", found[3]).strip().replace('"', "&quot;")
                       + f'">{found[3]}</h{found[1]}>', body)

    def joined(word):  # letter by letter, an entity (&amp;) whole
        return WORD_JOINER.join(letter for piece in ENTITY.split(word.group(0))
                                for letter in ([piece] if ENTITY.fullmatch(piece) else piece))

    def words(match):
        return ">" + KOREAN_WORD.sub(joined, match.group(1)) + "<"

    return head + "<body>" + TEXT_NODE.sub(words, body)


def build_pdf(report: Report) -> bytes:
    """The report as a PDF, in the active language (the report's). Raises PdfUnavailable when
    the machine lacks WeasyPrint, Pango or the font."""
    reason = pdf_unavailable()
    if reason:
        raise PdfUnavailable(reason)
    from weasyprint import HTML

    # WeasyPrint logs each page it lays out at INFO, which the root logger (INFO) would print.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    html = render_to_string("tracker/publishing/annual_report_pdf.html", {
        "report": report, "sections": section_titles(), "font": FONT_FAMILY,
        "opinion_rows": opinion_rows(report.opinions),
        "best_metropolitan": best_metropolitan_text(report.evaluation),
        "issuer": report.issuer, "cover": cover_lines(report),
        "region_header": region_header(), "regions": [region_row(row) for row in report.regions],
        "no_meetings": no_meetings_text(report), "trends": trend_charts(report),
        "created": timezone.now().isoformat(timespec="seconds"),
    })
    # Tagged (headings, tables, lists), with the title, author, language and date in its
    # metadata: read by screen readers and archives.
    return HTML(string=keep_korean_words(html)).write_pdf(pdf_tags=True)
