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
        # A NUL decodes only from itself or %00: the query string is read, not parsed.
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in query or "%00" in query:
            raise BadRequest(_("The address holds a character that no page takes."))
        return get_response(request)

    return middleware
