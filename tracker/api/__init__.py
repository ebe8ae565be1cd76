"""
kipplan's JSON API, ``/api/v1/``: the plan as data, for agencies' own systems and for anyone the
pages are open to, read through the same rules as the pages (``tracker.progress.pages``: who may
read at all, which tasks they see, whether they see a task's internal data), and progress
reported and milestones moved through the admin's services (``writes``). Users sign in with
tokens they make on their own page (``models``, ``authentication``, ``tokens``). Django REST
framework for the views and serializers, drf-spectacular for the OpenAPI 3 schema and its
documentation pages (``/api/v1/docs/``), served from kipplan's own static files.

Identifiers are the plan's own: a plan by its year, a task by its year and number (its code,
``2024-17``), agencies and technologies by their slugs. Amounts are whole won; bilingual texts
come in both languages (``title_ko``, ``title_en``); times are ISO 8601 with their offset.
"""
