"""The year-end evaluation (지식재산 기본법 art. 10): a plan's round and its steps, the results
the agencies submit with their indicators and evidence (``evidence``), the evaluators'
assignments and scores, the grades; the evaluation page and its exports, and the reminders of
results and scoring. The annual report (``tracker.publishing``) reads the grades."""
