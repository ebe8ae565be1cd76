"""The pages that show every part of the cycle together, read-only and server-rendered: the
dashboard, the task list and a task's page, agencies, technologies, the plans by year
(``years``) and My work. Each reads its parts' selectors (progress, evaluation, improvement
opinions, the annual report); the mixins every page shares are ``tracker.progress.pages``."""
