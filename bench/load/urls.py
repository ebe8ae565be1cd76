"""kipplan's URLs and one more for bench/load: a trivial logged-in page, the yardstick each page's
throughput is given against. It passes the same middleware, reads the same session and user and
renders a template through the same engine and context processors; the template is tiny."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from kipplan.urls import urlpatterns as site

TINY = engines["django"].from_string(
    '<!DOCTYPE html><html lang="{{ LANGUAGE_CODE }}"><title>kipplan</title>'
    "<p>{{ user.get_username }}</p></html>")


@login_required
def trivial(request):
    return HttpResponse(TINY.render({}, request))


urlpatterns = [path("bench/trivial/", trivial), *site]
