"""
Requests kipplan refuses before any view reads them. A NUL character (``%00``) anywhere in the
query string is never a value a user typed: the database refuses it deep in a query (PostgreSQL:
"A string literal cannot contain NUL"), which made the admin's autocomplete answer a 500. It is a
400 at the door instead, with the site's page for it.
"""

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _


def refuse_nul(get_response):
    def middleware(request):
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
                "\x00" in key or any("\x00" in value for value in values)
                for key, values in request.GET.lists()):
            raise BadRequest(_("The address holds a character that no page takes."))
        return get_response(request)

    return middleware
