"""The plan of each year and what it is made of: strategies, key tasks, agencies and their
names over time (``agency_names``), strategic technologies, outcome indicators (``indicators``).
A plan's import and its carry-over into the next year are ``tracker.loading``'s."""
