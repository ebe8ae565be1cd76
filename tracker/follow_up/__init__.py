"""What follows the evaluation: improvement opinions answered with improvement plans and
checked (``opinions``), budget advice on the graded projects (``advice``), their pages, admin
and reminders."""
