"""What every part of the cycle uses and that knows nothing of the plan: fixed choices, money
and its display units, the two languages, validators, badges, charts, spreadsheet writing,
widgets, the admin's shared wording, and the data's revision (``models.Revision``), which keys
the cached pages (``kipplan.page_cache``)."""
