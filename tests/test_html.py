"""
Every page is valid HTML: the Nu HTML Checker (npm package vnu-jar, run with Java) reads each
page of tests/helpers.py, in Korean and in English, and reports zero errors.
"""


from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from tests.helpers import PASSWORD, site_pages, validate


def test_every_page_is_valid_html(demo, vnu, tmp_path):
    files = []
    for language in ("ko", "en"):
        clients = {}
        for name, url, username, status in site_pages():
            if username not in clients:
                clients[username] = Client()
                if username:
                    assert clients[username].login(username=username, password=PASSWORD)
            client = clients[username]
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            response = client.get(url)
            assert response.status_code == status, (name, url, response.status_code)
            path = tmp_path / f"{language}-{name.replace(' ', '-').replace(',', '')}.html"
            path.write_bytes(response.content)
            files.append(path)

    errors = validate(vnu, files)

    assert errors == {}, "\n".join(
        f"{name}:\n  " + "\n  ".join(messages) for name, messages in errors.items())


def test_the_error_pages_are_valid_html(vnu, tmp_path):
    """The 500 and 503 pages, as the error handler renders them (without the database)."""
    files = []
    for language in ("ko", "en"):
        for template in ("500.html", "503.html"):
            path = tmp_path / f"{language}-{template}"
            with translation.override(language):
                path.write_text(render_to_string(template))
            files.append(path)

    assert validate(vnu, files) == {}


def test_the_checker_finds_errors(vnu, tmp_path):
    """The check above can fail: a page with a stray end tag and a duplicate id is reported."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>x</title></head>'
                    '<body><p id="a">one</p><p id="a">two</p></div></body></html>')

    errors = validate(vnu, [page])

    assert len(errors["broken.html"]) == 2, errors
