"""The year's work on the tasks: tasks and milestones, their history (progress reports,
contribution notes, reviews, milestone changes), the reports' services, what the progress pages
read (``selectors``) and what every page shares (``pages``: who may open them, the plan of the
URL's year), a task's chain across the years (``carry_over_chains``), the task export, and the
reminders of overdue milestones and stale reports. The pages themselves are
``tracker.overview``'s."""
