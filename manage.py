#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kipplan.settings")
    if not os.environ.get("DJANGO_SECRET_KEY"):
        # No secret key: a developer's machine, not a deployment (a deployment always sets one,
        # and gunicorn, through wsgi.py, refuses to start without it). Development runs with
        # debug on, which gives a development-only key.
        os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
