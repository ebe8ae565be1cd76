"""
The annual report as HWPX, the format Korean government offices edit and exchange, made with
python-hwpx (pure Python on lxml) from the report's content (``content.Report``).

Tables are filled row by row through ``table.rows`` and each row's ``cells``:
``table.set_cell_text(row, col)`` looks the cell up in the whole grid each time, and filling
one 750-row table that way took two minutes (``shared/notes/documents.md``). The results are
also one table a strategy, so no table grows with the whole plan.
"""

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
    document.page.set_page_number(format="page", position="BOTTOM_CENTER")
    heading = document.add_heading

    def paragraph(text):
        # Body text, without inheriting the previous paragraph's style: python-hwpx finds that
        # paragraph by listing the whole section, which made the paragraphs quadratic.
        return document.add_paragraph(text, inherit_style=False)

    # The cover: the title, the plan it reports on, the issuer, the day, the registration number.
    heading(report.title, level=1)
    for line in cover_lines(report):
        paragraph(line)
    for note in report.notes:
        paragraph(_("Note: %(note)s") % {"note": note})

    sections = section_titles()
    heading(_("Contents"), level=2)
    for title in sections:
        paragraph(title)

    # 1. IP trends
    heading(sections[0], level=2)
    if not report.trends:
        paragraph(_("No IP statistics are recorded yet."))
    for trend in report.trends:
        heading(f"{trend.name} ({trend.unit})"
                + (illustrative_mark() if trend.illustrative else ""), level=3)
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
        heading(strategy.title, level=3)
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
        heading(f"{outcome.number}. {outcome.name} ({outcome.unit})", level=3)
        paragraph(_("Target: %(target)s") % {"target": outcome.target})
        value_table(document, outcome.values)

    # 9. Appendix
    heading(sections[8], level=2)
    paragraph(_("By lead agency; budgets in millions of won."))
    fill(document, [_("Agency"), _("Tasks"), _("Budget"), _("Executed"), _("Rate"),
                    *report.evaluation.levels],
         [[row.name, row.tasks, row.budget_text, row.executed_text, row.rate, *row.grades]
          for row in report.appendix])

    return with_metadata(document.to_bytes(), report)


OPF = "http://www.idpf.org/2007/opf/"


def with_metadata(data: bytes, report: Report) -> bytes:
    """The file with its own metadata (Contents/content.hpf): the report's title, language,
    the Council as creator and today's dates, instead of python-hwpx's template's (an empty
    title, "ko" whatever the language, "synthetic-fixture-author", 17 September 2025)."""
    import datetime
    import io
    import zipfile

    from lxml import etree

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    tree = etree.fromstring(source.read("Contents/content.hpf"))
    metadata = tree.find(f"{{{OPF}}}metadata")
    metadata.find(f"{{{OPF}}}title").text = report.title
    metadata.find(f"{{{OPF}}}language").text = report.language
    for meta in metadata.findall(f"{{{OPF}}}meta"):
        meta.text = {"creator": report.issuer, "lastsaveby": report.issuer,
                     "subject": report.subtitle, "CreatedDate": now, "ModifiedDate": now,
                     "date": report.made_on, "description": "", "keyword": ""
                     }.get(meta.get("name"), meta.text)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():  # in order, mimetype first and stored, as read
            content = source.read(info.filename)
            if info.filename == "Contents/content.hpf":
                content = etree.tostring(tree, xml_declaration=True, encoding="UTF-8",
                                         standalone=True)
            target.writestr(info, content)
    return out.getvalue()


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
