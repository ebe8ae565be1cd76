"""
The annual report as HWPX, the format Korean government offices edit and exchange, made with
python-hwpx (pure Python on lxml) from the report's content (``content.Report``).

Tables are filled row by row through ``table.rows`` and each row's ``cells``:
``table.set_cell_text(row, col)`` looks the cell up in the whole grid each time, and filling
one 750-row table that way took two minutes (``shared/notes/documents.md``). The results are
also one table a strategy, so no table grows with the whole plan.
"""

import functools
import re

from django.utils.translation import gettext as _

from tracker.publishing.content import Report

HEADER_SHADE = "#E8EEF4"


def fill(document, header, rows, *, widths=None):
    """A table with a shaded header row and ``rows`` (lists of strings), filled cell by cell
    in one walk of its rows (linear in its size)."""
    rows = [header, *rows]
    table = document.add_table(len(rows), len(header))
    for values, row in zip(rows, table.rows, strict=True):
        for value, cell in zip(values, row.cells, strict=True):
            cell.set_text(str(value), split_paragraphs=True)
    # Shade the first header cell, then give the others its fill: set_cell_shading looks each
    # cell up in the whole grid (a second each for the biggest tables of 750 tasks).
    table.set_cell_shading(0, 0, HEADER_SHADE)
    header_cells = table.rows[0].cells
    fill_id = header_cells[0].element.get("borderFillIDRef")
    for cell in header_cells[1:]:
        cell.element.set("borderFillIDRef", fill_id)
    # The header row repeats on every page the table runs to (OWPML: the table's repeatHeader
    # and its header cells).
    table.element.set("repeatHeader", "1")
    for cell in header_cells:
        cell.element.set("header", "1")
    if widths:
        table.set_column_widths(widths)
    return table


def no_meetings_text(report):
    return _("No Council meeting is recorded for %(year)s.") % {"year": report.year}


def cover_lines(report):
    """What the cover says under the title."""
    lines = [report.subtitle, report.issuer, report.made_on]
    if report.registration_number:
        lines.append(_("Publication registration number %(number)s") % {
            "number": report.registration_number})
    return lines


def evaluation_section(document, heading, paragraph, evaluation):
    """The decided evaluation: the grades by strategy and kind, the 최우수 list and the best
    metropolitan government."""
    paragraph(_("Grades approved at %(meeting)s.") % {"meeting": evaluation.meeting})
    fill(document, ["", *evaluation.levels, _("Total")],
         [[row.label, *row.counts, row.total] for row in evaluation.rows])
    heading(_("Projects rated 최우수"), level=3)
    if not evaluation.outstanding:
        paragraph(_("None."))
    for unit in evaluation.outstanding:
        paragraph(f"{unit.code} {unit.title} ({unit.agency})" if unit.code else unit.agency)
        if unit.summary:
            paragraph(unit.summary)
    heading(_("The best metropolitan government"), level=3)
    paragraph(best_metropolitan_text(evaluation))


def build_hwpx(report: Report) -> bytes:
    """The report as an HWPX file, in the active language (the report's)."""
    from hwpx import HwpxDocument

    document = HwpxDocument.new()
    number_pages(document)
    heading = document.add_heading
    contents_at = 0

    def paragraph(text):
        # Body text, without inheriting the previous paragraph's style: python-hwpx finds that
        # paragraph by listing the whole section, which made the paragraphs quadratic.
        return document.add_paragraph(text, inherit_style=False)

    # The cover: the title, the plan it reports on, the issuer, the day, the registration number
    # (not outline headings: the contents list the chapters only).
    paragraph(report.title)
    for line in cover_lines(report):
        paragraph(line)
    for note in report.notes:
        paragraph(_("Note: %(note)s") % {"note": note})
    # the contents go here, once the chapters are written (contents())
    contents_at = 1 + 1 + len(cover_lines(report)) + len(report.notes)

    sections = section_titles()

    # 1. IP trends
    heading(sections[0], level=2)
    if not report.trends:
        paragraph(_("No IP statistics are recorded yet."))
    font = korean_font()
    for trend, chart in trend_charts(report):
        heading(f"{trend.name} ({trend.unit})"
                + (illustrative_mark() if trend.illustrative else ""), level=3)
        if chart is not None and font is not None:  # without the font, the table alone
            document.add_picture(chart_image(chart, font), "png", width_mm=90,
                                 height_mm=90 * chart.height / chart.width)
        value_table(document, trend.values)

    # 2. The Council's activities
    heading(sections[1], level=2)
    if not report.meetings:
        paragraph(no_meetings_text(report))
    for meeting in report.meetings:
        heading(meeting.title + (illustrative_mark() if meeting.illustrative else ""), level=3)
        if meeting.agenda:
            fill(document, [_("Agenda item"), _("Decision")],
                 [[item, decision or "—"] for item, decision in meeting.agenda], widths=[3, 2])
        for line in meeting.lines:
            paragraph(line)

    # 3. The plan at a glance
    glance = report.glance
    heading(sections[2], level=2)
    paragraph(_("%(title)s: %(tasks)s tasks, total budget %(total)s (tasks' budgets: "
                "%(allocated)s). Endorsed at %(meeting)s.") % {
        "title": glance.title, "tasks": glance.task_count, "total": glance.total_budget,
        "allocated": glance.allocated_budget, "meeting": glance.meeting})
    rows = []
    for strategy in glance.strategies:
        rows.append([strategy.line.label, "", strategy.line.tasks, strategy.line.budget_text])
        rows += [["", line.label + (illustrative_mark() if line.illustrative else ""),
                  line.tasks, line.budget_text] for line in strategy.key_tasks]
    fill(document, [_("Strategy"), _("Key task"), _("Tasks"), _("Budget")], rows,
         widths=[3, 4, 1, 2])
    heading(_("Lead agencies"), level=3)
    fill(document, [_("Agency"), _("Tasks"), _("Budget")],
         [[line.label, line.tasks, line.budget_text] for line in glance.agencies],
         widths=[5, 1, 2])

    # 4. Results by strategy: a table of the strategy's tasks, then each task's summary.
    heading(sections[3], level=2)
    paragraph(_("Budgets in millions of won; status at the end of the year."))
    for strategy in report.results:
        heading(untyped(strategy.title), level=3)
        paragraph(_("Budget %(budget)s, executed %(executed)s.") % {
            "budget": strategy.budget_text, "executed": strategy.executed_text})
        fill(document, task_header(), [task_row(task) for task in strategy.tasks],
             widths=[2, 6, 3, 2, 2, 2, 2])
        fill(document, [_("Code"), _("Results"), _("Performance indicators")],
             [[task.code, task.summary,
               "\n".join(indicator_text(indicator) for indicator in task.indicators) or "—"]
              for task in strategy.tasks], widths=[2, 8, 6])

    # 5. The 시·도' own results
    heading(sections[4], level=2)
    paragraph(_("Each metropolitan government is evaluated as an institution, on its own "
                "regional IP programmes, whether or not it leads national tasks."))
    fill(document, region_header(), [region_row(row) for row in report.regions],
         widths=[3, 9, 2, 2])

    # 6. The evaluation
    evaluation = report.evaluation
    heading(sections[5], level=2)
    if evaluation.pending:
        paragraph(evaluation.pending)
    else:
        evaluation_section(document, heading, paragraph, evaluation)

    # 7. Improvement opinions
    opinions = report.opinions
    heading(sections[6], level=2)
    fill(document, [_("Item"), _("Count")], opinion_rows(opinions), widths=[5, 1])

    # 8. Outcome indicators
    heading(sections[7], level=2)
    if not report.outcomes:
        paragraph(_("The plan records no outcome indicators."))
    for outcome in report.outcomes:
        heading(f"{outcome.name} ({outcome.unit})", level=3)
        paragraph(_("Target: %(target)s") % {"target": outcome.target})
        value_table(document, outcome.values)

    # 9. Appendix
    heading(sections[8], level=2)
    paragraph(_("By lead agency; budgets in millions of won."))
    fill(document, [_("Agency"), _("Tasks"), _("Budget"), _("Executed"), _("Rate"),
                    *report.evaluation.levels],
         [[row.name, row.tasks, row.budget_text, row.executed_text, row.rate, *row.grades]
          for row in report.appendix])

    contents(document, contents_at)
    describe(document, report)
    return document.to_bytes()


def contents(document, at_index):
    """The contents, as 한글's own table of contents (python-hwpx's native TOC): the chapters
    with their page numbers, which 한글 computes again when it opens the file (the numbers
    written are estimates until then). Body text is moved off the style a native TOC collects."""
    from hwpx.tools.toc_author import (
        add_native_toc,
        ensure_body_styles_not_collected,
        outline_heading_paragraphs,
    )

    ensure_body_styles_not_collected(document)
    chapters = [found for found, level, _text in outline_heading_paragraphs(document)
                if level == CHAPTER_LEVEL]
    add_native_toc(document, at_index=at_index, title=_("Contents"), level=CHAPTER_LEVEL,
                   headings=chapters, dirty=True)


CHAPTER_LEVEL = 2  # the chapters' outline level (add_heading), the contents' depth


def untyped(title):
    """A heading's text without the number typed before it ("1. 디지털 …"): 한글 numbers
    outline headings itself, and a typed number came out twice ("가. 1. …")."""
    return re.sub(r"^\d+\.\s*", "", title)


HP = "http://www.hancom.co.kr/hwpml/2011/paragraph"
OPF = "http://www.idpf.org/2007/opf/"


def number_pages(document):
    """Page numbers at the bottom centre, by the one control 한글 numbers pages with (쪽 번호
    매기기), in the section's first run. python-hwpx's set_page_number put a footer inside the
    section's properties, which the schema (KS X 6101) allows only as a control, and numbered
    the pages twice (an automatic number and a page-number control) under a duplicated id."""
    from lxml import etree

    run = document.sections[0].element.find(f".//{{{HP}}}secPr").getparent()
    control = etree.SubElement(run, f"{{{HP}}}ctrl")
    etree.SubElement(control, f"{{{HP}}}pageNum", pos="BOTTOM_CENTER", formatType="DIGIT",
                     sideChar="")


def describe(document, report: Report):
    """The file's own metadata and preview, instead of python-hwpx's template's (an empty title,
    "ko" whatever the language, "synthetic-fixture-author", 17 September 2025, a blank
    preview): the report's title and language, the Council as creator, today's dates; the
    cover and contents as the preview text, and the cover drawn as the preview image."""
    import datetime

    from lxml import etree

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = document.parts
    parts.clear_document_metadata(keep={"title", "language", "creator", "subject",
                                        "CreatedDate", "ModifiedDate"}, timestamp=now)
    parts.set_document_metadata(title=report.title, creator=report.issuer,
                                subject=report.subtitle, created_date=now, modified_date=now)
    # The language, which python-hwpx's metadata API leaves to the template ("ko").
    package = document.package
    manifest = etree.fromstring(package.read("Contents/content.hpf"))
    manifest.find(f".//{{{OPF}}}language").text = report.language
    package.write("Contents/content.hpf", etree.tostring(
        manifest, xml_declaration=True, encoding="UTF-8", standalone=True))
    lines = [report.title, *cover_lines(report), "", *section_titles()]
    package.write("Preview/PrvText.txt", "\r\n".join(lines).encode("utf-8"))
    image = cover_image(report)
    if image is not None:
        package.write("Preview/PrvImage.png", image)


@functools.cache
def korean_font():
    """(path, index) of the Korean font the PDF uses (Noto Sans CJK KR) as fontconfig finds it,
    or None where it is not installed: asked once a process, as pdf_unavailable is."""
    import shutil
    import subprocess

    if not shutil.which("fc-match"):
        return None
    found = subprocess.run(["fc-match", "-f", "%{file}|%{index}", "Noto Sans CJK KR:bold"],
                           capture_output=True, text=True, timeout=30, check=False).stdout
    path, _bar, index = found.partition("|")
    return (path, int(index or 0)) if "NotoSansCJK" in path else None


def chart_image(chart, font) -> bytes:
    """A bar chart of tracker.common.charts drawn as a PNG (at twice its size, for print), for
    the HWPX file, which has no SVG: the same bars as the PDF's, the table under it holds the
    figures."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    scale = 2
    image = Image.new("RGB", (chart.width * scale, chart.height * scale), "white")
    draw = ImageDraw.Draw(image)
    text = ImageFont.truetype(font[0], 11 * scale, index=font[1])
    for bar in chart.bars:
        draw.rectangle([bar.x * scale, bar.y * scale, (bar.x + bar.width) * scale,
                        (bar.y + bar.height) * scale], fill="#2c5fb3", outline="#333333")
        draw.text((bar.centre * scale, bar.text_y * scale), bar.text, fill="#222222", font=text,
                  anchor="ms")
    draw.line([0, chart.baseline * scale, chart.width * scale, chart.baseline * scale],
              fill="#333333", width=scale)
    for label, centre in chart.groups:
        draw.text((centre * scale, chart.label_y * scale), label, fill="#222222", font=text,
                  anchor="ms")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def cover_image(report: Report) -> bytes | None:
    """The cover as a small PNG (the file's preview in 한글 and in file browsers), in the Korean
    font the PDF uses; None where the font is not installed (the preview stays blank)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    font = korean_font()
    if font is None:
        return None
    path, index = font
    width, height = 354, 500  # A4's proportions
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    title = ImageFont.truetype(path, 17, index=index)  # the collection's Korean face
    body = ImageFont.truetype(path, 11, index=index)
    y = 170
    for text, font in [(report.title, title), *((line, body) for line in cover_lines(report))]:
        box = draw.textbbox((0, 0), text, font=font)
        draw.text(((width - (box[2] - box[0])) / 2, y), text, fill="black", font=font)
        y += (box[3] - box[1]) + (22 if font is title else 10)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def trend_charts(report: Report):
    """[(trend, chart)]: each IP statistic's figures in force as a bar chart, year by year
    (None for a series without figures); the PDF draws them as SVG, HWPX as pictures."""
    from tracker.common.charts import bar_chart

    return [(trend, bar_chart(f"{trend.name} ({trend.unit})", [
        (str(value.year), [(float(value.amount), value.value, False)])
        for value in trend.values if value.amount is not None]) if trend.values else None)
        for trend in report.trends]


def section_titles():
    """The chapters, without numbers: the PDF numbers them, 한글 numbers HWPX's headings with
    its outline styles (a typed number came out as "나. 1. 계획 개요")."""
    return [_("IP trends"), _("The Council's activities"), _("The plan at a glance"),
            _("Results by strategy"),
            _("Results of the metropolitan governments (시·도)"), _("The evaluation"),
            _("Improvement opinions and their follow-up"), _("Outcome indicators"),
            _("Appendix: tables by agency")]


def region_header():
    return [_("Metropolitan government"), _("Its own results (public summary)"),
            _("National tasks it leads"), _("Grade")]


def region_row(row):
    return [row.name, row.summary if row.submitted else _("not submitted"), row.tasks,
            row.grade or "—"]


def value_table(document, values):
    """A series' figures: year, value, kind, note and source."""
    fill(document, [_("Year"), _("Value"), _("Kind"), _("Note"), _("Source")],
         [[value.year, value.value, value.kind, value.note, value.source] for value in values],
         widths=[1, 2, 2, 3, 4])


def illustrative_mark():
    return " [" + _("illustrative") + "]"


def task_header():
    return [_("Code"), _("Task"), _("Lead agency"), _("Budget"), _("Executed"), _("Status"),
            _("Grade")]


def task_row(task):
    title = task.title + (illustrative_mark() if task.illustrative else "")
    return [task.code, title, task.agency, task.budget_text, task.executed_text, task.status,
            task.grade or "—"]


def indicator_text(indicator):
    return _("%(name)s: target %(target)s %(unit)s, actual %(actual)s, %(rate)s") % {
        "name": indicator.name, "target": indicator.target, "unit": indicator.unit,
        "actual": indicator.actual, "rate": indicator.rate}


def best_metropolitan_text(evaluation):
    if not evaluation.best_metropolitan:
        return _("No metropolitan government was graded.")
    return _("%(names)s (%(grade)s)") % {"names": ", ".join(evaluation.best_metropolitan),
                                         "grade": evaluation.best_metropolitan_grade}


def opinion_rows(opinions):
    return [
        [_("Opinions issued"), opinions.issued],
        [_("on tasks"), opinions.on_tasks],
        [_("on agencies"), opinions.on_agencies],
        [_("answered with an improvement plan"), opinions.answered],
        [_("closed"), opinions.closed],
        [_("still open"), opinions.open],
        [_("Improvement actions"), opinions.actions],
        [_("implemented (the Council's check)"), opinions.implemented],
        [_("in progress"), opinions.in_progress],
        [_("not implemented"), opinions.not_implemented],
        [_("not yet checked"), opinions.not_checked],
        [_("Share of actions implemented"), opinions.implemented_rate],
    ]
