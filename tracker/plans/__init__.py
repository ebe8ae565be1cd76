"""The plan of each year and what it is made of: strategies, key tasks, agencies and their
names over time (``agency_names``), strategic technologies, outcome indicators (``indicators``);
the plan import from a spreadsheet (``imports``), and the carry-over of one year's plan into the
next (``carry_over``, with the chains of a task across the years in ``carry_over_chains``)."""
