from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from kipplan.health import readyz
from tracker.languages import set_language


def healthz(request):
    """A trivial view: for load balancers, and as the baseline in the benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("tracker.urls")),
]

# Error pages that render without the database; a database that is down answers 503.
handler500 = "kipplan.health.server_error"
