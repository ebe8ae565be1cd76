"""The year's work on the tasks: tasks and milestones, their history (progress reports,
contribution notes, reviews, milestone changes), the reports' services, the progress pages
(dashboard, task list and page, agencies, technologies, years: ``selectors`` and ``views``), the
task export, and the reminders of overdue milestones and stale reports."""
